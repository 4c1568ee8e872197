#include "common/yaml_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

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

// --- Scalars: one set of rules for cutover.yml and plans ----------------------------------

// The value of `key` in a one-line document, as the loaders see it.
YAML::Node ValueOf(const std::string& yaml, const std::string& key = "k") {
  YamlDocument d = ParseYaml(yaml);
  EXPECT_TRUE(d.problems.empty()) << Problems(d);
  return FindYamlEntry(d.root, key).value;
}

struct Refused {
  std::string text;
  std::string message;
};

TEST(ParseYamlInteger, ReadsDecimalWholeNumbersWithAnOptionalSign) {
  EXPECT_EQ(ParseYamlInteger("0", "k").value(), 0);
  EXPECT_EQ(ParseYamlInteger("10", "k").value(), 10);
  EXPECT_EQ(ParseYamlInteger("-1", "k").value(), -1);
  EXPECT_EQ(ParseYamlInteger("+5", "k").value(), 5);
  EXPECT_EQ(ParseYamlInteger("-0", "k").value(), 0);
  EXPECT_EQ(ParseYamlInteger("9223372036854775807", "k").value(), kNoMaximum);
  EXPECT_EQ(ParseYamlInteger("-9223372036854775808", "k").value(), kNoMinimum);
  EXPECT_EQ(ParseYamlInteger("1", "k", 1, 1024).value(), 1);
  EXPECT_EQ(ParseYamlInteger("1024", "k", 1, 1024).value(), 1024);
}

// Each of these was read as some number by one of the old parsers (yaml-cpp's as<int>
// takes 0x10 as 16 and 010 as 8, the config's istream took " 5" as 5), or is what an
// operator writes meaning something else.
TEST(ParseYamlInteger, RefusesEveryOtherFormNamingTheKeyAndTheFix) {
  const std::string fix = "; write a whole number such as 10 or -1";
  const std::vector<Refused> refused = {
      {"1.0", "k: '1.0' is not a whole number (decimals and exponents are refused)" + fix},
      {"2.5", "k: '2.5' is not a whole number (decimals and exponents are refused)" + fix},
      {"1e3", "k: '1e3' is not a whole number (decimals and exponents are refused)" + fix},
      {"0x10",
       "k: '0x10' is not a whole number (hexadecimal, octal and binary are refused; write it "
       "in decimal)" +
           fix},
      {"0o17",
       "k: '0o17' is not a whole number (hexadecimal, octal and binary are refused; write it "
       "in decimal)" +
           fix},
      {"-0b101",
       "k: '-0b101' is not a whole number (hexadecimal, octal and binary are refused; write "
       "it in decimal)" +
           fix},
      {"010",
       "k: '010' is not a whole number (a leading zero is refused: YAML 1.1 readers take 010 "
       "as octal 8)" +
           fix},
      {" 5", "k: ' 5' is not a whole number (spaces are refused)" + fix},
      {"5 ", "k: '5 ' is not a whole number (spaces are refused)" + fix},
      {"1 000", "k: '1 000' is not a whole number (spaces are refused)" + fix},
      {"5s", "k: '5s' is not a whole number (units are refused: this is a plain number)" + fix},
      {"10MB", "k: '10MB' is not a whole number (units are refused: this is a plain number)" + fix},
      {"", "k: '' is not a whole number (it is empty)" + fix},
      {"-", "k: '-' is not a whole number" + fix},
      {"+", "k: '+' is not a whole number" + fix},
      {"+-5", "k: '+-5' is not a whole number" + fix},
      {"--5", "k: '--5' is not a whole number" + fix},
      {"1_000", "k: '1_000' is not a whole number" + fix},
      {"1,000", "k: '1,000' is not a whole number" + fix},
      {"lots", "k: 'lots' is not a whole number" + fix},
      {"9223372036854775808",
       "k: '9223372036854775808' is out of range; write a whole number from "
       "-9223372036854775808 to 9223372036854775807"},
      {"-99999999999999999999",
       "k: '-99999999999999999999' is out of range; write a whole number from "
       "-9223372036854775808 to 9223372036854775807"},
  };
  for (const Refused& r : refused) {
    ParseResult<std::int64_t> read = ParseYamlInteger(r.text, "k");
    ASSERT_FALSE(read.ok()) << "'" << r.text << "' was read as " << read.value();
    EXPECT_EQ(read.error(), r.message);
  }
}

TEST(ParseYamlInteger, ARangeIsCheckedAndStatedInTheFix) {
  EXPECT_EQ(ParseYamlInteger("0", "global.probe_concurrency", 1, 1024).error(),
            "global.probe_concurrency: '0' is out of range; write a whole number from 1 to 1024");
  EXPECT_EQ(ParseYamlInteger("1025", "global.probe_concurrency", 1, 1024).error(),
            "global.probe_concurrency: '1025' is out of range; write a whole number from 1 to "
            "1024");
  EXPECT_EQ(ParseYamlInteger("-2", "gate \"g\".failure_limit", -1).error(),
            "gate \"g\".failure_limit: '-2' is out of range; write a whole number of -1 or more");
  EXPECT_EQ(ParseYamlInteger("99999999999999999999", "k", 1).error(),
            "k: '99999999999999999999' is out of range; write a whole number of 1 or more");
  EXPECT_EQ(ParseYamlInteger("8", "k", kNoMinimum, 7).error(),
            "k: '8' is out of range; write a whole number of 7 or less");
  EXPECT_EQ(ParseYamlInteger("1.5", "k", 1, 1024).error(),
            "k: '1.5' is not a whole number (decimals and exponents are refused); write a whole "
            "number from 1 to 1024");
}

TEST(ReadYamlInteger, ReadsPlainAndQuotedScalarsAlikeAndRefusesEverythingElse) {
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: 16\n"), "k").value(), 16);
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: \"16\"\n"), "k").value(), 16) << "quoted as a placeholder";
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: 0x10\n"), "k").error(),
            "k: '0x10' is not a whole number (hexadecimal, octal and binary are refused; write it "
            "in decimal); write a whole number such as 10 or -1");
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: \" 5\"\n"), "k").error(),
            "k: ' 5' is not a whole number (spaces are refused); write a whole number such as 10 "
            "or -1");
  EXPECT_EQ(ReadYamlInteger(ValueOf("k:\n"), "k", 1, 1024).error(),
            "k is empty; write a whole number from 1 to 1024");
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: ~\n"), "k").error(),
            "k is empty; write a whole number such as 10 or -1");
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: [1]\n"), "k").error(),
            "k must be a whole number such as 10 or -1, not a list");
  EXPECT_EQ(ReadYamlInteger(ValueOf("k: {a: 1}\n"), "k").error(),
            "k must be a whole number such as 10 or -1, not a mapping");
  EXPECT_EQ(ReadYamlInteger(YAML::Node(YAML::NodeType::Undefined), "k").error(),
            "k is missing; write a whole number such as 10 or -1");
}

TEST(ParseYamlBool, ReadsOnlyTrueAndFalse) {
  EXPECT_TRUE(ParseYamlBool("true", "k").value());
  EXPECT_FALSE(ParseYamlBool("false", "k").value());
  EXPECT_TRUE(ReadYamlBool(ValueOf("k: \"true\"\n"), "k").value());
}

// YAML 1.1 (PyYAML, Go's yaml.v2) reads yes/on as true; YAML 1.2 and yaml-cpp's Scalar()
// read them as text. Refusing them leaves no doubt which one an operator meant.
TEST(ParseYamlBool, RefusesOtherSpellingsAndSaysWhy) {
  const std::string fix = "is not true or false; write true or false";
  const std::string yaml11 =
      " (yes/no, on/off and y/n are refused: YAML 1.1 readers take them as booleans, YAML 1.2 "
      "readers as text)";
  const std::vector<Refused> refused = {
      {"yes", "rollback.on_timeout: 'yes' " + fix + yaml11},
      {"no", "rollback.on_timeout: 'no' " + fix + yaml11},
      {"on", "rollback.on_timeout: 'on' " + fix + yaml11},
      {"off", "rollback.on_timeout: 'off' " + fix + yaml11},
      {"y", "rollback.on_timeout: 'y' " + fix + yaml11},
      {"N", "rollback.on_timeout: 'N' " + fix + yaml11},
      {"Yes", "rollback.on_timeout: 'Yes' " + fix + yaml11},
      {"True", "rollback.on_timeout: 'True' " + fix + " (write it in lower case)"},
      {"FALSE", "rollback.on_timeout: 'FALSE' " + fix + " (write it in lower case)"},
      {"1", "rollback.on_timeout: '1' " + fix},
      {"0", "rollback.on_timeout: '0' " + fix},
      {"", "rollback.on_timeout: '' " + fix},
      {" true", "rollback.on_timeout: ' true' " + fix},
  };
  for (const Refused& r : refused) {
    ParseResult<bool> read = ParseYamlBool(r.text, "rollback.on_timeout");
    ASSERT_FALSE(read.ok()) << "'" << r.text << "' was read as " << read.value();
    EXPECT_EQ(read.error(), r.message);
  }
  EXPECT_EQ(ReadYamlBool(ValueOf("k:\n"), "k").error(), "k is empty; write true or false");
  EXPECT_EQ(ReadYamlBool(ValueOf("k: [true]\n"), "k").error(),
            "k must be true or false, not a list");
}

TEST(ParseYamlDuration, ReadsPrometheusDurations) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ParseYamlDuration("30s", "k").value(), milliseconds(30000));
  EXPECT_EQ(ParseYamlDuration("1h30m", "k").value(), milliseconds(5400000));
  EXPECT_EQ(ParseYamlDuration("500ms", "k").value(), milliseconds(500));
  EXPECT_EQ(ParseYamlDuration("0s", "k").value(), milliseconds(0));
  EXPECT_EQ(ReadYamlDuration(ValueOf("k: 8s\n"), "k", DurationMinimum::kAboveZero).value(),
            milliseconds(8000));
}

TEST(ParseYamlDuration, RefusesWhatPrometheusRefusesNamingTheKeyAndTheFix) {
  const std::string fix =
      "; write it like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d";
  const std::vector<Refused> refused = {
      {"30", "k: '30' is not a duration (it has no unit: 30s is 30 seconds)" + fix},
      {"5 s", "k: '5 s' is not a duration (spaces are refused)" + fix},
      {"10 minutes", "k: '10 minutes' is not a duration (spaces are refused)" + fix},
      {"-5s", "k: '-5s' is not a duration (signs are refused)" + fix},
      {"1.5s", "k: '1.5s' is not a duration (fractions are refused; write 1s500ms for 1.5s)" + fix},
      {"", "k: '' is not a duration (it is empty)" + fix},
      {"1s1m", "k: '1s1m' is not a duration" + fix},
      {"5sec", "k: '5sec' is not a duration" + fix},
      {"PT5S", "k: 'PT5S' is not a duration" + fix},
  };
  for (const Refused& r : refused) {
    ParseResult<Duration> read = ParseYamlDuration(r.text, "k");
    ASSERT_FALSE(read.ok()) << "'" << r.text << "' was read";
    EXPECT_EQ(read.error(), r.message);
  }
  EXPECT_EQ(ParseYamlDuration("0s", "step \"s\".timeout", DurationMinimum::kAboveZero).error(),
            "step \"s\".timeout: '0s' is not a duration above zero" + fix);
  EXPECT_EQ(ParseYamlDuration("30", "k", DurationMinimum::kAboveZero).error(),
            "k: '30' is not a duration above zero (it has no unit: 30s is 30 seconds)" + fix);
  EXPECT_EQ(ReadYamlDuration(ValueOf("k:\n"), "k").error(),
            "k is empty; write a duration such as 30s, 10m, 1h30m or 500ms");
  EXPECT_EQ(ReadYamlDuration(ValueOf("k: {s: 5}\n"), "k").error(),
            "k must be a duration such as 30s, 10m, 1h30m or 500ms, not a mapping");
}

TEST(ReadYamlString, ReadsAnyScalarAsWritten) {
  EXPECT_EQ(ReadYamlString(ValueOf("k: 10.0.0.1\n"), "k").value(), "10.0.0.1");
  EXPECT_EQ(ReadYamlString(ValueOf("k: 0x10\n"), "k").value(), "0x10");
  EXPECT_EQ(ReadYamlString(ValueOf("k: ''\n"), "k").value(), "");
  EXPECT_EQ(ReadYamlString(ValueOf("k:\n"), "member \"fw1\".address").error(),
            "member \"fw1\".address is empty; write a value, or \"\" for an empty text");
  EXPECT_EQ(ReadYamlString(ValueOf("k: [a]\n"), "k").error(),
            "k must be a single value, not a list");
  EXPECT_EQ(ReadYamlString(ValueOf("k: {a: b}\n"), "k").error(),
            "k must be a single value, not a mapping");
}

TEST(ReadYamlStringList, ReadsAListOfScalars) {
  EXPECT_EQ(ReadYamlStringList(ValueOf("k: [eth1, 2]\n"), "k").value(),
            (std::vector<std::string>{"eth1", "2"}));
  EXPECT_EQ(ReadYamlStringList(ValueOf("k:\n  - a\n  - ''\n"), "k").value(),
            (std::vector<std::string>{"a", ""}));
  EXPECT_TRUE(ReadYamlStringList(ValueOf("k: []\n"), "k").value().empty());
}

TEST(ReadYamlStringList, RefusesASingleValueAndNestedItems) {
  EXPECT_EQ(ReadYamlStringList(ValueOf("k: eth1\n"), "settings.interfaces").error(),
            "settings.interfaces must be a list, not the single value 'eth1'; write ['eth1'] for "
            "a list of one");
  EXPECT_EQ(ReadYamlStringList(ValueOf("k:\n"), "k").error(),
            "k is empty; write a list such as [a, b] ([] for none)");
  EXPECT_EQ(ReadYamlStringList(ValueOf("k: {a: b}\n"), "k").error(),
            "k must be a list such as [a, b] ([] for none), not a mapping");
  EXPECT_EQ(ReadYamlStringList(ValueOf("k: [a, [b]]\n"), "k").error(),
            "k: item 2 is a list; each item must be a single value");
  EXPECT_EQ(ReadYamlStringList(ValueOf("k: [a, {b: c}]\n"), "k").error(),
            "k: item 2 is a mapping; each item must be a single value");
  EXPECT_EQ(ReadYamlStringList(ValueOf("k:\n  - a\n  -\n"), "k").error(),
            "k: item 2 is empty; each item must be a single value");
}

// A hostile value must not flood or garble the message.
TEST(ParseYamlInteger, QuotesTheValueEscapedAndShortened) {
  EXPECT_EQ(ParseYamlInteger("5\n\x1b[2J", "k").error(),
            "k: '5\\n\\u001b[2J' is not a whole number (spaces are refused); write a whole "
            "number such as 10 or -1");
  std::string message = ParseYamlInteger(std::string(10000, 'x'), "k").error();
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_NE(message.find("...'"), std::string::npos) << message;
}

TEST(YamlLine, ANullValueIsReportedAtItsKey) {
  YamlDocument d = ParseYaml("global:\n  probe_timeout:\n  probe_concurrency: 4\nlast:\n");
  YamlEntry timeout = FindYamlEntry(d.root["global"], "probe_timeout");
  ASSERT_TRUE(timeout);
  EXPECT_EQ(YamlLine(timeout.value), 3) << "yaml-cpp marks the null at the next token";
  EXPECT_EQ(YamlLine(timeout), 2);
  EXPECT_EQ(YamlLine(FindYamlEntry(d.root["global"], "probe_concurrency")), 3);
  EXPECT_EQ(YamlLine(FindYamlEntry(d.root, "last")), 4);
  EXPECT_FALSE(FindYamlEntry(d.root, "missing"));
  EXPECT_FALSE(FindYamlEntry(YAML::Node("scalar"), "k"));
  EXPECT_EQ(YamlLine(YAML::Node("built in code")), 0);
}

}  // namespace
}  // namespace cutover
