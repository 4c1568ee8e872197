// HTTP requests through libcurl with connect and total timeouts and keep-alive reuse.
// One instance holds one curl easy handle: use it from one thread at a time (libcurl's
// rule); create one per thread to run requests in parallel.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/duration.h"

namespace cutover {

struct HttpClientResponse {
  bool ok = false;  // a response arrived (any status)
  long status = 0;
  std::string body;
  std::string content_type;
  std::string error;  // transport failure when !ok
  // The body went past set_max_body_bytes(): the transfer was cut (and !ok).
  bool body_too_large = false;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void set_connect_timeout(Duration d) { connect_timeout_ = d; }
  void set_timeout(Duration d) { timeout_ = d; }
  // Stop reading an answer's body beyond this many bytes (0: no limit), so a server
  // answering without end costs bounded memory.
  void set_max_body_bytes(std::size_t bytes) { max_body_bytes_ = bytes; }

  HttpClientResponse Get(const std::string& url, const std::vector<std::string>& headers = {});
  HttpClientResponse Post(const std::string& url, const std::string& body,
                          const std::string& content_type,
                          const std::vector<std::string>& headers = {});
  // key=value&... with each part escaped, for form posts such as Prometheus queries.
  static std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

 private:
  HttpClientResponse Perform(const std::string& url, const std::string* body,
                             const std::string& content_type,
                             const std::vector<std::string>& headers);
  void* curl_;
  Duration connect_timeout_{std::chrono::seconds(2)};
  Duration timeout_{std::chrono::seconds(10)};
  std::size_t max_body_bytes_ = 0;
};

}  // namespace cutover
