// What the server does around every call of every registered method, whatever its handler does:
// the request guard (request_guard.h) authenticates and checks the method's role rule before the
// handler runs, and gives the call a CallObserver, which counts the call in
// accord_rpc_requests_total / accord_rpc_latency_seconds and writes the access log line when its
// status is sent. A handler that finishes its call by itself, without Runtime::Respond, is still
// authenticated, counted and logged.
//
// The observer is not a gRPC interceptor: gRPC runs a server's interceptors on every batch of a
// call's operations and hands each batch back through the completion queue once more, which cost
// about 6 000 instructions a call (a sixth of the runtime's own no-op). gRPC performs every batch
// of a call through the call's CallHook; the guard gives the handler the call with the observer
// as that hook, and the observer reads the status from the batch that sends it.
#pragma once

#include <grpcpp/impl/call.h>
#include <grpcpp/impl/call_hook.h>
#include <grpcpp/server_context.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "accord/common/call_cost.h"
#include "accord/common/server.h"

namespace accord::common {

class CallObserver final : public grpc::internal::CallHook {
 public:
  // `server` is the hook the call had (the server's), to which every batch is passed on.
  CallObserver(RpcMethod& method, grpc::internal::CallHook* server)
      : method_(method), server_(server) {}

  // Creates the observer in the call's own memory (freed with the call) and returns the call as
  // the handler must see it, with the observer as its hook.
  static CallObserver& Create(RpcMethod& method, const grpc::internal::Call& call);
  grpc::internal::Call Observed(const grpc::internal::Call& call);

  // The observer of the call `context` belongs to, while that call's handler runs on this thread
  // (ScopedCallObserver); nullptr for a call the server does not observe (health, reflection, a
  // handler invoked outside a GrpcServer) or outside its handler.
  static CallObserver* Of(const grpc::ServerContextBase& context);

  // Set by the request guard once the caller is authenticated, before the handler runs; read by
  // Runtime (which need not authenticate again) and by the access log.
  void SetContext(std::shared_ptr<const RpcContext> rpc) { rpc_ = std::move(rpc); }
  const std::shared_ptr<const RpcContext>& context() const { return rpc_; }
  // What the call may take of the server (call_cost.h), also set by the guard.
  void SetCost(CallCost cost) { cost_ = cost; }
  CallCost cost() const { return cost_; }
  RpcMethod& method() { return method_; }

  // Passes each batch on to the server; the one that sends the status is counted and logged.
  void PerformOpsOnCall(grpc::internal::CallOpSetInterface* ops,
                        grpc::internal::Call* call) override;

 private:
  void Record(grpc::StatusCode code, const std::string& message, const std::string& details);

  RpcMethod& method_;
  grpc::internal::CallHook* server_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::shared_ptr<const RpcContext> rpc_;
  CallCost cost_ = CallCost::kDefault;
};

// Makes `observer` what CallObserver::Of answers for `context` on this thread, while it lives.
class ScopedCallObserver {
 public:
  ScopedCallObserver(const grpc::ServerContextBase& context, CallObserver& observer);
  ~ScopedCallObserver();
  ScopedCallObserver(const ScopedCallObserver&) = delete;
  ScopedCallObserver& operator=(const ScopedCallObserver&) = delete;

 private:
  const grpc::ServerContextBase* previous_context_;
  CallObserver* previous_observer_;
};

// The access log line of one call: routine outcomes at debug, refusals at warn, failures at error.
void LogCallOutcome(const RpcMethod& method, const RpcContext* rpc, const absl::Status& status,
                    std::chrono::steady_clock::duration elapsed);

}  // namespace accord::common
