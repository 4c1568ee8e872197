#include "actions/gates/prometheus_client.h"

#include <algorithm>

#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover {
namespace {

// Error texts end up in the journal and in `cutoverctl status`; a hostile or broken
// server must not be able to flood either.
constexpr std::size_t kMaxErrorText = 400;
constexpr std::size_t kMaxBodyExcerpt = 80;

std::string Truncate(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  // Back up to a UTF-8 character boundary so the journal stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

// The first bytes of a body that is not JSON, printable and on one line.
std::string Excerpt(const std::string& body) {
  std::string out;
  for (char c : std::string_view(body).substr(0, kMaxBodyExcerpt)) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else if (byte >= 0x20 && byte < 0x7F) {
      out.push_back(c);
    } else {
      out.push_back('?');
    }
  }
  if (body.size() > kMaxBodyExcerpt) out += "...";
  return out;
}

std::string Answered(long http_status) {
  return "Prometheus answered HTTP " + std::to_string(http_status);
}

QueryResult Error(std::string message) {
  QueryResult result;
  result.kind = QueryResult::Kind::kError;
  result.error = std::move(message);
  return result;
}

QueryResult Unexpected(long http_status, const std::string& what) {
  return Error(Answered(http_status) + " with an unexpected response: " + what +
               " (is the URL a Prometheus server's?)");
}

// One [<unix time>, "<value>"] pair as Prometheus writes samples. Returns an empty
// string and sets *value, or says what is wrong with it.
std::string ReadSample(const rapidjson::Value& pair, const std::string& where, double* value) {
  if (!pair.IsArray() || pair.Size() != 2) return where + " is not a [time, \"value\"] pair";
  if (!pair[0].IsNumber()) return where + "[0] (the time) is not a number";
  if (!pair[1].IsString()) return where + "[1] (the value) is not a string";
  std::string text(pair[1].GetString(), pair[1].GetStringLength());
  std::optional<double> parsed = ParseDouble(text);
  if (!parsed) return where + "[1] is not a number: \"" + Truncate(text, 40) + "\"";
  *value = *parsed;
  return "";
}

QueryResult ReadVector(long http_status, const rapidjson::Value& result) {
  if (!result.IsArray()) return Unexpected(http_status, "data.result of a vector is not an array");
  QueryResult out;
  for (rapidjson::SizeType i = 0; i < result.Size(); ++i) {
    const std::string where = "data.result[" + std::to_string(i) + "]";
    const rapidjson::Value& series = result[i];
    if (!series.IsObject()) return Unexpected(http_status, where + " is not an object");
    auto metric = series.FindMember("metric");
    if (metric == series.MemberEnd() || !metric->value.IsObject())
      return Unexpected(http_status, where + ".metric is missing or not an object");
    auto pair = series.FindMember("value");
    if (pair == series.MemberEnd()) return Unexpected(http_status, where + ".value is missing");
    double value = 0;
    std::string problem = ReadSample(pair->value, where + ".value", &value);
    if (!problem.empty()) return Unexpected(http_status, problem);
    out.value = value;
  }
  out.series_count = static_cast<int>(result.Size());
  if (result.Empty()) {
    out.kind = QueryResult::Kind::kNoData;
    out.value = 0;
  } else if (result.Size() == 1) {
    out.kind = QueryResult::Kind::kValue;
  } else {
    out.kind = QueryResult::Kind::kMany;
    out.value = 0;
  }
  return out;
}

QueryResult ReadScalar(long http_status, const rapidjson::Value& result) {
  QueryResult out;
  std::string problem = ReadSample(result, "data.result", &out.value);
  if (!problem.empty()) return Unexpected(http_status, problem);
  out.kind = QueryResult::Kind::kValue;
  out.series_count = 1;
  return out;
}

std::string StringMember(const rapidjson::Value& object, const char* name) {
  auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return "";
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

}  // namespace

QueryResult ParseQueryResponse(long http_status, const std::string& body) {
  std::string_view trimmed = Trim(body);
  if (trimmed.empty()) return Error(Answered(http_status) + " with an empty body");
  if (trimmed.front() != '{' && trimmed.front() != '[')
    return Error(Answered(http_status) +
                 " with a body that is not JSON (a proxy in front of it, or not the API "
                 "URL?): \"" +
                 Excerpt(body) + "\"");

  // Large machine-written answers: depth and UTF-8 are checked, repeated keys are not.
  auto parsed = ReadJson(body, MachineJsonLimits());
  if (!parsed.ok())
    return Error(Answered(http_status) + " with " + parsed.error() + " (a body of " +
                 std::to_string(body.size()) + " bytes" +
                 (IsJsonSyntaxError(parsed.error()) ? "; a truncated response?)" : ")"));
  const rapidjson::Document& document = parsed.value();
  if (!document.IsObject()) return Unexpected(http_status, "the JSON is not an object");

  auto status = document.FindMember("status");
  if (status == document.MemberEnd() || !status->value.IsString())
    return Unexpected(http_status, "no \"status\"");
  const std::string status_text(status->value.GetString(), status->value.GetStringLength());

  if (status_text == "error") {
    std::string type = StringMember(document, "errorType");
    std::string text = StringMember(document, "error");
    return Error(Answered(http_status) + " " + (type.empty() ? "(no errorType)" : type) + ": " +
                 (text.empty() ? "(no error text)" : Truncate(text, kMaxErrorText)));
  }
  if (status_text != "success")
    return Unexpected(http_status, "status \"" + Truncate(status_text, 40) + "\"");
  if (http_status < 200 || http_status > 299)
    return Unexpected(http_status, "status \"success\" with a non-2xx HTTP status");

  auto data = document.FindMember("data");
  if (data == document.MemberEnd() || !data->value.IsObject())
    return Unexpected(http_status, "status \"success\" without a data object");
  std::string result_type = StringMember(data->value, "resultType");
  auto result = data->value.FindMember("result");
  if (result_type.empty() || result == data->value.MemberEnd())
    return Unexpected(http_status, "data without resultType and result");

  if (result_type == "vector") return ReadVector(http_status, result->value);
  if (result_type == "scalar") return ReadScalar(http_status, result->value);
  if (result_type == "matrix" || result_type == "string")
    return Error("a gate needs an instant vector or scalar, got " + result_type +
                 " (drop the range selector [..] or the string literal)");
  return Unexpected(http_status, "resultType \"" + Truncate(result_type, 40) + "\"");
}

PrometheusClient::PrometheusClient(std::string base_url, Duration timeout,
                                   std::size_t max_answer_bytes)
    : base_url_(std::move(base_url)), max_answer_bytes_(max_answer_bytes) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  http_.set_timeout(timeout);
  http_.set_max_body_bytes(max_answer_bytes_);
  http_.set_connect_timeout(std::min<Duration>(timeout, std::chrono::seconds(2)));
}

QueryResult PrometheusClient::Query(const std::string& promql) {
  // No server-side timeout= parameter: when curl gives up it closes the connection, and
  // Prometheus cancels a query whose client went away.
  const std::string url = base_url_ + "/api/v1/query";
  HttpClientResponse response = http_.Post(url, HttpClient::FormEncode({{"query", promql}}),
                                           "application/x-www-form-urlencoded");
  if (response.body_too_large)
    return Error("Prometheus answer larger than " + std::to_string(max_answer_bytes_) +
                 " bytes from " + url +
                 "; raise --prometheus.max-answer-bytes if your queries really return that much");
  if (!response.ok) return Error("cannot query Prometheus at " + url + ": " + response.error);
  return ParseQueryResponse(response.status, response.body);
}

}  // namespace cutover
