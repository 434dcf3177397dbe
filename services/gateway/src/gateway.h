// The gateway: HTTP/JSON routes transcoded to the services' gRPC methods by their
// google.api.http bindings, Server-Sent Events over the event streams, the OpenAPI document and,
// optionally, static files (the web console). It holds no state and grants nothing: every call
// carries the client's own bearer token to the service, which decides.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/service_client.h"
#include "api_descriptors.h"
#include "http_server.h"
#include "routes.h"
#include "unary_caller.h"

namespace accord::gateway {

struct GatewaySettings {
  std::string http_address = "127.0.0.1:8080";
  std::string grpc_address = "0.0.0.0:50055";  // grpc.health.v1 only
  std::string metrics_address = "0.0.0.0:9095";
  std::string log_level = "info";
  HttpServerOptions http;
  // Exact origins ("https://console.example.com") allowed cross-origin; "*" allows any.
  std::vector<std::string> cors_origins;
  int max_calls_per_client = 32;
  std::string static_dir;  // "" = none
  std::chrono::milliseconds stream_heartbeat{15000};
  std::chrono::milliseconds drain_delay{2000};
  std::chrono::milliseconds shutdown_deadline{10000};
  std::map<std::string, common::ServiceClientOptions> backends;  // by Backend::name
};

// Reads ACCORD_GATEWAY_* and the backends' ACCORD_<SERVICE>_ADDRESS / _DEADLINE.
GatewaySettings ReadGatewaySettings(common::ConfigReader& config);

class Gateway {
 public:
  // Builds the route table (fails on a malformed binding) and the backends' channels.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewaySettings settings,
                                                         const ApiDescriptors& api,
                                                         std::string openapi_json);
  ~Gateway();

  absl::Status Start();
  int port() const { return server_->port(); }
  // Stops accepting; requests in flight get until the shutdown deadline.
  void Stop();
  const RouteTable& routes() const { return routes_; }

  struct CallMetrics;

 private:
  Gateway(GatewaySettings settings, const ApiDescriptors& api, RouteTable routes,
          std::string openapi_json);
  void Handle(std::shared_ptr<HttpExchange> exchange);
  void Unary(std::shared_ptr<HttpExchange> exchange, const RouteMatch& match,
             std::vector<std::pair<std::string, std::string>> cors);
  void Stream(std::shared_ptr<HttpExchange> exchange, const RouteMatch& match,
              std::vector<std::pair<std::string, std::string>> cors);
  void GrpcWeb(std::shared_ptr<HttpExchange> exchange, bool text,
               std::vector<std::pair<std::string, std::string>> cors);
  bool ServeStatic(const std::shared_ptr<HttpExchange>& exchange,
                   const std::vector<std::pair<std::string, std::string>>& cors);
  // A slot of the client's concurrency budget, or nullptr when it is spent.
  std::shared_ptr<void> AcquireSlot(const std::string& client);

  GatewaySettings settings_;
  const ApiDescriptors& api_;
  RouteTable routes_;
  std::string openapi_json_;
  std::map<std::string, std::unique_ptr<common::ServiceClient>> clients_;
  std::map<const Route*, std::unique_ptr<CallMetrics>> metrics_;
  // Before server_: destroyed after it, once no exchange waits for a call.
  std::unique_ptr<UnaryCaller> calls_;
  std::unique_ptr<HttpServer> server_;
  std::mutex slots_mutex_;
  std::map<std::string, int> slots_;
};

}  // namespace accord::gateway
