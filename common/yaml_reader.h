// The one way cutover reads a YAML document (the cluster configuration and upgrade
// plans): parsed by yaml-cpp, then checked for what yaml-cpp accepts silently. A key
// given twice in one mapping is kept twice, and readers disagree on which one counts
// (a lookup finds the first, a loop over the mapping ends on the last), so it is refused.
// Pure functions; thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace cutover {

struct YamlProblem {
  int line = 0;  // 1-based; 0 when the problem concerns the whole document
  std::string message;
};

struct YamlDocument {
  YAML::Node root;
  // Syntax errors (then root is empty) or repeated keys (root is still usable, so a
  // loader can report its other errors in the same run).
  std::vector<YamlProblem> problems;
  bool syntax_ok = true;
};

// A syntax error's message ends with the likely fix.
YamlDocument ParseYaml(const std::string& text);

// Every key given more than once in any mapping of the (first) document in `text`, at the
// line of each repeat.
std::vector<YamlProblem> RepeatedKeys(const std::string& text);

}  // namespace cutover
