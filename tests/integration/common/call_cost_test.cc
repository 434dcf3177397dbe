// What a call may take of the server, decided for every method from its name and request
// (call_cost.h): a caller's expensive calls (filtered Lists) are bounded, the process's too, and a
// share of the workers stays free for point reads however many slow calls arrive.
#include "accord/common/call_cost.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "accord/example/v1/example.grpc.pb.h"
#include "support/gate.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

namespace ex = accord::example::v1;
using testing::ContextAs;
using testing::Gate;

// Every method runs on the runtime's workers; "hold" in the text or filter waits at the gate.
class Probe final : public ex::KitProbeService::CallbackService {
 public:
  Probe(Runtime& runtime, Gate& gate) : runtime_(runtime), gate_(gate) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const ex::EchoRequest* request,
                                 ex::EchoResponse* response) override {
    return Answer(context, request->text(), response);
  }
  grpc::ServerUnaryReactor* GetProbe(grpc::CallbackServerContext* context,
                                     const ex::GetProbeRequest* request,
                                     ex::EchoResponse* response) override {
    return Answer(context, request->name(), response);
  }
  grpc::ServerUnaryReactor* ListProbes(grpc::CallbackServerContext* context,
                                       const ex::ListProbesRequest* request,
                                       ex::ListProbesResponse* response) override {
    return runtime_.Respond(context, response, [this, request](const RpcContext&) {
      if (request->filter() == "hold") gate_.Hold();
      return absl::StatusOr<ex::ListProbesResponse>(ex::ListProbesResponse());
    });
  }

 private:
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const std::string& text,
                                   ex::EchoResponse* response) {
    return runtime_.Respond(context, response, [this, text](const RpcContext& rpc) {
      if (text == "hold") gate_.Hold();
      ex::EchoResponse echo;
      echo.set_text(rpc.principal.subject);
      return absl::StatusOr<ex::EchoResponse>(echo);
    });
  }

  Runtime& runtime_;
  Gate& gate_;
};

class CallCostTest : public ::testing::Test {
 protected:
  CallCostTest() {
    ServiceDefinition definition;
    definition.name = definition.schema = "costtest";
    definition.migrations = []() -> const std::vector<Migration>& {
      static const std::vector<Migration> kNone;
      return kNone;
    };
    definition.make_services = [this](Runtime& runtime) {
      std::vector<std::unique_ptr<grpc::Service>> services;
      services.push_back(std::make_unique<Probe>(runtime, gate_));
      return services;
    };
    definition.access = {{"accord.example.v1.*", MethodAccess::AnyRole()}};
    auto settings = testing::TestSettings(definition, database_.url(), testing::SharedRedisUrl());
    settings.worker_threads = 4;
    settings.point_read_workers = 1;  // three workers for everything else
    settings.max_expensive_calls = 2;
    settings.max_expensive_calls_per_caller = 2;
    settings.pg.acquire_timeout = std::chrono::milliseconds(300);
    harness_ = std::make_unique<testing::ServiceHarness>(definition, settings);
    stub_ = ex::KitProbeService::NewStub(harness_->channel());
  }
  ~CallCostTest() override {
    gate_.Open();
    harness_.reset();
  }

  grpc::Status List(const std::string& caller, const std::string& filter) {
    ex::ListProbesRequest request;
    request.set_filter(filter);
    ex::ListProbesResponse response;
    return stub_->ListProbes(ContextAs(caller, {Role::kIntegration}).get(), request, &response);
  }
  grpc::Status Echo(const std::string& text) {
    ex::EchoRequest request;
    request.set_text(text);
    ex::EchoResponse response;
    return stub_->Echo(ContextAs("echo", {Role::kIntegration}).get(), request, &response);
  }
  grpc::Status Get() {
    ex::GetProbeRequest request;
    ex::EchoResponse response;
    return stub_->GetProbe(ContextAs("reader", {Role::kIntegration}).get(), request, &response);
  }

  Gate gate_;
  testing::TestDatabase database_;
  std::unique_ptr<testing::ServiceHarness> harness_;
  std::unique_ptr<ex::KitProbeService::Stub> stub_;
};

TEST_F(CallCostTest, ACallersExpensiveCallsAreBoundedAndSoAreTheProcesss) {
  auto first = std::async(std::launch::async, [&] { return List("alice", "hold"); });
  auto second = std::async(std::launch::async, [&] { return List("alice", "hold"); });
  ASSERT_TRUE(gate_.AwaitHeld(2));

  // Alice's third filtered List is refused at once; her unfiltered List is not expensive.
  auto third = List("alice", "any");
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(testing::ReasonOf(third), "TOO_MANY_EXPENSIVE_CALLS");
  EXPECT_TRUE(List("alice", "").ok());
  // Bob has none running, but the process runs its two expensive calls already: his waits its
  // bounded time for a worker that may run it.
  auto bob = List("bob", "any");
  EXPECT_EQ(bob.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(testing::ReasonOf(bob), "WORKERS_BUSY");

  gate_.Open();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
  // Finished calls count no more.
  EXPECT_TRUE(List("alice", "any").ok());
  EXPECT_TRUE(List("bob", "any").ok());
}

TEST_F(CallCostTest, PointReadsStillRunWhenSlowCallsHoldEveryOtherWorker) {
  std::vector<std::future<grpc::Status>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::async(std::launch::async, [&] { return Echo("hold"); }));
  }
  ASSERT_TRUE(gate_.AwaitHeld(3));
  // Another ordinary call finds no worker it may use ...
  auto waiting = Echo("quick");
  EXPECT_EQ(waiting.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(testing::ReasonOf(waiting), "WORKERS_BUSY");
  // ... while point reads run on the worker kept for them.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Get().ok());
  gate_.Open();
  for (auto& call : slow) EXPECT_TRUE(call.get().ok());
}

}  // namespace
}  // namespace accord::common
