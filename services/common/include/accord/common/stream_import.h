// One client-streaming import call, the same for every service: authenticated by the runtime,
// each message checked as the request guard checks a request (which cannot see a stream's
// messages), applied on the worker pool before the next is read (so a call holds one message and
// gRPC's threads never wait on the database), and answered when the client closes its side.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <utility>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/request_guard.h"
#include "accord/common/server.h"

namespace accord::common {

template <typename Request, typename Response>
class StreamImportReactor final : public grpc::ServerReadReactor<Request> {
 public:
  // What an import does with its messages: `apply` one message (an error ends the import),
  // `finish` when the client closed its side (on the worker pool: it may write).
  struct Steps {
    std::function<absl::Status(const Request&)> apply;
    std::function<absl::StatusOr<Response>()> finish;
  };
  // Authorises the authenticated caller and makes the import's steps, or refuses.
  using Open = std::function<absl::StatusOr<Steps>(const RpcContext&)>;

  StreamImportReactor(grpc::CallbackServerContext* context, Runtime& runtime, RpcMethod& method,
                      Response* response, const Open& open)
      : runtime_(runtime),
        method_(method),
        response_(response),
        start_(std::chrono::steady_clock::now()) {
    auto rpc = runtime.Authenticate(*context);
    if (!rpc.ok()) {
      Done(rpc.status());
      return;
    }
    auto steps = open(*rpc);
    if (!steps.ok()) {
      Done(steps.status());
      return;
    }
    steps_ = std::move(*steps);
    this->StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      if (absl::Status refused = CheckStreamMessage(message_, method_); !refused.ok()) {
        Done(refused);
        return;
      }
    }
    const bool queued = runtime_.workers().Submit([this, ok] {
      if (!ok) {
        auto result = steps_.finish();
        if (result.ok()) *response_ = std::move(*result);
        Done(result.status());
        return;
      }
      if (absl::Status applied = steps_.apply(message_); !applied.ok()) {
        Done(applied);
        return;
      }
      this->StartRead(&message_);
    });
    if (!queued) Done(Unavailable("WORKERS_BUSY", "no worker is free for the import; retry it"));
  }

  void OnDone() override { delete this; }

 private:
  void Done(const absl::Status& status) {
    const grpc::Status answer = ToGrpcStatus(status);
    method_.Record(answer.error_code(), std::chrono::steady_clock::now() - start_);
    this->Finish(answer);
  }

  Runtime& runtime_;
  RpcMethod& method_;
  Response* response_;
  std::chrono::steady_clock::time_point start_;
  Steps steps_;
  Request message_;
};

}  // namespace accord::common
