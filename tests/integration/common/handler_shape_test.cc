// One handler shape for every method: a method that does nothing at all (it finishes its call by
// itself, never asking the runtime for anything) is still authenticated, checked against its role
// rule, guarded, counted and logged, only because it was registered. A method without a role rule
// is not served.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "accord/common/call_observer.h"
#include "accord/common/event_stream.h"
#include "accord/common/metrics.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "accord/example/v1/example.grpc.pb.h"
#include "integration/common/do_nothing_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

namespace ex = accord::example::v1;
using testing::ContextAs;

constexpr char kEcho[] = "accord.example.v1.KitProbeService/Echo";

double Calls(const std::string& code, const std::string& method = kEcho) {
  return MetricsRegistry::Global()
      .GetCounter("accord_rpc_requests_total", "RPCs served, by method and status code",
                  {{"method", method}, {"code", code}})
      .value();
}

uint64_t Timed() {
  return MetricsRegistry::Global()
      .GetHistogram("accord_rpc_latency_seconds", "RPC latency from receipt to finish, by method",
                    {{"method", kEcho}})
      .count();
}

class HandlerShapeTest : public ::testing::Test {
 protected:
  HandlerShapeTest()
      : harness_(
            ExampleDefinition({{kEcho, MethodAccess::Only({Role::kAdmin})},
                               {"accord.example.v1.KitProbeService/*", MethodAccess::AnyRole()}}),
            database_.url(), testing::SharedRedisUrl()),
        stub_(ex::KitProbeService::NewStub(harness_.channel())) {}

  grpc::Status Echo(std::unique_ptr<grpc::ClientContext> context, const std::string& text,
                    ex::EchoResponse* response) {
    ex::EchoRequest request;
    request.set_text(text);
    return stub_->Echo(context.get(), request, response);
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<ex::KitProbeService::Stub> stub_;
};

TEST_F(HandlerShapeTest, ADoNothingMethodIsAuthenticatedCheckedCountedAndLogged) {
  const double ok = Calls("OK");
  const double unauthenticated = Calls("UNAUTHENTICATED");
  const double denied = Calls("PERMISSION_DENIED");
  const double invalid = Calls("INVALID_ARGUMENT");
  const uint64_t timed = Timed();

  ex::EchoResponse response;
  auto anonymous = std::make_unique<grpc::ClientContext>();
  auto status = Echo(std::move(anonymous), "hi", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(testing::ReasonOf(status), "MISSING_TOKEN");

  ::testing::internal::CaptureStdout();
  status = Echo(ContextAs("agent-7", {Role::kServiceAgent}), "hi", &response);
  const std::string log = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(testing::ReasonOf(status), "ROLE_REQUIRED");
  EXPECT_NE(status.error_message().find("admin"), std::string::npos) << status.error_message();
  // The access log names the method, the caller and the outcome.
  EXPECT_NE(log.find(kEcho), std::string::npos) << log;
  EXPECT_NE(log.find("agent-7"), std::string::npos) << log;
  EXPECT_NE(log.find("PERMISSION_DENIED"), std::string::npos) << log;
  EXPECT_NE(log.find("ROLE_REQUIRED"), std::string::npos) << log;

  status = Echo(ContextAs("admin-1", {Role::kAdmin}), "bad\x01text", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::ReasonOf(status), "CONTROL_CHARACTER");

  status = Echo(ContextAs("admin-1", {Role::kAdmin}), "hi", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The handler sees the caller the runtime authenticated.
  EXPECT_EQ(response.text(), "admin-1");

  EXPECT_EQ(Calls("OK") - ok, 1);
  EXPECT_EQ(Calls("UNAUTHENTICATED") - unauthenticated, 1);
  EXPECT_EQ(Calls("PERMISSION_DENIED") - denied, 1);
  EXPECT_EQ(Calls("INVALID_ARGUMENT") - invalid, 1);
  EXPECT_EQ(Timed() - timed, 4u);
}

// The observer reads the status from whichever batch sends it: a unary method the service left to
// gRPC's generated default (UNIMPLEMENTED), a server stream refused by its own reactor, and the
// same calls again (the observer remembers where each kind of batch keeps its status).
TEST_F(HandlerShapeTest, EveryKindOfCallIsCountedWithTheStatusItSent) {
  constexpr char kGetProbe[] = "accord.example.v1.KitProbeService/GetProbe";
  const std::string subscribe(EventServiceImpl::kSubscribeMethod);
  const double unimplemented = Calls("UNIMPLEMENTED", kGetProbe);
  const double refused = Calls("INVALID_ARGUMENT", subscribe);
  const double echoed = Calls("OK");
  auto events = accord::events::v1::EventService::NewStub(harness_.channel());
  for (int round = 0; round < 3; ++round) {
    ex::GetProbeRequest request;
    request.set_name("probes/1");
    ex::EchoResponse response;
    auto status =
        stub_->GetProbe(ContextAs("agent-7", {Role::kServiceAgent}).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();

    accord::events::v1::SubscribeRequest subscribe_request;
    subscribe_request.set_type_prefix("x");
    subscribe_request.mutable_start_time()->set_nanos(-1);  // not a timestamp: refused
    auto context = ContextAs("admin-1", {Role::kAdmin});
    auto reader = events->Subscribe(context.get(), subscribe_request);
    accord::events::v1::SubscribeResponse event;
    EXPECT_FALSE(reader->Read(&event));
    status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

    status = Echo(ContextAs("admin-1", {Role::kAdmin}), "hi", &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(Calls("UNIMPLEMENTED", kGetProbe) - unimplemented, 3);
  EXPECT_EQ(Calls("INVALID_ARGUMENT", subscribe) - refused, 3);
  EXPECT_EQ(Calls("OK") - echoed, 3);
}

TEST(HandlerShapeRegistrationTest, AMethodWithoutARoleRuleIsNotServed) {
  testing::TestDatabase database;
  try {
    testing::ServiceHarness harness(
        ExampleDefinition({{"accord.example.v1.OtherService/*", MethodAccess::AnyRole()}}),
        database.url(), testing::SharedRedisUrl());
    FAIL() << "the server started with a method that has no role rule";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(std::string(kEcho) + " has no role rule"),
              std::string::npos)
        << error.what();
  }
}

TEST(HandlerShapeRegistrationTest, ARuleForOneMethodDoesNotCoverTheOthers) {
  testing::TestDatabase database;
  try {
    testing::ServiceHarness harness(ExampleDefinition({{kEcho, MethodAccess::AnyRole()}}),
                                    database.url(), testing::SharedRedisUrl());
    FAIL() << "the server started with a method that has no role rule";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("accord.example.v1.KitProbeService/GetProbe has no role rule"),
              std::string::npos)
        << error.what();
  }
}

TEST(HandlerShapeRegistrationTest, APackageWideRuleCoversEveryMethodOfThePackage) {
  testing::TestDatabase database;
  testing::ServiceHarness harness(
      ExampleDefinition({{"accord.example.v1.*", MethodAccess::AnyRole()}}), database.url(),
      testing::SharedRedisUrl());
  auto stub = ex::KitProbeService::NewStub(harness.channel());
  ex::EchoRequest request;
  ex::EchoResponse response;
  auto status = stub->Echo(ContextAs("agent-7", {Role::kServiceAgent}).get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.text(), "agent-7");
}

}  // namespace
}  // namespace accord::common
