#include "accord/common/request_guard.h"

#include <grpc/byte_buffer.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/message_allocator.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

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
  RequestGuard(std::unique_ptr<RpcServiceMethod> original, Runtime& runtime)
      : original_(std::move(original)),
        inner_(original_->handler()),
        runtime_(runtime),
        name_(MethodMetricName(original_->name())),
        metrics_(name_.substr(0, name_.find('/')), name_.substr(name_.find('/') + 1)),
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
      if (original_->method_type() == GrpcMethod::SERVER_STREAMING) {
        message->~Message();  // arena memory: destroyed, not freed
      } else {
        ReleaseUnary(*handler_data);
      }
    }
    // The call goes to the fallback handler, which answers `*status`; RunHandler tells the two
    // apart by it.
    *status = ToGrpcStatus(refusal);
    grpc::Status unused;
    return fallback_->Deserialize(call, grpc_raw_byte_buffer_create(nullptr, 0), &unused,
                                  handler_data);
  }

  void RunHandler(const HandlerParameter& param) override {
    if (param.status.ok()) {
      inner_->RunHandler(param);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    // Whoever may not call learns only that.
    auto rpc = runtime_.Authenticate(*param.server_context);
    absl::Status answer = rpc.ok() ? FromGrpcStatus(param.status) : rpc.status();
    if (rpc.ok()) {
      const std::string reason = ReasonOf(answer);
      (reason == "CONTROL_CHARACTER" ? control_ : malformed_).Increment();
      LogRefusal(name_, answer, param.server_context->peer(), rpc->principal.subject);
    } else {
      LogRefusal(name_, answer, param.server_context->peer(), "");
    }
    grpc::Status grpc_answer = ToGrpcStatus(answer);
    metrics_.Record(grpc_answer.error_code(), std::chrono::steady_clock::now() - start);
    t_answer = &grpc_answer;
    fallback_->RunHandler(HandlerParameter(param.call, param.server_context, param.request,
                                           grpc::Status::OK, param.internal_data,
                                           param.call_requester));
    t_answer = nullptr;
  }

 private:
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
  std::string name_;
  common::RpcMethod metrics_;
  Counter& malformed_;
  Counter& control_;
  std::unique_ptr<MethodHandler> fallback_;
};

}  // namespace

void GuardService(grpc::Service& service, Runtime& runtime) {
  for (auto& method : ServiceMethods(service)) {
    if (method == nullptr || method->handler() == nullptr) continue;  // generic or async
    if (dynamic_cast<RequestGuard*>(method->handler()) != nullptr) continue;
    // Typed callback methods only (their requests are protobuf messages, as every Accord API's
    // are): raw ones parse for themselves (ParseRequest), and streams from the client carry no
    // request to parse up front.
    if (method->api_type() != RpcServiceMethod::ApiType::CALL_BACK) continue;
    if (method->method_type() != GrpcMethod::NORMAL_RPC &&
        method->method_type() != GrpcMethod::SERVER_STREAMING) {
      continue;
    }
    const char* name = method->name();
    const GrpcMethod::RpcType type = method->method_type();
    auto guard = std::make_unique<RequestGuard>(std::move(method), runtime);
    method = std::make_unique<RpcServiceMethod>(name, type, guard.release());
    method->SetServerApiType(RpcServiceMethod::ApiType::CALL_BACK);
  }
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
    refusal = CheckFieldLimits(message);
    if (refusal.ok()) refusal = CheckTextFields(message);
  }
  if (refusal.ok()) return refusal;
  const std::string reason = ReasonOf(refusal);
  RefusedCounter(method.name(), reason).Increment();
  LogRefusal(method.name(), refusal, "", "");
  return refusal;
}

}  // namespace accord::common
