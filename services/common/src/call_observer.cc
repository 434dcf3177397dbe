#include "accord/common/call_observer.h"

#include <grpc/grpc.h>
#include <grpcpp/impl/call_op_set.h>
#include <grpcpp/server_context.h>

#include <array>
#include <climits>
#include <cstdint>
#include <new>
#include <typeinfo>

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"

namespace accord::common {
namespace {

using grpc::internal::Call;
using grpc::internal::CallHook;
using grpc::internal::CallOpServerSendStatus;

// gRPC keeps a call's hook and the status a batch sends private. Naming a private member in an
// explicit instantiation is allowed (as request_guard.cc does for the method table), which lets
// the observer stand in for the hook and read the status without patching gRPC.
template <typename Tag, typename Tag::Type Member>
struct PrivateAccess {
  friend typename Tag::Type Get(Tag) { return Member; }
};
struct CallHookMember {
  using Type = CallHook* Call::*;
  friend Type Get(CallHookMember);
};
struct StatusAvailableMember {
  using Type = bool CallOpServerSendStatus::*;
  friend Type Get(StatusAvailableMember);
};
struct StatusCodeMember {
  using Type = grpc_status_code CallOpServerSendStatus::*;
  friend Type Get(StatusCodeMember);
};
struct StatusMessageMember {
  using Type = std::string CallOpServerSendStatus::*;
  friend Type Get(StatusMessageMember);
};
struct StatusDetailsMember {
  using Type = std::string CallOpServerSendStatus::*;
  friend Type Get(StatusDetailsMember);
};
template struct PrivateAccess<CallHookMember, &Call::call_hook_>;
template struct PrivateAccess<StatusAvailableMember,
                              &CallOpServerSendStatus::send_status_available_>;
template struct PrivateAccess<StatusCodeMember, &CallOpServerSendStatus::send_status_code_>;
template struct PrivateAccess<StatusMessageMember, &CallOpServerSendStatus::send_error_message_>;
template struct PrivateAccess<StatusDetailsMember, &CallOpServerSendStatus::send_error_details_>;

// Where a batch's CallOpServerSendStatus sits, by the batch's type: dynamic_cast's cross-cast
// walks the class hierarchy comparing type names (about 600 instructions a batch), and a call has
// only a few kinds of batches. Per thread, so without a lock; a type that does not fit is cast.
class SendStatusOffsets {
 public:
  CallOpServerSendStatus* Find(grpc::internal::CallOpSetInterface* ops) {
    const std::type_info* type = &typeid(*ops);
    for (size_t i = 0; i < size_; ++i) {
      if (entries_[i].type == type) {
        if (entries_[i].offset == kNone) return nullptr;
        return reinterpret_cast<CallOpServerSendStatus*>(reinterpret_cast<char*>(ops) +
                                                         entries_[i].offset);
      }
    }
    auto* send = dynamic_cast<CallOpServerSendStatus*>(ops);
    if (size_ < entries_.size()) {
      entries_[size_++] = {
          type,
          send == nullptr ? kNone : reinterpret_cast<char*>(send) - reinterpret_cast<char*>(ops)};
    }
    return send;
  }

 private:
  static constexpr std::ptrdiff_t kNone = PTRDIFF_MIN;
  struct Entry {
    const std::type_info* type;
    std::ptrdiff_t offset;
  };
  std::array<Entry, 16> entries_{};
  size_t size_ = 0;
};
thread_local SendStatusOffsets t_send_status;

// The call whose handler runs on this thread, and its observer (CallObserver::Of).
struct CurrentCall {
  const grpc::ServerContextBase* context = nullptr;
  CallObserver* observer = nullptr;
};
thread_local CurrentCall t_current;

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

CallObserver& CallObserver::Create(RpcMethod& method, const Call& call) {
  void* memory = grpc_call_arena_alloc(call.call(), sizeof(CallObserver));
  return *new (memory) CallObserver(method, call.*Get(CallHookMember{}));
}

Call CallObserver::Observed(const Call& call) {
  return Call(call.call(), this, call.cq(), call.max_receive_message_size(),
              call.server_rpc_info());
}

CallObserver* CallObserver::Of(const grpc::ServerContextBase& context) {
  return t_current.context == &context ? t_current.observer : nullptr;
}

ScopedCallObserver::ScopedCallObserver(const grpc::ServerContextBase& context,
                                       CallObserver& observer)
    : previous_context_(t_current.context), previous_observer_(t_current.observer) {
  t_current = {&context, &observer};
}

ScopedCallObserver::~ScopedCallObserver() { t_current = {previous_context_, previous_observer_}; }

void CallObserver::PerformOpsOnCall(grpc::internal::CallOpSetInterface* ops, Call* call) {
  // Every batch that sends a status holds a CallOpServerSendStatus (unary, streams, refusals).
  if (auto* send = t_send_status.Find(ops);
      send != nullptr && send->*Get(StatusAvailableMember{})) {
    Record(static_cast<grpc::StatusCode>(send->*Get(StatusCodeMember{})),
           send->*Get(StatusMessageMember{}), send->*Get(StatusDetailsMember{}));
  }
  // Last: once the status is on its way the call, and this observer in its memory, may end.
  server_->PerformOpsOnCall(ops, call);
}

void CallObserver::Record(grpc::StatusCode code, const std::string& message,
                          const std::string& details) {
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  method_.Record(code, elapsed);
  if (!Routine(static_cast<absl::StatusCode>(code)) || log::DebugEnabled()) {
    log::ScopedRequestContext scope(rpc_ ? log::RequestContext{rpc_->request_id, rpc_->trace_id}
                                         : log::RequestContext{});
    LogCallOutcome(method_, rpc_.get(), FromGrpcStatus(grpc::Status(code, message, details)),
                   elapsed);
  }
  // The observer lives in the call's memory, which is freed without running its destructor: what
  // it owns goes now.
  rpc_.reset();
}

RpcMethod& Runtime::MethodOf(grpc::ServerContextBase& context) {
  if (auto* observer = CallObserver::Of(context)) return observer->method();
  static RpcMethod unregistered("unregistered", "unregistered");
  return unregistered;
}

}  // namespace accord::common
