// The one HTTP server of cutover's daemons: civetweb (plain HTTP; civetweb's TLS is
// broken on bookworm, so TLS belongs to a reverse proxy in front). Routes are exact
// (method, path) pairs registered before Start(). Hostile input gets an answer with a
// status line: repeated credentials or lengths 400, websocket upgrades 400, targets in
// absolute form are served by their path (400 when they name another server). Thread-safe
// once started: guards and handlers run on civetweb's worker threads, concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cutover {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;  // raw query string, without '?'
  // Names lower-cased; a repeated header's values joined with ", " (RFC 9110 5.3).
  std::map<std::string, std::string> headers;
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
// Decides on the request line and headers alone (`head.body` is empty: none of the body
// has been read) whether the request goes on: nullopt to go on, or the response to send
// instead, such as a 401. A refused request's body is never read.
using HttpGuard = std::function<std::optional<HttpResponse>(const HttpRequest& head)>;

struct HttpRoute {
  HttpHandler handler;
  HttpGuard guard;  // empty: every request goes on
};

// How long and how much a client may take. civetweb gives each connection one worker
// from its first byte to its close, so these bound what a slow client can hold.
struct WebServerOptions {
  // "127.0.0.1:10470" style; several allowed. Port 0 picks a free port (see Ports()).
  std::vector<std::string> listen_addresses{"127.0.0.1:0"};
  int threads = 8;  // workers, that is connections served at once
  std::size_t max_body_bytes = 1 << 20;
  // The whole body must have arrived this long after the headers (else 408).
  int body_timeout_ms = 30000;
  // The request line and headers must have arrived this long after a worker took up the
  // connection (else 400 and close). Each single wait for the client while reading a body
  // or writing a response is bounded by it too.
  int header_timeout_ms = 5000;
  // A body arriving slower than this, judged from its first second on, is cut off (408).
  std::size_t min_body_bytes_per_second = 1024;
  // Workers one client address may hold at once; its further connections get a 503 and
  // are closed before anything is read, so slow clients leave the other workers to
  // everyone else. 0: half of `threads` (at least 2). Behind a proxy every client has the
  // proxy's address: raise it to the proxy's connection pool.
  int max_connections_per_client = 0;
};

class WebServer {
 public:
  explicit WebServer(WebServerOptions options);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  void Handle(const std::string& method, const std::string& path, HttpHandler handler);
  void Handle(const std::string& method, const std::string& path, HttpRoute route);
  // Binds and starts serving. Returns false and sets *error when binding fails.
  bool Start(std::string* error);
  void Stop();
  std::vector<int> Ports() const;

 private:
  class Dispatcher;
  WebServerOptions options_;
  std::map<std::pair<std::string, std::string>, HttpRoute> routes_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

// Splits "host:port" into its parts; false when it is not of that form.
bool SplitHostPort(const std::string& address, std::string* host, int* port);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace cutover
