// The pricing policy over gRPC against real PostgreSQL: approval authority and breaches recorded
// with the approver's reason, category limits refusing terms and capping quotes, the minimum
// margin over an item's cost, and the policy change as an event in the outbox.
#include <thread>

#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class PolicyTest : public PricingApiTest {
 protected:
  PolicyTest() : policies_(v1::PricingPolicyService::NewStub(harness_.channel())) {}

  v1::PricingPolicy GetPolicy() {
    v1::GetPricingPolicyRequest request;
    request.set_name("pricingPolicy");
    v1::PricingPolicy policy;
    auto status = policies_->GetPricingPolicy(AsSales().get(), request, &policy);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return policy;
  }

  grpc::Status SetPolicy(const v1::PricingPolicy& policy, v1::PricingPolicy* out,
                         std::unique_ptr<grpc::ClientContext> as = AsPricing()) {
    v1::UpdatePricingPolicyRequest request;
    *request.mutable_pricing_policy() = policy;
    request.mutable_pricing_policy()->set_name("pricingPolicy");
    request.set_etag(GetPolicy().etag());
    return policies_->UpdatePricingPolicy(as.get(), request, out);
  }

  std::unique_ptr<v1::PricingPolicyService::Stub> policies_;
};

TEST_F(PolicyTest, AuthorityBreachesAreRecordedAndApprovedOnlyWithAReason) {
  v1::PricingPolicy policy;
  auto* authority = policy.add_role_authorities();
  authority->set_role("account_manager");
  authority->set_max_discount_bps(1000);
  v1::PricingPolicy stored;
  EXPECT_EQ(SetPolicy(policy, &stored, AsAccountManager()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(SetPolicy(policy, &stored).ok());
  EXPECT_EQ(stored.updater(), "pia");
  EXPECT_EQ(stored.role_authorities_size(), 1);
  EXPECT_THAT(OutboxTypes(), Contains("accord.pricing.v1.PricingPolicyUpdated"));

  v1::PriceList list = CreateList("Base");
  // Within amy's 10%: she activates her own terms.
  v1::TradingTerms within = Submit(DraftTerms(list.name(), MakeDate(2026, 1, 1),
                                              MakeDate(2026, 6, 30), {CategoryRule("tools", 800)}));
  v1::ApproveTradingTermsRequest approve;
  approve.set_name(within.name());
  approve.set_etag(within.etag());
  v1::TradingTerms active;
  auto status = terms_->ApproveTradingTerms(AsAccountManager().get(), approve, &active);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(active.approver(), "amy");

  // 12% is beyond it.
  v1::TradingTerms beyond =
      Submit(DraftTerms(list.name(), MakeDate(2026, 7, 1), {}, {CategoryRule("tools", 1200)}));
  ASSERT_EQ(beyond.policy_breaches_size(), 1);
  EXPECT_EQ(beyond.policy_breaches(0).actual_bps(), 1200);
  approve.set_name(beyond.name());
  approve.set_etag(beyond.etag());
  status = terms_->ApproveTradingTerms(AsAccountManager().get(), approve, &active);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "SELF_APPROVAL");
  status = terms_->ApproveTradingTerms(AsPricing("pete").get(), approve, &active);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("reason"));
  approve.set_reason("Two-year volume commitment");
  status = terms_->ApproveTradingTerms(AsPricing("pete").get(), approve, &active);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(active.approval_reason(), "Two-year volume commitment");
  v1::GetTradingTermsRequest get;
  get.set_name(active.name());
  v1::TradingTerms read;
  ASSERT_TRUE(terms_->GetTradingTerms(AsSales().get(), get, &read).ok());
  EXPECT_EQ(read.policy_breaches_size(), 1);
  EXPECT_EQ(read.approval_reason(), "Two-year volume commitment");
}

TEST_F(PolicyTest, CategoryLimitsRefuseTermsAndCapQuotesAndTheMarginHoldsAFloor) {
  v1::PriceList list = CreateList("Base");
  v1::PriceListItem drill = Item("DRILL-1", "tools/power/drills", Eur(100));
  *drill.mutable_unit_cost() = Eur(85);
  Upsert(list.name(), {drill, Item("SAW-1", "tools/hand", Eur(40))});
  v1::TradingTerms active =
      ActiveTerms(list.name(), MakeDate(2026, 1, 1), {}, {CategoryRule("tools", 2000)});
  BackdateHistory();

  v1::PricingPolicy policy;
  auto* limit = policy.add_category_limits();
  limit->set_category("tools/hand");
  limit->set_max_discount_bps(1000);
  policy.set_min_margin_bps(500);
  v1::PricingPolicy stored;
  ASSERT_TRUE(SetPolicy(policy, &stored).ok());

  // Saw: 20% capped to the hand tools' 10% = 36.00. Drill: 80.00 raised to 85 + 5% = 89.25.
  v1::QuotePricing pricing;
  auto status = Price({{"SAW-1", 1}, {"DRILL-1", 1}}, &pricing, MakeDate(2026, 2, 1));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(common::FormatMoney(pricing.lines(0).unit_price()), "EUR 36.00");
  EXPECT_EQ(common::FormatMoney(pricing.lines(1).unit_price()), "EUR 89.25");
  EXPECT_EQ(pricing.lines(1).explanation().rbegin()->kind(), v1::PRICING_STEP_KIND_POLICY_CAP);
  EXPECT_EQ(common::FormatMoney(pricing.total()), "EUR 125.25");

  // New terms above a limit covering their rule are refused on submission, naming the rule.
  v1::TradingTerms draft =
      DraftTerms(list.name(), MakeDate(2027, 1, 1), {}, {CategoryRule("tools/hand/saws", 1500)});
  v1::SubmitTradingTermsRequest submit;
  submit.set_name(draft.name());
  submit.set_etag(draft.etag());
  v1::TradingTerms out;
  status = terms_->SubmitTradingTerms(AsAccountManager().get(), submit, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "POLICY_LIMIT_EXCEEDED");
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("discount_rules[0].discount_bps"));
  EXPECT_THAT(status.error_message(), HasSubstr(draft.name()));

  // Bad policies are refused field by field, and nothing changes.
  v1::PricingPolicy bad;
  bad.add_category_limits()->set_category("tools");
  bad.add_category_limits()->set_category("tools");
  status = SetPolicy(bad, &stored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::ElementsAre("pricing_policy.category_limits[1].category"));
  EXPECT_EQ(GetPolicy().category_limits(0).category(), "tools/hand");
}

TEST_F(PolicyTest, RebateStatementAddsUpTheSalesRecordedInThePeriod) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  const Date today = TodayUtc();
  v1::TradingTerms draft = DraftTerms(list.name(), MakeDate(today.year(), 1, 1));
  v1::UpdateTradingTermsRequest update;
  update.mutable_trading_terms()->set_name(draft.name());
  auto* rebate = update.mutable_trading_terms()->mutable_volume_rebate();
  rebate->set_period(v1::REBATE_PERIOD_YEAR);
  auto* tier = rebate->add_tiers();
  *tier->mutable_threshold() = Eur(500);
  tier->set_rebate_bps(300);
  tier = rebate->add_tiers();
  *tier->mutable_threshold() = Eur(5000);
  tier->set_rebate_bps(500);
  update.mutable_update_mask()->add_paths("volume_rebate");
  update.set_etag(draft.etag());
  v1::TradingTerms updated;
  auto status = terms_->UpdateTradingTerms(AsAccountManager().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::TradingTerms active;
  ASSERT_TRUE(Approve(Submit(updated), &active).ok());
  BackdateHistory();

  for (int quantity : {2, 5}) {
    v1::Sale sold;
    status = quotes_->CreateSale(AsSales().get(), DirectSale("DRILL-1", quantity), &sold);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::GetRebateStatementRequest request;
  request.set_name(account_ + "/rebateStatements/" + std::to_string(today.year()));
  v1::RebateStatement statement;
  status = quotes_->GetRebateStatement(AsAccountManager().get(), request, &statement);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(statement.sales_count(), 2);
  EXPECT_EQ(common::FormatMoney(statement.sales_total()), "EUR 700.00");
  EXPECT_EQ(statement.rebate_bps(), 300);
  EXPECT_EQ(common::FormatMoney(statement.rebate_amount()), "EUR 21.00");
  EXPECT_EQ(common::FormatMoney(statement.to_next_threshold()), "EUR 4300.00");
  EXPECT_TRUE(statement.provisional());
  EXPECT_EQ(statement.trading_terms(), active.name());
  EXPECT_GE(statement.explanation_size(), 4);

  // The terms pay per year: a quarter is refused, as is a malformed period.
  request.set_name(account_ + "/rebateStatements/" + std::to_string(today.year()) + "-Q1");
  status = quotes_->GetRebateStatement(AsSales().get(), request, &statement);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "NO_REBATE_IN_TERMS");
  request.set_name(account_ + "/rebateStatements/last-year");
  status = quotes_->GetRebateStatement(AsSales().get(), request, &statement);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// The account's tier comes from the account service's events: a key account's terms beyond
// the key tier's limit record the breach and need a pricing manager.
TEST_F(PolicyTest, TierLimitsFollowTheAccountsTierFromItsEvents) {
  v1::PricingPolicy policy;
  auto* authority = policy.add_role_authorities();
  authority->set_role("account_manager");
  authority->set_max_discount_bps(2000);
  auto* tier = policy.add_tier_limits();
  tier->set_tier("key");
  tier->set_max_discount_bps(500);
  v1::PricingPolicy stored;
  ASSERT_TRUE(SetPolicy(policy, &stored).ok());

  account::v1::GetAccountRequest get;
  get.set_name(account_);
  account::v1::Account account;
  ASSERT_TRUE(accounts_->GetAccount(AsAccountManager().get(), get, &account).ok());
  account::v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(account_);
  update.mutable_account()->set_tier(account::v1::ACCOUNT_TIER_KEY);
  update.mutable_update_mask()->add_paths("tier");
  update.set_etag(account.etag());
  auto updated = accounts_->UpdateAccount(AsAccountManager().get(), update, &account);
  ASSERT_TRUE(updated.ok()) << updated.error_message();
  const std::string account_id = account_.substr(std::string("accounts/").size());
  auto tier_seen = [&] {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction read(connection);
    auto rows = read.exec_params(
        "SELECT tier FROM pricing_terms.account_tiers WHERE account_id = $1", account_id);
    return !rows.empty() && rows[0][0].as<std::string>() == "key";
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!tier_seen() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(tier_seen());

  v1::PriceList list = CreateList("Base");
  v1::TradingTerms pending =
      Submit(DraftTerms(list.name(), MakeDate(2026, 1, 1), {}, {CategoryRule("tools", 1000)}));
  ASSERT_EQ(pending.policy_breaches_size(), 1);
  EXPECT_EQ(pending.policy_breaches(0).limit(), "tier key (5.00%)");
  v1::ApproveTradingTermsRequest approve;
  approve.set_name(pending.name());
  approve.set_etag(pending.etag());
  v1::TradingTerms active;
  auto self = terms_->ApproveTradingTerms(AsAccountManager().get(), approve, &active);
  EXPECT_EQ(self.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(self), "SELF_APPROVAL");
  approve.set_reason("Key account, three-year commitment");
  auto approved = terms_->ApproveTradingTerms(AsPricing("pete").get(), approve, &active);
  ASSERT_TRUE(approved.ok()) << approved.error_message();
  EXPECT_EQ(active.approval_reason(), "Key account, three-year commitment");
}

}  // namespace
}  // namespace accord::pricing
