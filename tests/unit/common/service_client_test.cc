#include "accord/common/service_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace accord::common {
namespace {

TEST(ServiceClientTest, ServiceConfigBalancesAndRetriesOnlyIdempotentMethodsOnUnavailable) {
  ServiceClientOptions options;
  options.idempotent_methods = {"accord.account.v1.AccountService/GetAccount",
                                "accord.account.v1.AccountTeamService/"};
  const auto config = nlohmann::json::parse(ServiceClient::ServiceConfigJson(options));
  EXPECT_TRUE(config["loadBalancingConfig"][0].contains("round_robin"));
  const auto& method = config["methodConfig"][0];
  EXPECT_EQ(method["name"][0]["service"], "accord.account.v1.AccountService");
  EXPECT_EQ(method["name"][0]["method"], "GetAccount");
  EXPECT_FALSE(method["name"][1].contains("method"));
  EXPECT_EQ(method["retryPolicy"]["retryableStatusCodes"], nlohmann::json::array({"UNAVAILABLE"}));
  EXPECT_EQ(method["retryPolicy"]["maxAttempts"], 3);
  EXPECT_EQ(method["retryPolicy"]["initialBackoff"], "0.100s");

  options.idempotent_methods.clear();
  EXPECT_FALSE(
      nlohmann::json::parse(ServiceClient::ServiceConfigJson(options)).contains("methodConfig"));
}

// Two GET bindings of one method (additional_bindings) list it twice; gRPC refuses a config that
// names a method twice, which failed every call of that channel.
TEST(ServiceClientTest, ServiceConfigNamesEachMethodOnceAndChecksHealth) {
  ServiceClientOptions options;
  options.idempotent_methods = {"accord.account.v1.AccountInsightsService/GetPerformance",
                                "accord.account.v1.AccountInsightsService/GetPerformance"};
  const auto config = nlohmann::json::parse(ServiceClient::ServiceConfigJson(options));
  EXPECT_EQ(config["methodConfig"][0]["name"].size(), 1u);
  EXPECT_EQ(config["healthCheckConfig"]["serviceName"], "");
}

TEST(ServiceClientTest, TraceparentKeepsTheTraceWithANewSpan) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string a = ChildTraceparent(trace), b = ChildTraceparent(trace);
  EXPECT_EQ(a.size(), 55u);
  EXPECT_EQ(a.substr(0, 36), "00-" + trace + "-");
  EXPECT_NE(a, b);  // a new span each call
  EXPECT_EQ(a.substr(52), "-01");
  EXPECT_NE(ChildTraceparent("not-a-trace").substr(3, 32), "not-a-trace");
}

TEST(ServiceClientTest, SettingsNameTheCallee) {
  ConfigReader config({}, {{"ACCORD_PRICING_TERMS_ADDRESS", "dns:///pricing:50053"},
                           {"ACCORD_PRICING_TERMS_DEADLINE", "750"},
                           {"ACCORD_SERVICE_TOKEN", "tok"}});
  auto options = ReadServiceClientOptions(config, "pricing-terms", "dns:///127.0.0.1:50053");
  ASSERT_TRUE(config.Finish().ok()) << config.Finish();
  EXPECT_EQ(options.address, "dns:///pricing:50053");
  EXPECT_EQ(options.deadline, std::chrono::milliseconds(750));
  EXPECT_EQ(CallIdentity::ForService(options.service_token).authorization, "Bearer tok");
}

}  // namespace
}  // namespace accord::common
