#include "plugins/transport/probe_script.h"

#include "common/strings.h"
#include "plugins/transport/command_transport.h"

namespace cutover {
namespace {

constexpr std::string_view kBegin = "@@cutover-begin ";
constexpr std::string_view kEnd = "@@cutover-end ";

}  // namespace

std::string BuildProbeScript(const std::vector<ProbeSection>& sections,
                             const std::map<std::string, std::string>& environment) {
  std::string script;
  for (const auto& [name, value] : environment)
    script += "export " + name + "=" + ShellQuote(value) + "\n";
  for (const auto& section : sections) {
    // The newline before the end marker keeps it on its own line when the output lacks a
    // final newline; SplitProbeOutput removes exactly that one newline again.
    script += "printf '%s\\n' " + ShellQuote(std::string(kBegin) + section.name) + "\n";
    script += "sh -c " + ShellQuote(section.command) + " </dev/null 2>&1\n";
    script += "printf '\\n%s %s\\n' " + ShellQuote(std::string(kEnd) + section.name) + " \"$?\"\n";
  }
  return script;
}

ParseResult<std::map<std::string, SectionOutput>> SplitProbeOutput(
    std::string_view output, const std::vector<std::string>& expected) {
  using Result = ParseResult<std::map<std::string, SectionOutput>>;
  std::map<std::string, SectionOutput> sections;
  std::string open_name;
  std::string body;
  for (std::string_view line : SplitLines(output)) {
    if (open_name.empty()) {
      if (StartsWith(line, kBegin)) open_name = std::string(line.substr(kBegin.size()));
      continue;
    }
    if (StartsWith(line, kEnd)) {
      auto fields = SplitFields(line.substr(kEnd.size()));
      auto status = fields.size() == 2 ? ParseUint(fields[1]) : std::nullopt;
      if (fields.size() != 2 || fields[0] != open_name || !status)
        return Result::Error("probe script printed a malformed end marker '" + std::string(line) +
                             "' in section " + open_name);
      if (!body.empty()) body.pop_back();  // the newline printed before the end marker
      sections[open_name] = {std::move(body), static_cast<int>(*status)};
      body.clear();
      open_name.clear();
      continue;
    }
    body += line;
    body.push_back('\n');
  }
  for (const auto& name : expected) {
    if (!sections.count(name))
      return Result::Error("the probe's output ends before section '" + name +
                           "' finished (command timed out or the shell was killed?)");
  }
  return sections;
}

}  // namespace cutover
