#include "common/web_server.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>

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
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void Send(mg_connection* conn, const HttpResponse& response) {
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " ";
  head.append(StatusText(response.status));
  head += "\r\nContent-Type: " + response.content_type;
  head += "\r\nContent-Length: " + std::to_string(response.body.size());
  head += "\r\nCache-Control: no-store";
  for (const auto& [name, value] : response.headers) head += "\r\n" + name + ": " + value;
  head += "\r\n\r\n";
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

class WebServer::Dispatcher : public CivetHandler {
 public:
  Dispatcher(const std::map<std::pair<std::string, std::string>, HttpHandler>& routes,
             std::size_t max_body_bytes)
      : routes_(routes), max_body_bytes_(max_body_bytes) {}

  bool handleGet(CivetServer*, mg_connection* conn) override { return Dispatch(conn); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Dispatch(conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return Dispatch(conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return Dispatch(conn); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Dispatch(conn); }

 private:
  bool Dispatch(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.method = info->request_method ? info->request_method : "";
    request.path = info->local_uri ? info->local_uri : "/";
    request.query = info->query_string ? info->query_string : "";
    request.remote_address = info->remote_addr;
    for (int i = 0; i < info->num_headers; ++i)
      request.headers[ToLower(info->http_headers[i].name)] = info->http_headers[i].value;

    auto route = routes_.find({request.method == "HEAD" ? "GET" : request.method, request.path});
    if (route == routes_.end()) {
      std::string allowed;
      for (const auto& [key, handler] : routes_)
        if (key.second == request.path) allowed += (allowed.empty() ? "" : ", ") + key.first;
      if (allowed.empty()) {
        Send(conn, HttpResponse::Text(404, "404 page not found: " + request.path));
      } else {
        HttpResponse r = HttpResponse::Text(
            405, request.method + " is not allowed on " + request.path + " (use " + allowed + ")");
        r.headers.emplace_back("Allow", allowed);
        Send(conn, r);
      }
      return true;
    }

    if (info->content_length > static_cast<long long>(max_body_bytes_)) {
      Send(conn, HttpResponse::Text(413, "request body of " + std::to_string(info->content_length) +
                                             " bytes is over the limit of " +
                                             std::to_string(max_body_bytes_) + " bytes"));
      return true;
    }
    char buffer[16384];
    while (true) {
      int n = mg_read(conn, buffer, sizeof buffer);
      if (n <= 0) break;
      request.body.append(buffer, static_cast<std::size_t>(n));
      if (request.body.size() > max_body_bytes_) {
        Send(conn, HttpResponse::Text(413, "request body is over the limit of " +
                                               std::to_string(max_body_bytes_) + " bytes"));
        return true;
      }
    }

    HttpResponse response;
    try {
      response = route->second(request);
    } catch (const std::exception& e) {
      log::Error("request handler failed", {{"path", request.path}, {"err", e.what()}});
      response = HttpResponse::Text(500, std::string("internal error: ") + e.what());
    }
    if (request.method == "HEAD") response.body.clear();
    Send(conn, response);
    return true;
  }

  const std::map<std::pair<std::string, std::string>, HttpHandler>& routes_;
  std::size_t max_body_bytes_;
};

struct WebServer::Civet {
  std::unique_ptr<CivetServer> server;
};

WebServer::WebServer(WebServerOptions options) : options_(std::move(options)) {}

WebServer::~WebServer() { Stop(); }

void WebServer::Handle(const std::string& method, const std::string& path, HttpHandler handler) {
  routes_[{method, path}] = std::move(handler);
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
  dispatcher_ = std::make_unique<Dispatcher>(routes_, options_.max_body_bytes);
  std::vector<std::string> civet_options = {
      "listening_ports",    ports,
      "num_threads",        std::to_string(options_.threads),
      "request_timeout_ms", std::to_string(options_.request_timeout_ms),
      "enable_keep_alive",  "yes",
      "tcp_nodelay",        "1",
  };
  civet_ = std::make_unique<Civet>();
  try {
    civet_->server = std::make_unique<CivetServer>(civet_options);
  } catch (const CivetException& e) {
    *error = "cannot listen on " + ports + ": " + e.what() + " (is the port in use?)";
    civet_.reset();
    return false;
  }
  civet_->server->addHandler("**", dispatcher_.get());
  return true;
}

void WebServer::Stop() {
  if (civet_ && civet_->server) civet_->server->close();
  civet_.reset();
}

std::vector<int> WebServer::Ports() const {
  if (!civet_ || !civet_->server) return {};
  return civet_->server->getListeningPorts();
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
