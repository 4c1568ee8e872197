#include "common/web_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/strings.h"

namespace cutover {
namespace {

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string ResponseHead(const HttpResponse& response, bool close) {
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " ";
  head.append(StatusText(response.status));
  head += "\r\nContent-Type: " + response.content_type;
  head += "\r\nContent-Length: " + std::to_string(response.body.size());
  head += "\r\nCache-Control: no-store";
  if (close) head += "\r\nConnection: close";
  for (const auto& [name, value] : response.headers) head += "\r\n" + name + ": " + value;
  head += "\r\n\r\n";
  return head;
}

// close: the connection ends after this response. Whatever is answered before a body has
// been read must close: civetweb would otherwise read the unwanted rest of the body, at
// whatever pace the client sends it, to keep the connection.
void Send(mg_connection* conn, const HttpResponse& response, bool close = false) {
  if (close) mg_disable_connection_keep_alive(conn);
  std::string head = ResponseHead(response, close);
  // One write: headers and body in separate writes meet Nagle's algorithm and the
  // client's delayed ACK, which cost ~40 ms per response.
  head += response.body;
  mg_write(conn, head.data(), head.size());
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  auto it = headers.find(ToLower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::QueryParam(const std::string& name) const {
  for (std::string_view pair : Split(query, '&')) {
    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (UrlDecode(key) == name)
      return eq == std::string_view::npos ? std::string() : UrlDecode(pair.substr(eq + 1));
  }
  return {};
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body.push_back('\n');
  return r;
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Html(std::string body) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
}

namespace {

using Clock = std::chrono::steady_clock;

// What the server knows of one connection, from civetweb's init_connection to its close.
struct ConnectionState {
  std::string client;       // "" when civetweb's layout is not the one we know
  bool counted = false;     // holds one of the client's places
  bool refused = false;     // over the per-client limit: answered 503 and shut at once
  bool error_sent = false;  // civetweb answered the last request with an error page
  int fd = -1;              // the socket, once looked up (FindSocket)
};

// civetweb fills in the client's address before init_connection, but mg_get_request_info()
// hands it out only once a request head has been read, too late for a slow client. In
// civetweb 1.15 built without HTTP/2 (Debian's build) a connection's request info sits
// 16 bytes in (three ints, then struct mg_request_info): read it there. Every request
// checks that place against mg_get_request_info(), and a mismatch turns the per-client
// limit off for good, loudly, rather than read the wrong bytes.
constexpr std::ptrdiff_t kRequestInfoOffset = 16;
std::atomic<bool> early_request_info_usable{true};

bool EarlyRequestInfoFitsThisCivetweb() {
  return std::strcmp(mg_version(), "1.15") == 0 && mg_check_feature(MG_FEATURES_HTTP2) == 0;
}

const mg_request_info* EarlyRequestInfo(const mg_connection* conn) {
  if (!early_request_info_usable) return nullptr;
  return reinterpret_cast<const mg_request_info*>(reinterpret_cast<const char*>(conn) +
                                                  kRequestInfoOffset);
}

void CheckEarlyRequestInfo(const mg_connection* conn) {
  if (!early_request_info_usable || EarlyRequestInfo(conn) == mg_get_request_info(conn)) return;
  if (early_request_info_usable.exchange(false))
    log::Error(
        "per-client connection limit off: civetweb keeps its request info elsewhere "
        "than 1.15 does; slow clients can hold every worker until this is fixed",
        {{"civetweb", mg_version()}});
}

ConnectionState* StateOf(const mg_connection* conn) {
  return static_cast<ConnectionState*>(mg_get_user_connection_data(conn));
}

// civetweb 1.15 does not hand out a connection's socket. It is the descriptor whose peer
// is the client's address and port and whose local port is the server's; -1 if none is.
int FindSocket(const mg_request_info& info) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    sockaddr_in peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
        peer.sin_family != AF_INET || ntohs(peer.sin_port) != info.remote_port)
      continue;
    char address[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address) == nullptr ||
        std::strcmp(address, info.remote_addr) != 0)
      continue;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        ntohs(local.sin_port) != info.server_port)
      continue;
    found = static_cast<int>(fd);
    break;
  }
  closedir(dir);
  return found;
}

// Answers 503 on the socket and shuts it both ways, so that civetweb's worker reads an
// end of stream and closes at once instead of waiting for a slow client's request.
bool RefuseOnSocket(const mg_request_info& info, const std::string& message) {
  int fd = FindSocket(info);
  if (fd < 0) return false;
  HttpResponse response = HttpResponse::Text(503, message);
  response.headers.emplace_back("Retry-After", "1");
  std::string bytes = ResponseHead(response, true) + response.body;
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  // What already arrived is dropped here: unread data at close would reset the connection
  // and could destroy the 503 before the client reads it.
  char discard[4096];
  for (int i = 0; i < 16 && recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
  }
  shutdown(fd, SHUT_RDWR);
  return true;
}

bool IsSingletonHeader(const std::string& lower_name) {
  // Two of these in one request are ambiguous (whose credentials, which length?), and
  // proxies in front may pick a different one than we would.
  return lower_name == "authorization" || lower_name == "content-length" || lower_name == "host" ||
         lower_name == "transfer-encoding" || lower_name == "content-type";
}

// Ends body reads that run past their deadline. mg_read() returns only once it has all
// the bytes asked for, or after a silence of request_timeout_ms, so a client sending one
// byte a second would keep it (and the worker) forever; at the deadline the watchdog shuts
// the socket's read side and mg_read() returns at once.
class BodyWatchdog {
 public:
  BodyWatchdog() : thread_([this] { Run(); }) {}
  ~BodyWatchdog() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  struct Read {
    int fd;
    bool expired = false;
  };
  using Handle = std::multimap<Clock::time_point, Read>::iterator;

  Handle Watch(int fd, Clock::time_point deadline) {
    std::lock_guard lock(mutex_);
    Handle handle = reads_.emplace(deadline, Read{fd});
    wake_.notify_one();
    return handle;
  }
  // True when the deadline passed (and the socket was shut for reading).
  bool Unwatch(Handle handle) {
    std::lock_guard lock(mutex_);
    bool expired = handle->second.expired;
    reads_.erase(handle);
    return expired;
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      auto now = Clock::now();
      for (auto& [deadline, read] : reads_) {
        if (deadline > now) break;
        if (!read.expired) shutdown(read.fd, SHUT_RD);
        read.expired = true;
      }
      auto next = std::find_if(reads_.begin(), reads_.end(),
                               [](const auto& entry) { return !entry.second.expired; });
      if (next == reads_.end()) {
        wake_.wait(lock);
      } else {
        // A copy: the entry may be unwatched (erased) while this thread waits, and
        // wait_until reads its deadline again on waking.
        const Clock::time_point wake_at = next->first;
        wake_.wait_until(lock, wake_at);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, Read> reads_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

class WebServer::Dispatcher {
 public:
  Dispatcher(const std::map<std::pair<std::string, std::string>, HttpRoute>& routes,
             const WebServerOptions& options)
      : routes_(routes),
        options_(options),
        per_client_limit_(options.max_connections_per_client > 0
                              ? options.max_connections_per_client
                              : std::max(2, options.threads / 2)) {}

  mg_callbacks Callbacks() const {
    mg_callbacks callbacks{};
    callbacks.init_connection = &Dispatcher::InitConnection;
    callbacks.begin_request = &Dispatcher::BeginRequest;
    callbacks.http_error = &Dispatcher::HttpError;
    callbacks.connection_close = &Dispatcher::ConnectionClose;
    return callbacks;
  }

  mg_context* context = nullptr;

 private:
  static Dispatcher& From(const mg_connection* conn) {
    return *static_cast<Dispatcher*>(mg_get_user_data(mg_get_context(conn)));
  }

  // On the worker, right after it took the connection from civetweb's queue and before
  // any byte of the request is read: the earliest point civetweb lets us see a client.
  static int InitConnection(const mg_connection* conn, void** data) {
    Dispatcher& self = From(conn);
    auto* state = new ConnectionState;
    *data = state;
    const mg_request_info* info = EarlyRequestInfo(conn);
    if (info == nullptr) return 0;  // client unknown: no limit
    state->client.assign(info->remote_addr, strnlen(info->remote_addr, sizeof info->remote_addr));
    {
      std::lock_guard lock(self.mutex_);
      int& held = self.held_[state->client];
      if (held < self.per_client_limit_) {
        ++held;
        state->counted = true;
        return 0;
      }
    }
    std::string limit = std::to_string(self.per_client_limit_);
    state->refused = RefuseOnSocket(
        *info, state->client + " already holds " + limit +
                   " connections to this server, the most one client address may (slow "
                   "and idle ones count); retry when one has closed");
    if (state->refused) {
      self.ReportRefusal(state->client, limit);
    } else {
      std::lock_guard lock(self.mutex_);
      ++self.held_[state->client];
      state->counted = true;
    }
    return 0;
  }

  static void ConnectionClose(const mg_connection* conn) {
    ConnectionState* state = StateOf(conn);
    if (state == nullptr) return;
    Dispatcher& self = From(conn);
    const mg_request_info* info = mg_get_request_info(conn);
    // civetweb parsed a request whose target names another server or port in absolute
    // form (a proxy's job), or is "*", and drops it without a word: answer it.
    if (!state->refused && !state->error_sent && info != nullptr &&
        info->request_method != nullptr && info->request_uri != nullptr &&
        info->local_uri == nullptr)
      Send(const_cast<mg_connection*>(conn),
           HttpResponse::Text(400, std::string("request target ") + info->request_uri +
                                       " is not on this server; send its path (e.g. GET "
                                       "/-/healthy)"),
           true);
    if (state->counted) {
      std::lock_guard lock(self.mutex_);
      auto it = self.held_.find(state->client);
      if (it != self.held_.end() && --it->second <= 0) self.held_.erase(it);
    }
    delete state;
  }

  // civetweb's own refusals (malformed or incomplete request heads, oversized heads):
  // answered here so that each has a status line, websocket upgrades included.
  static int HttpError(mg_connection* conn, int status, const char* message) {
    ConnectionState* state = StateOf(conn);
    if (state != nullptr && state->refused) return 0;  // already answered 503
    if (state != nullptr) state->error_sent = true;
    Send(conn, HttpResponse::Text(status, message), true);
    return 0;
  }

  // Every request with a path: civetweb's routing, files and websocket handling are
  // never reached.
  static int BeginRequest(mg_connection* conn) {
    CheckEarlyRequestInfo(conn);
    ConnectionState* state = StateOf(conn);
    if (state != nullptr && state->refused) {
      mg_disable_connection_keep_alive(conn);
      return 503;
    }
    return From(conn).Dispatch(conn);
  }

  void ReportRefusal(const std::string& client, const std::string& limit) {
    std::lock_guard lock(mutex_);
    ++refused_since_report_;
    auto now = Clock::now();
    if (now - last_report_ < std::chrono::seconds(10)) return;
    log::Warn(
        "refusing connections: one client holds its share of the workers",
        {{"client", client}, {"limit", limit}, {"refused", std::to_string(refused_since_report_)}});
    refused_since_report_ = 0;
    last_report_ = now;
  }

  int Dispatch(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.method = info->request_method ? info->request_method : "";
    request.path = info->local_uri ? info->local_uri : "/";
    request.query = info->query_string ? info->query_string : "";
    request.remote_address = info->remote_addr;
    bool has_body = info->content_length > 0;
    auto answer = [&](const HttpResponse& response) {
      Send(conn, response, has_body);
      return response.status;
    };
    for (int i = 0; i < info->num_headers; ++i) {
      std::string name = ToLower(info->http_headers[i].name);
      auto [it, inserted] = request.headers.emplace(name, info->http_headers[i].value);
      if (inserted) continue;
      if (IsSingletonHeader(name)) {
        has_body = true;  // its length is in doubt: never read on
        return answer(HttpResponse::Text(400, std::string("two ") + info->http_headers[i].name +
                                                  " headers in one request; send one"));
      }
      it->second += std::string(", ") + info->http_headers[i].value;
    }
    if (request.headers.count("transfer-encoding")) has_body = true;
    if (ToLower(request.Header("Upgrade")).find("websocket") != std::string::npos) {
      has_body = true;
      return answer(HttpResponse::Text(
          400, "websocket is not served here; send the request without Upgrade: websocket"));
    }

    auto route = routes_.find({request.method == "HEAD" ? "GET" : request.method, request.path});
    if (route == routes_.end()) {
      std::string allowed;
      for (const auto& [key, unused] : routes_)
        if (key.second == request.path) allowed += (allowed.empty() ? "" : ", ") + key.first;
      if (allowed.empty())
        return answer(HttpResponse::Text(404, "404 page not found: " + request.path));
      HttpResponse r = HttpResponse::Text(
          405, request.method + " is not allowed on " + request.path + " (use " + allowed + ")");
      r.headers.emplace_back("Allow", allowed);
      return answer(r);
    }
    if (route->second.guard) {
      std::optional<HttpResponse> refusal = Guarded(route->second.guard, request);
      if (refusal) return answer(*refusal);
    }
    if (info->content_length > static_cast<long long>(options_.max_body_bytes)) {
      return answer(
          HttpResponse::Text(413, "request body of " + std::to_string(info->content_length) +
                                      " bytes is over the limit of " +
                                      std::to_string(options_.max_body_bytes) + " bytes"));
    }
    if (has_body) {
      long long expected = request.headers.count("transfer-encoding") ? -1 : info->content_length;
      if (std::optional<HttpResponse> refusal = ReadBody(conn, expected, &request.body))
        return answer(*refusal);
    }

    HttpResponse response;
    try {
      response = route->second.handler(request);
    } catch (const std::exception& e) {
      log::Error("request handler failed", {{"path", request.path}, {"err", e.what()}});
      response = HttpResponse::Text(500, std::string("internal error: ") + e.what());
    }
    if (request.method == "HEAD") response.body.clear();
    Send(conn, response);
    return response.status;
  }

  std::optional<HttpResponse> Guarded(const HttpGuard& guard, const HttpRequest& head) {
    try {
      return guard(head);
    } catch (const std::exception& e) {
      log::Error("request guard failed", {{"path", head.path}, {"err", e.what()}});
      return HttpResponse::Text(500, std::string("internal error: ") + e.what());
    }
  }

  // Reads the body against the clock: N bytes must have arrived within 1 s + N /
  // min_body_bytes_per_second, and within body_timeout_ms in any case (the watchdog cuts
  // a read off there). expected: Content-Length, or -1 when chunked.
  std::optional<HttpResponse> ReadBody(mg_connection* conn, long long expected, std::string* body) {
    ConnectionState* state = StateOf(conn);
    if (state != nullptr && state->fd < 0) state->fd = FindSocket(*mg_get_request_info(conn));
    long long allowed_ms = options_.body_timeout_ms;
    if (expected >= 0 && options_.min_body_bytes_per_second > 0)
      allowed_ms = std::min<long long>(
          allowed_ms,
          1000 + expected * 1000 / static_cast<long long>(options_.min_body_bytes_per_second));
    std::optional<BodyWatchdog::Handle> watch;
    if (state != nullptr && state->fd >= 0)
      watch = watchdog_.Watch(state->fd, Clock::now() + std::chrono::milliseconds(allowed_ms));
    auto had = [&] {
      return std::to_string(body->size()) +
             (expected >= 0 ? " of " + std::to_string(expected) : std::string()) + " bytes";
    };
    std::optional<HttpResponse> refusal;
    char buffer[16384];
    while (expected < 0 || static_cast<long long>(body->size()) < expected) {
      std::size_t want = sizeof buffer;
      if (expected >= 0) want = std::min(want, static_cast<std::size_t>(expected) - body->size());
      int n = mg_read(conn, buffer, want);
      if (n > 0) body->append(buffer, static_cast<std::size_t>(n));
      if (body->size() > options_.max_body_bytes) {
        refusal = HttpResponse::Text(413, "request body is over the limit of " +
                                              std::to_string(options_.max_body_bytes) + " bytes");
        break;
      }
      if (n <= 0) {
        if (n == 0 && expected < 0) break;  // the last chunk
        refusal = HttpResponse::Text(408, "request body stopped after " + had());
        break;
      }
    }
    if (watch && watchdog_.Unwatch(*watch) && (refusal || expected < 0)) {
      std::string rate = expected >= 0
                             ? " for " + std::to_string(expected) + " bytes at the minimum of " +
                                   std::to_string(options_.min_body_bytes_per_second) + " bytes/s"
                             : "";
      refusal =
          HttpResponse::Text(408, "request body did not arrive within " +
                                      std::to_string(allowed_ms) + " ms" + rate + "; had " + had());
    }
    return refusal;
  }

  const std::map<std::pair<std::string, std::string>, HttpRoute>& routes_;
  const WebServerOptions& options_;
  const int per_client_limit_;
  std::mutex mutex_;
  std::map<std::string, int> held_;  // workers held per client address
  BodyWatchdog watchdog_;
  int refused_since_report_ = 0;
  Clock::time_point last_report_{};
};

WebServer::WebServer(WebServerOptions options) : options_(std::move(options)) {}

WebServer::~WebServer() { Stop(); }

void WebServer::Handle(const std::string& method, const std::string& path, HttpHandler handler) {
  routes_[{method, path}] = HttpRoute{std::move(handler), nullptr};
}

void WebServer::Handle(const std::string& method, const std::string& path, HttpRoute route) {
  routes_[{method, path}] = std::move(route);
}

bool WebServer::Start(std::string* error) {
  std::string ports;
  for (const auto& address : options_.listen_addresses) {
    std::string host;
    int port = 0;
    if (!SplitHostPort(address, &host, &port)) {
      *error = "listen address '" + address + "' is not host:port (e.g. 127.0.0.1:10470)";
      return false;
    }
    // civetweb binds all interfaces for a bare port; ":PORT" means that, as in Go.
    ports += (ports.empty() ? "" : ",") + (host.empty() ? std::to_string(port) : address);
  }
  static std::once_flag library;
  std::call_once(library, [] {
    mg_init_library(0);
    if (!EarlyRequestInfoFitsThisCivetweb()) {
      early_request_info_usable = false;
      log::Warn(
          "per-client connection limit off: written against civetweb 1.15 without "
          "HTTP/2; slow clients can hold every worker",
          {{"civetweb", mg_version()}});
    }
  });
  dispatcher_ = std::make_unique<Dispatcher>(routes_, options_);
  const std::string threads = std::to_string(options_.threads);
  const std::string header_timeout = std::to_string(options_.header_timeout_ms);
  const char* civet_options[] = {
      "listening_ports",
      ports.c_str(),
      "num_threads",
      threads.c_str(),
      // The request head's deadline, counted from the worker taking the connection (not
      // reset by each byte), and the bound of every later wait for the client.
      "request_timeout_ms",
      header_timeout.c_str(),
      "enable_keep_alive",
      "yes",
      "tcp_nodelay",
      "1",
      // Serve "GET http://this-host:port/path" by its path whatever the host is called.
      "enable_auth_domain_check",
      "no",
      // Room for a burst of connections while workers turn away those over their share.
      "listen_backlog",
      "1024",
      nullptr,
  };
  mg_callbacks callbacks = dispatcher_->Callbacks();
  mg_init_data init{&callbacks, dispatcher_.get(), civet_options};
  char text[256] = "";
  unsigned code = 0;
  mg_error_data start_error{&code, text, sizeof text};
  dispatcher_->context = mg_start2(&init, &start_error);
  if (dispatcher_->context == nullptr) {
    *error = "cannot listen on " + ports + ": " + text + " (is the port in use?)";
    dispatcher_.reset();
    return false;
  }
  return true;
}

void WebServer::Stop() {
  if (dispatcher_ && dispatcher_->context) mg_stop(dispatcher_->context);
  dispatcher_.reset();
}

std::vector<int> WebServer::Ports() const {
  if (!dispatcher_ || !dispatcher_->context) return {};
  mg_server_port ports[8];
  int n = mg_get_server_ports(dispatcher_->context, 8, ports);
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(ports[i].port);
  return out;
}

bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  auto parsed = ParseUint(std::string_view(address).substr(colon + 1));
  if (!parsed || *parsed > 65535) return false;
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  *port = static_cast<int>(*parsed);
  return true;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || StartsWith(host, "127.");
}

}  // namespace cutover
