// What the server does around every call of every registered method, whatever its handler does:
// the request guard (request_guard.h) authenticates and checks the method's role rule before the
// handler runs, and this observer, a gRPC server interceptor created per call, counts the call
// in accord_rpc_requests_total / accord_rpc_latency_seconds and writes the access log line when
// its status is sent. A handler that finishes its call by itself, without Runtime::Respond, is
// still authenticated, counted and logged.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "accord/common/call_cost.h"
#include "accord/common/server.h"

namespace accord::common {

class CallObserver final : public grpc::experimental::Interceptor {
 public:
  explicit CallObserver(RpcMethod& method) : method_(method) {}

  // The observer of the call `context` belongs to, or nullptr for a call the server does not
  // observe (health, reflection, a handler invoked outside a GrpcServer).
  static CallObserver* Of(grpc::ServerContextBase& context);

  // Set by the request guard once the caller is authenticated, before the handler runs; read by
  // Runtime (which need not authenticate again) and by the access log.
  void SetContext(std::shared_ptr<const RpcContext> rpc) { rpc_ = std::move(rpc); }
  const std::shared_ptr<const RpcContext>& context() const { return rpc_; }
  // What the call may take of the server (call_cost.h), also set by the guard.
  void SetCost(CallCost cost) { cost_ = cost; }
  CallCost cost() const { return cost_; }
  RpcMethod& method() { return method_; }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override;

 private:
  RpcMethod& method_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::shared_ptr<const RpcContext> rpc_;
  CallCost cost_ = CallCost::kDefault;
};

// Creates an observer for each call of a known method ("/package.Service/Method" paths).
class CallObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Adds `path` ("/package.Service/Method"); returns its metric handles.
  RpcMethod& Add(std::string_view path);
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
  };
  // Filled before the server starts, read-only after: looked up without a lock or an allocation.
  std::unordered_map<std::string, std::unique_ptr<RpcMethod>, PathHash, std::equal_to<>> methods_;
};

// The access log line of one call: routine outcomes at debug, refusals at warn, failures at error.
void LogCallOutcome(const RpcMethod& method, const RpcContext* rpc, const absl::Status& status,
                    std::chrono::steady_clock::duration elapsed);

}  // namespace accord::common
