// A transport runs one command on a member and returns what it printed. Commands are
// argv vectors; a transport that needs a shell line (SSH) quotes every element, so values
// from outside never reach a shell unquoted. An instance is used by one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.h"

namespace cutover {

struct CommandResult {
  bool completed = false;  // the command ran and its exit status arrived
  int exit_status = -1;
  std::string out;
  std::string err;
  std::string error;  // transport failure (connect, auth, host key, timeout), when !completed

  bool Ok() const { return completed && exit_status == 0; }
  // stdout, then stderr on a line of its own: what an operator would have seen.
  std::string Printed() const;
  // One line for logs and action results: the transport error, or the exit status and
  // the first line of stderr.
  std::string Describe() const;
};

class CommandTransport {
 public:
  virtual ~CommandTransport() = default;
  virtual CommandResult Run(const std::vector<std::string>& argv, Duration timeout) = 0;
  // "ssh root@10.0.0.1:22", for messages.
  virtual std::string Target() const = 0;
};

// POSIX shell single-quoting: abc -> 'abc', it's -> 'it'\''s'.
std::string ShellQuote(std::string_view word);
std::string ShellJoin(const std::vector<std::string>& argv);
// One word for a person to read: as written when a shell reads it as itself (letters,
// digits and _ - . / : , + @ %), else ShellQuote'd.
std::string ShellWord(std::string_view word);
// argv for a person to read: ShellWord of each word. A POSIX shell still splits the line
// back into exactly argv.
std::string ShellLine(const std::vector<std::string>& argv);

// How drivers report a command that failed, with what an operator would type to see more:
// "WHAT on TARGET: `ARGV` failed: REASON".
std::string CommandFailure(const std::string& what, const CommandTransport& transport,
                           const std::vector<std::string>& argv, const CommandResult& result);

// One command an action sends.
struct PlannedCommand {
  std::string what;  // how messages name it: "commit_sync", "clusterXL_admin down"
  std::vector<std::string> argv;
  Duration timeout{};
};

// An action's commands in order, or why it is refused before anything is sent. A driver
// builds it in one function that Perform runs and Describe prints, so what a rehearsal
// shows is what a run sends.
struct CommandPlan {
  std::vector<PlannedCommand> commands;
  std::string refusal;  // set: nothing may be sent, and the action fails with this error

  static CommandPlan Refused(std::string why) { return {{}, std::move(why)}; }
  bool refused() const { return !refusal.empty(); }
};

// Driver::Describe's lines for `plan` sent through `transport`: "TARGET: COMMAND" per
// command (ShellLine), or the refusal.
std::vector<std::string> DescribePlan(const CommandTransport& transport, const CommandPlan& plan);

}  // namespace cutover
