// ParseQueryResponse on responses captured from Prometheus 2.42 (fixtures/README.md) and
// on damaged and hostile copies of them. Whatever arrives, a gate gets one number, "no
// data", "several series", or an error that says what came back; never a made-up value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

#include "actions/gates/prometheus_client.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using Kind = QueryResult::Kind;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(CUTOVER_SOURCE_DIR) + "/tests/actions/gates/fixtures/" + name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string KindName(Kind kind) {
  switch (kind) {
    case Kind::kValue:
      return "value";
    case Kind::kNoData:
      return "no data";
    case Kind::kMany:
      return "many";
    case Kind::kError:
      return "error";
  }
  return "?";
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture lacks " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

struct Expected {
  Kind kind;
  double value = 0;
  int series_count = 0;
  std::vector<std::string> error_parts = {};
};

void ExpectResult(const QueryResult& got, const Expected& want) {
  EXPECT_EQ(KindName(got.kind), KindName(want.kind)) << "error: " << got.error;
  if (want.kind == Kind::kValue) {
    if (std::isnan(want.value)) {
      EXPECT_TRUE(std::isnan(got.value)) << got.value;
    } else {
      EXPECT_EQ(got.value, want.value);
    }
  }
  if (want.kind == Kind::kMany || want.kind == Kind::kValue) {
    EXPECT_EQ(got.series_count, want.series_count);
  }
  if (want.kind == Kind::kError) {
    for (const std::string& part : want.error_parts) EXPECT_THAT(got.error, HasSubstr(part));
  } else {
    EXPECT_EQ(got.error, "");
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct FixtureCase {
  std::string file;
  long http_status;
  Expected expected;
};

TEST(ParseQueryResponseTest, EveryCapturedResponse) {
  const std::vector<FixtureCase> cases = {
      {"vector_one_series.json", 200, {Kind::kValue, 1, 1}},
      {"vector_fraction.json", 200, {Kind::kValue, 0.5670860670194003, 1}},
      {"vector_empty.json", 200, {Kind::kNoData}},
      {"vector_two_series.json", 200, {Kind::kMany, 0, 2}},
      {"vector_plus_inf.json", 200, {Kind::kValue, kInf, 1}},
      {"vector_minus_inf.json", 200, {Kind::kValue, -kInf, 1}},
      {"scalar_nan.json", 200, {Kind::kValue, kNaN, 1}},
      {"scalar_one.json", 200, {Kind::kValue, 1, 1}},
      {"string.json",
       200,
       {Kind::kError, 0, 0, {"a gate needs an instant vector or scalar, got string"}}},
      {"matrix.json",
       200,
       {Kind::kError, 0, 0, {"a gate needs an instant vector or scalar, got matrix"}}},
      {"error_400_bad_data.json",
       400,
       {Kind::kError,
        0,
        0,
        {"HTTP 400", "bad_data", "parse error: unexpected end of input inside braces"}}},
      {"error_422_execution.json",
       422,
       {Kind::kError,
        0,
        0,
        {"HTTP 422", "execution", "many-to-many matching not allowed: matching labels"}}},
      {"error_503_timeout.json",
       503,
       {Kind::kError, 0, 0, {"HTTP 503", "timeout", "query timed out in expression evaluation"}}},
      {"put_405.txt",
       405,
       {Kind::kError, 0, 0, {"HTTP 405", "not JSON", "\"Method Not Allowed\\n\""}}},
      {"wrong_path_404.txt",
       404,
       {Kind::kError, 0, 0, {"HTTP 404", "not JSON", "404 page not found"}}},
  };
  for (const FixtureCase& c : cases) {
    SCOPED_TRACE(c.file);
    ExpectResult(ParseQueryResponse(c.http_status, Fixture(c.file)), c.expected);
  }
}

TEST(ParseQueryResponseTest, TheReferenceSamplesFile) {
  // "name:  body" lines; the status is 200 unless the name is "HTTP <status>".
  std::map<std::string, Expected> expected = {
      {"vector", {Kind::kValue, 1, 1}},
      {"empty", {Kind::kNoData}},
      {"scalar", {Kind::kValue, kNaN, 1}},
      {"string", {Kind::kError, 0, 0, {"got string"}}},
      {"matrix", {Kind::kError, 0, 0, {"HTTP 200", "invalid JSON"}}},  // abridged with {...}
      {"HTTP 400", {Kind::kError, 0, 0, {"HTTP 400 bad_data: invalid parameter"}}},
      {"HTTP 422", {Kind::kError, 0, 0, {"HTTP 422 execution: found duplicate series"}}},
  };
  std::istringstream lines(Fixture("prometheus-2.42-api-responses.txt"));
  std::string line;
  int parsed = 0;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::string body = line.substr(line.find_first_not_of(' ', colon + 1));
    if (body[0] != '{') continue;  // the 405 line describes a body, it is not one
    SCOPED_TRACE(line);
    ASSERT_TRUE(expected.count(name)) << "a new line in the samples file: add it here";
    long status = name.rfind("HTTP ", 0) == 0 ? std::stol(name.substr(5)) : 200;
    ExpectResult(ParseQueryResponse(status, body), expected[name]);
    ++parsed;
  }
  EXPECT_EQ(parsed, 7);
}

TEST(ParseQueryResponseTest, EveryTruncationOfAResponseIsAnError) {
  for (const std::string file : {"vector_one_series.json", "vector_empty.json", "scalar_one.json",
                                 "vector_two_series.json"}) {
    const std::string body = Fixture(file);
    for (std::size_t length = 0; length < body.size(); ++length) {
      QueryResult r = ParseQueryResponse(200, body.substr(0, length));
      ASSERT_EQ(KindName(r.kind), "error") << file << " cut to " << length << " bytes";
      ASSERT_FALSE(r.error.empty());
    }
  }
  EXPECT_THAT(ParseQueryResponse(200, Fixture("vector_one_series.json").substr(0, 60)).error,
              HasSubstr("HTTP 200 with invalid JSON"));
  EXPECT_THAT(ParseQueryResponse(200, Fixture("vector_one_series.json").substr(0, 60)).error,
              HasSubstr("truncated"));
}

struct HostileCase {
  std::string situation;
  long http_status;
  std::string body;
  Expected expected;
};

TEST(ParseQueryResponseTest, HostileAndBrokenVariants) {
  const std::string one = Fixture("vector_one_series.json");
  const std::string scalar = Fixture("scalar_one.json");
  const std::string value = R"("value":[1795241183.325,"1"])";
  const std::vector<HostileCase> cases = {
      {"leading and trailing whitespace", 200, "\n  " + one + "\n", {Kind::kValue, 1, 1}},
      {"a negative fraction",
       200,
       Replace(one, R"("1"])", R"("-0.25"])"),
       {Kind::kValue, -0.25, 1}},
      {"an exponent", 200, Replace(one, R"("1"])", R"("1e3"])"), {Kind::kValue, 1000, 1}},
      {"three series",
       200,
       R"({"status":"success","data":{"resultType":"vector","result":[)"
       R"({"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]},)"
       R"({"metric":{"a":"3"},"value":[1,"3"]}]}})",
       {Kind::kMany, 0, 3}},
      {"a warnings member is ignored",
       200,
       Replace(one, R"({"status":"success",)", R"({"status":"success","warnings":["w"],)"),
       {Kind::kValue, 1, 1}},
      {"HTML from a proxy",
       502,
       "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>\r\n",
       {Kind::kError, 0, 0, {"HTTP 502", "not JSON", "<html>?\\n<head><title>502 Bad Gateway"}}},
      {"an empty body", 200, "", {Kind::kError, 0, 0, {"HTTP 200 with an empty body"}}},
      {"an empty 502", 502, " \n", {Kind::kError, 0, 0, {"HTTP 502 with an empty body"}}},
      {"control bytes in a non-JSON body",
       500,
       std::string("\x01\x02oops\x7f", 7),
       {Kind::kError, 0, 0, {"HTTP 500", "\"??oops?\""}}},
      {"trailing garbage after the JSON", 200, one + "x", {Kind::kError, 0, 0, {"invalid JSON"}}},
      {"two documents", 200, one + one, {Kind::kError, 0, 0, {"invalid JSON"}}},
      {"a JSON array", 200, "[]", {Kind::kError, 0, 0, {"the JSON is not an object"}}},
      {"value not an array",
       200,
       Replace(one, value, R"("value":"1")"),
       {Kind::kError, 0, 0, {"data.result[0].value is not a [time, \"value\"] pair"}}},
      {"value with three elements",
       200,
       Replace(one, value, R"("value":[1,"1","2"])"),
       {Kind::kError, 0, 0, {"data.result[0].value is not a [time, \"value\"] pair"}}},
      {"value[1] a number, not a string",
       200,
       Replace(one, value, R"("value":[1795241183.325,1])"),
       {Kind::kError, 0, 0, {"data.result[0].value[1] (the value) is not a string"}}},
      {"value[1] not a number",
       200,
       Replace(one, value, R"("value":[1795241183.325,"abc"])"),
       {Kind::kError, 0, 0, {"data.result[0].value[1] is not a number: \"abc\""}}},
      {"value[1] empty",
       200,
       Replace(one, value, R"("value":[1795241183.325,""])"),
       {Kind::kError, 0, 0, {"is not a number: \"\""}}},
      {"value[1] with spaces",
       200,
       Replace(one, value, R"("value":[1795241183.325," 1"])"),
       {Kind::kError, 0, 0, {"is not a number"}}},
      {"value[0] a string",
       200,
       Replace(one, value, R"("value":["1795241183.325","1"])"),
       {Kind::kError, 0, 0, {"value[0] (the time) is not a number"}}},
      {"value missing",
       200,
       Replace(one, "," + value, ""),
       {Kind::kError, 0, 0, {"data.result[0].value is missing"}}},
      {"metric missing",
       200,
       Replace(one, R"("metric":{"__name__":"up","instance":"127.0.0.1:19391","job":"self"},)", ""),
       {Kind::kError, 0, 0, {"data.result[0].metric is missing or not an object"}}},
      {"metric not an object",
       200,
       Replace(one, R"({"__name__":"up","instance":"127.0.0.1:19391","job":"self"})", "[]"),
       {Kind::kError, 0, 0, {"metric is missing or not an object"}}},
      {"a series that is not an object",
       200,
       R"({"status":"success","data":{"resultType":"vector","result":[1]}})",
       {Kind::kError, 0, 0, {"data.result[0] is not an object"}}},
      {"one good series and one broken one",
       200,
       R"({"status":"success","data":{"resultType":"vector","result":[)"
       R"({"metric":{},"value":[1,"1"]},{"metric":{},"value":[1,"x"]}]}})",
       {Kind::kError, 0, 0, {"data.result[1].value[1] is not a number"}}},
      {"vector result not an array",
       200,
       R"({"status":"success","data":{"resultType":"vector","result":{}}})",
       {Kind::kError, 0, 0, {"data.result of a vector is not an array"}}},
      {"scalar value not a string",
       200,
       Replace(scalar, R"("1"])", "1]"),
       {Kind::kError, 0, 0, {"data.result[1] (the value) is not a string"}}},
      {"scalar result not a pair",
       200,
       R"({"status":"success","data":{"resultType":"scalar","result":"1"}})",
       {Kind::kError, 0, 0, {"data.result is not a [time, \"value\"] pair"}}},
      {"success without data",
       200,
       R"({"status":"success"})",
       {Kind::kError, 0, 0, {"status \"success\" without a data object"}}},
      {"data not an object",
       200,
       R"({"status":"success","data":[]})",
       {Kind::kError, 0, 0, {"without a data object"}}},
      {"data without resultType",
       200,
       R"({"status":"success","data":{"result":[]}})",
       {Kind::kError, 0, 0, {"data without resultType and result"}}},
      {"data without result",
       200,
       R"({"status":"success","data":{"resultType":"vector"}})",
       {Kind::kError, 0, 0, {"data without resultType and result"}}},
      {"an unknown resultType",
       200,
       Replace(one, R"("vector")", R"("histogram")"),
       {Kind::kError, 0, 0, {"resultType \"histogram\""}}},
      {"no status",
       200,
       R"({"data":{"resultType":"vector","result":[]}})",
       {Kind::kError, 0, 0, {"no \"status\""}}},
      {"status not a string", 200, R"({"status":1})", {Kind::kError, 0, 0, {"no \"status\""}}},
      {"an unknown status",
       200,
       Replace(one, R"("success")", R"("pending")"),
       {Kind::kError, 0, 0, {"status \"pending\""}}},
      {"success under HTTP 500",
       500,
       one,
       {Kind::kError, 0, 0, {"HTTP 500", "status \"success\" with a non-2xx HTTP status"}}},
      {"error envelope under HTTP 200",
       200,
       R"({"status":"error","errorType":"canceled","error":"query was canceled"})",
       {Kind::kError, 0, 0, {"HTTP 200 canceled: query was canceled"}}},
      {"503 canceled",
       503,
       R"({"status":"error","errorType":"canceled","error":"context canceled"})",
       {Kind::kError, 0, 0, {"HTTP 503 canceled: context canceled"}}},
      {"an error envelope without details",
       500,
       R"({"status":"error"})",
       {Kind::kError, 0, 0, {"HTTP 500 (no errorType): (no error text)"}}},
      {"an error envelope with wrong types",
       400,
       R"({"status":"error","errorType":4,"error":[]})",
       {Kind::kError, 0, 0, {"HTTP 400 (no errorType): (no error text)"}}},
  };
  for (const HostileCase& c : cases) {
    SCOPED_TRACE(c.situation);
    ExpectResult(ParseQueryResponse(c.http_status, c.body), c.expected);
  }
}

TEST(ParseQueryResponseTest, HugeBodiesGiveShortMessages) {
  const std::string huge_text(10 << 20, 'x');
  QueryResult not_json = ParseQueryResponse(200, huge_text);
  EXPECT_EQ(not_json.kind, Kind::kError);
  EXPECT_LT(not_json.error.size(), 300u) << "the journal gets a short excerpt, not 10 MiB";
  EXPECT_THAT(not_json.error, HasSubstr("xxx..."));

  QueryResult long_error = ParseQueryResponse(
      422, R"({"status":"error","errorType":"execution","error":")" + huge_text + "\"}");
  EXPECT_EQ(long_error.kind, Kind::kError);
  EXPECT_LT(long_error.error.size(), 600u);
  EXPECT_THAT(long_error.error, HasSubstr("HTTP 422 execution: xxx"));

  // A cut in the middle of a multi-byte character backs up to the character before it.
  std::string accents = "a";  // puts byte 400 in the middle of an é
  for (int i = 0; i < 400; ++i) accents += "\xc3\xa9";
  QueryResult utf8 = ParseQueryResponse(
      422, R"({"status":"error","errorType":"execution","error":")" + accents + "\"}");
  const std::string text = utf8.error.substr(utf8.error.find(": ") + 2);
  ASSERT_GE(text.size(), 3u);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
  EXPECT_EQ(text.size() - 3, 399u) << "no half characters: 'a' and 199 whole ones";

  // Many series: counted, every one checked.
  std::string many = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < 20000; ++i)
    many += std::string(i ? "," : "") + R"({"metric":{"member":"fw)" + std::to_string(i) +
            R"("},"value":[1795241183.325,"1"]})";
  many += "]}}";
  ExpectResult(ParseQueryResponse(200, many), {Kind::kMany, 0, 20000});
}

TEST(ParseQueryResponseTest, DeepNestingIsAnErrorNotACrash) {
  QueryResult arrays = ParseQueryResponse(200, std::string(1 << 20, '['));
  EXPECT_EQ(arrays.kind, Kind::kError);
  std::string objects = R"({"status":"success","data":)";
  for (int i = 0; i < 200000; ++i) objects += R"({"a":)";
  QueryResult nested = ParseQueryResponse(200, objects);
  EXPECT_EQ(nested.kind, Kind::kError);
  EXPECT_THAT(nested.error, HasSubstr("with JSON nested deeper than 64 levels"));
}

}  // namespace
}  // namespace cutover
