#include "accord/common/request_guard.h"

#include <grpc/byte_buffer.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/message_allocator.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "accord/common/call_observer.h"
#include "accord/common/errors.h"
#include "accord/common/field_limits.h"
#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/server.h"
#include "accord/common/validation.h"

namespace accord::common {
namespace {

using grpc::internal::MethodHandler;
using GrpcMethod = grpc::internal::RpcMethod;
using grpc::internal::RpcServiceMethod;
using MethodList = std::vector<std::unique_ptr<RpcServiceMethod>>;

// grpc::Service keeps its method table private (only Server may read it). Naming a private
// member in an explicit instantiation is allowed, which is how the guard reaches the table
// without patching gRPC.
MethodList& ServiceMethods(grpc::Service& service);
template <MethodList grpc::Service::*Member>
struct MethodTableAccess {
  friend MethodList& ServiceMethods(grpc::Service& service) { return service.*Member; }
};
template struct MethodTableAccess<&grpc::Service::methods_>;

// The answer the fallback handlers give; set around their synchronous RunHandler.
thread_local const grpc::Status* t_answer = nullptr;

class FinishingWriteReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FinishingWriteReactor(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

Counter& RefusedCounter(const std::string& method, std::string_view reason) {
  return MetricsRegistry::Global().GetCounter(
      "accord_rpc_refused_requests_total",
      "requests refused before their handler ran (unparsable, control characters), by method and "
      "reason",
      {{"method", method}, {"reason", std::string(reason)}});
}

void LogRefusal(const std::string& method, const absl::Status& status, const std::string& peer,
                const std::string& subject) {
  nlohmann::json fields = {{"method", method},
                           {"code", absl::StatusCodeToString(status.code())},
                           {"reason", ReasonOf(status)},
                           {"error", std::string(status.message())},
                           {"peer", peer}};
  if (!subject.empty()) fields["principal"] = subject;
  log::Warn("request refused", std::move(fields));
}

std::string MethodMetricName(std::string_view path) {
  // "/accord.account.v1.AccountService/CreateAccount" -> "accord.account.v1.AccountService/..."
  return std::string(path.substr(path.empty() || path[0] != '/' ? 0 : 1));
}

class RequestGuard final : public MethodHandler {
 public:
  // `guarded` false: a client stream, which carries no request up front: its reactor
  // authenticates the caller and checks each message itself; the guard only observes it.
  RequestGuard(std::unique_ptr<RpcServiceMethod> original, Runtime& runtime, MethodAccess access,
               bool guarded)
      : original_(std::move(original)),
        inner_(original_->handler()),
        runtime_(runtime),
        guarded_(guarded),
        access_(std::move(access)),
        raw_(original_->api_type() == RpcServiceMethod::ApiType::RAW_CALL_BACK),
        name_(MethodMetricName(original_->name())),
        method_name_(name_.substr(name_.find('/') + 1)),
        method_(std::string_view(name_).substr(0, name_.find('/')), method_name_),
        malformed_(RefusedCounter(name_, "MALFORMED_REQUEST")),
        control_(RefusedCounter(name_, "CONTROL_CHARACTER")) {
    using grpc::ByteBuffer;
    if (original_->method_type() == GrpcMethod::SERVER_STREAMING) {
      fallback_ =
          std::make_unique<grpc::internal::CallbackServerStreamingHandler<ByteBuffer, ByteBuffer>>(
              [](grpc::CallbackServerContext*, const ByteBuffer*) {
                return new FinishingWriteReactor(*t_answer);
              });
    } else {
      fallback_ = std::make_unique<grpc::internal::CallbackUnaryHandler<ByteBuffer, ByteBuffer>>(
          [](grpc::CallbackServerContext* context, const ByteBuffer*, ByteBuffer*) {
            auto* reactor = context->DefaultReactor();
            reactor->Finish(*t_answer);
            return reactor;
          });
    }
  }

  RpcServiceMethod& original() { return *original_; }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* request, grpc::Status* status,
                    void** handler_data) override {
    void* parsed = inner_->Deserialize(call, request, status, handler_data);
    // Raw methods receive the bytes and parse them themselves (ParseRequest).
    if (!guarded_ || (raw_ && status->ok())) return parsed;
    absl::Status refusal;
    if (!status->ok()) {
      refusal = WithReason(InvalidArgument("request",
                                           "is not a valid encoded request message (malformed "
                                           "protobuf, or invalid UTF-8 in a string field)"),
                           "MALFORMED_REQUEST");
      ReleaseUnary(*handler_data);
    } else {
      auto* message = static_cast<google::protobuf::Message*>(parsed);
      // Sizes first: a field past its limit is not worth walking for control characters.
      refusal = CheckFieldLimits(*message);
      if (refusal.ok()) refusal = CheckTextFields(*message);
      if (refusal.ok()) return parsed;
      ReleaseRequest(parsed, *handler_data);
    }
    // The call goes to the fallback handler, which answers `*status`; RunHandler tells the two
    // apart by it.
    *status = ToGrpcStatus(refusal);
    grpc::Status unused;
    return fallback_->Deserialize(call, grpc_raw_byte_buffer_create(nullptr, 0), &unused,
                                  handler_data);
  }

  void RunHandler(const HandlerParameter& param) override {
    // The handler sees the call through its observer (call_observer.h), which counts and logs it
    // when its status is sent, whoever sends it.
    CallObserver& observer = CallObserver::Create(method_, *param.call);
    grpc::internal::Call call = observer.Observed(*param.call);
    ScopedCallObserver current(*param.server_context, observer);
    if (!guarded_) {
      inner_->RunHandler(HandlerParameter(&call, param.server_context, param.request, param.status,
                                          param.internal_data, param.call_requester));
      return;
    }
    // Whoever may not call learns only that: authentication, then the method's role rule, then
    // what the request guard found in the body.
    auto rpc = runtime_.Authenticate(*param.server_context);
    absl::Status refusal;
    if (!rpc.ok()) {
      refusal = rpc.status();
    } else if (!access_.Allows(rpc->principal)) {
      refusal = PermissionDenied("ROLE_REQUIRED", "calling " + name_ + " " + access_.Describe());
    } else if (!param.status.ok()) {
      refusal = FromGrpcStatus(param.status);
      (ReasonOf(refusal) == "CONTROL_CHARACTER" ? control_ : malformed_).Increment();
      LogRefusal(name_, refusal, param.server_context->peer(), rpc->principal.subject);
    }
    if (rpc.ok()) {
      observer.SetContext(std::make_shared<const RpcContext>(std::move(*rpc)));
      if (refusal.ok()) {
        observer.SetCost(ClassifyCall(
            method_name_, raw_ ? nullptr : static_cast<google::protobuf::Message*>(param.request)));
      }
    }
    if (refusal.ok()) {
      // From here on the call may end on another thread at any time: the observer is not touched.
      inner_->RunHandler(HandlerParameter(&call, param.server_context, param.request, param.status,
                                          param.internal_data, param.call_requester));
      return;
    }
    void* request = param.request;
    void* handler_data = param.internal_data;
    if (param.status.ok()) {
      // The request parsed but the caller may not make it: the typed request goes, and the
      // fallback answers instead.
      ReleaseRequest(request, handler_data);
      grpc::Status unused;
      handler_data = nullptr;
      request = fallback_->Deserialize(param.call->call(), grpc_raw_byte_buffer_create(nullptr, 0),
                                       &unused, &handler_data);
    }
    grpc::Status answer = ToGrpcStatus(refusal);
    t_answer = &answer;
    fallback_->RunHandler(HandlerParameter(&call, param.server_context, request, grpc::Status::OK,
                                           handler_data, param.call_requester));
    t_answer = nullptr;
  }

 private:
  void ReleaseRequest(void* request, void* handler_data) {
    if (original_->method_type() == GrpcMethod::SERVER_STREAMING) {
      // arena memory: destroyed, not freed
      static_cast<google::protobuf::Message*>(request)->~Message();
    } else {
      ReleaseUnary(handler_data);
    }
  }

  // A typed unary handler keeps the request in a message holder that it would release when the
  // call ends; the call now ends in the fallback, so the holder is released here.
  void ReleaseUnary(void* handler_data) {
    if (original_->method_type() != GrpcMethod::NORMAL_RPC || handler_data == nullptr) return;
    // Without a custom MessageAllocator (Accord sets none) the holder is a DefaultMessageHolder
    // in the call's arena, whose Release() is its destructor; MessageHolder derives from
    // RpcAllocatorState alone, whose destructor is virtual.
    static_cast<grpc::RpcAllocatorState*>(handler_data)->~RpcAllocatorState();
  }

  std::unique_ptr<RpcServiceMethod> original_;
  MethodHandler* inner_;
  Runtime& runtime_;
  bool guarded_;
  MethodAccess access_;
  bool raw_;
  std::string name_;
  std::string method_name_;  // "ListAccounts"
  RpcMethod method_;         // its metric handles
  Counter& malformed_;
  Counter& control_;
  std::unique_ptr<MethodHandler> fallback_;
};

}  // namespace

absl::Status GuardService(grpc::Service& service, Runtime& runtime, const AccessRules& access) {
  for (auto& method : ServiceMethods(service)) {
    if (method == nullptr || method->handler() == nullptr) continue;  // generic or async
    const std::string name = MethodMetricName(method->name());
    const MethodAccess* rule = FindAccess(access, name);
    if (rule == nullptr) {
      return absl::FailedPreconditionError(
          name + " has no role rule: register it with one (method_access.h)");
    }
    if (dynamic_cast<RequestGuard*>(method->handler()) != nullptr) continue;
    // Callback methods with one request: typed ones (their requests are protobuf messages, as
    // every Accord API's are) and raw ones, which parse for themselves (ParseRequest) but are
    // authenticated here all the same.
    const auto api = method->api_type();
    // A client stream (contact's ImportContacts) carries no request up front to guard: its
    // reactor authenticates the caller and checks each message itself; it is still counted and
    // logged (the guard observes it) and needs its role rule like any method.
    const bool client_stream = api == RpcServiceMethod::ApiType::CALL_BACK &&
                               method->method_type() == GrpcMethod::CLIENT_STREAMING;
    const bool unary = method->method_type() == GrpcMethod::NORMAL_RPC;
    if (!client_stream &&
        !(api == RpcServiceMethod::ApiType::CALL_BACK &&
          (unary || method->method_type() == GrpcMethod::SERVER_STREAMING)) &&
        !(api == RpcServiceMethod::ApiType::RAW_CALL_BACK && unary)) {
      return absl::FailedPreconditionError(
          name + " is not a callback method with one request, which is all the runtime serves");
    }
    const char* path = method->name();
    const GrpcMethod::RpcType type = method->method_type();
    auto guard = std::make_unique<RequestGuard>(std::move(method), runtime, *rule, !client_stream);
    method = std::make_unique<RpcServiceMethod>(path, type, guard.release());
    method->SetServerApiType(api);
  }
  return absl::OkStatus();
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& message,
                          const common::RpcMethod& method) {
  std::vector<grpc::Slice> slices;
  std::string data;
  absl::Status refusal;
  if (bytes.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      data.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (!message.ParseFromString(data)) {
    refusal = WithReason(
        InvalidArgument("request", "is not a valid encoded " + message.GetDescriptor()->name() +
                                       " (malformed protobuf, or invalid UTF-8 "
                                       "in a string field)"),
        "MALFORMED_REQUEST");
  } else {
    return CheckStreamMessage(message, method);
  }
  RefusedCounter(method.name(), ReasonOf(refusal)).Increment();
  LogRefusal(method.name(), refusal, "", "");
  return refusal;
}

absl::Status CheckStreamMessage(const google::protobuf::Message& message,
                                const common::RpcMethod& method) {
  absl::Status refusal = CheckFieldLimits(message);
  if (refusal.ok()) refusal = CheckTextFields(message);
  if (refusal.ok()) return refusal;
  RefusedCounter(method.name(), ReasonOf(refusal)).Increment();
  LogRefusal(method.name(), refusal, "", "");
  return refusal;
}

}  // namespace accord::common
