// common::ServiceClient against a real gRPC server that misbehaves on purpose: retries of
// idempotent methods on UNAVAILABLE (and of nothing else), deadlines, and the identity and trace
// passed on.
#include "accord/common/service_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"

namespace accord::common {
namespace {

namespace account_v1 = ::accord::account::v1;

class FlakyAccounts final : public account_v1::AccountService::Service {
 public:
  grpc::Status GetAccount(grpc::ServerContext* context,
                          const account_v1::GetAccountRequest* request,
                          account_v1::Account* response) override {
    {
      std::lock_guard lock(mutex);
      for (const char* key : {"authorization", "x-request-id", "traceparent"}) {
        auto it = context->client_metadata().find(key);
        if (it != context->client_metadata().end()) {
          seen[key] = std::string(it->second.data(), it->second.size());
        }
      }
    }
    if (request->name() == "accounts/slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    }
    if (get_calls.fetch_add(1) < fail_first) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not yet");
    }
    response->set_name(request->name());
    return grpc::Status::OK;
  }
  grpc::Status CreateAccount(grpc::ServerContext*, const account_v1::CreateAccountRequest*,
                             account_v1::Account*) override {
    create_calls.fetch_add(1);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "never");
  }

  std::atomic<int> get_calls{0};
  std::atomic<int> create_calls{0};
  int fail_first = 0;
  std::mutex mutex;
  std::map<std::string, std::string> seen;
};

class ServiceClientTest : public ::testing::Test {
 protected:
  ServiceClientTest() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ServiceClientOptions options;
    options.service = "account";
    options.address = "dns:///127.0.0.1:" + std::to_string(port_);
    options.deadline = std::chrono::milliseconds(3000);
    options.idempotent_methods = {"accord.account.v1.AccountService/GetAccount"};
    client_ = std::make_unique<ServiceClient>(options);
    stub_ = account_v1::AccountService::NewStub(client_->channel());
  }
  ~ServiceClientTest() override { server_->Shutdown(); }

  FlakyAccounts service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ServiceClient> client_;
  std::unique_ptr<account_v1::AccountService::Stub> stub_;
};

TEST_F(ServiceClientTest, IdempotentCallsAreRetriedOnUnavailable) {
  service_.fail_first = 2;
  account_v1::GetAccountRequest request;
  request.set_name("accounts/a");
  account_v1::Account account;
  auto status = stub_->GetAccount(client_->NewContext(CallIdentity{}).get(), request, &account);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(account.name(), "accounts/a");
  EXPECT_EQ(service_.get_calls.load(), 3);
}

TEST_F(ServiceClientTest, OtherCallsAreNotRetried) {
  account_v1::CreateAccountRequest request;
  account_v1::Account account;
  auto status = stub_->CreateAccount(client_->NewContext(CallIdentity{}).get(), request, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_.create_calls.load(), 1);
}

TEST_F(ServiceClientTest, EveryCallHasADeadline) {
  ServiceClientOptions options = client_->options();
  options.deadline = std::chrono::milliseconds(300);
  ServiceClient hurried(options);
  auto stub = account_v1::AccountService::NewStub(hurried.channel());
  account_v1::GetAccountRequest request;
  request.set_name("accounts/slow");
  account_v1::Account account;
  const auto start = std::chrono::steady_clock::now();
  auto status = stub->GetAccount(hurried.NewContext(CallIdentity{}).get(), request, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1200));
}

TEST_F(ServiceClientTest, TheCallersIdentityRequestIdAndTraceArePassedOn) {
  CallIdentity identity;
  identity.authorization = "Bearer user-token";
  identity.request_id = "req-42";
  identity.traceparent = ChildTraceparent("4bf92f3577b34da6a3ce929d0e0e4736");
  account_v1::GetAccountRequest request;
  request.set_name("accounts/a");
  account_v1::Account account;
  ASSERT_TRUE(stub_->GetAccount(client_->NewContext(identity).get(), request, &account).ok());
  std::lock_guard lock(service_.mutex);
  EXPECT_EQ(service_.seen["authorization"], "Bearer user-token");
  EXPECT_EQ(service_.seen["x-request-id"], "req-42");
  EXPECT_EQ(service_.seen["traceparent"].substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
}

}  // namespace
}  // namespace accord::common
