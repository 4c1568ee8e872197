// Files that hold credentials (bearer tokens, private keys), checked the same way
// everywhere before use: a mistake in one must stop start-up with the reason, not hang it
// (a FIFO), read the wrong thing (a directory, a second line) or leak it (a file others
// can read).
#pragma once

#include <string>

namespace cutover {

// "" when `path` may hold a secret: it opens without blocking (a FIFO cannot hang the
// caller), is a regular file, and neither group nor others have any permission on it.
// Otherwise why not and the fix, naming `what` (e.g. "--web.auth-token-file").
std::string CheckSecretFile(const std::string& path, const std::string& what);

struct SecretFileResult {
  std::string secret;
  std::string error;  // CheckSecretFile's reasons, or what is wrong with the content
  bool ok() const { return error.empty(); }
};

// A one-line secret such as a bearer token: CheckSecretFile's rules, then exactly one
// non-empty line, returned without surrounding whitespace.
SecretFileResult ReadSecretFile(const std::string& path, const std::string& what);

}  // namespace cutover
