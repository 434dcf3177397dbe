#include "accord/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>
#include <pthread.h>
#include <signal.h>

#include <ctime>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "accord/common/cache.h"
#include "accord/common/call_cost.h"
#include "accord/common/call_observer.h"
#include "accord/common/errors.h"
#include "accord/common/event_stream.h"
#include "accord/common/grpc_status.h"
#include "accord/common/ids.h"
#include "accord/common/log.h"
#include "accord/common/outbox.h"
#include "accord/common/paging.h"
#include "accord/common/queue_deadline.h"
#include "accord/common/relay.h"
#include "accord/common/request_guard.h"
#include "accord/common/thread_name.h"

namespace accord::common {
namespace {

constexpr size_t kMaxAuthorizationBytes = 8 * 1024;

std::string_view MetadataValue(const grpc::ServerContextBase& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return {it->second.data(), it->second.size()};
}

// W3C traceparent "00-<32 hex trace id>-<16 hex span id>-<flags>".
std::string TraceIdFrom(std::string_view traceparent) {
  if (traceparent.size() >= 55 && traceparent[2] == '-' && traceparent[35] == '-') {
    return std::string(traceparent.substr(3, 32));
  }
  return {};
}

std::string NewTraceId() {
  std::string id = NewUuidV7();
  std::erase(id, '-');
  return id;
}

// Every UNAVAILABLE tells the client when to retry (AIP-194), whichever layer raised it.
absl::Status WithDefaultRetryDelay(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnavailable) return status;
  if (status.GetPayload(absl::string_view(kRetryInfoTypeUrl.data(), kRetryInfoTypeUrl.size()))) {
    return status;
  }
  return WithRetryDelay(status, std::chrono::seconds(1));
}

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

ServiceSettings ReadServiceSettings(ConfigReader& config, const std::string& service_name,
                                    int default_grpc_port, int default_metrics_port) {
  ServiceSettings s;
  s.service_name = service_name;
  s.grpc_address =
      config.String("ACCORD_GRPC_ADDRESS", "0.0.0.0:" + std::to_string(default_grpc_port),
                    "host:port the gRPC API listens on (port 0 picks a free one)");
  s.metrics_address =
      config.String("ACCORD_METRICS_ADDRESS", "0.0.0.0:" + std::to_string(default_metrics_port),
                    "host:port serving Prometheus metrics at /metrics");
  s.tls = ReadServerTls(config);
  s.pg = ReadPgOptions(config, service_name);
  std::string redis_url =
      config.String("ACCORD_REDIS_URL", "redis://127.0.0.1:6379", "Redis URL (cache and events)");
  RedisOptions redis_defaults;
  redis_defaults.command_timeout = config.Millis(
      "ACCORD_REDIS_TIMEOUT_MS", std::chrono::milliseconds(200), "Redis connect/command timeout");
  redis_defaults.connect_timeout = redis_defaults.command_timeout;
  redis_defaults.pool_size =
      config.Int("ACCORD_REDIS_POOL_SIZE", 8, 1, 256, "Redis connections per process");
  if (auto parsed = ParseRedisUrl(redis_url, redis_defaults); parsed.ok()) {
    s.redis = *parsed;
  } else {
    config.AddError("ACCORD_REDIS_URL=\"" + redis_url +
                    "\": " + std::string(parsed.status().message()));
  }
  s.jwt.algorithm = config.Choice("ACCORD_JWT_ALGORITHM", "HS256", {"HS256", "RS256", "ES256"},
                                  "token signature algorithm (pinned; tokens must match)");
  if (s.jwt.algorithm == "HS256") {
    s.jwt.hs256_secret = config.RequiredString("ACCORD_JWT_SECRET", "HS256 shared secret");
  } else {
    std::string path = config.RequiredString("ACCORD_JWT_PUBLIC_KEYS_FILE",
                                             "PEM file with the RS256/ES256 public key(s)");
    if (!path.empty()) {
      FILE* file = std::fopen(path.c_str(), "rb");
      if (file == nullptr) {
        config.AddError("ACCORD_JWT_PUBLIC_KEYS_FILE=\"" + path + "\" cannot be read");
      } else {
        std::string pem;
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) pem.append(buffer, n);
        std::fclose(file);
        // Split a bundle into its PEM blocks; any of them may verify a token.
        const std::string end_marker = "-----END ";
        size_t begin = 0;
        while (true) {
          size_t start = pem.find("-----BEGIN ", begin);
          if (start == std::string::npos) break;
          size_t end = pem.find(end_marker, start);
          if (end == std::string::npos) break;
          size_t line_end = pem.find('\n', end);
          if (line_end == std::string::npos) line_end = pem.size();
          s.jwt.public_keys_pem.push_back(pem.substr(start, line_end - start + 1));
          begin = line_end;
        }
      }
    }
  }
  s.jwt.issuer = config.String("ACCORD_JWT_ISSUER", "accord-dev", "required token issuer (iss)");
  s.jwt.audience = config.String("ACCORD_JWT_AUDIENCE", "accord", "required token audience (aud)");
  s.jwt.allow_any_issuer =
      config.Bool("ACCORD_JWT_ALLOW_ANY_ISSUER", false,
                  "accept tokens of any issuer when ACCORD_JWT_ISSUER is empty");
  s.jwt.allow_any_audience =
      config.Bool("ACCORD_JWT_ALLOW_ANY_AUDIENCE", false,
                  "accept tokens for any audience when ACCORD_JWT_AUDIENCE is empty");
  // An empty value would silently switch its check off.
  if (s.jwt.issuer.empty() && !s.jwt.allow_any_issuer) {
    config.AddError(
        "ACCORD_JWT_ISSUER is empty, which would accept tokens of any issuer; set it, or set "
        "ACCORD_JWT_ALLOW_ANY_ISSUER=true to mean that");
  }
  if (s.jwt.audience.empty() && !s.jwt.allow_any_audience) {
    config.AddError(
        "ACCORD_JWT_AUDIENCE is empty, which would accept tokens meant for any audience; set it, "
        "or set ACCORD_JWT_ALLOW_ANY_AUDIENCE=true to mean that");
  }
  s.page_token_secret =
      config.RequiredString("ACCORD_PAGE_TOKEN_SECRET", "secret that signs page tokens");
  s.migrate_on_start =
      config.Bool("ACCORD_MIGRATE_ON_START", false, "apply migrations before serving");
  s.log_level = config.Choice("ACCORD_LOG_LEVEL", "info", {"debug", "info", "warn", "error"},
                              "least severe level logged");
  // One by default: while it fetches, misses pile up into the next batch, and bigger batches
  // cost the database and Redis less per read (measured on 2 cores: cold reads 10-40% faster,
  // PostgreSQL CPU per read 13 against 19 us, than with two). More help when fetches are slow.
  s.read_batch_threads = config.Int("ACCORD_READ_BATCH_THREADS", 1, 1, 256,
                                    "threads that fetch gathered point reads (cache misses)");
  // As many as there are database connections by default: a worker beyond that can only wait
  // for a connection. Measured on 2 cores, 16 workers on 8 connections spent 8% more CPU per
  // create (7-10 context switches against 4) and made 4% fewer creates than 8 workers.
  s.worker_threads = config.Int("ACCORD_WORKER_THREADS", s.pg.pool_size, 1, 1024,
                                "threads running handlers that may block on the database");
  s.point_read_workers = config.Int(
      "ACCORD_POINT_READ_WORKERS", std::max(1, s.worker_threads / 4), 0, 1024,
      "workers kept for point reads (Get, BatchGet, Lookup), so slow calls cannot take them all");
  s.max_expensive_calls =
      config.Int("ACCORD_MAX_EXPENSIVE_CALLS", std::max(1, s.worker_threads / 2), 1, 1024,
                 "expensive calls (Lists with a filter, exports) running at once; more wait");
  s.max_expensive_calls_per_caller =
      config.Int("ACCORD_MAX_EXPENSIVE_CALLS_PER_CALLER", 2, 1, 1024,
                 "expensive calls one caller may have running; more are refused at once");
  s.health_interval = config.Millis("ACCORD_HEALTH_INTERVAL_MS", std::chrono::milliseconds(1000),
                                    "how often health re-checks the database");
  s.drain_delay = config.Millis("ACCORD_DRAIN_DELAY_MS", std::chrono::milliseconds(2000),
                                "after SIGTERM: NOT_SERVING this long before shutdown");
  s.shutdown_deadline =
      config.Millis("ACCORD_SHUTDOWN_DEADLINE_MS", std::chrono::milliseconds(10000),
                    "in-flight calls get this long to finish at shutdown");
  s.liveness_stall = config.Millis(
      "ACCORD_LIVENESS_STALL_MS", std::chrono::milliseconds(15000),
      "health name \"liveness\" turns NOT_SERVING when no worker took work for this long");
  s.max_connection_age = config.Millis(
      "ACCORD_GRPC_MAX_CONNECTION_AGE_MS", std::chrono::milliseconds(120000),
      "clients are asked to reconnect after about this long, so new replicas get traffic "
      "(0: never)");
  s.event_retention = std::chrono::hours(
      config.Int("ACCORD_EVENT_RETENTION_HOURS", 24 * 7, 1, 24 * 90,
                 "published events kept in Postgres for replay (Redis loss, slow subscribers)"));
  s.idempotency_retention = std::chrono::hours(
      config.Int("ACCORD_IDEMPOTENCY_RETENTION_HOURS", 24, 1, 24 * 90,
                 "how long a retried request_id returns the first call's result"));
  s.stream_maxlen = config.Int("ACCORD_STREAM_MAXLEN", 1000000, 1000, 100000000,
                               "approximate length the Redis event stream is trimmed to");
  s.cache_local_entries = static_cast<size_t>(config.Int(
      "ACCORD_CACHE_LOCAL_ENTRIES", 100000, 0, 10000000, "in-process cache capacity (0 = off)"));
  s.cache_local_ttl = config.Millis("ACCORD_CACHE_LOCAL_TTL_MS", std::chrono::milliseconds(60000),
                                    "how long an in-process cache entry is served");
  s.cache_redis_ttl = std::chrono::seconds(
      config.Int("ACCORD_CACHE_REDIS_TTL_S", 300, 1, 86400, "how long Redis keeps a cached entry"));
  s.max_metadata_bytes =
      config.Int("ACCORD_MAX_METADATA_BYTES", 64 * 1024, 16 * 1024, 1024 * 1024,
                 "largest header block (all metadata of one call) accepted; a larger one closes "
                 "the client's connection");
  s.max_message_bytes = config.Int("ACCORD_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, 1024,
                                   256 * 1024 * 1024, "largest gRPC message accepted or sent");
  return s;
}

Runtime::Runtime(ServiceSettings settings)
    : settings_(std::move(settings)), page_tokens_(settings_.page_token_secret) {}

Runtime::~Runtime() {
  // Subscribers go first (they listen to the tail), then the relay (it offers to the tail) and
  // the tail.
  event_service_.reset();
  if (relay_) relay_->Stop();
  if (tail_) tail_->Stop();
  if (workers_) workers_->Shutdown();
}

void Runtime::StartBackground() {
  if (background_started_) return;
  background_started_ = true;
  tail_->Start();
  relay_->Start();
}

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(
    ServiceSettings settings, std::vector<PreparedStatement> statements) {
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(settings)));
  auto verifier = JwtVerifier::Create(runtime->settings_.jwt);
  if (!verifier.ok()) return verifier.status();
  runtime->verifier_ = std::move(*verifier);
  runtime->pg_ = std::make_unique<PgPool>(runtime->settings_.pg, std::move(statements));
  runtime->redis_ = std::make_unique<RedisClient>(runtime->settings_.redis);
  runtime->workers_ = std::make_unique<WorkerPool>(
      runtime->settings_.worker_threads, 100000,
      WorkerPool::Limits{.reserved_for_point_reads = runtime->settings_.point_read_workers,
                         .max_expensive = runtime->settings_.max_expensive_calls});
  runtime->expensive_callers_ =
      std::make_unique<CallerLimiter>(runtime->settings_.max_expensive_calls_per_caller);

  const ServiceSettings& config = runtime->settings_;
  const std::string stream = EventStreamName(config.service_name);
  RelayOptions relay;
  relay.pg_url = config.pg.url;
  relay.schema = config.schema;
  relay.stream = stream;
  relay.stream_maxlen = config.stream_maxlen;
  relay.retention = config.event_retention;
  relay.idempotency_retention = config.idempotency_retention;
  // This process's listeners get what its relay published without waiting for XREAD.
  Runtime* self = runtime.get();
  relay.on_published = [self](const std::vector<std::pair<int64_t, std::string>>& published) {
    self->tail_->OfferEncoded(published);
  };
  runtime->relay_ = std::make_unique<OutboxRelay>(relay, *runtime->redis_);
  StreamTail::Options tail;
  tail.pg_url = config.pg.url;
  tail.schema = config.schema;
  tail.stream = stream;
  runtime->tail_ = std::make_unique<StreamTail>(tail, *runtime->redis_);
  VersionedCache::Options cache;
  cache.name = config.service_name;
  cache.local_capacity = config.cache_local_entries;
  cache.local_ttl = config.cache_local_ttl;
  cache.redis_ttl = config.cache_redis_ttl;
  StreamTail* tail_ptr = runtime->tail_.get();
  runtime->cache_ = std::make_unique<VersionedCache>(cache, runtime->redis_.get(),
                                                     [tail_ptr] { return tail_ptr->healthy(); });
  VersionedCache* cache_ptr = runtime->cache_.get();
  runtime->tail_->AddListener([cache_ptr](const PublishedEvent& event) {
    cache_ptr->InvalidateLocal(event.envelope.subject(), event.envelope.aggregate_version());
  });
  EventServiceOptions events;
  events.retention = config.event_retention;
  runtime->event_service_ =
      std::make_unique<EventServiceImpl>(*runtime, *runtime->tail_, config.schema, events);
  return runtime;
}

absl::StatusOr<RpcContext> Runtime::Authenticate(const grpc::ServerContextBase& context) const {
  RpcContext rpc;
  std::string_view request_id = MetadataValue(context, "x-request-id");
  rpc.request_id = request_id.empty() ? NewUuidV7() : std::string(request_id.substr(0, 128));
  rpc.trace_id = TraceIdFrom(MetadataValue(context, "traceparent"));
  if (rpc.trace_id.empty()) {
    std::string_view trace = MetadataValue(context, "x-trace-id");
    rpc.trace_id = trace.empty() ? NewTraceId() : std::string(trace.substr(0, 64));
  }
  std::string_view header = MetadataValue(context, "authorization");
  if (header.empty()) {
    return Unauthenticated("MISSING_TOKEN", "send `authorization: Bearer <JWT>` metadata");
  }
  // Real tokens are a few hundred bytes; a huge one is refused before any parsing.
  if (header.size() > kMaxAuthorizationBytes) {
    return Unauthenticated("TOKEN_TOO_LARGE",
                           "the authorization header has " + std::to_string(header.size()) +
                               " bytes; at most " + std::to_string(kMaxAuthorizationBytes) +
                               " are accepted");
  }
  auto principal = verifier_->VerifyAuthorizationHeader(header, std::time(nullptr));
  if (!principal.ok()) return principal.status();
  // Every rule grants by role, and a few grant to "anyone authenticated": a token with no role
  // this service knows must not fall through to those.
  if (principal->roles.empty()) {
    return PermissionDenied("NO_KNOWN_ROLE",
                            "the token carries no role this service knows; ask for one of "
                            "account_manager, sales_assistant, service_agent, "
                            "service_supervisor, pricing_manager, integration, admin");
  }
  rpc.principal = std::move(*principal);
  return rpc;
}

grpc::ServerUnaryReactor* Runtime::Unary(grpc::CallbackServerContext* context, RpcMethod& method,
                                         Work work) {
  return Unary(context, method, nullptr, std::move(work));
}

grpc::ServerUnaryReactor* Runtime::Unary(grpc::CallbackServerContext* context, RpcMethod& method,
                                         FastWork fast, Work work) {
  return UnaryDeferred(
      context, method, std::move(fast),
      [this, work = std::move(work), context, &method](std::shared_ptr<const RpcContext> rpc,
                                                       Completion done) mutable {
        // Point reads may use the workers kept for them; expensive calls are bounded per caller
        // and in all (call_cost.h).
        auto* observer = CallObserver::Of(*context);
        const CallCost lane = observer != nullptr ? observer->cost() : CallCost::kDefault;
        if (lane == CallCost::kExpensive) {
          const std::string caller = rpc->principal.subject;
          if (!expensive_callers_->TryAcquire(caller)) {
            done(WithRetryDelay(
                WithReason(
                    absl::ResourceExhaustedError(
                        "you already have " + std::to_string(expensive_callers_->per_caller()) +
                        " expensive calls (Lists with a filter, exports) running; retry "
                        "when one has finished"),
                    "TOO_MANY_EXPENSIVE_CALLS"),
                std::chrono::seconds(1)));
            return;
          }
          done = [done = std::move(done), caller,
                  limiter = expensive_callers_.get()](const absl::Status& status) {
            limiter->Release(caller);
            done(status);
          };
        }
        // `start` runs once per call, so the work moves into the task. A refused task is dropped
        // unrun, so the refusal answers through a copy of the completion.
        Completion refused = done;
        auto task = [rpc = std::move(rpc), work = std::move(work), done = std::move(done), context,
                     &method]() {
          log::ScopedRequestContext scope({rpc->request_id, rpc->trace_id});
          absl::Status status;
          if (context->IsCancelled()) {
            status = absl::CancelledError("the call was cancelled before it ran");
          } else {
            try {
              status = work(*rpc);
            } catch (const std::exception& error) {
              log::Error("unhandled exception",
                         {{"method", method.name()}, {"error", error.what()}});
              status = Internal("unexpected error");
            }
          }
          done(status);
        };
        // The wait for a worker is bounded like the wait for a connection, from the moment the
        // call is queued, and never outlasts the caller's own deadline: a call still queued then
        // is answered without being started (queue_deadline.h).
        const QueueDeadline deadline = QueueDeadlineFor(*context, settings_.pg.acquire_timeout);
        auto expired = [refused, deadline] { refused(deadline.Expired("a worker")); };
        if (!workers_->Submit(std::move(task), deadline.at, std::move(expired), lane)) {
          refused(absl::ResourceExhaustedError("the server is overloaded; retry with backoff"));
        }
      });
}

grpc::ServerUnaryReactor* Runtime::UnaryDeferred(grpc::CallbackServerContext* context,
                                                 RpcMethod& method, FastWork fast,
                                                 DeferredWork start) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The server's call observer counts and logs the call when its status is sent
  // (call_observer.h); a call served through GrpcServer was authenticated before it got here.
  auto finish = [reactor](const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(WithDefaultRetryDelay(status)));
  };
  std::shared_ptr<const RpcContext> owned;
  if (auto* observer = CallObserver::Of(*context); observer != nullptr && observer->context()) {
    owned = observer->context();
  } else {
    auto rpc = Authenticate(*context);
    if (!rpc.ok()) {
      finish(rpc.status());
      return reactor;
    }
    owned = std::make_shared<const RpcContext>(std::move(*rpc));
  }
  if (fast) {
    log::ScopedRequestContext scope({owned->request_id, owned->trace_id});
    std::optional<absl::Status> done;
    try {
      done = fast(*owned);
    } catch (const std::exception& error) {
      log::Error("unhandled exception", {{"method", method.name()}, {"error", error.what()}});
      done = Internal("unexpected error");
    }
    if (done) {
      finish(*done);
      return reactor;
    }
  }
  // The completion owns the request context, since it may run after this returns.
  Completion done = [owned, finish](const absl::Status& status) { finish(status); };
  try {
    // A queue the start hands the call to (a batch loader) bounds its wait as the workers do.
    const QueueDeadline deadline = QueueDeadlineFor(*context, settings_.pg.acquire_timeout);
    ScopedQueueDeadline scope(deadline);
    start(owned, done);
  } catch (const std::exception& error) {
    // `start` queues work and should not throw; if it did, it has not answered either.
    log::Error("unhandled exception", {{"method", method.name()}, {"error", error.what()}});
    done(Internal("unexpected error"));
  }
  return reactor;
}

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
  auto observers = std::make_unique<CallObserverFactory>();
  services.push_back(&runtime.event_service());
  for (auto* service : services) {
    if (auto status = GuardService(*service, runtime, rules, *observers); !status.ok()) {
      return status;
    }
    builder.RegisterService(service);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::move(observers));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  runtime.StartBackground();
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError("cannot listen on " + settings.grpc_address);
  }
  if (auto status = server->metrics_.Start(settings.metrics_address); !status.ok()) {
    server->server_->Shutdown();
    return status;
  }
  auto& registry = MetricsRegistry::Global();
  auto& pool_open = registry.GetGauge("accord_pg_pool_connections", "open database connections",
                                      {{"service", settings.service_name}, {"state", "open"}});
  auto& pool_in_use = registry.GetGauge("accord_pg_pool_connections", "open database connections",
                                        {{"service", settings.service_name}, {"state", "in_use"}});
  auto& pool_waiting =
      registry.GetGauge("accord_pg_pool_waiting", "callers waiting for a database connection",
                        {{"service", settings.service_name}});
  auto& queued = registry.GetGauge("accord_worker_queue_depth", "calls waiting for a worker",
                                   {{"service", settings.service_name}});
  // The registry outlives this server (tests start several), so the hook checks it is still here.
  registry.AddCollectHook(
      [target = server->hook_target_, &pool_open, &pool_in_use, &pool_waiting, &queued] {
        Runtime* runtime = target->load();
        if (runtime == nullptr) return;
        auto stats = runtime->pg().stats();
        pool_open.Set(stats.size);
        pool_in_use.Set(stats.in_use);
        pool_waiting.Set(stats.waiting);
        queued.Set(static_cast<double>(runtime->workers().queued()));
      });
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

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

int ServiceMain(int argc, char** argv, const ServiceDefinition& definition) {
  DisableMutexDeadlockDetection();
  // Termination signals are blocked in every thread and collected by sigwait below, so the
  // drain runs on an ordinary thread rather than in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ConfigReader config(argc, argv);
  // `migrate` needs the database and nothing else (migrate_command.cc).
  if (!config.positional().empty() && config.positional()[0] == "migrate") {
    return MigrateCommand(config, definition);
  }
  bool help = config.Bool("ACCORD_HELP", false, "print this help and exit");
  ServiceSettings settings = ReadServiceSettings(
      config, definition.name, definition.default_grpc_port, definition.default_metrics_port);
  settings.schema = definition.schema;
  const std::string command = config.positional().empty() ? "serve" : config.positional()[0];
  if (help) {
    std::cout << "usage: accord-" << definition.name << " [serve|migrate] [--flag=value ...]\n"
              << "Every setting is an environment variable or the matching flag:\n"
              << config.Usage();
    return 0;
  }
  if (auto status = config.Finish(); !status.ok()) {
    std::cerr << "accord-" << definition.name << ": " << status.message() << "\n";
    return 2;
  }
  if (command != "serve" && command != "migrate") {
    std::cerr << "accord-" << definition.name << ": unknown command '" << command
              << "' (expected serve or migrate)\n";
    return 2;
  }
  log::Init(definition.name, settings.log_level);
  SetErrorDomain(definition.name + ".accord");

  if (settings.migrate_on_start) {
    auto applied = ApplyMigrations(settings.pg.url, settings.schema, definition.migrations());
    if (!applied.ok()) {
      log::Error("migration failed", {{"error", std::string(applied.status().message())}});
      return 1;
    }
    log::Info("schema up to date",
              {{"schema", settings.schema}, {"applied", static_cast<int>(applied->size())}});
  }

  // A binary must not serve on a schema that lacks what it needs: its statements would fail at
  // run time, one call at a time. An unreachable database is waited for (until a signal).
  while (true) {
    auto missing = MissingMigrations(settings.pg.url, settings.schema, definition.migrations());
    if (missing.ok() && missing->empty()) break;
    if (missing.ok()) {
      log::Error("schema " + settings.schema +
                     " is older than this binary needs; apply its migrations first (accord-" +
                     definition.name + " migrate) and start again",
                 {{"schema", settings.schema}, {"missing", *missing}});
      return 3;
    }
    if (missing.status().code() != absl::StatusCode::kUnavailable) {
      log::Error("schema check failed", {{"error", std::string(missing.status().message())}});
      return 1;
    }
    log::Warn("schema check: database unreachable, retrying",
              {{"error", std::string(missing.status().message())}});
    timespec pause{2, 0};
    if (sigtimedwait(&signals, nullptr, &pause) > 0) return 0;
  }

  auto runtime = Runtime::Create(settings, definition.statements);
  if (!runtime.ok()) {
    log::Error("start-up failed", {{"error", std::string(runtime.status().message())}});
    return 1;
  }
  auto services = definition.make_services(**runtime);
  std::vector<grpc::Service*> raw;
  for (auto& service : services) raw.push_back(service.get());
  auto server = GrpcServer::Start(**runtime, raw, definition.access);
  if (!server.ok()) {
    log::Error("start-up failed", {{"error", std::string(server.status().message())}});
    return 1;
  }
  log::Info("serving", {{"grpc_port", (*server)->port()},
                        {"metrics_port", (*server)->metrics_port()},
                        {"address", settings.grpc_address}});
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log::Info("draining", {{"signal", signal_number}});
  (*server)->Drain();
  log::Info("stopped");
  return 0;
}

}  // namespace accord::common
