// The runtime every Accord service starts from: settings, the Postgres pool, Redis, JWT
// verification, page tokens, metrics, and the gRPC server with health, reflection and a graceful
// drain on SIGTERM.
//
// Threading model: services implement gRPC's callback API. A handler authenticates on the gRPC
// thread (cheap: verified tokens are cached) and hands the call to a WorkerPool for anything that
// may block on the database, so gRPC's threads are never held across I/O. Work that cannot block
// (an in-process cache hit) may finish inline through the `fast` path.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/config.h"
#include "accord/common/method_access.h"
#include "accord/common/metrics.h"
#include "accord/common/migrations.h"
#include "accord/common/page_token.h"
#include "accord/common/pg.h"
#include "accord/common/redis.h"
#include "accord/common/tls.h"
#include "accord/common/worker_pool.h"

namespace accord::common {

class CallerLimiter;
class OutboxRelay;
class StreamTail;
class EventServiceImpl;
class VersionedCache;

struct ServiceSettings {
  std::string service_name;  // "account"
  std::string schema;        // Postgres schema, "account"
  std::string grpc_address;
  std::string metrics_address;
  ServerTls tls;  // ACCORD_TLS_CERT_FILE etc. (tls.h); plaintext when unset
  PgOptions pg;
  RedisOptions redis;
  JwtOptions jwt;
  std::string page_token_secret;
  bool migrate_on_start = false;
  std::string log_level = "info";
  // ACCORD_WORKER_THREADS defaults to the pool size plus point_read_workers (service_settings.cc)
  int worker_threads = 8;
  int point_read_workers = 2;  // of worker_threads, kept for point reads (call_cost.h)
  int max_expensive_calls = 4;
  int max_expensive_calls_per_caller = 2;
  int read_batch_threads = 1;
  std::chrono::milliseconds health_interval{1000};
  std::chrono::milliseconds drain_delay{2000};
  std::chrono::milliseconds shutdown_deadline{10000};
  // Liveness ("liveness" in grpc.health.v1) turns NOT_SERVING when no worker has picked up the
  // monitor's probe for this long; it never looks at PostgreSQL or Redis.
  std::chrono::milliseconds liveness_stall{15000};
  // Servers close each client connection (GOAWAY, in-flight calls finish) after about this long,
  // so clients re-resolve and spread onto new replicas; 0 keeps connections open forever.
  std::chrono::milliseconds max_connection_age{120000};
  int max_message_bytes = 4 * 1024 * 1024;
  // Largest header block (all metadata of one call) the server accepts; see README "Security".
  int max_metadata_bytes = 64 * 1024;
  std::chrono::hours event_retention{24 * 7};
  std::chrono::hours idempotency_retention{24};
  int64_t stream_maxlen = 1000000;
  size_t cache_local_entries = 100000;
  std::chrono::milliseconds cache_local_ttl{60000};
  std::chrono::seconds cache_redis_ttl{300};
};

// Reads every ACCORD_* setting shared by the services (see README "Configuration").
ServiceSettings ReadServiceSettings(ConfigReader& config, const std::string& service_name,
                                    int default_grpc_port, int default_metrics_port);

// Who is calling and on behalf of which request.
struct RpcContext {
  Principal principal;
  std::string request_id;  // x-request-id metadata, or generated
  std::string trace_id;    // from traceparent / x-trace-id, or generated
};

// Per-method metric handles, created once so the hot path does no registry lookups.
class RpcMethod {
 public:
  RpcMethod(std::string_view service, std::string_view method);
  void Record(grpc::StatusCode code, std::chrono::steady_clock::duration elapsed);
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::array<Counter*, 17> by_code_{};
  Histogram* latency_ = nullptr;
};

class Runtime {
 public:
  // Builds the shared parts; fails on a bad JWT key or Redis URL.
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(ServiceSettings settings,
                                                         std::vector<PreparedStatement> statements);
  ~Runtime();

  const ServiceSettings& settings() const { return settings_; }
  PgPool& pg() { return *pg_; }
  RedisClient& redis() { return *redis_; }
  const PageTokenCodec& page_tokens() const { return page_tokens_; }
  const JwtVerifier& verifier() const { return *verifier_; }
  WorkerPool& workers() { return *workers_; }
  // The service's events as published (see event_stream.h) and its read cache, keyed by
  // resource name; every event of the service invalidates its subject in the local level.
  StreamTail& event_tail() { return *tail_; }
  VersionedCache& cache() { return *cache_; }
  EventServiceImpl& event_service() { return *event_service_; }
  // Starts the outbox relay and the stream tail (GrpcServer::Start calls it).
  void StartBackground();

  // Authenticates from the call's metadata (authorization, x-request-id, traceparent).
  absl::StatusOr<RpcContext> Authenticate(const grpc::ServerContextBase& context) const;

  using Work = std::function<absl::Status(const RpcContext&)>;
  using FastWork = std::function<std::optional<absl::Status>(const RpcContext&)>;
  // Finishes the call with the status; call it exactly once, from any thread.
  using Completion = std::function<void(const absl::Status&)>;
  // Starts the call's work on gRPC's thread without blocking (queues it somewhere, e.g. a
  // BatchLoader) and answers through the completion.
  using DeferredWork = std::function<void(std::shared_ptr<const RpcContext>, Completion)>;

  // Authenticates, runs `work` on the worker pool, records metrics and finishes the call.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, RpcMethod& method,
                                  Work work);
  // The common case: `produce(rpc)` returns the response (absl::StatusOr) or the error.
  template <typename Response, typename Produce>
  grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context, RpcMethod& method,
                                    Response* response, Produce produce) {
    return Unary(context, method, [response, produce](const RpcContext& rpc) -> absl::Status {
      auto result = produce(rpc);
      if (!result.ok()) return result.status();
      *response = std::move(*result);
      return absl::OkStatus();
    });
  }
  // As above, for the method the call is for (registered with GrpcServer, see call_observer.h).
  template <typename Response, typename Produce>
  grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context, Response* response,
                                    Produce produce) {
    return Respond(context, MethodOf(*context), response, std::move(produce));
  }
  // The registered method a call is for; a shared "unregistered" one outside GrpcServer.
  static RpcMethod& MethodOf(grpc::ServerContextBase& context);
  // As Unary above, but first runs `fast` inline; when it returns a status the call finishes
  // with it.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, RpcMethod& method,
                                  FastWork fast, Work work);
  // As Unary with `fast`, but a call that `fast` does not finish is handed to `start` instead
  // of the worker pool.
  grpc::ServerUnaryReactor* UnaryDeferred(grpc::CallbackServerContext* context, RpcMethod& method,
                                          FastWork fast, DeferredWork start);

 private:
  explicit Runtime(ServiceSettings settings);

  ServiceSettings settings_;
  std::unique_ptr<PgPool> pg_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<JwtVerifier> verifier_;
  PageTokenCodec page_tokens_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallerLimiter> expensive_callers_;
  std::unique_ptr<OutboxRelay> relay_;
  std::unique_ptr<StreamTail> tail_;
  std::unique_ptr<VersionedCache> cache_;
  std::unique_ptr<EventServiceImpl> event_service_;
  bool background_started_ = false;
};

// The grpc.health.v1 name that answers liveness: SERVING while the process runs and its worker
// pool takes work, whatever PostgreSQL and Redis do. "" and every served service's full name
// answer readiness (PostgreSQL reachable, not draining).
inline constexpr char kLivenessHealthName[] = "liveness";

// A started gRPC server plus its metrics endpoint and health monitors.
class GrpcServer {
 public:
  // Listens on settings().grpc_address (port 0 picks a free one) and metrics_address. Every
  // method of `services` needs its rule in `access` (method_access.h), or nothing is served.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(Runtime& runtime,
                                                           std::vector<grpc::Service*> services,
                                                           const AccessRules& access);
  ~GrpcServer();

  int port() const { return port_; }
  int metrics_port() const { return metrics_.port(); }
  // Health NOT_SERVING, wait the drain delay, then Shutdown with the configured deadline.
  void Drain();

 private:
  explicit GrpcServer(Runtime& runtime);
  void MonitorHealth();
  void MonitorLiveness();
  void SetReadiness(bool serving);
  void StopBackground();

  Runtime& runtime_;
  std::unique_ptr<grpc::Server> server_;
  MetricsHttpServer metrics_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stop_monitor_{false};
  std::mutex monitor_mutex_;
  std::condition_variable monitor_wake_;
  std::thread monitor_;
  std::thread liveness_;
  // Full names of the served services (from the builder), each answering readiness.
  std::shared_ptr<std::vector<std::string>> service_names_;
  std::shared_ptr<std::atomic<Runtime*>> hook_target_;
};

struct ServiceDefinition {
  std::string name;    // "account"
  std::string schema;  // "account"
  int default_grpc_port = 0;
  int default_metrics_port = 0;
  std::function<const std::vector<Migration>&()> migrations;
  std::vector<PreparedStatement> statements;
  std::function<std::vector<std::unique_ptr<grpc::Service>>(Runtime&)> make_services;
  // Who may call each method (method_access.h); a method without a rule is not served.
  AccessRules access;
};

// ServiceDefinition::make_services for services constructed from the runtime alone:
// `definition.make_services = ServicesOf<AccountServiceImpl, TeamServiceImpl>;`
template <typename... Service>
std::vector<std::unique_ptr<grpc::Service>> ServicesOf(Runtime& runtime) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  (services.push_back(std::make_unique<Service>(runtime)), ...);
  return services;
}

// Turns off abseil's mutex deadlock detection for this process. Debian builds abseil without
// NDEBUG, which leaves detection on: every absl::Mutex lock inside gRPC then updates a global
// lock graph (about 4% of a service's CPU under load). ServiceMain calls it first thing; the
// benchmark's bare gRPC baseline calls it too, so that both sides run the same gRPC.
void DisableMutexDeadlockDetection();

// ACCORD_PG_URL, ACCORD_PG_POOL_SIZE and the PostgreSQL timeouts.
PgOptions ReadPgOptions(ConfigReader& config, const std::string& service_name);

// `<binary> migrate`: applies the service's migrations, reading only the PostgreSQL settings
// (and ACCORD_LOG_LEVEL), so that a migration job needs no token secrets or Redis.
int MigrateCommand(ConfigReader& config, const ServiceDefinition& definition);

// `<binary> [serve|migrate] [--flag=value ...]`: the whole life of a service process.
int ServiceMain(int argc, char** argv, const ServiceDefinition& definition);

}  // namespace accord::common
