// accord-noop-server: the baseline for scripts/bench.sh. A unary method that does nothing, served
//   bare (default): gRPC's callback API, no interceptors, no auth, no logging; it only counts calls
//     in accord_rpc_requests_total (one relaxed atomic add) so the benchmark can verify them the
//     same way as for real services;
//   --accord-runtime: through Accord's own runtime (common::Runtime::Unary: JWT auth, request
//     context, logging, per-method metrics, health, reflection), with every setting read from
//     ACCORD_* like the real services. The handler finishes inline on the `fast` path, as a warm
//     cache hit would; add --worker to hop through the worker pool as a database call does, or
//     --deferred-redis to take the Redis-level GetAccount's path without its work: each call joins
//     a BatchLoader (as many threads as ACCORD_READ_BATCH_THREADS) whose fetch is one MGET of the
//     account cache keys named in the requests, and answers with the stored bytes undecoded; or
//     --deferred-pg for the PostgreSQL level's path: the same loader, whose fetch is that MGET and
//     then the account service's own batched SELECT of the accounts, the rows left undecoded; or
//     --deferred-pg-fill for that path with the cache's work a cold read also does: the misses
//     looked up through the runtime's own VersionedCache (in-process level, then its MGET) and
//     each row's version written back to both levels (FillManyInBackground, SET NX on Redis),
//     with a value as large as the account's encoding. Its cache is the no-op's own
//     ("bench-noop"), so the account service's cold reads still miss afterwards; or
//     --outbox for the event path's floor: each call hops through the worker pool, as a write
//     does, and commits a transaction shaped like CreateAccount's with trivial content: one row
//     (public.bench_event_floor, made by scripts/bench/sql/setup.sql) and its event (type
//     accord.bench.v1.NoopWritten, an account-sized payload) in the no-op's own outbox; its relay
//     and stream tail then publish it like any service's. The answer's payload is the subject.
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "accord/bench/v1/noop.grpc.pb.h"
#include "accord/common/batch_loader.h"
#include "accord/common/cache.h"
#include "accord/common/ids.h"
#include "accord/common/metrics.h"
#include "accord/common/outbox.h"
#include "accord/common/server.h"
#include "account_sql.h"

namespace {

using accord::bench::v1::NoopRequest;
using accord::bench::v1::NoopResponse;
using accord::bench::v1::NoopService;

constexpr const char* kUsage = R"(usage:
  accord-noop-server [--grpc-address=127.0.0.1:PORT] [--metrics-address=127.0.0.1:PORT]
                     [--response-bytes=N]
  accord-noop-server --accord-runtime
                     [--worker | --deferred-redis | --deferred-pg | --deferred-pg-fill |
                      --outbox]
                     [--response-bytes=N]
                     (ACCORD_* settings)
Stops on SIGTERM or SIGINT.
)";

class BareNoop final : public NoopService::CallbackService {
 public:
  explicit BareNoop(size_t response_bytes)
      : payload_(response_bytes, 'x'),
        ok_(accord::common::MetricsRegistry::Global().GetCounter(
            "accord_rpc_requests_total", "RPCs served, by method and status code",
            {{"method", "accord.bench.v1.NoopService/Noop"}, {"code", "OK"}})) {}

  grpc::ServerUnaryReactor* Noop(grpc::CallbackServerContext* context, const NoopRequest*,
                                 NoopResponse* response) override {
    response->set_payload(payload_);
    ok_.Increment();
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const std::string payload_;
  accord::common::Counter& ok_;
};

// How the runtime no-op answers.
enum class RuntimePath { kInline, kWorker, kDeferredRedis, kDeferredPg, kDeferredPgFill, kOutbox };

bool Deferred(RuntimePath path) {
  return path == RuntimePath::kDeferredRedis || path == RuntimePath::kDeferredPg ||
         path == RuntimePath::kDeferredPgFill;
}

// The no-ops' service name and schema (their runtime migrates the tables every service has, the
// outbox among them). The event floor has its own, so that its relay (one per schema) runs in its
// own process, beside its stream tail, as a service's does.
constexpr char kNoopName[] = "bench-noop";
constexpr char kNoopSchema[] = "bench_noop";
constexpr char kEventFloorName[] = "bench-noop-events";
constexpr char kEventFloorSchema[] = "bench_noop_events";
// The row an --outbox write commits beside its event; its xmin dates the commit.
constexpr accord::common::PreparedStatement kInsertFloorRow{
    "bench_event_floor_insert", "INSERT INTO public.bench_event_floor (subject) VALUES ($1)"};

class RuntimeNoop final : public NoopService::CallbackService {
 public:
  RuntimeNoop(accord::common::Runtime& runtime, size_t response_bytes, RuntimePath path)
      : runtime_(runtime),
        payload_(response_bytes, 'x'),
        path_(path),
        method_("accord.bench.v1.NoopService", "Noop") {
    if (Deferred(path_)) {
      loader_ = std::make_unique<Loader>(
          Loader::Options{.name = "noop", .threads = runtime.settings().read_batch_threads},
          [this](const std::vector<std::string>& names) {
            return path_ == RuntimePath::kDeferredRedis ? FetchCached(names) : FetchStored(names);
          });
    }
  }

  // The request's payload is where a GetAccountRequest keeps its name (field 1), so the
  // benchmark's GetAccount requests name real accounts here.
  grpc::ServerUnaryReactor* Noop(grpc::CallbackServerContext* context, const NoopRequest* request,
                                 NoopResponse* response) override {
    auto work = [this, response](const accord::common::RpcContext&) {
      response->set_payload(payload_);
      return absl::OkStatus();
    };
    if (path_ == RuntimePath::kWorker) return runtime_.Unary(context, method_, work);
    if (path_ == RuntimePath::kOutbox) {
      return runtime_.Unary(context, method_, [this, response](const accord::common::RpcContext&) {
        return AppendEvent(response);
      });
    }
    if (Deferred(path_)) {
      return runtime_.UnaryDeferred(
          context, method_, nullptr,
          [this, request, response](std::shared_ptr<const accord::common::RpcContext>,
                                    accord::common::Runtime::Completion done) {
            loader_->Load(request->payload(),
                          [response, done = std::move(done)](absl::StatusOr<std::string> bytes) {
                            if (!bytes.ok()) return done(bytes.status());
                            response->set_payload(std::move(*bytes));
                            done(absl::OkStatus());
                          });
          });
    }
    return runtime_.Unary(
        context, method_,
        [this, response](const accord::common::RpcContext&) -> std::optional<absl::Status> {
          response->set_payload(payload_);
          return absl::OkStatus();
        },
        work);
  }

 private:
  using Loader = accord::common::BatchLoader<std::string>;

  // A write with a trivial row and its event, in as many round trips as CreateAccount's.
  absl::Status AppendEvent(NoopResponse* response) {
    accord::common::EventSpec spec;
    spec.type = "accord.bench.v1.NoopWritten";
    spec.subject = "noops/" + accord::common::NewUuidV7();
    spec.aggregate_version = 1;
    spec.actor = "bench";
    NoopResponse payload;
    payload.set_payload(payload_);
    spec.payload = &payload;
    auto status = runtime_.pg().Transact([&](accord::common::WriteTransaction& transaction) {
      transaction.exec_prepared(kInsertFloorRow.name, spec.subject);
      outbox_.Append(transaction, spec);
      return absl::OkStatus();
    });
    if (status.ok()) response->set_payload(spec.subject);
    return status;
  }

  // One MGET of the account cache keys of `names`.
  absl::StatusOr<accord::common::RedisValue> GetCached(const std::vector<std::string>& names) {
    std::vector<std::string> command = {"MGET"};
    command.reserve(names.size() + 1);
    for (const auto& name : names) {
      command.push_back(accord::common::VersionedCache::RedisKeyFor("account", name));
    }
    auto reply = runtime_.redis().Command(command);
    if (!reply.ok()) return reply.status();
    if (reply->type != accord::common::RedisValue::Type::kArray ||
        reply->elements.size() != names.size()) {
      return absl::UnavailableError("MGET answered " + reply->str);
    }
    return reply;
  }

  // A cold GetAccount's batch without its work: the MGET that misses, then the account service's
  // own SELECT of the batch; the rows are not decoded. With kDeferredPgFill the lookup and the
  // write-back go through the runtime's cache as the service's do. A name with no row fails its
  // call, so a run against the wrong database cannot pass for a fast one.
  absl::StatusOr<std::vector<Loader::Result>> FetchStored(const std::vector<std::string>& names) {
    const bool fill = path_ == RuntimePath::kDeferredPgFill;
    if (fill) {
      runtime_.cache().GetMany(names);
    } else if (auto cached = GetCached(names); !cached.ok()) {
      return cached.status();
    }
    constexpr std::string_view kPrefix = "accounts/";
    std::string ids = "{";
    for (const auto& name : names) {
      if (name.rfind(kPrefix, 0) != 0) {
        return absl::InvalidArgumentError("not an account name: " + name);
      }
      if (ids.size() > 1) ids += ',';
      ids += name.substr(kPrefix.size());
    }
    ids += '}';
    std::unordered_map<std::string, int64_t> found;  // id -> version
    auto status = runtime_.pg().Read(
        [&](pqxx::transaction_base& transaction) {
          found.clear();
          for (const auto& row :
               transaction.exec_prepared(accord::account::sql::kBatchGetAccounts.name, ids)) {
            found.emplace(row[0].as<std::string>(),
                          fill ? std::stoll(row[kVersionColumn].c_str()) : 0);
          }
          return absl::OkStatus();
        },
        accord::common::ReadScope::kOneStatement);
    if (!status.ok()) return status;
    std::vector<Loader::Result> results;
    results.reserve(names.size());
    std::vector<std::pair<std::string, accord::common::CachedValue>> written_back;
    for (const auto& name : names) {
      auto row = found.find(name.substr(kPrefix.size()));
      if (row == found.end()) {
        results.emplace_back(absl::NotFoundError("no row for " + name));
      } else {
        results.emplace_back(payload_);
        if (fill) written_back.push_back({name, {row->second, payload_}});
      }
    }
    if (fill) runtime_.cache().FillManyInBackground(written_back);
    return results;
  }

  absl::StatusOr<std::vector<Loader::Result>> FetchCached(const std::vector<std::string>& names) {
    auto reply = GetCached(names);
    if (!reply.ok()) return reply.status();
    // A name with nothing cached fails its call, so the benchmark (which checks the server's
    // status counts) cannot mistake a run against an empty Redis for a fast one.
    std::vector<Loader::Result> found;
    found.reserve(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      auto& element = reply->elements[i];
      if (element.type != accord::common::RedisValue::Type::kString) {
        found.emplace_back(absl::NotFoundError("nothing cached for " + names[i]));
      } else {
        found.emplace_back(std::move(element.str));
      }
    }
    return found;
  }

  accord::common::Runtime& runtime_;
  const std::string payload_;
  const RuntimePath path_;
  accord::common::RpcMethod method_;
  std::unique_ptr<Loader> loader_;  // the deferred paths only
  const accord::common::OutboxWriter outbox_{kEventFloorSchema, kEventFloorName};
  // a.version in account_sql.h's column list: the version a fill carries.
  static constexpr int kVersionColumn = 6;
};

int RunBare(const std::string& grpc_address, const std::string& metrics_address,
            size_t response_bytes) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  BareNoop service(response_bytes);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(grpc_address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "accord-noop-server: cannot listen on " << grpc_address << "\n";
    return 1;
  }
  accord::common::MetricsHttpServer metrics(accord::common::MetricsRegistry::Global());
  if (auto status = metrics.Start(metrics_address); !status.ok()) {
    std::cerr << "accord-noop-server: metrics: " << status.message() << "\n";
    return 1;
  }
  std::cerr << "accord-noop-server: bare, grpc port " << port << ", metrics port " << metrics.port()
            << "\n";
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  metrics.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  accord::common::DisableMutexDeadlockDetection();
  bool accord_runtime = false;
  RuntimePath path = RuntimePath::kInline;
  size_t response_bytes = 0;
  std::string grpc_address = "127.0.0.1:50099";
  std::string metrics_address = "127.0.0.1:9099";
  // Our own flags are taken out; in --accord-runtime mode the rest goes to ServiceMain.
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& prefix) { return arg.substr(prefix.size()); };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      if (!accord_runtime) return 0;
      rest.push_back(argv[i]);
    } else if (arg == "--accord-runtime") {
      accord_runtime = true;
    } else if (arg == "--worker") {
      path = RuntimePath::kWorker;
    } else if (arg == "--deferred-redis") {
      path = RuntimePath::kDeferredRedis;
    } else if (arg == "--deferred-pg") {
      path = RuntimePath::kDeferredPg;
    } else if (arg == "--deferred-pg-fill") {
      path = RuntimePath::kDeferredPgFill;
    } else if (arg == "--outbox") {
      path = RuntimePath::kOutbox;
    } else if (arg.rfind("--response-bytes=", 0) == 0) {
      response_bytes = std::stoul(value("--response-bytes="));
    } else if (!accord_runtime && arg.rfind("--grpc-address=", 0) == 0) {
      grpc_address = value("--grpc-address=");
    } else if (!accord_runtime && arg.rfind("--metrics-address=", 0) == 0) {
      metrics_address = value("--metrics-address=");
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!accord_runtime) {
    if (rest.size() > 1) {
      std::cerr << "accord-noop-server: unknown argument " << rest[1] << "\n" << kUsage;
      return 2;
    }
    return RunBare(grpc_address, metrics_address, response_bytes);
  }

  accord::common::ServiceDefinition definition;
  const bool event_floor = path == RuntimePath::kOutbox;
  definition.name = event_floor ? kEventFloorName : kNoopName;
  definition.schema = event_floor ? kEventFloorSchema : kNoopSchema;
  definition.migrations = []() -> const std::vector<accord::common::Migration>& {
    static const std::vector<accord::common::Migration> kNone;
    return kNone;
  };
  // The PostgreSQL-level no-ops read the account schema (scripts/bench.sh migrates it first); the
  // event floor writes a bench table (scripts/bench/sql/setup.sql).
  if (path == RuntimePath::kDeferredPg || path == RuntimePath::kDeferredPgFill) {
    definition.statements = {accord::account::sql::kBatchGetAccounts};
  } else if (path == RuntimePath::kOutbox) {
    definition.statements = {kInsertFloorRow};
  }
  definition.make_services = [response_bytes, path](accord::common::Runtime& runtime) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<RuntimeNoop>(runtime, response_bytes, path));
    return services;
  };
  definition.access = {{"accord.bench.v1.*", accord::common::MethodAccess::AnyRole()}};
  rest.push_back(nullptr);
  return accord::common::ServiceMain(static_cast<int>(rest.size()) - 1, rest.data(), definition);
}
