// The pricing logic against an in-memory repository: permissions, the terms lifecycle and its
// four-eyes rule, superseding, the quote lifecycle, sales from quotes, batch rows.
#include "pricing_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/errors.h"
#include "fake_account_directory.h"
#include "fake_pricing_repository.h"

namespace accord::pricing {
namespace {

using common::Role;
using ::testing::ElementsAre;

constexpr char kAccountId[] = "0190a000-0000-7000-8000-0000000000aa";
constexpr char kAccount[] = "accounts/0190a000-0000-7000-8000-0000000000aa";

common::Principal As(const std::string& subject, std::vector<Role> roles) {
  common::Principal principal;
  principal.subject = subject;
  principal.roles = std::move(roles);
  return principal;
}

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& violation : common::FieldViolationsOf(status)) fields.push_back(violation.field);
  return fields;
}

class PricingLogicTest : public ::testing::Test {
 protected:
  PricingLogicTest()
      : tokens_("test-secret"),
        lists_(repository_, tokens_),
        terms_(repository_, accounts_, tokens_),
        quotes_(repository_, accounts_, tokens_),
        policy_(repository_) {
    accounts_.accounts_[kAccountId].owner = "amy";
    v1::CreatePriceListRequest create;
    create.mutable_price_list()->set_display_name("Base");
    create.mutable_price_list()->set_currency_code("EUR");
    *create.mutable_price_list()->mutable_valid_from() = MakeDate(2026, 1, 1);
    auto list = lists_.Create(pia_, create, {});
    EXPECT_TRUE(list.ok()) << list.status();
    list_ = *list;
    v1::UpdatePriceListRequest activate;
    activate.mutable_price_list()->set_name(list_.name());
    activate.mutable_price_list()->set_status(v1::PRICE_LIST_STATUS_ACTIVE);
    activate.set_etag(list_.etag());
    list_ = *lists_.Update(pia_, activate, {});
    v1::BatchUpsertPriceListItemsRequest upsert;
    upsert.set_parent(list_.name());
    auto* item = upsert.add_items();
    item->set_sku("DRILL-1");
    item->set_product_name("Drill");
    item->set_category("tools/power/drills");
    item->set_unit("each");
    *item->mutable_unit_price() = common::MakeMoney("EUR", 100);
    EXPECT_TRUE(lists_.BatchUpsertItems(erp_, upsert, {}).ok());
  }

  TradingTerms Draft(const Date& from, const Date& until = {}) {
    v1::CreateTradingTermsRequest request;
    request.set_parent(kAccount);
    request.mutable_trading_terms()->set_price_list(list_.name());
    *request.mutable_trading_terms()->mutable_valid_from() = from;
    if (IsDateSet(until)) *request.mutable_trading_terms()->mutable_valid_until() = until;
    auto* rule = request.mutable_trading_terms()->add_discount_rules();
    rule->set_category("tools");
    rule->set_discount_bps(1000);
    auto terms = terms_.Create(amy_, request, {});
    EXPECT_TRUE(terms.ok()) << terms.status();
    return *terms;
  }

  absl::StatusOr<TradingTerms> Submit(const TradingTerms& terms) {
    v1::SubmitTradingTermsRequest request;
    request.set_name(terms.name());
    request.set_etag(terms.etag());
    return terms_.Submit(amy_, request, {});
  }

  absl::StatusOr<TradingTerms> Approve(const TradingTerms& terms, const common::Principal& who,
                                       bool supersede = false) {
    v1::ApproveTradingTermsRequest request;
    request.set_name(terms.name());
    request.set_etag(terms.etag());
    request.set_supersede_current(supersede);
    return terms_.Approve(who, request, {});
  }

  // Replaces the whole policy (as pia).
  void SetPolicy(std::vector<std::pair<std::string, int>> authorities,
                 std::vector<std::pair<std::string, int>> limits, int min_margin_bps) {
    v1::UpdatePricingPolicyRequest update;
    update.mutable_pricing_policy()->set_name("pricingPolicy");
    for (const auto& [role, bps] : authorities) {
      auto* authority = update.mutable_pricing_policy()->add_role_authorities();
      authority->set_role(role);
      authority->set_max_discount_bps(bps);
    }
    for (const auto& [category, bps] : limits) {
      auto* limit = update.mutable_pricing_policy()->add_category_limits();
      limit->set_category(category);
      limit->set_max_discount_bps(bps);
    }
    update.mutable_pricing_policy()->set_min_margin_bps(min_margin_bps);
    update.set_etag(repository_.policy_.etag());
    auto updated = policy_.Update(pia_, update, {});
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  testing::FakePricingRepository repository_;
  testing::FakeAccountDirectory accounts_;
  common::PageTokenCodec tokens_;
  PriceListLogic lists_;
  TermsLogic terms_;
  QuoteLogic quotes_;
  PolicyLogic policy_;
  PriceList list_;
  common::Principal pia_ = As("pia", {Role::kPricingManager});
  common::Principal pete_ = As("pete", {Role::kPricingManager});
  common::Principal amy_ = As("amy", {Role::kAccountManager});
  common::Principal sam_ = As("sam", {Role::kSalesAssistant});
  common::Principal erp_ = As("erp", {Role::kIntegration});
  common::Principal agent_ = As("ann", {Role::kServiceAgent});
};

TEST_F(PricingLogicTest, RolesAreEnforced) {
  v1::CreatePriceListRequest create;
  for (const auto& who : {amy_, sam_, erp_, agent_}) {
    EXPECT_TRUE(absl::IsPermissionDenied(lists_.Create(who, create, {}).status()));
  }
  v1::BatchUpsertPriceListItemsRequest upsert;
  for (const auto& who : {amy_, sam_, agent_}) {
    EXPECT_TRUE(absl::IsPermissionDenied(lists_.BatchUpsertItems(who, upsert, {}).status()));
  }
  v1::CreateTradingTermsRequest terms;
  for (const auto& who : {sam_, erp_, agent_}) {
    EXPECT_TRUE(absl::IsPermissionDenied(terms_.Create(who, terms, {}).status()));
  }
  v1::CreateQuoteRequest quote;
  for (const auto& who : {erp_, agent_}) {
    EXPECT_TRUE(absl::IsPermissionDenied(quotes_.Create(who, quote, {}).status()));
  }
  v1::CreateSaleRequest sale;
  for (const auto& who : {pia_, erp_, agent_}) {
    EXPECT_TRUE(absl::IsPermissionDenied(quotes_.CreateSale(who, sale, {}).status()));
  }
  // Every role reads.
  v1::GetPriceListRequest get;
  get.set_name(list_.name());
  EXPECT_TRUE(lists_.Get(agent_, get).ok());
}

TEST_F(PricingLogicTest, AuthorCannotApproveAndNothingChanges) {
  auto pending = Submit(Draft(MakeDate(2026, 1, 1)));
  ASSERT_TRUE(pending.ok());
  auto self = Approve(*pending, As("amy", {Role::kPricingManager, Role::kAccountManager}));
  EXPECT_TRUE(absl::IsPermissionDenied(self.status()));
  EXPECT_EQ(common::ReasonOf(self.status()), "SELF_APPROVAL");
  EXPECT_EQ(repository_.terms_[pending->name()].status(),
            v1::TRADING_TERMS_STATUS_PENDING_APPROVAL);
  auto approved = Approve(*pending, pete_);
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->approver(), "pete");
  EXPECT_EQ(repository_.last_event_, "TradingTermsApproved");
}

TEST_F(PricingLogicTest, SupersedingCutsOnlyEarlierActiveTerms) {
  auto first = Approve(*Submit(Draft(MakeDate(2026, 1, 1))), pete_);
  ASSERT_TRUE(first.ok());
  auto second = Submit(Draft(MakeDate(2026, 7, 1), MakeDate(2026, 12, 31)));
  ASSERT_TRUE(second.ok());
  auto approved = Approve(*second, pete_, /*supersede=*/true);
  ASSERT_TRUE(approved.ok());
  const auto& old = repository_.terms_[first->name()];
  EXPECT_EQ(old.status(), v1::TRADING_TERMS_STATUS_SUPERSEDED);
  EXPECT_EQ(DateText(old.valid_until()), "2026-06-30");
  // Terms starting the same day or later are not cut (the database would refuse the overlap).
  auto third = Submit(Draft(MakeDate(2026, 7, 1)));
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(Approve(*third, pete_, /*supersede=*/true).ok());
  EXPECT_EQ(repository_.terms_[approved->name()].status(), v1::TRADING_TERMS_STATUS_ACTIVE);
}

TEST_F(PricingLogicTest, TransitionsAndEtags) {
  TradingTerms draft = Draft(MakeDate(2026, 1, 1));
  v1::SubmitTradingTermsRequest submit;
  submit.set_name(draft.name());
  submit.set_etag("41");
  EXPECT_TRUE(absl::IsAborted(terms_.Submit(amy_, submit, {}).status()));
  submit.clear_etag();
  EXPECT_THAT(Fields(terms_.Submit(amy_, submit, {}).status()), ElementsAre("etag"));
  auto pending = Submit(draft);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(common::ReasonOf(Submit(*pending).status()), "ILLEGAL_STATUS_TRANSITION");
  v1::ExpireTradingTermsRequest expire;
  expire.set_name(pending->name());
  expire.set_etag(pending->etag());
  *expire.mutable_last_day() = MakeDate(2026, 2, 1);
  EXPECT_EQ(common::ReasonOf(terms_.Expire(pia_, expire, {}).status()),
            "ILLEGAL_STATUS_TRANSITION");
}

TEST_F(PricingLogicTest, QuoteLifecycleAndSaleFromQuote) {
  ASSERT_TRUE(Approve(*Submit(Draft(MakeDate(2026, 1, 1))), pete_).ok());
  v1::CreateQuoteRequest create;
  create.mutable_quote()->set_account(kAccount);
  *create.mutable_quote()->mutable_expire_date() = MakeDate(2026, 3, 1);
  *create.mutable_price_date() = MakeDate(2026, 2, 1);
  auto* line = create.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(3);
  auto quote = quotes_.Create(sam_, create, {});
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(common::FormatMoney(quote->pricing().total()), "EUR 270.00");
  EXPECT_EQ(quote->author(), "sam");

  v1::CreateSaleRequest sell;
  sell.mutable_sale()->set_account(kAccount);
  sell.mutable_sale()->set_quote(quote->name());
  sell.mutable_sale()->set_payment_method(v1::PAYMENT_METHOD_INVOICE);
  sell.mutable_sale()->mutable_delivery()->set_method(v1::DELIVERY_METHOD_SHIP);
  EXPECT_EQ(common::ReasonOf(quotes_.CreateSale(sam_, sell, {}).status()), "QUOTE_NOT_ACCEPTED");

  v1::UpdateQuoteRequest update;
  update.mutable_quote()->set_name(quote->name());
  update.mutable_quote()->set_status(v1::QUOTE_STATUS_SENT);
  update.set_etag(quote->etag());
  auto sent = quotes_.Update(sam_, update, {});
  ASSERT_TRUE(sent.ok());
  // Accepting compares today with expire_date: move it out so the test does not depend on
  // the clock.
  update.mutable_quote()->set_status(v1::QUOTE_STATUS_ACCEPTED);
  *update.mutable_quote()->mutable_expire_date() = MakeDate(9999, 1, 1);
  update.mutable_update_mask()->add_paths("status");
  update.mutable_update_mask()->add_paths("expire_date");
  update.set_etag(sent->etag());
  auto accepted = quotes_.Update(sam_, update, {});
  ASSERT_TRUE(accepted.ok()) << accepted.status();

  accounts_.accounts_["0190a000-0000-7000-8000-0000000000bb"].owner = "ola";
  sell.mutable_sale()->set_account("accounts/0190a000-0000-7000-8000-0000000000bb");
  EXPECT_THAT(Fields(quotes_.CreateSale(sam_, sell, {}).status()), ElementsAre("sale.account"));
  sell.mutable_sale()->set_account(kAccount);
  auto sale = quotes_.CreateSale(sam_, sell, {});
  ASSERT_TRUE(sale.ok()) << sale.status();
  EXPECT_EQ(sale->pricing().SerializeAsString(), quote->pricing().SerializeAsString());
  EXPECT_EQ(sale->agent(), "sam");
  EXPECT_EQ(common::ReasonOf(quotes_.CreateSale(sam_, sell, {}).status()), "QUOTE_ALREADY_SOLD");
}

TEST_F(PricingLogicTest, BatchRowsFailAloneAndRetiredListsRefuseAll) {
  v1::BatchUpsertPriceListItemsRequest upsert;
  upsert.set_parent(list_.name());
  auto* good = upsert.add_items();
  good->set_sku("SAW-1");
  good->set_product_name("Saw");
  good->set_unit("each");
  *good->mutable_unit_price() = common::MakeMoney("EUR", 50);
  auto* bad = upsert.add_items();
  *bad = *good;
  bad->set_sku("HAMMER");
  *bad->mutable_unit_price() = common::MakeMoney("USD", 5);
  auto response = lists_.BatchUpsertItems(erp_, upsert, {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->upserted_count(), 1);
  EXPECT_TRUE(response->results(0).created());
  EXPECT_EQ(response->results(1).status().code(), 3);
  EXPECT_EQ(repository_.items_[list_.name()].count("HAMMER"), 0u);

  v1::UpdatePriceListRequest retire;
  retire.mutable_price_list()->set_name(list_.name());
  retire.mutable_price_list()->set_status(v1::PRICE_LIST_STATUS_RETIRED);
  retire.set_etag(repository_.lists_[list_.name()].etag());
  ASSERT_TRUE(lists_.Update(pia_, retire, {}).ok());
  EXPECT_EQ(common::ReasonOf(lists_.BatchUpsertItems(erp_, upsert, {}).status()),
            "PRICE_LIST_RETIRED");
  // Terms cannot be drafted against a retired list.
  v1::CreateTradingTermsRequest request;
  request.set_parent(kAccount);
  request.mutable_trading_terms()->set_price_list(list_.name());
  *request.mutable_trading_terms()->mutable_valid_from() = MakeDate(2026, 1, 1);
  EXPECT_THAT(Fields(terms_.Create(amy_, request, {}).status()),
              ElementsAre("trading_terms.price_list"));
}

TEST_F(PricingLogicTest, DerivedListMustShareTheBaseCurrency) {
  v1::CreatePriceListRequest create;
  create.mutable_price_list()->set_display_name("US");
  create.mutable_price_list()->set_currency_code("USD");
  *create.mutable_price_list()->mutable_valid_from() = MakeDate(2026, 1, 1);
  create.mutable_price_list()->set_base_price_list(list_.name());
  auto refused = lists_.Create(pia_, create, {});
  EXPECT_EQ(common::ReasonOf(refused.status()), "CURRENCY_MISMATCH");
  EXPECT_THAT(Fields(refused.status()), ElementsAre("price_list.base_price_list"));
  create.mutable_price_list()->set_currency_code("EUR");
  *create.mutable_price_list()->mutable_rounding_step() = common::MakeMoney("EUR", 0, 1000);
  EXPECT_THAT(Fields(lists_.Create(pia_, create, {}).status()),
              ElementsAre("price_list.rounding_step"));
}

TEST_F(PricingLogicTest, WritesNameOnlyLiveAccountsAndAccountManagersTheirOwn) {
  const std::string other = "0190a000-0000-7000-8000-0000000000cc";
  const size_t terms_before = repository_.terms_.size();
  v1::CreateTradingTermsRequest request;
  request.set_parent("accounts/" + other);
  request.mutable_trading_terms()->set_price_list(list_.name());
  *request.mutable_trading_terms()->mutable_valid_from() = MakeDate(2026, 1, 1);

  // Missing, deleted, merged: each its own answer, nothing written.
  auto missing = terms_.Create(pia_, request, {});
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(common::ReasonOf(missing.status()), "ACCOUNT_NOT_FOUND");
  accounts_.accounts_[other].deleted = true;
  EXPECT_TRUE(absl::IsNotFound(terms_.Create(pia_, request, {}).status()));
  accounts_.accounts_[other] = {"ola", {}, "accounts/survivor", false};
  auto merged = terms_.Create(pia_, request, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(merged.status()));
  EXPECT_EQ(common::ReasonOf(merged.status()), "ACCOUNT_MERGED");
  EXPECT_EQ(common::MetadataOf(merged.status(), "merged_into"), "accounts/survivor");

  // Live but owned by "ola": a pricing manager may draft, amy (not on the team) may not, until
  // she joins the team.
  accounts_.accounts_[other].merged_into.clear();
  auto denied = terms_.Create(amy_, request, {});
  EXPECT_TRUE(absl::IsPermissionDenied(denied.status()));
  EXPECT_EQ(common::ReasonOf(denied.status()), "NOT_ON_ACCOUNT_TEAM");
  EXPECT_EQ(repository_.terms_.size(), terms_before);
  ASSERT_TRUE(terms_.Create(pia_, request, {}).ok());
  accounts_.accounts_[other].team.insert("amy");
  auto drafted = terms_.Create(amy_, request, {});
  ASSERT_TRUE(drafted.ok()) << drafted.status();

  // Submitting re-checks the team (amy has left it); a sales assistant quotes for any account,
  // an account manager only for its own.
  accounts_.accounts_[other].team.clear();
  v1::SubmitTradingTermsRequest submit;
  submit.set_name(drafted->name());
  submit.set_etag(drafted->etag());
  EXPECT_EQ(common::ReasonOf(terms_.Submit(amy_, submit, {}).status()), "NOT_ON_ACCOUNT_TEAM");
  v1::CreateQuoteRequest quote;
  quote.mutable_quote()->set_account("accounts/" + other);
  *quote.mutable_quote()->mutable_expire_date() = MakeDate(2026, 3, 1);
  *quote.mutable_price_date() = MakeDate(2026, 2, 1);
  quote.set_price_list(list_.name());
  auto* line = quote.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(1);
  EXPECT_EQ(common::ReasonOf(quotes_.Create(amy_, quote, {}).status()), "NOT_ON_ACCOUNT_TEAM");
  EXPECT_TRUE(quotes_.Create(sam_, quote, {}).ok());
}

TEST_F(PricingLogicTest, AccountServiceDownFailsOnlyTheWritesThatNeedIt) {
  auto approved = Approve(*Submit(Draft(MakeDate(2026, 1, 1))), pete_);
  ASSERT_TRUE(approved.ok());
  accounts_.down_ = true;
  const int calls = accounts_.calls_;
  v1::CreateTradingTermsRequest create;
  create.set_parent(kAccount);
  create.mutable_trading_terms()->set_price_list(list_.name());
  *create.mutable_trading_terms()->mutable_valid_from() = MakeDate(2027, 1, 1);
  EXPECT_TRUE(absl::IsUnavailable(terms_.Create(pia_, create, {}).status()));
  v1::CreateQuoteRequest quote;
  quote.mutable_quote()->set_account(kAccount);
  *quote.mutable_quote()->mutable_expire_date() = MakeDate(2026, 3, 1);
  *quote.mutable_price_date() = MakeDate(2026, 2, 1);
  auto* line = quote.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(2);
  EXPECT_TRUE(absl::IsUnavailable(quotes_.Create(sam_, quote, {}).status()));
  const int calls_of_writes = accounts_.calls_ - calls;
  EXPECT_EQ(calls_of_writes, 2);

  // Reads and pricing never ask the account service.
  v1::GetTradingTermsRequest get;
  get.set_name(approved->name());
  EXPECT_TRUE(terms_.Get(amy_, get).ok());
  v1::PriceQuoteRequest price;
  price.set_account(kAccount);
  *price.mutable_price_date() = MakeDate(2026, 2, 1);
  *price.add_lines() = quote.lines(0);
  auto priced = quotes_.Price(sam_, price);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(common::FormatMoney(priced->total()), "EUR 180.00");
  EXPECT_EQ(accounts_.calls_ - calls, calls_of_writes);
}

TEST_F(PricingLogicTest, PolicyIsReadByAllAndChangedByPricingManagersWithEtags) {
  v1::GetPricingPolicyRequest get;
  get.set_name("pricingPolicy");
  ASSERT_TRUE(policy_.Get(agent_, get).ok());
  get.set_name("policy");
  EXPECT_THAT(Fields(policy_.Get(agent_, get).status()), ElementsAre("name"));

  v1::UpdatePricingPolicyRequest update;
  update.mutable_pricing_policy()->set_name("pricingPolicy");
  update.set_etag("1");
  auto* authority = update.mutable_pricing_policy()->add_role_authorities();
  authority->set_role("admin");
  authority->set_max_discount_bps(10001);
  auto* limit = update.mutable_pricing_policy()->add_category_limits();
  limit->set_category("Tools");
  update.mutable_pricing_policy()->set_min_margin_bps(-1);
  EXPECT_TRUE(absl::IsPermissionDenied(policy_.Update(amy_, update, {}).status()));
  EXPECT_THAT(
      Fields(policy_.Update(pia_, update, {}).status()),
      ElementsAre("pricing_policy.role_authorities[0].role",
                  "pricing_policy.role_authorities[0].max_discount_bps",
                  "pricing_policy.category_limits[0].category", "pricing_policy.min_margin_bps"));
  EXPECT_EQ(repository_.policy_.etag(), "1");
  SetPolicy({{"account_manager", 1000}}, {{"tools/power", 800}}, 500);
  EXPECT_EQ(repository_.policy_.updater(), "pia");
  EXPECT_EQ(repository_.last_event_, "PricingPolicyUpdated");
  update.Clear();
  update.mutable_pricing_policy()->set_name("pricingPolicy");
  update.set_etag("1");  // stale now
  EXPECT_TRUE(absl::IsAborted(policy_.Update(pia_, update, {}).status()));
}

TEST_F(PricingLogicTest, AuthorActivatesTermsWithinItsAuthorityAndBeyondItAnotherGivesAReason) {
  SetPolicy({{"account_manager", 1000}}, {}, 0);
  // 10% (the Draft helper's rule) is within amy's 10%: she activates her own terms.
  auto pending = Submit(Draft(MakeDate(2026, 1, 1), MakeDate(2026, 6, 30)));
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->submitter(), "amy");
  EXPECT_EQ(pending->policy_breaches_size(), 0);
  auto own = Approve(*pending, amy_);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->approver(), "amy");

  // 15% is beyond it: recorded on submission, refused to amy, and approved by pete only with a
  // reason, which is kept.
  TradingTerms draft = Draft(MakeDate(2026, 7, 1));
  v1::UpdateTradingTermsRequest change;
  change.mutable_trading_terms()->set_name(draft.name());
  auto* rule = change.mutable_trading_terms()->add_discount_rules();
  rule->set_category("tools");
  rule->set_discount_bps(1500);
  change.mutable_update_mask()->add_paths("discount_rules");
  change.set_etag(draft.etag());
  ASSERT_TRUE(terms_.Update(amy_, change, {}).ok());
  draft = repository_.terms_[draft.name()];
  auto beyond = Submit(draft);
  ASSERT_TRUE(beyond.ok()) << beyond.status();
  ASSERT_EQ(beyond->policy_breaches_size(), 1);
  EXPECT_EQ(beyond->policy_breaches(0).field(), "discount_rules[0].discount_bps");
  EXPECT_EQ(beyond->policy_breaches(0).allowed_bps(), 1000);
  EXPECT_EQ(beyond->policy_breaches(0).actual_bps(), 1500);
  EXPECT_EQ(common::ReasonOf(Approve(*beyond, amy_).status()), "SELF_APPROVAL");
  auto no_reason = Approve(*beyond, pete_);
  EXPECT_THAT(Fields(no_reason.status()), ElementsAre("reason"));
  v1::ApproveTradingTermsRequest approve;
  approve.set_name(beyond->name());
  approve.set_etag(beyond->etag());
  approve.set_reason("Volume commitment of 2000 units a year");
  auto approved = terms_.Approve(pete_, approve, {});
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->approval_reason(), "Volume commitment of 2000 units a year");
  EXPECT_EQ(approved->policy_breaches_size(), 1);
}

TEST_F(PricingLogicTest, TermsBeyondTheirAccountsTierLimitNeedAPricingManager) {
  v1::UpdatePricingPolicyRequest update;
  update.mutable_pricing_policy()->set_name("pricingPolicy");
  auto* authority = update.mutable_pricing_policy()->add_role_authorities();
  authority->set_role("account_manager");
  authority->set_max_discount_bps(2000);
  auto* tier = update.mutable_pricing_policy()->add_tier_limits();
  tier->set_tier("gold");
  tier->set_max_discount_bps(500);
  update.mutable_update_mask()->add_paths("role_authorities");
  update.mutable_update_mask()->add_paths("tier_limits");
  update.set_etag(repository_.policy_.etag());
  EXPECT_THAT(Fields(policy_.Update(pia_, update, {}).status()),
              ElementsAre("pricing_policy.tier_limits[0].tier"));
  tier->set_tier("key");
  ASSERT_TRUE(policy_.Update(pia_, update, {}).ok());

  // A key account: the Draft helper's 10% is within amy's 20% but beyond the tier's 5%.
  repository_.tiers_[kAccountId] = "key";
  auto pending = Submit(Draft(MakeDate(2026, 1, 1), MakeDate(2026, 6, 30)));
  ASSERT_TRUE(pending.ok()) << pending.status();
  ASSERT_EQ(pending->policy_breaches_size(), 1);
  EXPECT_EQ(pending->policy_breaches(0).limit(), "tier key (5.00%)");
  EXPECT_EQ(pending->policy_breaches(0).allowed_bps(), 500);
  EXPECT_EQ(pending->policy_breaches(0).actual_bps(), 1000);
  EXPECT_EQ(common::ReasonOf(Approve(*pending, amy_).status()), "SELF_APPROVAL");
  EXPECT_THAT(Fields(Approve(*pending, pete_).status()), ElementsAre("reason"));
  v1::ApproveTradingTermsRequest approve;
  approve.set_name(pending->name());
  approve.set_etag(pending->etag());
  approve.set_reason("Key account, three-year commitment");
  ASSERT_TRUE(terms_.Approve(pete_, approve, {}).ok());

  // A strategic account has no tier limit here: amy activates her own terms.
  repository_.tiers_[kAccountId] = "strategic";
  auto unlimited = Submit(Draft(MakeDate(2026, 7, 1)));
  ASSERT_TRUE(unlimited.ok()) << unlimited.status();
  EXPECT_EQ(unlimited->policy_breaches_size(), 0);
  EXPECT_TRUE(Approve(*unlimited, amy_).ok());
}

TEST_F(PricingLogicTest, ApproversAreHeldToTheirAuthorityAndCategoryLimitsToEveryone) {
  SetPolicy({{"pricing_manager", 500}}, {}, 0);
  auto pending = Submit(Draft(MakeDate(2026, 1, 1)));
  ASSERT_TRUE(pending.ok());
  // Without an authority of her own amy never activates her terms (four eyes).
  EXPECT_EQ(common::ReasonOf(Approve(*pending, amy_).status()), "SELF_APPROVAL");
  auto above = Approve(*pending, pete_);
  EXPECT_TRUE(absl::IsPermissionDenied(above.status()));
  EXPECT_EQ(common::ReasonOf(above.status()), "ABOVE_APPROVAL_AUTHORITY");
  EXPECT_EQ(repository_.terms_[pending->name()].status(),
            v1::TRADING_TERMS_STATUS_PENDING_APPROVAL);
  ASSERT_TRUE(Approve(*pending, As("root", {Role::kAdmin})).ok());

  // A category limit covering the rule's scope refuses the terms on submission (the drill rule
  // of 10% under a tools limit of 8%); a limit on a subcategory only caps quotes.
  SetPolicy({}, {{"tools", 800}}, 0);
  auto refused = Submit(Draft(MakeDate(2027, 1, 1)));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_EQ(common::ReasonOf(refused.status()), "POLICY_LIMIT_EXCEEDED");
  EXPECT_THAT(Fields(refused.status()), ElementsAre("discount_rules[0].discount_bps"));
  SetPolicy({}, {{"tools/power", 800}}, 0);
  v1::PriceQuoteRequest price;
  price.set_account(kAccount);
  *price.mutable_price_date() = MakeDate(2026, 2, 1);
  auto* line = price.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(1);
  auto priced = quotes_.Price(sam_, price);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(common::FormatMoney(priced->total()), "EUR 92.00");
  EXPECT_EQ(priced->lines(0).explanation().rbegin()->kind(), v1::PRICING_STEP_KIND_POLICY_CAP);
}

TEST_F(PricingLogicTest, NewDiscountKindsEarlyPaymentAndRebatesAreValidatedFieldByField) {
  v1::CreateTradingTermsRequest request;
  request.set_parent(kAccount);
  auto* terms = request.mutable_trading_terms();
  terms->set_price_list(list_.name());
  *terms->mutable_valid_from() = MakeDate(2026, 1, 1);
  auto* amount_with_bps = terms->add_discount_rules();
  amount_with_bps->set_sku("DRILL-1");
  amount_with_bps->set_kind(v1::DISCOUNT_KIND_AMOUNT_OFF);
  amount_with_bps->set_discount_bps(100);
  auto* promotion = terms->add_discount_rules();
  promotion->set_category("tools");
  promotion->set_discount_bps(100);
  *promotion->mutable_promotion_start() = MakeDate(2026, 6, 30);
  *promotion->mutable_promotion_end() = MakeDate(2026, 6, 1);
  promotion->add_bundle_skus("SAW-1");
  promotion->add_bundle_skus("SAW-1");
  terms->set_payment_net_days(30);
  terms->set_early_payment_discount_bps(200);
  terms->set_early_payment_days(45);
  auto* rebate = terms->mutable_volume_rebate();
  auto* low = rebate->add_tiers();
  *low->mutable_threshold() = common::MakeMoney("EUR", 1000);
  low->set_rebate_bps(300);
  auto* high = rebate->add_tiers();
  *high->mutable_threshold() = common::MakeMoney("EUR", 500);
  high->set_rebate_bps(200);
  EXPECT_THAT(Fields(terms_.Create(amy_, request, {}).status()),
              ElementsAre("trading_terms.discount_rules[0].discount_bps",
                          "trading_terms.discount_rules[0].amount",
                          "trading_terms.discount_rules[1].promotion_end",
                          "trading_terms.discount_rules[1].bundle_skus[1]",
                          "trading_terms.early_payment_days", "trading_terms.volume_rebate.period",
                          "trading_terms.volume_rebate.tiers[1]"));
  // An amount in another currency than the list's is a currency mismatch.
  terms->clear_discount_rules();
  terms->set_early_payment_days(10);
  terms->clear_volume_rebate();
  auto* usd = terms->add_discount_rules();
  usd->set_sku("DRILL-1");
  usd->set_kind(v1::DISCOUNT_KIND_FIXED_PRICE);
  *usd->mutable_amount() = common::MakeMoney("USD", 80);
  auto mismatch = terms_.Create(amy_, request, {});
  EXPECT_EQ(common::ReasonOf(mismatch.status()), "CURRENCY_MISMATCH");
  *usd->mutable_amount() = common::MakeMoney("EUR", 80);
  auto created = terms_.Create(amy_, request, {});
  ASSERT_TRUE(created.ok()) << created.status();
  // A fixed price cannot be measured against a percentage authority: it is 100% for approvals.
  EXPECT_EQ(LargestDiscount(*created), 10000);
}

}  // namespace
}  // namespace accord::pricing
