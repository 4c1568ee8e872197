// Instant queries against Prometheus's HTTP API (/api/v1/query), through libcurl with
// timeouts and keep-alive. One instance per thread (it owns one curl handle).
#pragma once

#include <cstddef>
#include <string>

#include "common/duration.h"
#include "plugins/transport/http_client.h"

namespace cutover {

struct QueryResult {
  enum class Kind {
    kValue,   // one number (a one-series vector or a scalar); may be NaN or +-Inf
    kNoData,  // an empty vector
    kMany,    // a vector of several series (series_count says how many)
    kError,   // transport failure, error envelope, non-JSON body, unexpected shape
  };
  Kind kind = Kind::kError;
  double value = 0;
  int series_count = 0;
  std::string error;  // for kError: what went wrong, naming the HTTP status and errorType
};

// Pure: reads one HTTP response of /api/v1/query. Handles vector and scalar results,
// "NaN"/"+Inf"/"-Inf", empty results, error envelopes (400 bad_data, 422 execution,
// 503 timeout) and non-JSON bodies; string and matrix results are errors for a gate.
QueryResult ParseQueryResponse(long http_status, const std::string& body);

// The largest answer a gate query is read to (--prometheus.max-answer-bytes): a gate
// needs one number, and 16 MiB holds some 100,000 series. Beyond it the transfer is cut
// and the measurement is an error, so an endless answer costs bounded memory.
inline constexpr std::size_t kDefaultMaxAnswerBytes = 16u << 20;

class PrometheusClient {
 public:
  // base_url like "http://127.0.0.1:9090".
  PrometheusClient(std::string base_url, Duration timeout,
                   std::size_t max_answer_bytes = kDefaultMaxAnswerBytes);
  QueryResult Query(const std::string& promql);
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  std::size_t max_answer_bytes_;
  HttpClient http_;
};

}  // namespace cutover
