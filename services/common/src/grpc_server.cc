// GrpcServer: the gRPC server every method of a service is served by (request guard, call
// observer, health and reflection), its health monitors and its drain.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include "accord/common/call_observer.h"
#include "accord/common/event_stream.h"
#include "accord/common/log.h"
#include "accord/common/paging.h"
#include "accord/common/request_guard.h"
#include "accord/common/server.h"
#include "accord/common/thread_name.h"
#include "server_gauges.h"

namespace accord::common {
namespace {

// Hands the builder a plugin that copies the names of the services the server registered (each
// answers readiness in grpc.health.v1) once it is built: the builder knows them, gRPC's public
// API offers them only to plugins.
class ServiceNamesOption : public grpc::ServerBuilderOption {
 public:
  explicit ServiceNamesOption(std::shared_ptr<std::vector<std::string>> names)
      : names_(std::move(names)) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<Plugin>(names_));
  }

 private:
  class Plugin : public grpc::ServerBuilderPlugin {
   public:
    explicit Plugin(std::shared_ptr<std::vector<std::string>> names) : names_(std::move(names)) {}
    std::string name() override { return "accord_service_names"; }
    void InitServer(grpc::ServerInitializer*) override {}
    void Finish(grpc::ServerInitializer* initializer) override {
      for (const auto& name : *initializer->GetServiceList()) {
        if (!name.starts_with("grpc.")) names_->push_back(name);  // reflection answers anyway
      }
    }
    void ChangeArguments(const std::string&, void*) override {}

   private:
    std::shared_ptr<std::vector<std::string>> names_;
  };
  std::shared_ptr<std::vector<std::string>> names_;
};

}  // namespace

GrpcServer::GrpcServer(Runtime& runtime)
    : runtime_(runtime),
      metrics_(MetricsRegistry::Global()),
      service_names_(std::make_shared<std::vector<std::string>>()),
      hook_target_(std::make_shared<std::atomic<Runtime*>>(&runtime)) {}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(Runtime& runtime,
                                                              std::vector<grpc::Service*> services,
                                                              const AccessRules& access) {
  std::unique_ptr<GrpcServer> server(new GrpcServer(runtime));
  const auto& settings = runtime.settings();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(settings.grpc_address, ServerCredentialsFor(settings.tls),
                           &server->port_);
  builder.SetMaxReceiveMessageSize(settings.max_message_bytes);
  builder.SetMaxSendMessageSize(settings.max_message_bytes);
  SetProcessMaxMessageBytes(static_cast<size_t>(settings.max_message_bytes));  // paging.h
  // gRPC 1.51 answers a header block above this limit by closing the whole connection, failing
  // every call on it; it has no per-call (soft) limit. So the limit sits far above any header a
  // client needs (its default is 8 KiB), and what Accord refuses below it (an oversized token)
  // it refuses per call, in Authenticate.
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, settings.max_metadata_bytes);
  // Behind a headless Service, clients balance round_robin over the addresses DNS gave them
  // when they connected; closing connections now and then (gRPC adds +-10% jitter) makes them
  // re-resolve and reach replicas started since. Calls in flight get the shutdown deadline.
  if (settings.max_connection_age.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(settings.max_connection_age.count()));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               static_cast<int>(settings.shutdown_deadline.count()));
  }
  builder.SetOption(std::make_unique<ServiceNamesOption>(server->service_names_));
  // Every method of every service is served in one shape, whatever its handler does: the request
  // guard (request_guard.h) authenticates the caller, applies the method's role rule and refuses
  // unparsable bodies and control characters; the call observer (call_observer.h) counts and
  // logs every call. A method without a role rule is not served at all.
  AccessRules rules = access;
  rules.emplace(std::string(EventServiceImpl::kSubscribeMethod),
                EventServiceImpl::SubscribeAccess());
  services.push_back(&runtime.event_service());
  for (auto* service : services) {
    if (auto status = GuardService(*service, runtime, rules); !status.ok()) return status;
    builder.RegisterService(service);
  }
  runtime.StartBackground();
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError("cannot listen on " + settings.grpc_address);
  }
  if (auto status = server->metrics_.Start(settings.metrics_address); !status.ok()) {
    server->server_->Shutdown();
    return status;
  }
  ExportServerGauges(settings.service_name, server->hook_target_);
  server->SetReadiness(false);
  server->server_->GetHealthCheckService()->SetServingStatus(kLivenessHealthName, true);
  server->monitor_ = std::thread([raw = server.get()] { raw->MonitorHealth(); });
  server->liveness_ = std::thread([raw = server.get()] { raw->MonitorLiveness(); });
  return server;
}

void GrpcServer::SetReadiness(bool serving) {
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("", serving);
  for (const auto& name : *service_names_) health->SetServingStatus(name, serving);
}

void GrpcServer::MonitorHealth() {
  NameCurrentThread("health-monitor");
  bool last = false;
  bool first = true;
  auto& redis_up = MetricsRegistry::Global().GetGauge(
      "accord_redis_up", "1 while Redis answers this process' health check (PING)",
      {{"service", runtime_.settings().service_name}});
  bool last_redis = true;
  while (!stop_monitor_.load()) {
    bool database_ok = runtime_.pg().Ping().ok();
    // Redis is watched, not required: while it is down reads go to PostgreSQL and events wait in
    // the outbox, so taking every replica out of its Service would turn slower into down.
    bool redis_ok = runtime_.redis().Command({"PING"}).ok();
    redis_up.Set(redis_ok ? 1 : 0);
    if (redis_ok != last_redis) {
      if (redis_ok) {
        log::Info("redis reachable");
      } else {
        log::Warn("redis unreachable: serving from PostgreSQL, events wait in the outbox");
      }
      last_redis = redis_ok;
    }
    std::unique_lock lock(monitor_mutex_);
    // Decided under the lock that Drain takes, so a drain is never overwritten with SERVING.
    bool serving = database_ok && !draining_.load();
    if (serving != last || first) {
      SetReadiness(serving);
      log::Info(serving ? "health: SERVING" : "health: NOT_SERVING",
                {{"database", database_ok}, {"draining", draining_.load()}});
      last = serving;
      first = false;
    }
    monitor_wake_.wait_for(lock, runtime_.settings().health_interval,
                           [&] { return stop_monitor_.load(); });
  }
}

// Its own thread, so that a database call stuck in the readiness monitor cannot stall it.
void GrpcServer::MonitorLiveness() {
  NameCurrentThread("liveness");
  using Clock = std::chrono::steady_clock;
  const auto stall = runtime_.settings().liveness_stall;
  const auto interval = std::min<std::chrono::milliseconds>(
      runtime_.settings().health_interval,
      std::max<std::chrono::milliseconds>(stall / 4, std::chrono::milliseconds(1)));
  // The probe is an ordinary task: it waits behind the calls queued before it, so it starts late
  // only when the workers stopped taking work (each queued call waits at most the acquire
  // timeout before it expires unrun).
  auto last_ran =
      std::make_shared<std::atomic<Clock::rep>>(Clock::now().time_since_epoch().count());
  auto probe_pending = std::make_shared<std::atomic<bool>>(false);
  bool last = true;
  std::unique_lock lock(monitor_mutex_);
  while (!stop_monitor_.load()) {
    lock.unlock();
    if (!probe_pending->exchange(true)) {
      bool queued = runtime_.workers().Submit([last_ran, probe_pending] {
        last_ran->store(Clock::now().time_since_epoch().count());
        probe_pending->store(false);
      });
      if (!queued) probe_pending->store(false);  // queue full: try again next round
    }
    const auto since = Clock::now() - Clock::time_point(Clock::duration(last_ran->load()));
    const bool alive = since <= stall;
    lock.lock();
    if (alive != last) {
      server_->GetHealthCheckService()->SetServingStatus(kLivenessHealthName, alive);
      nlohmann::json fields = {
          {"worker_idle_ms", std::chrono::duration_cast<std::chrono::milliseconds>(since).count()}};
      if (alive) {
        log::Info("liveness: SERVING", std::move(fields));
      } else {
        log::Error("liveness: NOT_SERVING: no worker took work", std::move(fields));
      }
      last = alive;
    }
    monitor_wake_.wait_for(lock, interval, [&] { return stop_monitor_.load(); });
  }
}

void GrpcServer::Drain() {
  if (!server_) return;
  {
    std::lock_guard lock(monitor_mutex_);
    draining_ = true;
    // Readiness only: a draining process is still alive, and must not be restarted mid-drain.
    SetReadiness(false);
  }
  log::Info("health: NOT_SERVING", {{"draining", true}});
  std::this_thread::sleep_for(runtime_.settings().drain_delay);
  server_->Shutdown(std::chrono::system_clock::now() + runtime_.settings().shutdown_deadline);
  StopBackground();
  server_.reset();
}

void GrpcServer::StopBackground() {
  {
    std::lock_guard lock(monitor_mutex_);
    stop_monitor_ = true;
  }
  monitor_wake_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  if (liveness_.joinable()) liveness_.join();
  metrics_.Stop();
  hook_target_->store(nullptr);
}

GrpcServer::~GrpcServer() {
  if (server_) {
    draining_ = true;
    server_->Shutdown(std::chrono::system_clock::now());
  }
  StopBackground();
}

}  // namespace accord::common
