#include "accord/common/call_observer.h"

#include <grpcpp/server_context.h>

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"

namespace accord::common {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;
using InterceptorList = std::vector<std::unique_ptr<grpc::experimental::Interceptor>>;

// gRPC keeps a call's interceptors private to itself. Naming a private member in an explicit
// instantiation is allowed (as request_guard.cc does for the method table), which lets a handler
// find its call's observer in O(1), without a lock or a map keyed by call.
ServerRpcInfo* RpcInfoOf(grpc::ServerContextBase& context);
InterceptorList& InterceptorsOf(ServerRpcInfo& info);
template <ServerRpcInfo* grpc::ServerContextBase::*Member>
struct RpcInfoAccess {
  friend ServerRpcInfo* RpcInfoOf(grpc::ServerContextBase& context) { return context.*Member; }
};
template struct RpcInfoAccess<&grpc::ServerContextBase::rpc_info_>;
template <InterceptorList ServerRpcInfo::*Member>
struct InterceptorAccess {
  friend InterceptorList& InterceptorsOf(ServerRpcInfo& info) { return info.*Member; }
};
template struct InterceptorAccess<&ServerRpcInfo::interceptors_>;

const char* CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : "UNKNOWN";
}

bool Routine(absl::StatusCode code) {
  return code != absl::StatusCode::kInternal && code != absl::StatusCode::kUnknown &&
         code != absl::StatusCode::kDataLoss && code != absl::StatusCode::kUnavailable &&
         code != absl::StatusCode::kPermissionDenied && code != absl::StatusCode::kUnauthenticated;
}

}  // namespace

RpcMethod::RpcMethod(std::string_view service, std::string_view method)
    : name_(std::string(service) + "/" + std::string(method)) {
  auto& registry = MetricsRegistry::Global();
  for (int code = 0; code < 17; ++code) {
    by_code_[code] = &registry.GetCounter(
        "accord_rpc_requests_total", "RPCs served, by method and status code",
        {{"method", name_}, {"code", CodeName(static_cast<grpc::StatusCode>(code))}});
  }
  latency_ =
      &registry.GetHistogram("accord_rpc_latency_seconds",
                             "RPC latency from receipt to finish, by method", {{"method", name_}});
}

void RpcMethod::Record(grpc::StatusCode code, std::chrono::steady_clock::duration elapsed) {
  int index = static_cast<int>(code);
  if (index >= 0 && index < 17) by_code_[index]->Increment();
  latency_->Observe(std::chrono::duration<double>(elapsed).count());
}

void LogCallOutcome(const RpcMethod& method, const RpcContext* rpc, const absl::Status& status,
                    std::chrono::steady_clock::duration elapsed) {
  // Successful calls are logged at debug only; skip building their fields otherwise.
  if (Routine(status.code()) && !log::DebugEnabled()) return;
  nlohmann::json fields = {
      {"method", method.name()},
      {"code", CodeName(static_cast<grpc::StatusCode>(status.code()))},
      {"elapsed_us", std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()}};
  if (rpc != nullptr) fields["principal"] = rpc->principal.subject;
  if (!status.ok()) {
    fields["error"] = std::string(status.message());
    std::string reason = ReasonOf(status);
    if (!reason.empty()) fields["reason"] = reason;
  }
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      log::Error("rpc failed", std::move(fields));
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      // Denials are logged so that an operator can audit who was refused what.
      log::Warn("rpc refused", std::move(fields));
      break;
    default:
      log::Debug("rpc", std::move(fields));
  }
}

CallObserver* CallObserver::Of(grpc::ServerContextBase& context) {
  ServerRpcInfo* info = RpcInfoOf(context);
  if (info == nullptr) return nullptr;
  for (auto& interceptor : InterceptorsOf(*info)) {
    if (auto* observer = dynamic_cast<CallObserver*>(interceptor.get())) return observer;
  }
  return nullptr;
}

void CallObserver::Intercept(grpc::experimental::InterceptorBatchMethods* methods) {
  if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
    const grpc::Status sent = methods->GetSendStatus();
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    method_.Record(sent.error_code(), elapsed);
    const auto code = static_cast<absl::StatusCode>(sent.error_code());
    if (!Routine(code) || log::DebugEnabled()) {
      log::ScopedRequestContext scope(rpc_ ? log::RequestContext{rpc_->request_id, rpc_->trace_id}
                                           : log::RequestContext{});
      LogCallOutcome(method_, rpc_.get(), FromGrpcStatus(sent), elapsed);
    }
  }
  methods->Proceed();
}

RpcMethod& Runtime::MethodOf(grpc::ServerContextBase& context) {
  if (auto* observer = CallObserver::Of(context)) return observer->method();
  static RpcMethod unregistered("unregistered", "unregistered");
  return unregistered;
}

RpcMethod& CallObserverFactory::Add(std::string_view path) {
  auto& slot = methods_[std::string(path)];
  if (!slot) {
    std::string_view name = path.substr(!path.empty() && path[0] == '/' ? 1 : 0);
    const size_t slash = name.find('/');
    slot = std::make_unique<RpcMethod>(name.substr(0, slash), name.substr(slash + 1));
  }
  return *slot;
}

grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  if (info->method() == nullptr) return nullptr;
  auto it = methods_.find(std::string_view(info->method()));
  if (it == methods_.end()) return nullptr;  // health, reflection, unknown methods
  return new CallObserver(*it->second);
}

}  // namespace accord::common
