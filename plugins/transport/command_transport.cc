#include "plugins/transport/command_transport.h"

#include "common/strings.h"
#include "plugins/core/driver.h"

namespace cutover {

std::string CommandResult::Describe() const {
  if (!completed) return error.empty() ? "command did not complete" : error;
  std::string text = "exit status " + std::to_string(exit_status);
  std::string_view first_err = Trim(err);
  first_err = first_err.substr(0, first_err.find('\n'));
  if (!first_err.empty()) text += ": " + std::string(first_err);
  return text;
}

std::string CommandResult::Printed() const {
  std::string printed = out;
  if (!err.empty()) {
    if (!printed.empty() && printed.back() != '\n') printed.push_back('\n');
    printed += err;
  }
  return printed;
}

std::string ShellQuote(std::string_view word) {
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& word : argv) {
    if (!line.empty()) line.push_back(' ');
    line += ShellQuote(word);
  }
  return line;
}

std::string ShellWord(std::string_view word) {
  bool reads_as_itself = !word.empty();
  for (char c : word) {
    reads_as_itself &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("_-./:,+@%").find(c) != std::string_view::npos;
  }
  return reads_as_itself ? std::string(word) : ShellQuote(word);
}

std::string ShellLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& word : argv) {
    if (!line.empty()) line.push_back(' ');
    line += ShellWord(word);
  }
  return line;
}

std::string CommandFailure(const std::string& what, const CommandTransport& transport,
                           const std::vector<std::string>& argv, const CommandResult& result) {
  return what + " on " + transport.Target() + ": `" + ShellJoin(argv) +
         "` failed: " + result.Describe();
}

std::vector<std::string> DescribePlan(const CommandTransport& transport, const CommandPlan& plan) {
  if (plan.refused()) return DescribeRefusal(plan.refusal);
  std::vector<std::string> lines;
  for (const PlannedCommand& command : plan.commands)
    lines.push_back(transport.Target() + ": " + ShellLine(command.argv));
  return lines;
}

}  // namespace cutover
