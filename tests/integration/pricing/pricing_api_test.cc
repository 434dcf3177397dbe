// The pricing-terms service end to end: a real gRPC channel to an in-process service backed by
// a fresh database on the shared test Postgres and the shared Redis (pricing_fixture.h).
#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(PricingApiTest, PriceListLifecycleWithEtagsAndTransitions) {
  v1::PriceList list = CreateList("Trade 2026", /*activate=*/false);
  EXPECT_THAT(list.name(), ::testing::StartsWith("priceLists/"));
  EXPECT_EQ(list.status(), v1::PRICE_LIST_STATUS_DRAFT);
  EXPECT_EQ(list.author(), "pia");

  v1::PriceList read;
  v1::GetPriceListRequest get;
  get.set_name(list.name());
  ASSERT_TRUE(lists_->GetPriceList(AsSales().get(), get, &read).ok());
  EXPECT_EQ(read.display_name(), "Trade 2026");

  v1::UpdatePriceListRequest rename;
  rename.mutable_price_list()->set_name(list.name());
  rename.mutable_price_list()->set_display_name("Trade 2026 (EU)");
  rename.mutable_update_mask()->add_paths("display_name");
  rename.set_etag(list.etag());
  v1::PriceList renamed;
  ASSERT_TRUE(lists_->UpdatePriceList(AsPricing().get(), rename, &renamed).ok());
  EXPECT_NE(renamed.etag(), list.etag());
  // The same etag again is stale now.
  auto stale = lists_->UpdatePriceList(AsPricing().get(), rename, &renamed);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);

  v1::PriceList active = SetListStatus(renamed, v1::PRICE_LIST_STATUS_ACTIVE);
  EXPECT_EQ(active.status(), v1::PRICE_LIST_STATUS_ACTIVE);
  grpc::Status back;
  SetListStatus(active, v1::PRICE_LIST_STATUS_DRAFT, &back);
  EXPECT_EQ(back.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(back), "ILLEGAL_STATUS_TRANSITION");

  v1::UpdatePriceListRequest immutable = rename;
  immutable.mutable_update_mask()->set_paths(0, "currency_code");
  immutable.set_etag(active.etag());
  auto refused = lists_->UpdatePriceList(AsPricing().get(), immutable, &renamed);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(refused), ElementsAre("update_mask"));

  v1::ListPriceListsRequest list_request;
  list_request.set_filter("status = ACTIVE AND display_name:eu");
  v1::ListPriceListsResponse listed;
  ASSERT_TRUE(lists_->ListPriceLists(AsSales().get(), list_request, &listed).ok());
  ASSERT_EQ(listed.price_lists_size(), 1);
  EXPECT_EQ(listed.price_lists(0).name(), list.name());

  EXPECT_THAT(OutboxTypes(), ElementsAre("accord.pricing.v1.PriceListCreated",
                                         "accord.pricing.v1.PriceListUpdated",
                                         "accord.pricing.v1.PriceListUpdated"));
}

TEST_F(PricingApiTest, PriceListBadInputAndPermissions) {
  v1::CreatePriceListRequest request;
  request.mutable_price_list()->set_currency_code("eur");
  request.mutable_price_list()->set_adjustment_bps(-500);
  *request.mutable_price_list()->mutable_valid_from() = MakeDate(2026, 2, 30);
  v1::PriceList out;
  auto status = lists_->CreatePriceList(AsPricing().get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::UnorderedElementsAre(
                                          "price_list.display_name", "price_list.currency_code",
                                          "price_list.valid_from", "price_list.adjustment_bps"));

  request.mutable_price_list()->set_display_name("x");
  request.mutable_price_list()->set_currency_code("EUR");
  request.mutable_price_list()->set_adjustment_bps(0);
  *request.mutable_price_list()->mutable_valid_from() = MakeDate(2026, 2, 1);
  status = lists_->CreatePriceList(AsAccountManager().get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = lists_->CreatePriceList(ContextAs("erp", {Role::kIntegration}).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::GetPriceListRequest get;
  get.set_name("priceLists/" + common::NewUuidV7());
  EXPECT_EQ(lists_->GetPriceList(AsSales().get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_name("priceLists/not-a-uuid");
  EXPECT_EQ(lists_->GetPriceList(AsSales().get(), get, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PricingApiTest, BatchUpsertReportsEachRowAndIsIdempotent) {
  v1::PriceList list = CreateList("Base");
  auto bad_currency = Item("SAW-1", "tools/power/saws", MakeMoney("USD", 90));
  auto no_name = Item("HAMMER", "tools/hand", Eur(20));
  no_name.clear_product_name();
  const std::string request_id = common::NewUuidV7();
  auto response = Upsert(list.name(),
                         {Item("DRILL-1", "tools/power/drills", Eur(129, 90)), bad_currency,
                          no_name, Item("DRILL-1", "tools/power/drills", Eur(1))},
                         nullptr, request_id);
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_EQ(response.upserted_count(), 1);
  EXPECT_EQ(response.failed_count(), 3);
  EXPECT_EQ(response.results(0).status().code(), 0);
  EXPECT_TRUE(response.results(0).created());
  EXPECT_EQ(response.results(0).item().name(), list.name() + "/items/DRILL-1");
  EXPECT_EQ(response.results(1).status().code(), 3);
  EXPECT_EQ(response.results(2).status().code(), 3);
  EXPECT_EQ(response.results(3).status().code(), 3);  // the SKU appears earlier in the batch

  // The retry returns the first answer and writes nothing.
  auto retried = Upsert(list.name(),
                        {Item("DRILL-1", "tools/power/drills", Eur(129, 90)), bad_currency, no_name,
                         Item("DRILL-1", "tools/power/drills", Eur(1))},
                        nullptr, request_id);
  EXPECT_EQ(retried.SerializeAsString(), response.SerializeAsString());

  auto second = Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(119)),
                                     Item("SAW-1", "tools/power/saws", Eur(90))});
  EXPECT_FALSE(second.results(0).created());
  EXPECT_TRUE(second.results(1).created());
  EXPECT_EQ(common::FormatMoney(second.results(0).item().unit_price()), "EUR 119.00");

  v1::ListPriceListItemsRequest list_items;
  list_items.set_parent(list.name());
  list_items.set_page_size(1);
  list_items.set_filter("category:power");
  std::vector<std::string> skus;
  do {
    v1::ListPriceListItemsResponse page;
    ASSERT_TRUE(lists_->ListPriceListItems(AsSales().get(), list_items, &page).ok());
    for (const auto& item : page.items()) skus.push_back(item.sku());
    list_items.set_page_token(page.next_page_token());
  } while (!list_items.page_token().empty());
  EXPECT_THAT(skus, ElementsAre("DRILL-1", "SAW-1"));

  // One event per batch (a new version of the list), not one per row; the replay none.
  auto types = OutboxTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "accord.pricing.v1.PriceListItemsUpserted"), 2);

  v1::BatchUpsertPriceListItemsRequest denied;
  denied.set_parent(list.name());
  *denied.add_items() = Item("X", "", Eur(1));
  v1::BatchUpsertPriceListItemsResponse ignored;
  EXPECT_EQ(lists_->BatchUpsertPriceListItems(AsSales().get(), denied, &ignored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Each batch made a new version of the list: its etag moved on.
  v1::GetPriceListRequest get;
  get.set_name(list.name());
  v1::PriceList current;
  ASSERT_TRUE(lists_->GetPriceList(AsSales().get(), get, &current).ok());
  EXPECT_NE(current.etag(), list.etag());
  SetListStatus(current, v1::PRICE_LIST_STATUS_RETIRED);
  grpc::Status retired;
  Upsert(list.name(), {Item("X", "", Eur(1))}, &retired);
  EXPECT_EQ(retired.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(retired), "PRICE_LIST_RETIRED");
}

TEST_F(PricingApiTest, TermsNeedApprovalByAnotherPerson) {
  v1::PriceList list = CreateList("Base");
  v1::TradingTerms draft = DraftTerms(list.name(), MakeDate(2026, 1, 1));
  EXPECT_EQ(draft.status(), v1::TRADING_TERMS_STATUS_DRAFT);
  EXPECT_EQ(draft.author(), "amy");
  EXPECT_EQ(draft.currency_code(), "EUR");

  // Pending terms cannot be approved before submission.
  v1::TradingTerms out;
  auto early = Approve(draft, &out);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(early), "ILLEGAL_STATUS_TRANSITION");

  v1::TradingTerms pending = Submit(draft);
  EXPECT_EQ(pending.status(), v1::TRADING_TERMS_STATUS_PENDING_APPROVAL);
  // Not by an account manager; not by its author even with the pricing_manager role.
  v1::ApproveTradingTermsRequest request;
  request.set_name(pending.name());
  request.set_etag(pending.etag());
  EXPECT_EQ(terms_->ApproveTradingTerms(AsAccountManager().get(), request, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto self = terms_->ApproveTradingTerms(
      ContextAs("amy", {Role::kAccountManager, Role::kPricingManager}).get(), request, &out);
  EXPECT_EQ(self.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(self), "SELF_APPROVAL");

  ASSERT_TRUE(Approve(pending, &out).ok());
  EXPECT_EQ(out.status(), v1::TRADING_TERMS_STATUS_ACTIVE);
  EXPECT_EQ(out.approver(), "pete");
  EXPECT_TRUE(out.has_approve_time());

  // Active terms no longer change.
  v1::UpdateTradingTermsRequest update;
  update.mutable_trading_terms()->set_name(out.name());
  update.mutable_trading_terms()->set_payment_net_days(60);
  update.mutable_update_mask()->add_paths("payment_net_days");
  update.set_etag(out.etag());
  v1::TradingTerms changed;
  auto frozen = terms_->UpdateTradingTerms(AsAccountManager().get(), update, &changed);
  EXPECT_EQ(frozen.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(frozen), "TERMS_NOT_DRAFT");
}

TEST_F(PricingApiTest, RejectedTermsReturnToDraftAndChange) {
  v1::PriceList list = CreateList("Base");
  v1::TradingTerms pending = Submit(DraftTerms(list.name(), MakeDate(2026, 1, 1)));
  v1::RejectTradingTermsRequest reject;
  reject.set_name(pending.name());
  reject.set_etag(pending.etag());
  v1::TradingTerms rejected;
  auto no_reason = terms_->RejectTradingTerms(AsPricing().get(), reject, &rejected);
  EXPECT_THAT(ViolatedFields(no_reason), ElementsAre("reason"));
  reject.set_reason("30 days is too long for this tier");
  ASSERT_TRUE(terms_->RejectTradingTerms(AsPricing().get(), reject, &rejected).ok());
  EXPECT_EQ(rejected.status(), v1::TRADING_TERMS_STATUS_DRAFT);
  EXPECT_EQ(rejected.rejection_reason(), "30 days is too long for this tier");

  v1::UpdateTradingTermsRequest update;
  update.mutable_trading_terms()->set_name(rejected.name());
  update.mutable_trading_terms()->set_payment_net_days(14);
  update.mutable_update_mask()->add_paths("payment_net_days");
  update.set_etag("999");
  v1::TradingTerms changed;
  EXPECT_EQ(terms_->UpdateTradingTerms(AsAccountManager().get(), update, &changed).error_code(),
            grpc::StatusCode::ABORTED);
  update.set_etag(rejected.etag());
  ASSERT_TRUE(terms_->UpdateTradingTerms(AsAccountManager().get(), update, &changed).ok());
  EXPECT_EQ(changed.payment_net_days(), 14);
}

TEST_F(PricingApiTest, TermsBadInputIsNamedField) {
  v1::PriceList list = CreateList("Base");
  v1::CreateTradingTermsRequest request;
  request.set_parent(account_);
  auto* terms = request.mutable_trading_terms();
  terms->set_price_list(list.name());
  *terms->add_discount_rules() = CategoryRule("tools", 500);
  *terms->add_discount_rules() = CategoryRule("tools", 700);
  *terms->add_discount_rules() = CategoryRule("Tools!", 0);
  terms->set_payment_net_days(-1);
  v1::TradingTerms out;
  auto status = terms_->CreateTradingTerms(AsAccountManager().get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::UnorderedElementsAre(
                  "trading_terms.discount_rules[1]", "trading_terms.discount_rules[2].category",
                  "trading_terms.discount_rules[2].discount_bps", "trading_terms.payment_net_days",
                  "trading_terms.valid_from"));

  // Amounts in another currency than the list's.
  terms->clear_discount_rules();
  terms->set_payment_net_days(30);
  *terms->mutable_valid_from() = MakeDate(2026, 1, 1);
  *terms->mutable_credit_limit() = MakeMoney("USD", 1000);
  status = terms_->CreateTradingTerms(AsAccountManager().get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "CURRENCY_MISMATCH");
  EXPECT_THAT(ViolatedFields(status), ElementsAre("trading_terms.credit_limit.currency_code"));

  status = terms_->CreateTradingTerms(AsSales().get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PricingApiTest, DatabaseRefusesOverlappingTermsInForce) {
  v1::PriceList list = CreateList("Base");
  v1::TradingTerms first = ActiveTerms(list.name(), MakeDate(2026, 1, 1));
  v1::TradingTerms second = Submit(DraftTerms(list.name(), MakeDate(2026, 7, 1)));
  v1::TradingTerms out;
  auto overlap = Approve(second, &out);
  EXPECT_EQ(overlap.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(overlap), "TERMS_OVERLAP");

  // Nothing half-written: the second terms are still pending.
  v1::GetTradingTermsRequest get;
  get.set_name(second.name());
  v1::TradingTerms still;
  ASSERT_TRUE(terms_->GetTradingTerms(AsSales().get(), get, &still).ok());
  EXPECT_EQ(still.status(), v1::TRADING_TERMS_STATUS_PENDING_APPROVAL);

  // Superseding ends the first terms the day before the second begin.
  ASSERT_TRUE(Approve(still, &out, /*supersede=*/true).ok());
  EXPECT_EQ(out.status(), v1::TRADING_TERMS_STATUS_ACTIVE);
  get.set_name(first.name());
  v1::TradingTerms superseded;
  ASSERT_TRUE(terms_->GetTradingTerms(AsSales().get(), get, &superseded).ok());
  EXPECT_EQ(superseded.status(), v1::TRADING_TERMS_STATUS_SUPERSEDED);
  EXPECT_EQ(DateText(superseded.valid_until()), "2026-06-30");

  // The constraint itself, below the code: a direct write of an overlap fails.
  pqxx::connection connection(database_.url());
  pqxx::work transaction(connection);
  EXPECT_THROW(transaction.exec("UPDATE pricing_terms.trading_terms SET validity = "
                                "daterange('2026-01-01', NULL, '[]'), status = 3 WHERE id = '" +
                                first.name().substr(first.name().rfind('/') + 1) + "'"),
               pqxx::sql_error);

  // What applied when: the first terms until the end of June, the second from July.
  v1::GetEffectiveTradingTermsRequest effective;
  effective.set_account(account_);
  *effective.mutable_day() = MakeDate(2026, 6, 30);
  v1::TradingTerms in_force;
  ASSERT_TRUE(terms_->GetEffectiveTradingTerms(AsSales().get(), effective, &in_force).ok());
  EXPECT_EQ(in_force.name(), first.name());
  *effective.mutable_day() = MakeDate(2026, 7, 1);
  ASSERT_TRUE(terms_->GetEffectiveTradingTerms(AsSales().get(), effective, &in_force).ok());
  EXPECT_EQ(in_force.name(), second.name());
  *effective.mutable_day() = MakeDate(2025, 12, 31);
  auto none = terms_->GetEffectiveTradingTerms(AsSales().get(), effective, &in_force);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(none), "NO_TERMS_IN_FORCE");

  v1::ListTradingTermsRequest list_request;
  list_request.set_parent("accounts/-");
  list_request.set_filter("status = SUPERSEDED");
  v1::ListTradingTermsResponse listed;
  ASSERT_TRUE(terms_->ListTradingTerms(AsSales().get(), list_request, &listed).ok());
  ASSERT_EQ(listed.trading_terms_size(), 1);
  EXPECT_EQ(listed.trading_terms(0).name(), first.name());
}

TEST_F(PricingApiTest, QuoteExplainsEveryStepAndUsesTermsInForceThatDay) {
  v1::PriceList base = CreateList("Base");
  v1::PriceList trade = CreateList("Trade", true, base.name(), -1000);
  Upsert(base.name(), {Item("DRILL-1", "tools/power/drills", Eur(100)),
                       Item("SAW-1", "tools/power/saws", Eur(50))});
  Upsert(trade.name(), {Item("SAW-1", "tools/power/saws", Eur(40))});
  v1::TradingTerms terms =
      ActiveTerms(trade.name(), MakeDate(2026, 3, 1), MakeDate(2026, 12, 31),
                  {CategoryRule("tools", 500), CategoryRule("tools/power/drills", 1000)});
  BackdateHistory();

  v1::QuotePricing pricing;
  auto status = Price({{"DRILL-1", 2}, {"SAW-1", 1}}, &pricing, MakeDate(2026, 6, 1));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(pricing.trading_terms(), terms.name());
  EXPECT_EQ(pricing.price_list(), trade.name());
  // DRILL-1: 100.00 from the base, -10% in Trade = 90.00, then the drills rule -10% = 81.00.
  const auto& drill = pricing.lines(0);
  EXPECT_EQ(common::FormatMoney(drill.list_unit_price()), "EUR 90.00");
  EXPECT_EQ(common::FormatMoney(drill.unit_price()), "EUR 81.00");
  EXPECT_EQ(common::FormatMoney(drill.line_total()), "EUR 162.00");
  auto kinds_of = [](const v1::PricedLine& line) {
    std::vector<v1::PricingStepKind> kinds;
    for (const auto& step : line.explanation()) kinds.push_back(step.kind());
    return kinds;
  };
  // BASIC by default: the applied steps, the decision, the loser counted in its group.
  EXPECT_THAT(kinds_of(drill), ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE,
                                           v1::PRICING_STEP_KIND_BASE_LIST_ADJUSTMENT,
                                           v1::PRICING_STEP_KIND_DISCOUNT));
  EXPECT_EQ(drill.explanation(0).source(), base.name() + "/items/DRILL-1");
  EXPECT_EQ(drill.explanation(2).rule_index(), 1);
  EXPECT_THAT(drill.decision(), HasSubstr("discount_rules[1]"));
  ASSERT_EQ(drill.rules_not_applied_size(), 1);
  EXPECT_EQ(drill.rules_not_applied(0).reason(), v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE);
  EXPECT_EQ(drill.rules_not_applied(0).count(), 1);
  // FULL on request: every rule that lost, with its own step.
  v1::QuotePricing full;
  ASSERT_TRUE(
      Price({{"DRILL-1", 2}, {"SAW-1", 1}}, &full, MakeDate(2026, 6, 1), "", v1::PRICING_VIEW_FULL)
          .ok());
  EXPECT_THAT(
      kinds_of(full.lines(0)),
      ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_BASE_LIST_ADJUSTMENT,
                  v1::PRICING_STEP_KIND_DISCOUNT, v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED));
  EXPECT_EQ(full.lines(0).explanation(3).rule_index(), 0);
  EXPECT_EQ(full.total().SerializeAsString(), pricing.total().SerializeAsString());
  v1::QuotePricing ignored;
  EXPECT_THAT(ViolatedFields(Price({{"DRILL-1", 2}}, &ignored, MakeDate(2026, 6, 1), "",
                                   static_cast<v1::PricingView>(7))),
              ElementsAre("view"));
  // SAW-1: Trade's own 40.00, then tools -5% = 38.00.
  EXPECT_EQ(common::FormatMoney(pricing.lines(1).unit_price()), "EUR 38.00");
  EXPECT_EQ(common::FormatMoney(pricing.total()), "EUR 200.00");
  EXPECT_TRUE(pricing.minimum_order_met());
  EXPECT_EQ(pricing.payment_net_days(), 30);

  // Before the terms began there are none in force: list prices only on request.
  auto none = Price({{"DRILL-1", 1}}, &pricing, MakeDate(2026, 2, 1));
  EXPECT_EQ(none.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(none), "NO_TERMS_IN_FORCE");
  ASSERT_TRUE(Price({{"DRILL-1", 1}}, &pricing, MakeDate(2026, 2, 1), base.name()).ok());
  EXPECT_EQ(common::FormatMoney(pricing.lines(0).unit_price()), "EUR 100.00");
  EXPECT_EQ(pricing.trading_terms(), "");
}

TEST_F(PricingApiTest, QuoteBadInputNamesTheLine) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("A", "x", Eur(1))});
  ActiveTerms(list.name(), MakeDate(2026, 1, 1));
  v1::QuotePricing pricing;
  auto missing = Price({{"A", 1}, {"A", 2}, {"A", 3}, {"NOPE", 1}}, &pricing);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(missing), "ITEM_NOT_FOUND");
  EXPECT_THAT(ViolatedFields(missing), ElementsAre("lines[3].sku"));
  auto bad = Price({{"A", 0}, {"a b", 1}}, &pricing);
  EXPECT_THAT(ViolatedFields(bad), ElementsAre("lines[0].quantity", "lines[1].sku"));
  auto empty = Price({}, &pricing);
  EXPECT_THAT(ViolatedFields(empty), ElementsAre("lines"));
}

TEST_F(PricingApiTest, SavedQuoteStaysFrozenAndIsSoldOnce) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  v1::DiscountRule higher = CategoryRule("tools", 500);
  higher.set_priority(1);
  ActiveTerms(list.name(), MakeDate(2026, 1, 1), {}, {higher, CategoryRule("tools", 300)});

  v1::CreateQuoteRequest create;
  create.mutable_quote()->set_account(account_);
  *create.mutable_quote()->mutable_expire_date() = MakeDate(9999, 12, 31);
  create.mutable_quote()->set_note("spring campaign");
  auto* line = create.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(10);
  v1::Quote quote;
  ASSERT_TRUE(quotes_->CreateQuote(AsSales().get(), create, &quote).ok());
  EXPECT_EQ(quote.status(), v1::QUOTE_STATUS_DRAFT);
  EXPECT_EQ(common::FormatMoney(quote.pricing().total()), "EUR 950.00");

  // The list price rises; a new price follows it, the saved quote does not.
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(120))});
  v1::QuotePricing now;
  ASSERT_TRUE(Price({{"DRILL-1", 10}}, &now).ok());
  EXPECT_EQ(common::FormatMoney(now.total()), "EUR 1140.00");
  v1::GetQuoteRequest get;
  get.set_name(quote.name());
  v1::Quote again;
  ASSERT_TRUE(quotes_->GetQuote(AsSales().get(), get, &again).ok());
  EXPECT_EQ(again.pricing().SerializeAsString(), quote.pricing().SerializeAsString());
  // A saved quote keeps the full explanation (GetQuote's default); BASIC groups it.
  int not_applied = 0;
  for (const auto& step : again.pricing().lines(0).explanation()) {
    not_applied += step.kind() == v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED;
  }
  get.set_view(v1::PRICING_VIEW_BASIC);
  v1::Quote basic;
  ASSERT_TRUE(quotes_->GetQuote(AsSales().get(), get, &basic).ok());
  int grouped = 0;
  for (const auto& group : basic.pricing().lines(0).rules_not_applied()) grouped += group.count();
  EXPECT_EQ(not_applied, 1);
  EXPECT_EQ(grouped, not_applied);
  for (const auto& step : basic.pricing().lines(0).explanation()) {
    EXPECT_NE(step.kind(), v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED);
  }

  // The pricing cannot be edited; the status moves DRAFT -> SENT -> ACCEPTED only.
  v1::UpdateQuoteRequest update;
  update.mutable_quote()->set_name(quote.name());
  update.mutable_update_mask()->add_paths("pricing");
  update.set_etag(quote.etag());
  v1::Quote updated;
  EXPECT_THAT(ViolatedFields(quotes_->UpdateQuote(AsSales().get(), update, &updated)),
              ElementsAre("update_mask"));
  update.mutable_update_mask()->set_paths(0, "status");
  update.mutable_quote()->set_status(v1::QUOTE_STATUS_ACCEPTED);
  auto skipped = quotes_->UpdateQuote(AsSales().get(), update, &updated);
  EXPECT_EQ(ReasonOf(skipped), "ILLEGAL_STATUS_TRANSITION");
  update.mutable_quote()->set_status(v1::QUOTE_STATUS_SENT);
  ASSERT_TRUE(quotes_->UpdateQuote(AsSales().get(), update, &updated).ok());

  // A sale needs an accepted quote.
  v1::CreateSaleRequest sell;
  sell.mutable_sale()->set_account(account_);
  sell.mutable_sale()->set_quote(quote.name());
  sell.mutable_sale()->set_payment_method(v1::PAYMENT_METHOD_INVOICE);
  sell.mutable_sale()->mutable_delivery()->set_method(v1::DELIVERY_METHOD_SHIP);
  sell.mutable_sale()->set_contact("Jo Buyer");
  v1::Sale sale;
  auto not_accepted = quotes_->CreateSale(AsSales().get(), sell, &sale);
  EXPECT_EQ(ReasonOf(not_accepted), "QUOTE_NOT_ACCEPTED");

  update.mutable_quote()->set_status(v1::QUOTE_STATUS_ACCEPTED);
  update.set_etag(updated.etag());
  ASSERT_TRUE(quotes_->UpdateQuote(AsSales().get(), update, &updated).ok());
  auto sold = quotes_->CreateSale(AsSales().get(), sell, &sale);
  ASSERT_TRUE(sold.ok()) << sold.error_message();
  EXPECT_EQ(sale.agent(), "sam");
  EXPECT_EQ(sale.pricing().SerializeAsString(), quote.pricing().SerializeAsString());
  auto twice = quotes_->CreateSale(AsSales().get(), sell, &sale);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(twice), "QUOTE_ALREADY_SOLD");

  // A direct sale is priced now.
  v1::CreateSaleRequest direct;
  direct.mutable_sale()->set_account(account_);
  direct.mutable_sale()->set_payment_method(v1::PAYMENT_METHOD_CARD);
  direct.mutable_sale()->mutable_delivery()->set_method(v1::DELIVERY_METHOD_PICKUP);
  auto* direct_line = direct.add_lines();
  direct_line->set_sku("DRILL-1");
  direct_line->set_quantity(1);
  v1::Sale direct_sale;
  ASSERT_TRUE(quotes_->CreateSale(AsSales().get(), direct, &direct_sale).ok());
  EXPECT_EQ(common::FormatMoney(direct_sale.pricing().total()), "EUR 114.00");

  v1::ListSalesRequest list_sales;
  list_sales.set_filter("account = \"" + account_ + "\" AND payment_method = INVOICE");
  v1::ListSalesResponse sales;
  ASSERT_TRUE(quotes_->ListSales(AsSales().get(), list_sales, &sales).ok());
  ASSERT_EQ(sales.sales_size(), 1);
  EXPECT_EQ(sales.sales(0).quote(), quote.name());

  EXPECT_THAT(OutboxTypes(), Contains("accord.pricing.v1.QuoteCreated"));
  auto types = OutboxTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "accord.pricing.v1.SaleRecorded"), 2);

  // Integration may read but not sell.
  EXPECT_EQ(
      quotes_->CreateSale(ContextAs("erp", {Role::kIntegration}).get(), direct, &sale).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PricingApiTest, ExpiredQuoteCannotBeAccepted) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("A", "x", Eur(1))});
  v1::CreateQuoteRequest create;
  create.mutable_quote()->set_account(account_);
  *create.mutable_quote()->mutable_expire_date() = MakeDate(2026, 1, 20);
  *create.mutable_price_date() = MakeDate(2026, 1, 10);
  create.set_price_list(list.name());
  BackdateHistory();
  auto* line = create.add_lines();
  line->set_sku("A");
  line->set_quantity(1);
  v1::Quote quote;
  auto created = quotes_->CreateQuote(AsAccountManager().get(), create, &quote);
  ASSERT_TRUE(created.ok()) << created.error_message();
  v1::UpdateQuoteRequest update;
  update.mutable_quote()->set_name(quote.name());
  update.mutable_quote()->set_status(v1::QUOTE_STATUS_SENT);
  update.set_etag(quote.etag());
  ASSERT_TRUE(quotes_->UpdateQuote(AsSales().get(), update, &quote).ok());
  update.mutable_quote()->set_status(v1::QUOTE_STATUS_ACCEPTED);
  update.set_etag(quote.etag());
  auto late = quotes_->UpdateQuote(AsSales().get(), update, &quote);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(late), "QUOTE_EXPIRED");

  v1::ListQuotesRequest list_request;
  list_request.set_filter("status = SENT");
  v1::ListQuotesResponse listed;
  ASSERT_TRUE(quotes_->ListQuotes(AsSales().get(), list_request, &listed).ok());
  EXPECT_EQ(listed.quotes_size(), 1);
}

TEST_F(PricingApiTest, GetItemAndExpireTermsAndGetSale) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  v1::GetPriceListItemRequest get_item;
  get_item.set_name(list.name() + "/items/DRILL-1");
  v1::PriceListItem item;
  ASSERT_TRUE(lists_->GetPriceListItem(AsSales().get(), get_item, &item).ok());
  EXPECT_EQ(item.product_name(), "Product DRILL-1");
  get_item.set_name(list.name() + "/items/NOPE");
  EXPECT_EQ(lists_->GetPriceListItem(AsSales().get(), get_item, &item).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get_item.set_name(list.name() + "/items/bad sku");
  EXPECT_THAT(ViolatedFields(lists_->GetPriceListItem(AsSales().get(), get_item, &item)),
              ElementsAre("name"));

  v1::TradingTerms active = ActiveTerms(list.name(), MakeDate(2026, 1, 1));
  BackdateHistory();
  v1::ExpireTradingTermsRequest expire;
  expire.set_name(active.name());
  expire.set_etag(active.etag());
  v1::TradingTerms expired;
  EXPECT_THAT(ViolatedFields(terms_->ExpireTradingTerms(AsPricing().get(), expire, &expired)),
              ElementsAre("last_day"));
  *expire.mutable_last_day() = MakeDate(2025, 12, 31);
  EXPECT_EQ(terms_->ExpireTradingTerms(AsPricing().get(), expire, &expired).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  *expire.mutable_last_day() = MakeDate(2026, 3, 31);
  EXPECT_EQ(terms_->ExpireTradingTerms(AsAccountManager().get(), expire, &expired).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(terms_->ExpireTradingTerms(AsPricing().get(), expire, &expired).ok());
  EXPECT_EQ(expired.status(), v1::TRADING_TERMS_STATUS_EXPIRED);
  EXPECT_EQ(DateText(expired.valid_until()), "2026-03-31");

  // Expired terms still price the days they were in force, and only those.
  v1::QuotePricing pricing;
  ASSERT_TRUE(Price({{"DRILL-1", 1}}, &pricing, MakeDate(2026, 3, 31)).ok());
  EXPECT_EQ(pricing.trading_terms(), active.name());
  EXPECT_EQ(ReasonOf(Price({{"DRILL-1", 1}}, &pricing, MakeDate(2026, 4, 1))), "NO_TERMS_IN_FORCE");

  v1::CreateSaleRequest direct;
  direct.mutable_sale()->set_account(account_);
  direct.mutable_sale()->set_payment_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
  direct.mutable_sale()->mutable_delivery()->set_method(v1::DELIVERY_METHOD_DROP_SHIP);
  *direct.mutable_sale()->mutable_delivery()->mutable_requested_date() = MakeDate(2026, 3, 15);
  *direct.mutable_price_date() = MakeDate(2026, 3, 1);
  auto* line = direct.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(2);
  direct.set_request_id(common::NewUuidV7());
  v1::Sale sale, retried;
  ASSERT_TRUE(quotes_->CreateSale(AsSales().get(), direct, &sale).ok());
  // The same request_id: the same sale, nothing new.
  ASSERT_TRUE(quotes_->CreateSale(AsSales().get(), direct, &retried).ok());
  EXPECT_EQ(retried.name(), sale.name());
  v1::GetSaleRequest get_sale;
  get_sale.set_name(sale.name());
  v1::Sale read;
  ASSERT_TRUE(quotes_->GetSale(ContextAs("erp", {Role::kIntegration}).get(), get_sale, &read).ok());
  EXPECT_EQ(common::FormatMoney(read.pricing().total()), "EUR 200.00");
  EXPECT_EQ(DateText(read.delivery().requested_date()), "2026-03-15");

  v1::CreateSaleRequest bad;
  bad.mutable_sale()->set_account("accounts/x");
  auto invalid = quotes_->CreateSale(AsSales().get(), bad, &sale);
  EXPECT_THAT(ViolatedFields(invalid),
              ::testing::UnorderedElementsAre("sale.account", "sale.payment_method",
                                              "sale.delivery.method", "lines"));
}

TEST_F(PricingApiTest, PastDayIsPricedFromTheItemsInForceThatDay) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  ActiveTerms(list.name(), MakeDate(2026, 1, 1));
  {
    // As if the list and the first price had been written on 1 February.
    pqxx::connection connection(database_.url());
    pqxx::work transaction(connection);
    transaction.exec0("UPDATE pricing_terms.price_list_history SET valid_since = '2026-02-01Z'");
    transaction.exec0(
        "UPDATE pricing_terms.price_list_item_history SET valid_since = '2026-02-01Z'");
    transaction.commit();
  }
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(120)),
                       Item("SAW-1", "tools/power/saws", Eur(50))});
  v1::QuotePricing pricing;
  ASSERT_TRUE(Price({{"DRILL-1", 1}}, &pricing, MakeDate(2026, 6, 1)).ok());
  EXPECT_EQ(common::FormatMoney(pricing.total()), "EUR 100.00");
  ASSERT_TRUE(Price({{"DRILL-1", 1}}, &pricing).ok());
  EXPECT_EQ(common::FormatMoney(pricing.total()), "EUR 120.00");
  // SAW-1 was not in the list yet in June; and the list did not exist in January.
  auto missing = Price({{"SAW-1", 1}}, &pricing, MakeDate(2026, 6, 1));
  EXPECT_EQ(ReasonOf(missing), "ITEM_NOT_FOUND");
  auto before = Price({{"DRILL-1", 1}}, &pricing, MakeDate(2026, 1, 15));
  EXPECT_EQ(ReasonOf(before), "PRICE_LIST_NOT_IN_FORCE");
}

// Every RPC refuses bad input with INVALID_ARGUMENT naming the field, before writing anything.
TEST_F(PricingApiTest, BadInputOnEveryRpcNamesTheField) {
  v1::PriceList list = CreateList("Base");
  auto fields = [](const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    return ViolatedFields(status);
  };

  v1::ListPriceListsRequest lists;
  lists.set_filter("colour = red");
  v1::ListPriceListsResponse lists_out;
  EXPECT_THAT(fields(lists_->ListPriceLists(AsSales().get(), lists, &lists_out)),
              ElementsAre("filter"));
  lists.clear_filter();
  lists.set_order_by("price");
  EXPECT_THAT(fields(lists_->ListPriceLists(AsSales().get(), lists, &lists_out)),
              ElementsAre("order_by"));
  lists.clear_order_by();
  lists.set_page_token("forged");
  EXPECT_THAT(fields(lists_->ListPriceLists(AsSales().get(), lists, &lists_out)),
              ElementsAre("page_token"));

  v1::ListPriceListItemsRequest items;
  items.set_parent("priceLists/x");
  v1::ListPriceListItemsResponse items_out;
  EXPECT_THAT(fields(lists_->ListPriceListItems(AsSales().get(), items, &items_out)),
              ElementsAre("parent"));
  items.set_parent(list.name());
  items.set_page_size(-1);
  EXPECT_THAT(fields(lists_->ListPriceListItems(AsSales().get(), items, &items_out)),
              ElementsAre("page_size"));

  v1::BatchUpsertPriceListItemsRequest upsert;
  upsert.set_parent(list.name());
  upsert.set_request_id("not-a-uuid");
  v1::BatchUpsertPriceListItemsResponse upsert_out;
  EXPECT_THAT(fields(lists_->BatchUpsertPriceListItems(ContextAs("erp", {Role::kIntegration}).get(),
                                                       upsert, &upsert_out)),
              ::testing::UnorderedElementsAre("request_id", "items"));

  v1::GetTradingTermsRequest get_terms;
  get_terms.set_name("accounts/x/tradingTerms/y");
  v1::TradingTerms terms_out;
  EXPECT_THAT(fields(terms_->GetTradingTerms(AsSales().get(), get_terms, &terms_out)),
              ElementsAre("name"));
  v1::ListTradingTermsRequest list_terms;
  list_terms.set_parent("customers/1");
  v1::ListTradingTermsResponse list_terms_out;
  EXPECT_THAT(fields(terms_->ListTradingTerms(AsSales().get(), list_terms, &list_terms_out)),
              ElementsAre("parent"));
  v1::TradingTerms draft = DraftTerms(list.name(), MakeDate(2026, 1, 1));
  v1::UpdateTradingTermsRequest update_terms;
  update_terms.mutable_trading_terms()->set_name(draft.name());
  update_terms.mutable_update_mask()->add_paths("status");
  update_terms.set_etag(draft.etag());
  EXPECT_THAT(
      fields(terms_->UpdateTradingTerms(AsAccountManager().get(), update_terms, &terms_out)),
      ElementsAre("update_mask"));
  update_terms.mutable_update_mask()->set_paths(0, "valid_until");
  *update_terms.mutable_trading_terms()->mutable_valid_until() = MakeDate(2025, 1, 1);
  EXPECT_THAT(
      fields(terms_->UpdateTradingTerms(AsAccountManager().get(), update_terms, &terms_out)),
      ElementsAre("trading_terms.valid_until"));
  v1::SubmitTradingTermsRequest submit;
  submit.set_name(draft.name());
  EXPECT_THAT(fields(terms_->SubmitTradingTerms(AsAccountManager().get(), submit, &terms_out)),
              ElementsAre("etag"));

  v1::CreateQuoteRequest create_quote;
  create_quote.mutable_quote()->set_account(account_);
  auto* line = create_quote.add_lines();
  line->set_sku("A");
  line->set_quantity(-5);
  v1::Quote quote_out;
  EXPECT_THAT(fields(quotes_->CreateQuote(AsSales().get(), create_quote, &quote_out)),
              ::testing::UnorderedElementsAre("lines[0].quantity", "quote.expire_date"));
  v1::GetQuoteRequest get_quote;
  get_quote.set_name("quotes/42");
  EXPECT_THAT(fields(quotes_->GetQuote(AsSales().get(), get_quote, &quote_out)),
              ElementsAre("name"));
  v1::ListQuotesRequest list_quotes;
  list_quotes.set_filter("status = MAYBE");
  v1::ListQuotesResponse list_quotes_out;
  EXPECT_THAT(fields(quotes_->ListQuotes(AsSales().get(), list_quotes, &list_quotes_out)),
              ElementsAre("filter"));
  v1::GetSaleRequest get_sale;
  get_sale.set_name("sales/");
  v1::Sale sale_out;
  EXPECT_THAT(fields(quotes_->GetSale(AsSales().get(), get_sale, &sale_out)), ElementsAre("name"));
  get_sale.set_name("sales/" + common::NewUuidV7());
  EXPECT_EQ(quotes_->GetSale(AsSales().get(), get_sale, &sale_out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListSalesRequest list_sales;
  list_sales.set_order_by("total");
  v1::ListSalesResponse list_sales_out;
  EXPECT_THAT(fields(quotes_->ListSales(AsSales().get(), list_sales, &list_sales_out)),
              ElementsAre("order_by"));

  // Nothing was written by any of them: only the list's and the draft's own events.
  EXPECT_THAT(OutboxTypes(), ElementsAre("accord.pricing.v1.PriceListCreated",
                                         "accord.pricing.v1.PriceListUpdated",
                                         "accord.pricing.v1.TradingTermsCreated"));
}

}  // namespace
}  // namespace accord::pricing
