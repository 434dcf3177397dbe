// The pricing policy read by every quote comes from the service's cache (in-process, then Redis):
// a change through UpdatePricingPolicy is seen by the next quote at once, and with Redis killed
// quotes and policy changes still work (read from PostgreSQL).
#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

class PolicyCacheTest : public PricingApiTest {
 protected:
  // The service on a private Redis the test can kill.
  PolicyCacheTest()
      : PricingApiTest(Redis().url()),
        policies_(v1::PricingPolicyService::NewStub(harness_.channel())) {}
  static testing::ScopedRedisServer& Redis() {
    static testing::ScopedRedisServer* redis = new testing::ScopedRedisServer();
    return *redis;
  }

  v1::PricingPolicy GetPolicy() {
    v1::GetPricingPolicyRequest request;
    request.set_name("pricingPolicy");
    v1::PricingPolicy policy;
    auto status = policies_->GetPricingPolicy(AsSales().get(), request, &policy);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return policy;
  }

  // Caps discounts on tools at `bps`.
  void LimitTools(int bps) {
    v1::UpdatePricingPolicyRequest request;
    request.mutable_pricing_policy()->set_name("pricingPolicy");
    auto* limit = request.mutable_pricing_policy()->add_category_limits();
    limit->set_category("tools");
    limit->set_max_discount_bps(bps);
    request.set_etag(GetPolicy().etag());
    v1::PricingPolicy stored;
    auto status = policies_->UpdatePricingPolicy(AsPricing().get(), request, &stored);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The net unit price of one DRILL-1 (list price EUR 100, a 10% tools rule).
  std::string Net() {
    v1::QuotePricing pricing;
    auto status = Price({{"DRILL-1", 1}}, &pricing);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return status.ok() ? common::FormatMoney(pricing.lines(0).unit_price())
                       : status.error_message();
  }

  void Sql(const std::string& statement) {
    pqxx::connection connection(database_.url());
    pqxx::work transaction(connection);
    transaction.exec0(statement);
    transaction.commit();
  }

  std::unique_ptr<v1::PricingPolicyService::Stub> policies_;
};

TEST_F(PolicyCacheTest, QuotesReadTheCachedPolicyAndSeeAChangeAtOnce) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  ActiveTerms(list.name(), MakeDate(2026, 1, 1), {}, {CategoryRule("tools", 1000)});
  EXPECT_EQ(Net(), "EUR 90.00");

  // A 20% cap, kept aside in SQL; then a 5% cap through the service.
  LimitTools(2000);
  EXPECT_EQ(Net(), "EUR 90.00");
  Sql("CREATE TABLE public.kept_policy AS SELECT body FROM pricing_terms.pricing_policy");
  LimitTools(500);
  EXPECT_EQ(Net(), "EUR 95.00");
  // The row changed behind the service's back (no write, no event): quotes keep the cached 5%.
  Sql("UPDATE pricing_terms.pricing_policy SET body = (SELECT body FROM public.kept_policy)");
  EXPECT_EQ(Net(), "EUR 95.00");
  EXPECT_EQ(Net(), "EUR 95.00");
  // A change through the service is seen by the very next quote.
  LimitTools(800);
  EXPECT_EQ(Net(), "EUR 92.00");
}

TEST_F(PolicyCacheTest, RedisDownStillAnswers) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  ActiveTerms(list.name(), MakeDate(2026, 1, 1), {}, {CategoryRule("tools", 1000)});
  LimitTools(500);
  EXPECT_EQ(Net(), "EUR 95.00");

  Redis().Kill();
  EXPECT_EQ(Net(), "EUR 95.00");
  LimitTools(300);
  EXPECT_EQ(Net(), "EUR 97.00");
  EXPECT_EQ(GetPolicy().category_limits(0).max_discount_bps(), 300);
  Redis().Start();
  // Back with an empty Redis: the next change is seen at once as well.
  LimitTools(700);
  EXPECT_EQ(Net(), "EUR 93.00");
}

}  // namespace
}  // namespace accord::pricing
