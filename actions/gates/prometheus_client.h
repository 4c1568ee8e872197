// Instant queries against Prometheus's HTTP API (/api/v1/query), through libcurl with
// timeouts and keep-alive. One instance per thread (it owns one curl handle).
#pragma once

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

class PrometheusClient {
 public:
  // base_url like "http://127.0.0.1:9090".
  PrometheusClient(std::string base_url, Duration timeout);
  QueryResult Query(const std::string& promql);
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  HttpClient http_;
};

}  // namespace cutover
