#include "common/exposition.h"

#include <charconv>
#include <cmath>

#include "common/build_info.h"
#include "common/strings.h"

namespace cutover {

void ExpositionWriter::Family(std::string_view name, std::string_view help, std::string_view type) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  const std::string valid_help = IsValidUtf8(help) ? std::string() : ReplaceInvalidUtf8(help);
  if (!valid_help.empty()) help = valid_help;
  for (char c : help) {
    if (c == '\\')
      text_ += "\\\\";
    else if (c == '\n')
      text_ += "\\n";
    else
      text_ += c;
  }
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void ExpositionWriter::Label(std::string_view name, std::string_view value, bool first) {
  if (!first) text_ += ',';
  text_ += name;
  text_ += "=\"";
  // Prometheus rejects the whole scrape on one value that is not UTF-8.
  const std::string valid_value = IsValidUtf8(value) ? std::string() : ReplaceInvalidUtf8(value);
  if (!valid_value.empty()) value = valid_value;
  for (char c : value) {
    if (c == '\\')
      text_ += "\\\\";
    else if (c == '"')
      text_ += "\\\"";
    else if (c == '\n')
      text_ += "\\n";
    else
      text_ += c;
  }
  text_ += '"';
}

void ExpositionWriter::Value(double value) {
  text_ += ' ';
  if (std::isnan(value)) {
    text_ += "NaN";
  } else if (std::isinf(value)) {
    text_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    text_.append(buffer, end);
  }
  text_ += '\n';
}

void ExpositionWriter::Sample(std::string_view name, std::initializer_list<ExpositionLabel> labels,
                              double value) {
  text_ += name;
  if (labels.size() > 0) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      Label(label, label_value, first);
      first = false;
    }
    text_ += '}';
  }
  Value(value);
}

void ExpositionWriter::MemberSample(std::string_view name, std::string_view cluster,
                                    std::string_view member, double value, ExpositionLabel extra1,
                                    ExpositionLabel extra2) {
  text_ += name;
  text_ += '{';
  Label("ha_cluster", cluster, true);
  Label("member", member, false);
  if (!extra1.first.empty()) Label(extra1.first, extra1.second, false);
  if (!extra2.first.empty()) Label(extra2.first, extra2.second, false);
  text_ += '}';
  Value(value);
}

void WriteBuildInfo(ExpositionWriter& out) {
  out.Family("cutover_build_info",
             "Version, revision and compiler cutover was built from; always 1.", "gauge");
  out.Sample("cutover_build_info",
             {{"version", build_info::kVersion},
              {"revision", build_info::kRevision},
              {"compiler", build_info::kCompiler}},
             1);
}

}  // namespace cutover
