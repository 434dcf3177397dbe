// Unary gRPC calls completed on the gateway's own threads. gRPC's callback API (1.51, Debian 12's)
// completes every callback call of a process on one internal thread: under load that thread was
// the gateway's limit (perf: 41 % of the gateway's samples on it while the HTTP threads waited).
// Here each call goes on one of a few completion queues, round robin, and a thread per queue
// polls it, so the calls' network work and completions spread over as many threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace accord::gateway {

class UnaryCaller {
 public:
  explicit UnaryCaller(int threads);
  // Shuts the queues down and joins their threads: every call started must have completed.
  ~UnaryCaller();
  UnaryCaller(const UnaryCaller&) = delete;
  UnaryCaller& operator=(const UnaryCaller&) = delete;

  // Starts `method` ("/pkg.Service/Method") with `request`; `done` runs once with the status on
  // one of the queue threads, `response` filled when it is OK. `context` and `response` must
  // live until then.
  void Call(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context,
            const std::string& method, const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
            std::function<void(grpc::Status)> done);

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace accord::gateway
