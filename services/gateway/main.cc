// accord-gateway: HTTP/JSON, Server-Sent Events and OpenAPI in front of the Accord services. Like
// the services it reads its settings from the environment, logs JSON, serves Prometheus metrics
// and grpc.health.v1, and drains on SIGTERM; unlike them it has no database.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "accord/common/config.h"
#include "accord/common/errors.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/server.h"
#include "embedded.h"
#include "gateway.h"

using namespace accord;

int main(int argc, char** argv) {
  common::DisableMutexDeadlockDetection();
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  common::ConfigReader config(argc, argv);
  const bool help = config.Bool("ACCORD_HELP", false, "print this help and exit");
  gateway::GatewaySettings settings = gateway::ReadGatewaySettings(config);
  if (help) {
    std::cout << "usage: accord-gateway [--flag=value ...]\n"
              << "Every setting is an environment variable or the matching flag:\n"
              << config.Usage();
    return 0;
  }
  if (auto status = config.Finish(); !status.ok()) {
    std::cerr << "accord-gateway: " << status.message() << "\n";
    return 2;
  }
  if (!config.positional().empty() && config.positional()[0] != "serve") {
    std::cerr << "accord-gateway: unknown command '" << config.positional()[0]
              << "' (expected serve)\n";
    return 2;
  }
  common::log::Init("gateway", settings.log_level);
  common::SetErrorDomain("gateway.accord");

  const auto& api = gateway::ApiDescriptors::Embedded();
  auto created = gateway::Gateway::Create(settings, api, std::string(gateway::EmbeddedOpenApi()));
  if (!created.ok()) {
    common::log::Error("start-up failed", {{"error", std::string(created.status().message())}});
    return 1;
  }
  auto& http = **created;
  if (auto status = http.Start(); !status.ok()) {
    common::log::Error("start-up failed", {{"error", std::string(status.message())}});
    return 1;
  }

  // grpc.health.v1 only: SERVING while the HTTP side serves, NOT_SERVING from the drain on.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(settings.grpc_address, grpc::InsecureServerCredentials(), &grpc_port);
  auto health = builder.BuildAndStart();
  if (!health || grpc_port == 0) {
    common::log::Error("start-up failed", {{"error", "cannot listen on " + settings.grpc_address}});
    return 1;
  }
  health->GetHealthCheckService()->SetServingStatus(true);
  common::MetricsHttpServer metrics(common::MetricsRegistry::Global());
  if (auto status = metrics.Start(settings.metrics_address); !status.ok()) {
    common::log::Error("start-up failed", {{"error", std::string(status.message())}});
    return 1;
  }
  common::log::Info("serving", {{"http_port", http.port()},
                                {"grpc_port", grpc_port},
                                {"metrics_port", metrics.port()},
                                {"routes", static_cast<int>(http.routes().routes().size())}});
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  common::log::Info("draining", {{"signal", signal_number}});
  health->GetHealthCheckService()->SetServingStatus(false);
  std::this_thread::sleep_for(settings.drain_delay);
  http.Stop();
  health->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  metrics.Stop();
  common::log::Info("stopped");
  return 0;
}
