#include "unary_caller.h"

#include <grpcpp/generic/generic_stub.h>

#include "accord/common/thread_name.h"

namespace accord::gateway {
namespace {

// One call in flight: the queue's tag.
struct PendingCall {
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  grpc::Status status;
  std::function<void(grpc::Status)> done;
};

}  // namespace

UnaryCaller::UnaryCaller(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    queues_.push_back(std::make_unique<grpc::CompletionQueue>());
    threads_.emplace_back([queue = queues_.back().get(), i] {
      common::NameCurrentThread("grpc-calls-" + std::to_string(i));
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) {
        std::unique_ptr<PendingCall> call(static_cast<PendingCall*>(tag));
        call->done(std::move(call->status));
      }
    });
  }
}

UnaryCaller::~UnaryCaller() {
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& thread : threads_) thread.join();
}

void UnaryCaller::Call(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context,
                       const std::string& method, const grpc::ByteBuffer& request,
                       grpc::ByteBuffer* response, std::function<void(grpc::Status)> done) {
  grpc::CompletionQueue* queue = queues_[next_.fetch_add(1) % queues_.size()].get();
  auto call = std::make_unique<PendingCall>();
  call->done = std::move(done);
  grpc::GenericStub stub(channel);
  call->reader = stub.PrepareUnaryCall(context, method, request, queue);
  call->reader->StartCall();
  PendingCall* tag = call.get();
  tag->reader->Finish(response, &tag->status, call.release());
}

}  // namespace accord::gateway
