#include "accord/common/call_cost.h"

#include <gtest/gtest.h>

#include "accord/account/v1/account.pb.h"
#include "accord/example/v1/example.pb.h"

namespace accord::common {
namespace {

TEST(CallCostTest, MethodNamesAndFiltersDecideTheLane) {
  account::v1::GetAccountRequest get;
  EXPECT_EQ(ClassifyCall("GetAccount", &get), CallCost::kPointRead);
  EXPECT_EQ(ClassifyCall("BatchGetAccounts", nullptr), CallCost::kPointRead);
  EXPECT_EQ(ClassifyCall("LookupAccountByExternalId", nullptr), CallCost::kPointRead);
  account::v1::ListAccountsRequest list;
  EXPECT_EQ(ClassifyCall("ListAccounts", &list), CallCost::kDefault);
  list.set_filter("display_name = \"x\"");
  EXPECT_EQ(ClassifyCall("ListAccounts", &list), CallCost::kExpensive);
  EXPECT_EQ(ClassifyCall("ListAccounts", nullptr), CallCost::kDefault);  // raw: unknown
  EXPECT_EQ(ClassifyCall("ExportContacts", nullptr), CallCost::kExpensive);
  // A request without a filter field, and other methods.
  example::v1::EchoRequest echo;
  echo.set_text("filter");
  EXPECT_EQ(ClassifyCall("ListEchoes", &echo), CallCost::kDefault);
  EXPECT_EQ(ClassifyCall("UpdateAccount", nullptr), CallCost::kDefault);
}

TEST(CallerLimiterTest, EachCallerHasItsOwnBound) {
  CallerLimiter limiter(2);
  EXPECT_TRUE(limiter.TryAcquire("alice"));
  EXPECT_TRUE(limiter.TryAcquire("alice"));
  EXPECT_FALSE(limiter.TryAcquire("alice"));
  EXPECT_TRUE(limiter.TryAcquire("bob"));
  limiter.Release("alice");
  EXPECT_TRUE(limiter.TryAcquire("alice"));
  EXPECT_FALSE(limiter.TryAcquire("alice"));
  limiter.Release("nobody");  // harmless
}

}  // namespace
}  // namespace accord::common
