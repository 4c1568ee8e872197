#include "common/yaml_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace cutover {
namespace {

std::string Problems(const YamlDocument& document) {
  std::string text;
  for (const auto& p : document.problems) text += std::to_string(p.line) + ": " + p.message + "\n";
  return text;
}

TEST(YamlReader, ARepeatedKeyIsReportedAtEachRepeatWithTheFirstLine) {
  YamlDocument d = ParseYaml("a: 1\nb:\n  c: 1\n  c: 2\n  c: 3\na: 2\nlist: [{x: 1}, {x: 2}]\n");
  ASSERT_TRUE(d.syntax_ok);
  EXPECT_EQ(Problems(d),
            "4: key 'c' is given twice (first on line 3); keep one (YAML readers disagree on "
            "which one counts)\n"
            "5: key 'c' is given twice (first on line 3); keep one (YAML readers disagree on "
            "which one counts)\n"
            "6: key 'a' is given twice (first on line 1); keep one (YAML readers disagree on "
            "which one counts)\n");
  EXPECT_TRUE(d.root.IsMap()) << "the document stays readable for the loader's other checks";
}

TEST(YamlReader, QuotingDoesNotMakeAKeyDifferent) {
  EXPECT_EQ(ParseYaml("program: /bin/true\n'program': /bin/false\n").problems.size(), 1u);
  EXPECT_EQ(ParseYaml("{a: 1, b: {a: 2}}\n").problems.size(), 0u) << "another mapping";
}

// A hostile file must not make the check loop or explode: aliases are not followed.
TEST(YamlReader, AliasesAreNotFollowed) {
  YamlDocument cycle = ParseYaml("a: &x [*x]\nb: &y {k: *y}\n");
  EXPECT_TRUE(cycle.problems.empty()) << Problems(cycle);
  std::string laughs = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 30; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) laughs += ", " + prev;
    laughs += "]\n";
  }
  EXPECT_TRUE(ParseYaml(laughs).problems.empty());
  YamlDocument shared = ParseYaml("base: &b {k: 1, k: 2}\nuse: *b\n");
  EXPECT_EQ(shared.problems.size(), 1u) << Problems(shared);
}

TEST(YamlReader, SyntaxErrorsGiveTheLineAndAFix) {
  YamlDocument d = ParseYaml("a:\n  - b\n c: [\n");
  EXPECT_FALSE(d.syntax_ok);
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_EQ(d.problems[0].line, 3);
  EXPECT_NE(d.problems[0].message.find("not valid YAML"), std::string::npos);
  EXPECT_NE(d.problems[0].message.find("check indentation and quoting"), std::string::npos);
}

}  // namespace
}  // namespace cutover
