#include "common/json_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace cutover {
namespace {

using ::testing::HasSubstr;

std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string ErrorOf(std::string_view text, const JsonLimits& limits = {}) {
  auto read = ReadJson(text, limits);
  return read.ok() ? "(read without error)" : read.error();
}

TEST(JsonReader, ReadsAnObjectLikeRapidJson) {
  auto read = ReadJson(R"({"plan":"bgp-pair","steps":[1,2.5,true,null,{"a":"b"}]})");
  ASSERT_TRUE(read.ok()) << read.error();
  const rapidjson::Document& doc = read.value();
  EXPECT_STREQ(doc["plan"].GetString(), "bgp-pair");
  ASSERT_EQ(doc["steps"].Size(), 5u);
  EXPECT_EQ(doc["steps"][0].GetInt(), 1);
  EXPECT_DOUBLE_EQ(doc["steps"][1].GetDouble(), 2.5);
  EXPECT_STREQ(doc["steps"][4]["a"].GetString(), "b");
}

TEST(JsonReader, DepthLimitIsExactAndNamed) {
  EXPECT_TRUE(ReadJson(Nested(64)).ok()) << ErrorOf(Nested(64));
  EXPECT_EQ(ErrorOf(Nested(65)),
            "JSON nested deeper than 64 levels at byte offset 64 (cutover reads at most 64)");

  std::string objects;
  for (int i = 0; i < 64; ++i) objects += "{\"a\":";
  EXPECT_TRUE(ReadJson(objects + "1" + std::string(64, '}')).ok());
  EXPECT_THAT(ErrorOf(objects + "{}" + std::string(64, '}')),
              HasSubstr("nested deeper than 64 levels"));

  JsonLimits two;
  two.max_depth = 2;
  EXPECT_TRUE(ReadJson("[[]]", two).ok());
  EXPECT_EQ(ErrorOf("[[[]]]", two),
            "JSON nested deeper than 2 levels at byte offset 2 (cutover reads at most 2)");
}

// The operator API crashed on a request nested ~900 deep: the parser recursed once per
// level. A million levels must cost neither the stack nor much time.
TEST(JsonReader, AMillionLevelsAreRefusedWithoutRecursion) {
  std::string objects;
  for (int i = 0; i < 1000000; ++i) objects += "{\"a\":";
  for (const std::string& text :
       {Nested(1000000), objects + "1" + std::string(1000000, '}'), std::string(1000000, '['),
        std::string("{\"plan\":") + std::string(1000000, '[')}) {
    EXPECT_THAT(ErrorOf(text), HasSubstr("nested deeper than 64 levels"));
  }
  JsonLimits unlimited;
  unlimited.max_depth = 2000000;
  EXPECT_TRUE(ReadJson(Nested(1000000), unlimited).ok())
      << "a raised limit must still parse without recursing";
}

TEST(JsonReader, InvalidUtf8IsRefusedNamingTheField) {
  EXPECT_EQ(ErrorOf("{\"plan\":\"a\",\"by\":\"al\xff\xfe\"}"),
            "invalid UTF-8 in \"by\" at byte offset 20 (JSON text must be UTF-8)");
  EXPECT_THAT(ErrorOf("[\"ok\",\"\xc0\xaf\"]"), HasSubstr("invalid UTF-8 in \"[1]\""));
  EXPECT_THAT(ErrorOf("{\"k\xed\xa0\x80\":1}"), HasSubstr("invalid UTF-8 at byte offset"));
  auto unicode = ReadJson("{\"by\":\"Zürich \\u00fc\\ud83d\\udd25\"}");
  ASSERT_TRUE(unicode.ok()) << unicode.error();
  EXPECT_STREQ(unicode.value()["by"].GetString(), "Zürich ü\xF0\x9F\x94\xA5");
}

TEST(JsonReader, NulInAStringIsRefusedWhereOperatorsTypeIt) {
  EXPECT_EQ(ErrorOf(R"({"run":"r1","by":"alice\u0000bob"})"),
            "NUL character (\\u0000) in \"by\" at byte offset 33 (cutover refuses NUL in strings)");
  EXPECT_THAT(ErrorOf(R"({"a\u0000":1})"), HasSubstr("NUL character (\\u0000) in a key"));

  auto machine = ReadJson(R"({"by":"alice\u0000bob"})", MachineJsonLimits());
  ASSERT_TRUE(machine.ok()) << machine.error();
  EXPECT_EQ(machine.value()["by"].GetStringLength(), 9u);
}

// Document::Parse stops at a raw NUL byte and ignores what follows.
TEST(JsonReader, ARawNulByteEndsNothingSilently) {
  const std::string text("{\"plan\":\"a\"}\0{\"plan\":\"b\"}", 25);
  EXPECT_EQ(ErrorOf(text),
            "invalid JSON at byte offset 12: a NUL byte, which JSON text cannot contain");
  EXPECT_THAT(ErrorOf(std::string("{\"plan\":\"a\0\"}", 13)), HasSubstr("invalid JSON"));
}

TEST(JsonReader, ARepeatedKeyIsRefusedRatherThanGuessed) {
  EXPECT_EQ(ErrorOf(R"({"plan":"safe","plan":"other"})"),
            "key \"plan\" given twice at byte offset 21 (give each key once)");
  EXPECT_THAT(ErrorOf(R"({"a":[{"x":1},{"x":1,"y":2,"x":3}]})"),
              HasSubstr("key \"a[1].x\" given twice"));
  EXPECT_TRUE(ReadJson(R"({"a":{"x":1},"b":{"x":1}})").ok()) << "keys repeat across objects";

  auto machine = ReadJson(R"({"plan":"safe","plan":"other"})", MachineJsonLimits());
  ASSERT_TRUE(machine.ok()) << machine.error();
}

TEST(JsonReader, SyntaxErrorsSayWhereAndAreKnownAsSuch) {
  EXPECT_EQ(ErrorOf("{\"version\":\"4\",}"),
            "invalid JSON at byte offset 15: Missing a name for object member.");
  EXPECT_EQ(ErrorOf(""), "invalid JSON at byte offset 0: The document is empty.");
  EXPECT_EQ(ErrorOf("{} {}"),
            "invalid JSON at byte offset 3: The document root must not be followed by other "
            "values.");
  EXPECT_TRUE(IsJsonSyntaxError(ErrorOf("{\"a\":")));
  EXPECT_FALSE(IsJsonSyntaxError(ErrorOf(Nested(65))));
}

TEST(JsonReader, HostileKeysInErrorsAreEscapedAndShortened) {
  std::string error =
      ErrorOf("{\"" + std::string("evil\\n") + std::string(300, 'k') + "\":\"x\\u0000\"}");
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_THAT(error, HasSubstr("[\"evil\\n"));
  EXPECT_LT(error.size(), 200u) << error;
}

// A system's answer that is not a JSON object says which answer, and shows its start.
TEST(JsonReader, AnAnswerThatIsNoObjectIsNamedAndQuoted) {
  auto html = ReadJsonObject("<html>502 Bad Gateway</html>", "GET /patroni");
  ASSERT_FALSE(html.ok());
  EXPECT_THAT(html.error(), ::testing::StartsWith("GET /patroni is not JSON cutover reads ("));
  EXPECT_THAT(html.error(), ::testing::HasSubstr("it gave '<html>502 Bad Gateway</html>'"));
  auto list = ReadJsonObject("[1,2]", "GET /cluster");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error(), "GET /cluster gave JSON that is not an object: '[1,2]'");
  EXPECT_TRUE(ReadJsonObject(R"({"state":"running"})", "GET /patroni").ok());
}

}  // namespace
}  // namespace cutover
