// The placeholders of gate queries, found the same way by ResolveQuery and the loader.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

// One "{{name}}" in a query; spaces inside the braces are allowed ("{{ member }}").
// `end` is std::string_view::npos when the "{{" is never closed.
struct Placeholder {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the closing "}}"
  std::string name;     // trimmed
};

std::vector<Placeholder> FindPlaceholders(std::string_view query);

}  // namespace cutover
