// cutover-actions' HTTP face (civetweb, plain HTTP: TLS belongs to a proxy in front):
// the Alertmanager webhook, the operator API, /metrics, health and a landing page.
// Every /api/ request needs the bearer token when one is configured; without a token the
// server refuses to listen beyond loopback. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "actions/engine/engine.h"
#include "common/web_server.h"

namespace cutover {

struct ApiOptions {
  std::vector<std::string> listen_addresses{"127.0.0.1:10471"};
  std::string token;  // empty: no authentication, loopback only
  std::size_t max_body_bytes = 1 << 20;
  // One client address may hold half (the web server's rule): enough for a 16-connection
  // load generator or an Alertmanager burst, while slow strangers leave 32 to the rest.
  int threads = 64;
};

class ApiServer {
 public:
  ApiServer(Engine& engine, ApiOptions options);
  bool Start(std::string* error);
  void Stop();
  std::vector<int> Ports() const { return server_.Ports(); }

 private:
  bool Authorized(const HttpRequest& request) const;
  HttpResponse Webhook(const HttpRequest& request);
  HttpResponse Command(const HttpRequest& request, const std::string& verb);
  HttpResponse StartRun(const HttpRequest& request);
  HttpResponse DryRun(const HttpRequest& request);
  HttpResponse Metrics() const;
  HttpResponse LandingPage() const;

  Engine& engine_;
  ApiOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& webhook_requests_;
  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Histogram& webhook_seconds_;
  WebServer server_;
};

// Equal-length-independent comparison that takes the same time wherever the strings
// differ, for bearer tokens.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace cutover
