// The one HTTP server of cutover's daemons: civetweb (plain HTTP; civetweb's TLS is
// broken on bookworm, so TLS belongs to a reverse proxy in front). Routes are exact
// (method, path) pairs registered before Start(). Thread-safe once started: handlers run
// on civetweb's worker threads and must be safe to call concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cutover {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;                           // raw query string, without '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // Header value or "" when absent; name is matched case-insensitively.
  std::string Header(const std::string& name) const;
  // Query parameter (URL-decoded) or "" when absent.
  std::string QueryParam(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
  static HttpResponse Html(std::string body);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct WebServerOptions {
  // "127.0.0.1:10470" style; several allowed. Port 0 picks a free port (see Ports()).
  std::vector<std::string> listen_addresses{"127.0.0.1:0"};
  int threads = 8;
  std::size_t max_body_bytes = 1 << 20;
  int request_timeout_ms = 30000;
};

class WebServer {
 public:
  explicit WebServer(WebServerOptions options);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  void Handle(const std::string& method, const std::string& path, HttpHandler handler);
  // Binds and starts serving. Returns false and sets *error when binding fails.
  bool Start(std::string* error);
  void Stop();
  std::vector<int> Ports() const;

 private:
  class Dispatcher;
  WebServerOptions options_;
  std::map<std::pair<std::string, std::string>, HttpHandler> routes_;
  std::unique_ptr<Dispatcher> dispatcher_;
  struct Civet;
  std::unique_ptr<Civet> civet_;
};

// Splits "host:port" into its parts; false when it is not of that form.
bool SplitHostPort(const std::string& address, std::string* host, int* port);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace cutover
