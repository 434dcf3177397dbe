// Runtime: what a service's handlers run on (the pool, Redis, the cache, the outbox relay and
// event tail, workers), authentication of each call, and the unary call shapes.
#include <ctime>

#include "accord/common/cache.h"
#include "accord/common/call_cost.h"
#include "accord/common/call_observer.h"
#include "accord/common/errors.h"
#include "accord/common/event_stream.h"
#include "accord/common/grpc_status.h"
#include "accord/common/ids.h"
#include "accord/common/log.h"
#include "accord/common/outbox.h"
#include "accord/common/queue_deadline.h"
#include "accord/common/relay.h"
#include "accord/common/request_guard.h"
#include "accord/common/server.h"

namespace accord::common {
namespace {

constexpr size_t kMaxAuthorizationBytes = 8 * 1024;

// The metadata Authenticate reads, in one pass over the call's few entries instead of one search
// of the multimap per key (the first of each key, as find() would give).
struct CallMetadata {
  std::string_view request_id;
  std::string_view traceparent;
  std::string_view trace_id;
  std::string_view authorization;

  explicit CallMetadata(const grpc::ServerContextBase& context) {
    for (const auto& [key, value] : context.client_metadata()) {
      const std::string_view name(key.data(), key.size());
      const std::string_view text(value.data(), value.size());
      std::string_view* slot = nullptr;
      if (name == "authorization") {
        slot = &authorization;
      } else if (name == "x-request-id") {
        slot = &request_id;
      } else if (name == "traceparent") {
        slot = &traceparent;
      } else if (name == "x-trace-id") {
        slot = &trace_id;
      }
      if (slot != nullptr && slot->data() == nullptr) *slot = text;
    }
  }
};

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

}  // namespace

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
  const CallMetadata metadata(context);
  std::string_view request_id = metadata.request_id;
  rpc.request_id = request_id.empty() ? NewUuidV7() : std::string(request_id.substr(0, 128));
  rpc.trace_id = TraceIdFrom(metadata.traceparent);
  if (rpc.trace_id.empty()) {
    std::string_view trace = metadata.trace_id;
    rpc.trace_id = trace.empty() ? NewTraceId() : std::string(trace.substr(0, 64));
  }
  std::string_view header = metadata.authorization;
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

}  // namespace accord::common
