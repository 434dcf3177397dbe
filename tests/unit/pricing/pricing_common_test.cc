// Names, dates, categories and the validation rules of the pricing domain.
#include "pricing_common.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/errors.h"
#include "pricing_logic.h"

namespace accord::pricing {
namespace {

std::vector<std::string> Fields(const common::Violations& violations) {
  std::vector<std::string> fields;
  for (const auto& violation : violations.items()) fields.push_back(violation.field);
  return fields;
}

TEST(PricingCommonTest, CategoryCoversWholeSegments) {
  EXPECT_TRUE(CategoryCovers("tools", "tools"));
  EXPECT_TRUE(CategoryCovers("tools", "tools/power/drills"));
  EXPECT_TRUE(CategoryCovers("tools/power", "tools/power/drills"));
  EXPECT_FALSE(CategoryCovers("tools", "toolshed"));
  EXPECT_FALSE(CategoryCovers("tools/power/drills", "tools/power"));
  EXPECT_FALSE(CategoryCovers("", "tools"));
  EXPECT_EQ(CategoryDepth("tools/power/drills"), 3u);
  EXPECT_TRUE(IsValidCategory("tools/power/drills"));
  EXPECT_FALSE(IsValidCategory("Tools"));
  EXPECT_FALSE(IsValidCategory("tools//drills"));
  EXPECT_FALSE(IsValidCategory("tools/"));
}

TEST(PricingCommonTest, CivilDaysRoundTrip) {
  EXPECT_EQ(DaysFromCivil(MakeDate(1970, 1, 1)), 0);
  EXPECT_EQ(DaysFromCivil(MakeDate(2000, 3, 1)), 11017);
  for (int64_t day = -1000; day < 30000; day += 37) {
    EXPECT_EQ(DaysFromCivil(CivilFromDays(day)), day);
  }
  EXPECT_EQ(DateText(CivilFromDays(DaysFromCivil(MakeDate(2024, 3, 1)) - 1)), "2024-02-29");
  EXPECT_FALSE(IsValidDate(MakeDate(2023, 2, 29)));
  EXPECT_TRUE(InWindow(MakeDate(2026, 5, 1), MakeDate(2026, 1, 1), Date()));
  EXPECT_FALSE(InWindow(MakeDate(2026, 5, 1), MakeDate(2026, 1, 1), MakeDate(2026, 4, 30)));
}

TEST(PricingCommonTest, MinorUnits) {
  EXPECT_EQ(MinorUnitNanos("EUR"), 10'000'000);
  EXPECT_EQ(MinorUnitNanos("JPY"), 1'000'000'000);
  EXPECT_EQ(MinorUnitNanos("KWD"), 1'000'000);
}

TEST(PricingCommonTest, NamesParse) {
  EXPECT_TRUE(
      ParseTopName("priceLists/0190a000-0000-7000-8000-000000000001", "priceLists", "x").ok());
  EXPECT_FALSE(ParseTopName("priceLists/abc", "priceLists", "x").ok());
  auto item = ParseItemName("priceLists/0190a000-0000-7000-8000-000000000001/items/DR-1.a", "n");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->sku, "DR-1.a");
  EXPECT_FALSE(
      ParseItemName("priceLists/0190a000-0000-7000-8000-000000000001/items/a b", "n").ok());
  // Trading terms' names: both ids UUIDs (lower-cased), the shape exact, the field named.
  auto terms = ParseTermsName(
      "accounts/0190A000-0000-7000-8000-000000000001/tradingTerms/"
      "0190a000-0000-7000-8000-000000000002",
      "name");
  ASSERT_TRUE(terms.ok()) << terms.status();
  EXPECT_EQ(terms->account_id, "0190a000-0000-7000-8000-000000000001");
  EXPECT_EQ(terms->id, "0190a000-0000-7000-8000-000000000002");
  for (const char* bad :
       {"", "accounts/0190a000-0000-7000-8000-000000000001/tradingTerms",
        "accounts/0190a000-0000-7000-8000-000000000001/terms/0190a000-0000-7000-8000-000000000002",
        "accounts/x/tradingTerms/0190a000-0000-7000-8000-000000000002"}) {
    auto refused = ParseTermsName(bad, "name");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    ASSERT_EQ(common::FieldViolationsOf(refused.status()).size(), 1u) << bad;
    EXPECT_EQ(common::FieldViolationsOf(refused.status())[0].field, "name") << bad;
  }
  EXPECT_FALSE(ParseAccountParent("accounts/-", "parent", false).ok());
  auto all = ParseAccountParent("accounts/-", "parent", true);
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->has_value());
}

TEST(PricingLogicRulesTest, StatusTransitions) {
  using namespace v1;
  EXPECT_TRUE(IsAllowedPriceListTransition(PRICE_LIST_STATUS_DRAFT, PRICE_LIST_STATUS_ACTIVE));
  EXPECT_TRUE(IsAllowedPriceListTransition(PRICE_LIST_STATUS_ACTIVE, PRICE_LIST_STATUS_RETIRED));
  EXPECT_FALSE(IsAllowedPriceListTransition(PRICE_LIST_STATUS_RETIRED, PRICE_LIST_STATUS_ACTIVE));
  EXPECT_FALSE(IsAllowedPriceListTransition(PRICE_LIST_STATUS_ACTIVE, PRICE_LIST_STATUS_DRAFT));
  EXPECT_TRUE(IsAllowedQuoteTransition(QUOTE_STATUS_DRAFT, QUOTE_STATUS_SENT));
  EXPECT_TRUE(IsAllowedQuoteTransition(QUOTE_STATUS_SENT, QUOTE_STATUS_ACCEPTED));
  EXPECT_FALSE(IsAllowedQuoteTransition(QUOTE_STATUS_DRAFT, QUOTE_STATUS_ACCEPTED));
  EXPECT_FALSE(IsAllowedQuoteTransition(QUOTE_STATUS_ACCEPTED, QUOTE_STATUS_REJECTED));
}

TEST(PricingLogicRulesTest, TermsValidationNamesEachField) {
  TradingTerms terms;
  terms.set_price_list("priceLists/nope");
  auto* both = terms.add_discount_rules();
  both->set_sku("A");
  both->set_category("tools");
  both->set_discount_bps(100);
  auto* zero = terms.add_discount_rules();
  zero->set_category("tools");
  zero->set_discount_bps(0);
  auto* duplicate = terms.add_discount_rules();
  duplicate->set_category("tools");
  duplicate->set_discount_bps(200);
  terms.set_payment_net_days(400);
  *terms.mutable_minimum_order_value() = common::MakeMoney("USD", 10);
  *terms.mutable_valid_from() = MakeDate(2026, 5, 1);
  *terms.mutable_valid_until() = MakeDate(2026, 4, 1);
  common::Violations violations;
  ValidateTermsFields(terms, "trading_terms.", "EUR", violations);
  EXPECT_THAT(Fields(violations),
              ::testing::UnorderedElementsAre(
                  "trading_terms.price_list", "trading_terms.discount_rules[0]",
                  "trading_terms.discount_rules[1].discount_bps", "trading_terms.discount_rules[2]",
                  "trading_terms.payment_net_days",
                  "trading_terms.minimum_order_value.currency_code", "trading_terms.valid_until"));
}

TEST(PricingLogicRulesTest, ItemValidationNamesEachField) {
  PriceListItem item;
  item.set_sku("bad sku");
  item.set_category("Tools");
  *item.mutable_unit_price() = common::MakeMoney("EUR", -1);
  auto* quantity_break = item.add_quantity_breaks();
  quantity_break->set_min_quantity(1);
  *quantity_break->mutable_unit_price() = common::MakeMoney("EUR", 1);
  common::Violations violations;
  ValidateItemFields(item, "items[2].", "EUR", violations);
  EXPECT_THAT(Fields(violations),
              ::testing::UnorderedElementsAre(
                  "items[2].sku", "items[2].product_name", "items[2].category", "items[2].unit",
                  "items[2].unit_price", "items[2].quantity_breaks[0].min_quantity"));
}

}  // namespace
}  // namespace accord::pricing

namespace accord::pricing {
namespace {

// Long enough that the lower-cased copy lives on the heap: views into a destroyed temporary
// would read freed memory (and did, refusing "create_time desc").
TEST(OrderByTest, ALongOrderByWithDirectionIsAccepted) {
  auto order = ParseOrderBy("Create_Time   DESC", {"display_name", "create_time"});
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->field, "create_time");
  EXPECT_TRUE(order->descending);
  EXPECT_EQ(order->canonical, "create_time desc");
}

}  // namespace
}  // namespace accord::pricing
