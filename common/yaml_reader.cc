#include "common/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>

namespace cutover {
namespace {

// Walks the parser's events rather than the loaded nodes: an alias is one event, so an
// anchor that contains itself or a tree of aliases growing exponentially costs nothing.
class RepeatedKeyFinder : public YAML::EventHandler {
 public:
  explicit RepeatedKeyFinder(std::vector<YamlProblem>* problems) : problems_(problems) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { NodeDone(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { NodeDone(); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    if (!frames_.empty() && frames_.back().is_map && frames_.back().expecting_key) {
      int line = mark.line + 1;
      auto [it, inserted] = frames_.back().key_lines.emplace(value, line);
      if (!inserted)
        problems_->push_back({line, "key '" + value + "' is given twice (first on line " +
                                        std::to_string(it->second) +
                                        "); keep one (YAML readers disagree on which one counts)"});
    }
    NodeDone();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    frames_.push_back({false});
  }
  void OnSequenceEnd() override { EndContainer(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    frames_.push_back({true});
  }
  void OnMapEnd() override { EndContainer(); }

 private:
  struct Frame {
    bool is_map;
    bool expecting_key = true;
    std::map<std::string, int> key_lines;
  };

  // In a mapping, nodes alternate between key and value.
  void NodeDone() {
    if (!frames_.empty() && frames_.back().is_map)
      frames_.back().expecting_key = !frames_.back().expecting_key;
  }
  void EndContainer() {
    if (!frames_.empty()) frames_.pop_back();
    NodeDone();
  }

  std::vector<YamlProblem>* problems_;
  std::vector<Frame> frames_;
};

}  // namespace

std::vector<YamlProblem> RepeatedKeys(const std::string& text) {
  std::vector<YamlProblem> problems;
  std::istringstream in(text);
  try {
    YAML::Parser parser(in);
    RepeatedKeyFinder finder(&problems);
    parser.HandleNextDocument(finder);
  } catch (const YAML::Exception&) {
    // Syntax errors are ParseYaml's to report.
  }
  return problems;
}

YamlDocument ParseYaml(const std::string& text) {
  YamlDocument document;
  try {
    document.root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    document.syntax_ok = false;
    std::string fix = "check indentation and quoting";
    // An unquoted "> 10" starts a YAML folded block.
    if (e.msg.find("block scalar") != std::string::npos)
      fix = "quote values that start with > or |, e.g. condition: \"> 10\"";
    document.problems.push_back(
        {e.mark.line >= 0 ? e.mark.line + 1 : 0, "not valid YAML: " + e.msg + " (" + fix + ")"});
    return document;
  }
  document.problems = RepeatedKeys(text);
  return document;
}

}  // namespace cutover
