// The explainable quote as a pure computation: rounding points, precedence, breaks, base-list
// derivation and currency checks, each checked against its explanation.
#include "pricing_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "accord/common/errors.h"

namespace accord::pricing {
namespace {

using common::MakeMoney;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kList[] = "priceLists/0190a000-0000-7000-8000-000000000001";
constexpr char kBase[] = "priceLists/0190a000-0000-7000-8000-000000000002";
constexpr char kTerms[] =
    "accounts/0190a000-0000-7000-8000-0000000000aa/tradingTerms/"
    "0190a000-0000-7000-8000-0000000000bb";

// "12.34" in `currency` (cents: 2 digits, or as many as written).
Money Eur(int64_t units, int32_t cents, const std::string& currency = "EUR") {
  return MakeMoney(currency, units, cents * 10'000'000);
}

PriceList List(const std::string& name, const std::string& currency = "EUR") {
  PriceList list;
  list.set_name(name);
  list.set_currency_code(currency);
  list.set_status(v1::PRICE_LIST_STATUS_ACTIVE);
  *list.mutable_valid_from() = MakeDate(2026, 1, 1);
  return list;
}

PriceListItem Item(const std::string& list, const std::string& sku, const std::string& category,
                   Money price) {
  PriceListItem item;
  item.set_name(list + "/items/" + sku);
  item.set_sku(sku);
  item.set_product_name("Product " + sku);
  item.set_category(category);
  item.set_unit("each");
  *item.mutable_unit_price() = price;
  return item;
}

void AddBreak(PriceListItem& item, int64_t from, Money price) {
  auto* quantity_break = item.add_quantity_breaks();
  quantity_break->set_min_quantity(from);
  *quantity_break->mutable_unit_price() = price;
}

v1::DiscountRule SkuRule(const std::string& sku, int bps, int64_t from = 0) {
  v1::DiscountRule rule;
  rule.set_sku(sku);
  rule.set_discount_bps(bps);
  rule.set_min_quantity(from);
  return rule;
}

v1::DiscountRule CategoryRule(const std::string& category, int bps, int64_t from = 0) {
  v1::DiscountRule rule;
  rule.set_category(category);
  rule.set_discount_bps(bps);
  rule.set_min_quantity(from);
  return rule;
}

QuoteLine Line(const std::string& sku, int64_t quantity) {
  QuoteLine line;
  line.set_sku(sku);
  line.set_quantity(quantity);
  return line;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    inputs_.account = "accounts/0190a000-0000-7000-8000-0000000000aa";
    inputs_.price_date = MakeDate(2026, 6, 1);
    inputs_.lists.push_back(List(kList));
  }

  void Put(const PriceListItem& item, const std::string& list = kList) {
    inputs_.items[list][item.sku()] = item;
  }

  TradingTerms& Terms() {
    if (!inputs_.terms) {
      inputs_.terms.emplace();
      inputs_.terms->set_name(kTerms);
      inputs_.terms->set_price_list(kList);
    }
    return *inputs_.terms;
  }

  v1::PricedLine PriceOne(const std::string& sku, int64_t quantity) {
    auto pricing = ComputeQuote(inputs_, {Line(sku, quantity)});
    EXPECT_TRUE(pricing.ok()) << pricing.status();
    if (!pricing.ok()) return {};
    return pricing->lines(0);
  }

  static std::vector<v1::PricingStepKind> Kinds(const v1::PricedLine& line) {
    std::vector<v1::PricingStepKind> kinds;
    for (const auto& step : line.explanation()) kinds.push_back(step.kind());
    return kinds;
  }

  PricingInputs inputs_;
};

TEST(RoundingTest, DivideHalfEvenRoundsTiesToEven) {
  EXPECT_EQ(DivideHalfEven(25, 10), 2);
  EXPECT_EQ(DivideHalfEven(35, 10), 4);
  EXPECT_EQ(DivideHalfEven(15, 10), 2);
  EXPECT_EQ(DivideHalfEven(26, 10), 3);
  EXPECT_EQ(DivideHalfEven(24, 10), 2);
  EXPECT_EQ(DivideHalfEven(-25, 10), -2);
  EXPECT_EQ(DivideHalfEven(-35, 10), -4);
  EXPECT_EQ(DivideHalfEven(-26, 10), -3);
  EXPECT_EQ(DivideHalfEven(0, 10), 0);
}

TEST(RoundingTest, ApplyBpsRoundsOnceToTheStep) {
  const common::Int128 cent = 10'000'000;
  // 10.00 - 3.70% = 9.63, to a step of 0.05: 192.6 steps -> 193 -> 9.65.
  EXPECT_EQ(ApplyBps(10'000'000'000, -370, 5 * cent), 9'650'000'000);
  // 0.25 + 10% = 0.275 -> 0.28 (7 is odd: up); 0.35 + 10% = 0.385 -> 0.38 (8 is even).
  EXPECT_EQ(ApplyBps(250'000'000, 1000, cent), 280'000'000);
  EXPECT_EQ(ApplyBps(350'000'000, 1000, cent), 380'000'000);
}

TEST_F(EngineTest, ListPriceOnlyWithoutTerms) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(129, 90)));
  auto pricing = ComputeQuote(inputs_, {Line("DRILL-1", 3)});
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(pricing->price_list(), kList);
  EXPECT_EQ(pricing->trading_terms(), "");
  ASSERT_EQ(pricing->lines_size(), 1);
  const auto& line = pricing->lines(0);
  EXPECT_THAT(Kinds(line), ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE));
  EXPECT_EQ(line.explanation(0).source(), std::string(kList) + "/items/DRILL-1");
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 129.90");
  EXPECT_EQ(common::FormatMoney(line.line_total()), "EUR 389.70");
  EXPECT_EQ(common::FormatMoney(pricing->total()), "EUR 389.70");
  EXPECT_TRUE(pricing->minimum_order_met());
}

TEST_F(EngineTest, LargestQuantityBreakReachedApplies) {
  auto item = Item(kList, "SCREW", "fasteners/screws", Eur(1, 0));
  AddBreak(item, 100, Eur(0, 80));
  AddBreak(item, 10, Eur(0, 90));
  AddBreak(item, 1000, Eur(0, 70));
  Put(item);
  EXPECT_EQ(common::FormatMoney(PriceOne("SCREW", 9).unit_price()), "EUR 1.00");
  EXPECT_EQ(common::FormatMoney(PriceOne("SCREW", 10).unit_price()), "EUR 0.90");
  const auto line = PriceOne("SCREW", 999);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 0.80");
  EXPECT_THAT(Kinds(line),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_QUANTITY_BREAK));
  EXPECT_THAT(line.explanation(1).description(), HasSubstr("quantity break from 100"));
  EXPECT_EQ(common::FormatMoney(line.line_total()), "EUR 799.20");
}

TEST_F(EngineTest, SkuRuleBeatsCategoryRules) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  *Terms().add_discount_rules() = CategoryRule("tools", 1000);
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 500);
  *Terms().add_discount_rules() = CategoryRule("tools/power/drills", 2000);
  const auto line = PriceOne("DRILL-1", 1);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 95.00");
  ASSERT_THAT(Kinds(line),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_DISCOUNT,
                          v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED,
                          v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED));
  EXPECT_EQ(line.explanation(1).rule_index(), 1);
  EXPECT_EQ(line.explanation(1).source(), kTerms);
  EXPECT_EQ(line.explanation(1).bps(), 500);
  EXPECT_THAT(line.explanation(2).description(), HasSubstr("outranked by discount_rules[1]"));
}

TEST_F(EngineTest, BasicViewGroupsTheRulesNotAppliedAndSaysWhichDecided) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  *Terms().add_discount_rules() = CategoryRule("tools", 1000);   // outranked: scope
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 500);       // decides
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 2500, 50);  // quantity window
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 3000, 60);  // quantity window
  auto promotion = SkuRule("DRILL-1", 4000);                     // promotional period
  *promotion.mutable_promotion_start() = MakeDate(2026, 1, 1);
  *promotion.mutable_promotion_end() = MakeDate(2026, 1, 31);
  *Terms().add_discount_rules() = promotion;
  auto bundle = SkuRule("DRILL-1", 4500);  // bundle incomplete
  bundle.add_bundle_skus("BIT-SET");
  *Terms().add_discount_rules() = bundle;
  auto lower = SkuRule("DRILL-1", 200);  // outranked: priority
  lower.set_priority(-1);
  *Terms().add_discount_rules() = lower;
  *Terms().add_discount_rules() = CategoryRule("garden", 9000);  // not in scope at all

  auto basic = ComputeQuote(inputs_, {Line("DRILL-1", 5)}, v1::PRICING_VIEW_BASIC);
  ASSERT_TRUE(basic.ok()) << basic.status();
  const auto& line = basic->lines(0);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 95.00");
  EXPECT_THAT(Kinds(line),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_DISCOUNT));
  EXPECT_EQ(line.decision(),
            "discount_rules[1] (sku DRILL-1, 5.00%) decided among 3 eligible of the 7 rules "
            "covering this item: higher priority than the next; exclusive, applied alone");
  std::vector<std::tuple<v1::NotAppliedReason, int, std::string, std::vector<int>>> groups;
  for (const auto& group : line.rules_not_applied()) {
    groups.emplace_back(group.reason(), group.count(), group.description(),
                        std::vector<int>(group.rule_indexes().begin(), group.rule_indexes().end()));
  }
  using G = decltype(groups)::value_type;
  EXPECT_THAT(
      groups,
      ElementsAre(
          G{v1::NOT_APPLIED_REASON_PROMOTION_PERIOD,
            1,
            "1 rule not applicable: outside the promotional period",
            {4}},
          G{v1::NOT_APPLIED_REASON_QUANTITY_WINDOW,
            2,
            "2 rules not applicable: quantity window",
            {2, 3}},
          G{v1::NOT_APPLIED_REASON_BUNDLE_INCOMPLETE,
            1,
            "1 rule not applicable: bundle incomplete in the basket",
            {5}},
          G{v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE,
            1,
            "1 rule outranked by a more specific scope",
            {0}},
          G{v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRIORITY, 1, "1 rule outranked by priority", {6}}));

  // FULL: the same groups, and each of the six with a step of its own saying why.
  auto full = ComputeQuote(inputs_, {Line("DRILL-1", 5)}, v1::PRICING_VIEW_FULL);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->lines(0).rules_not_applied_size(), 5);
  std::map<int, std::pair<v1::NotAppliedReason, std::string>> steps;
  for (const auto& step : full->lines(0).explanation()) {
    if (step.kind() == v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) {
      steps[step.rule_index()] = {step.not_applied_reason(), step.description()};
    }
  }
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_THAT(steps[2].second, HasSubstr("quantity 5 is below its min_quantity 50"));
  EXPECT_THAT(steps[4].second, HasSubstr("outside its promotional period"));
  EXPECT_THAT(steps[5].second, HasSubstr("the basket lacks BIT-SET of its bundle"));
  EXPECT_THAT(steps[6].second, HasSubstr("outranked by discount_rules[1] (higher priority)"));
  EXPECT_EQ(steps[0].first, v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE);
}

TEST_F(EngineTest, DecisionSaysWhyNoRuleApplied) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  EXPECT_EQ(PriceOne("DRILL-1", 1).decision(),
            "no trading terms in force: the list price, no discount rules");
  *Terms().add_discount_rules() = CategoryRule("garden", 1000);
  EXPECT_EQ(PriceOne("DRILL-1", 1).decision(),
            std::string("no discount rule of ") + kTerms + " covers this item");
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 1000, 10);
  EXPECT_EQ(PriceOne("DRILL-1", 1).decision(),
            "no discount: none of the 1 rule covering this item is eligible");
  auto stacking = SkuRule("DRILL-1", 500);
  stacking.set_combinable(true);
  *Terms().add_discount_rules() = stacking;
  auto second = CategoryRule("tools", 500);
  second.set_combinable(true);
  *Terms().add_discount_rules() = second;
  EXPECT_THAT(PriceOne("DRILL-1", 1).decision(),
              HasSubstr("more specific scope than the next; combinable, 1 more stacked on it"));
}

TEST_F(EngineTest, LongerCategoryPrefixBeatsShorter) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  Put(Item(kList, "SAW-1", "tools/power/saws", Eur(100, 0)));
  Put(Item(kList, "HAMMER", "tools/hand", Eur(100, 0)));
  *Terms().add_discount_rules() = CategoryRule("tools", 1000);
  *Terms().add_discount_rules() = CategoryRule("tools/power", 1500);
  *Terms().add_discount_rules() = CategoryRule("tools/power/drills", 2000);
  EXPECT_EQ(common::FormatMoney(PriceOne("DRILL-1", 1).unit_price()), "EUR 80.00");
  EXPECT_EQ(common::FormatMoney(PriceOne("SAW-1", 1).unit_price()), "EUR 85.00");
  EXPECT_EQ(common::FormatMoney(PriceOne("HAMMER", 1).unit_price()), "EUR 90.00");
}

TEST_F(EngineTest, CategoryPrefixMatchesWholeSegmentsOnly) {
  Put(Item(kList, "X", "toolshed/sheds", Eur(100, 0)));
  *Terms().add_discount_rules() = CategoryRule("tools", 1000);
  const auto line = PriceOne("X", 1);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 100.00");
  EXPECT_THAT(Kinds(line), ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE));
}

TEST_F(EngineTest, WithinOneScopeTheLargestQuantityReachedWins) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 500);
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 800, 50);
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 1200, 200);
  EXPECT_EQ(common::FormatMoney(PriceOne("DRILL-1", 49).unit_price()), "EUR 95.00");
  const auto line = PriceOne("DRILL-1", 50);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 92.00");
  // The 200+ rule is explained as not reached, the 5% one as outranked.
  bool not_reached = false, outranked = false;
  for (const auto& step : line.explanation()) {
    if (step.kind() != v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) continue;
    if (step.rule_index() == 2)
      not_reached = step.description().find("below its min_quantity") != std::string::npos;
    if (step.rule_index() == 0)
      outranked = step.description().find("outranked") != std::string::npos;
  }
  EXPECT_TRUE(not_reached);
  EXPECT_TRUE(outranked);
  EXPECT_EQ(common::FormatMoney(PriceOne("DRILL-1", 200).unit_price()), "EUR 88.00");
}

TEST_F(EngineTest, SkuRuleWinsEvenBelowAQuantityCategoryRuleWouldNot) {
  // Scope first, then quantity: a reached SKU rule beats a reached, larger category rule.
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  *Terms().add_discount_rules() = CategoryRule("tools", 3000, 10);
  *Terms().add_discount_rules() = SkuRule("DRILL-1", 100);
  EXPECT_EQ(common::FormatMoney(PriceOne("DRILL-1", 10).unit_price()), "EUR 99.00");
}

TEST_F(EngineTest, NetPriceRoundsHalfEvenToTheMinorUnit) {
  Put(Item(kList, "A", "x", Eur(0, 25)));
  Put(Item(kList, "B", "x", Eur(0, 35)));
  *Terms().add_discount_rules() = CategoryRule("x", 1000);
  // 0.25 - 10% = 0.225 -> 0.22; 0.35 - 10% = 0.315 -> 0.32.
  const auto a = PriceOne("A", 1);
  EXPECT_EQ(common::FormatMoney(a.unit_price()), "EUR 0.22");
  EXPECT_EQ(Kinds(a).back(), v1::PRICING_STEP_KIND_ROUNDING);
  EXPECT_EQ(common::FormatMoney(a.explanation(1).unit_price()), "EUR 0.225");
  EXPECT_EQ(common::FormatMoney(PriceOne("B", 1).unit_price()), "EUR 0.32");
}

TEST_F(EngineTest, LineTotalIsRoundedUnitTimesQuantity) {
  Put(Item(kList, "A", "x", Eur(0, 25)));
  *Terms().add_discount_rules() = CategoryRule("x", 1000);
  // Rounded per unit (0.22), then multiplied: never 0.225 x 1000 = 225.00.
  EXPECT_EQ(common::FormatMoney(PriceOne("A", 1000).line_total()), "EUR 220.00");
}

TEST_F(EngineTest, ZeroDecimalCurrencyRoundsToWholeUnits) {
  inputs_.lists[0].set_currency_code("JPY");
  Put(Item(kList, "A", "x", MakeMoney("JPY", 1001)));
  *Terms().add_discount_rules() = CategoryRule("x", 500);
  // 1001 - 5% = 950.95 -> 951.
  const auto line = PriceOne("A", 1);
  EXPECT_EQ(line.unit_price().units(), 951);
  EXPECT_EQ(line.unit_price().nanos(), 0);
}

TEST_F(EngineTest, DerivedListAdjustsBasePriceAndRoundsToItsStep) {
  inputs_.lists[0].set_base_price_list(kBase);
  inputs_.lists[0].set_adjustment_bps(-370);
  *inputs_.lists[0].mutable_rounding_step() = Eur(0, 5);
  inputs_.lists.push_back(List(kBase));
  Put(Item(kBase, "DRILL-1", "tools/power/drills", Eur(10, 0)), kBase);
  const auto line = PriceOne("DRILL-1", 1);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 9.65");
  EXPECT_EQ(common::FormatMoney(line.list_unit_price()), "EUR 9.65");
  ASSERT_THAT(Kinds(line), ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE,
                                       v1::PRICING_STEP_KIND_BASE_LIST_ADJUSTMENT,
                                       v1::PRICING_STEP_KIND_ROUNDING));
  EXPECT_EQ(line.explanation(0).source(), std::string(kBase) + "/items/DRILL-1");
  EXPECT_EQ(common::FormatMoney(line.explanation(1).unit_price()), "EUR 9.63");
  EXPECT_EQ(line.explanation(1).bps(), -370);
}

TEST_F(EngineTest, BreakOfTheBaseItemIsAdjustedToo) {
  inputs_.lists[0].set_base_price_list(kBase);
  inputs_.lists[0].set_adjustment_bps(1000);
  inputs_.lists.push_back(List(kBase));
  auto item = Item(kBase, "A", "x", Eur(10, 0));
  AddBreak(item, 10, Eur(8, 0));
  Put(item, kBase);
  const auto line = PriceOne("A", 10);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 8.80");
  EXPECT_THAT(Kinds(line),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_QUANTITY_BREAK,
                          v1::PRICING_STEP_KIND_BASE_LIST_ADJUSTMENT));
}

TEST_F(EngineTest, OwnItemOfDerivedListOverridesTheBase) {
  inputs_.lists[0].set_base_price_list(kBase);
  inputs_.lists[0].set_adjustment_bps(-1000);
  inputs_.lists.push_back(List(kBase));
  Put(Item(kBase, "A", "x", Eur(10, 0)), kBase);
  Put(Item(kList, "A", "x", Eur(7, 0)));
  const auto line = PriceOne("A", 1);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 7.00");
  EXPECT_THAT(Kinds(line), ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE));
}

TEST_F(EngineTest, DiscountAppliesAfterTheBaseAdjustment) {
  inputs_.lists[0].set_base_price_list(kBase);
  inputs_.lists[0].set_adjustment_bps(-1000);
  inputs_.lists.push_back(List(kBase));
  Put(Item(kBase, "A", "x", Eur(10, 0)), kBase);
  *Terms().add_discount_rules() = CategoryRule("x", 500);
  // 10.00 -> 9.00 (list) -> 8.55 (discount).
  const auto line = PriceOne("A", 1);
  EXPECT_EQ(common::FormatMoney(line.list_unit_price()), "EUR 9.00");
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 8.55");
}

TEST_F(EngineTest, MissingSkusAreNamedByLine) {
  Put(Item(kList, "A", "x", Eur(1, 0)));
  auto pricing =
      ComputeQuote(inputs_, {Line("A", 1), Line("NOPE", 1), Line("A", 2), Line("GONE", 1)});
  ASSERT_FALSE(pricing.ok());
  EXPECT_EQ(pricing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(common::ReasonOf(pricing.status()), "ITEM_NOT_FOUND");
  const auto violations = common::FieldViolationsOf(pricing.status());
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "lines[1].sku");
  EXPECT_EQ(violations[1].field, "lines[3].sku");
}

TEST_F(EngineTest, BaseListInAnotherCurrencyIsRefused) {
  inputs_.lists[0].set_base_price_list(kBase);
  inputs_.lists.push_back(List(kBase, "USD"));
  Put(Item(kBase, "A", "x", Eur(1, 0, "USD")), kBase);
  auto pricing = ComputeQuote(inputs_, {Line("A", 1)});
  ASSERT_FALSE(pricing.ok());
  EXPECT_EQ(common::ReasonOf(pricing.status()), "CURRENCY_MISMATCH");
}

TEST_F(EngineTest, ItemInAnotherCurrencyIsRefused) {
  Put(Item(kList, "A", "x", Eur(1, 0, "USD")));
  auto pricing = ComputeQuote(inputs_, {Line("A", 1)});
  ASSERT_FALSE(pricing.ok());
  EXPECT_EQ(common::ReasonOf(pricing.status()), "CURRENCY_MISMATCH");
  EXPECT_EQ(common::FieldViolationsOf(pricing.status())[0].field, "lines[0].sku");
}

TEST_F(EngineTest, TermsWithAmountsInAnotherCurrencyAreRefused) {
  Put(Item(kList, "A", "x", Eur(1, 0)));
  *Terms().mutable_minimum_order_value() = Eur(100, 0, "USD");
  auto pricing = ComputeQuote(inputs_, {Line("A", 1)});
  ASSERT_FALSE(pricing.ok());
  EXPECT_EQ(common::ReasonOf(pricing.status()), "CURRENCY_MISMATCH");
}

TEST_F(EngineTest, MinimumOrderValueIsChecked) {
  Put(Item(kList, "A", "x", Eur(10, 0)));
  *Terms().mutable_minimum_order_value() = Eur(50, 0);
  Terms().set_payment_net_days(30);
  auto below = ComputeQuote(inputs_, {Line("A", 4)});
  ASSERT_TRUE(below.ok());
  EXPECT_FALSE(below->minimum_order_met());
  EXPECT_EQ(below->payment_net_days(), 30);
  EXPECT_EQ(below->trading_terms(), kTerms);
  auto at = ComputeQuote(inputs_, {Line("A", 2), Line("A", 3)});
  ASSERT_TRUE(at.ok());
  EXPECT_TRUE(at->minimum_order_met());
  EXPECT_EQ(common::FormatMoney(at->total()), "EUR 50.00");
}

TEST_F(EngineTest, OverflowingLineTotalNamesTheLine) {
  Put(Item(kList, "A", "x", MakeMoney("EUR", 999'999'999'999)));
  auto pricing = ComputeQuote(inputs_, {Line("A", 1'000'000'000)});
  ASSERT_FALSE(pricing.ok());
  EXPECT_EQ(common::ReasonOf(pricing.status()), "MONEY_OVERFLOW");
  EXPECT_EQ(common::FieldViolationsOf(pricing.status())[0].field, "lines[0].quantity");
}

TEST_F(EngineTest, SameInputSameOutput) {
  Put(Item(kList, "A", "x/y", Eur(3, 33)));
  *Terms().add_discount_rules() = CategoryRule("x", 333);
  *Terms().add_discount_rules() = CategoryRule("x/y", 777, 5);
  auto first = ComputeQuote(inputs_, {Line("A", 7), Line("A", 1)});
  auto second = ComputeQuote(inputs_, {Line("A", 7), Line("A", 1)});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->SerializeAsString(), second->SerializeAsString());
}

TEST_F(EngineTest, PolicyCapsTheDiscountToTheDeepestLimitedCategory) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  Put(Item(kList, "SAW-1", "tools/hand", Eur(100, 0)));
  Terms().add_discount_rules()->CopyFrom(CategoryRule("tools", 2500));
  inputs_.policy.set_name("pricingPolicy");
  auto* broad = inputs_.policy.add_category_limits();
  broad->set_category("tools");
  broad->set_max_discount_bps(3000);
  auto* narrow = inputs_.policy.add_category_limits();
  narrow->set_category("tools/power");
  narrow->set_max_discount_bps(1250);

  const auto drill = PriceOne("DRILL-1", 1);
  EXPECT_THAT(Kinds(drill),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_DISCOUNT,
                          v1::PRICING_STEP_KIND_POLICY_CAP));
  EXPECT_EQ(common::FormatMoney(drill.unit_price()), "EUR 87.50");
  EXPECT_EQ(drill.explanation(2).bps(), 1250);
  EXPECT_EQ(drill.explanation(2).source(), "pricingPolicy");
  EXPECT_THAT(drill.explanation(2).description(),
              HasSubstr("capped at 12.50%, the pricing policy's limit for category tools/power"));
  // The hand saw is only under the broad limit, which the rule keeps within.
  const auto saw = PriceOne("SAW-1", 1);
  EXPECT_THAT(Kinds(saw),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_DISCOUNT));
  EXPECT_EQ(common::FormatMoney(saw.unit_price()), "EUR 75.00");
}

TEST_F(EngineTest, PolicyCapAppliesLastToTheWholeStack) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  auto first = SkuRule("DRILL-1", 1000);
  first.set_combinable(true);
  auto second = CategoryRule("tools", 1000);
  second.set_combinable(true);
  *Terms().add_discount_rules() = first;
  *Terms().add_discount_rules() = second;
  inputs_.policy.set_name("pricingPolicy");
  auto* limit = inputs_.policy.add_category_limits();
  limit->set_category("tools");
  limit->set_max_discount_bps(1500);
  // 100.00 - 10% - 10% = 81.00 is a 19% discount: capped at 15%, 85.00.
  const auto line = PriceOne("DRILL-1", 1);
  EXPECT_THAT(Kinds(line),
              ElementsAre(v1::PRICING_STEP_KIND_LIST_PRICE, v1::PRICING_STEP_KIND_DISCOUNT,
                          v1::PRICING_STEP_KIND_DISCOUNT, v1::PRICING_STEP_KIND_POLICY_CAP));
  EXPECT_EQ(common::FormatMoney(line.explanation(1).unit_price()), "EUR 90.00");
  EXPECT_THAT(line.explanation(2).description(), HasSubstr("stacked"));
  EXPECT_EQ(common::FormatMoney(line.explanation(2).unit_price()), "EUR 81.00");
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 85.00");
}

TEST_F(EngineTest, QuantityWindowBoundsARule) {
  Put(Item(kList, "SCREW", "fasteners", Eur(1, 0)));
  auto small = CategoryRule("fasteners", 500);
  small.set_max_quantity(99);
  *Terms().add_discount_rules() = small;
  *Terms().add_discount_rules() = CategoryRule("fasteners", 1000, 100);
  EXPECT_EQ(common::FormatMoney(PriceOne("SCREW", 99).unit_price()), "EUR 0.95");
  const auto line = PriceOne("SCREW", 100);
  EXPECT_EQ(common::FormatMoney(line.unit_price()), "EUR 0.90");
  EXPECT_THAT(line.explanation(2).description(), HasSubstr("above its max_quantity 99"));
}

TEST_F(EngineTest, MinimumMarginRaisesTheNetToTheFloorButNotAboveTheListPrice) {
  PriceListItem drill = Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0));
  *drill.mutable_unit_cost() = Eur(80, 0);
  Put(drill);
  PriceListItem saw = Item(kList, "SAW-1", "tools/hand", Eur(100, 0));
  *saw.mutable_unit_cost() = Eur(95, 0);
  Put(saw);
  PriceListItem nail = Item(kList, "NAIL-1", "tools/hand", Eur(10, 0));
  *nail.mutable_unit_cost() = Eur(3, 33);
  Put(nail);
  Terms().add_discount_rules()->CopyFrom(CategoryRule("tools", 2500));
  inputs_.policy.set_min_margin_bps(1000);

  // 100 - 25% = 75 < 80 + 10% = 88: raised to 88.
  const auto raised = PriceOne("DRILL-1", 2);
  EXPECT_EQ(raised.explanation().rbegin()->kind(), v1::PRICING_STEP_KIND_POLICY_CAP);
  EXPECT_THAT(
      raised.explanation().rbegin()->description(),
      HasSubstr("raised to EUR 88.00, the pricing policy's floor: cost EUR 80.00 + 10.00%"));
  EXPECT_EQ(common::FormatMoney(raised.unit_price()), "EUR 88.00");
  EXPECT_EQ(common::FormatMoney(raised.line_total()), "EUR 176.00");
  // 95 + 10% = 104.50 is above the list price: the list price, no discount.
  const auto capped = PriceOne("SAW-1", 1);
  EXPECT_EQ(common::FormatMoney(capped.unit_price()), "EUR 100.00");
  EXPECT_THAT(capped.explanation().rbegin()->description(), HasSubstr("the list price"));
  // 3.33 + 10% = 3.663, a floor rounded up to 3.67; 10 - 25% = 7.50 stays.
  const auto kept = PriceOne("NAIL-1", 1);
  EXPECT_EQ(common::FormatMoney(kept.unit_price()), "EUR 7.50");
  EXPECT_NE(kept.explanation().rbegin()->kind(), v1::PRICING_STEP_KIND_POLICY_CAP);
  nail.mutable_unit_cost()->CopyFrom(Eur(6, 82));  // 6.82 + 10% = 7.502 -> 7.51
  Put(nail);
  EXPECT_EQ(common::FormatMoney(PriceOne("NAIL-1", 1).unit_price()), "EUR 7.51");
}

v1::DiscountRule Kind(v1::DiscountRule rule, v1::DiscountKind kind, Money amount) {
  rule.set_kind(kind);
  rule.set_discount_bps(0);
  *rule.mutable_amount() = amount;
  return rule;
}

v1::DiscountRule Promotion(v1::DiscountRule rule, const Date& start, const Date& end) {
  *rule.mutable_promotion_start() = start;
  *rule.mutable_promotion_end() = end;
  return rule;
}

v1::DiscountRule AllItems(int bps) {
  v1::DiscountRule rule;
  rule.set_discount_bps(bps);
  return rule;
}

v1::DiscountRule Priority(v1::DiscountRule rule, int priority) {
  rule.set_priority(priority);
  return rule;
}

v1::DiscountRule Combinable(v1::DiscountRule rule) {
  rule.set_combinable(true);
  return rule;
}

v1::DiscountRule Bundle(v1::DiscountRule rule, std::vector<std::string> skus) {
  for (auto& sku : skus) rule.add_bundle_skus(std::move(sku));
  return rule;
}

// The discount kinds and conditions, each case checked by price and by the explanation of the
// winner and of the rule that lost.
TEST_F(EngineTest, DiscountKindsPromotionsAndBundlesFollowTheDocumentedPrecedence) {
  struct Case {
    std::string name;
    std::vector<v1::DiscountRule> rules;
    std::vector<std::string> basket;  // other SKUs in the basket
    std::string net;
    int winner;  // -1: none
    std::string lost_because;
  };
  const Date june_1 = MakeDate(2026, 6, 1);  // the price date of inputs_
  const std::vector<Case> cases = {
      {"amount off",
       {Kind(SkuRule("DRILL-1", 0), v1::DISCOUNT_KIND_AMOUNT_OFF, Eur(7, 50))},
       {},
       "EUR 92.50",
       0,
       ""},
      {"amount off stops at zero",
       {Kind(SkuRule("DRILL-1", 0), v1::DISCOUNT_KIND_AMOUNT_OFF, Eur(150, 0))},
       {},
       "EUR 0.00",
       0,
       ""},
      {"fixed price",
       {Kind(SkuRule("DRILL-1", 0), v1::DISCOUNT_KIND_FIXED_PRICE, Eur(81, 25))},
       {},
       "EUR 81.25",
       0,
       ""},
      {"fixed price above the list price leaves it",
       {Kind(SkuRule("DRILL-1", 0), v1::DISCOUNT_KIND_FIXED_PRICE, Eur(120, 0))},
       {},
       "EUR 100.00",
       0,
       ""},
      {"promotion in its period beats the standing rule of the same scope",
       {CategoryRule("tools", 500),
        Promotion(CategoryRule("tools", 1500), MakeDate(2026, 5, 1), june_1)},
       {},
       "EUR 85.00",
       1,
       "the better price for the customer"},
      {"promotion outside its period does not apply",
       {CategoryRule("tools", 500),
        Promotion(CategoryRule("tools", 1500), MakeDate(2026, 6, 2), MakeDate(2026, 6, 30))},
       {},
       "EUR 95.00",
       0,
       "outside its promotional period"},
      {"bundle with its partner in the basket",
       {CategoryRule("tools", 500), Bundle(CategoryRule("tools", 1200), {"BIT-SET"})},
       {"BIT-SET"},
       "EUR 88.00",
       1,
       "the better price for the customer"},
      {"bundle without its partner",
       {CategoryRule("tools", 500), Bundle(CategoryRule("tools", 1200), {"BIT-SET"})},
       {},
       "EUR 95.00",
       0,
       "lacks BIT-SET"},
      {"among equals the lower price wins",
       {Bundle(CategoryRule("tools", 500), {"BIT-SET"}),
        Bundle(Kind(CategoryRule("tools", 0), v1::DISCOUNT_KIND_AMOUNT_OFF, Eur(6, 0)),
               {"BIT-SET"})},
       {"BIT-SET"},
       "EUR 94.00",
       1,
       "the better price for the customer"},
      {"an all-items rule applies when nothing more specific does",
       {AllItems(1000)},
       {},
       "EUR 90.00",
       0,
       ""},
      {"any category rule beats an all-items rule",
       {AllItems(3000), CategoryRule("tools", 500)},
       {},
       "EUR 95.00",
       1,
       "more specific scope"},
      {"a higher priority beats a better price",
       {Priority(CategoryRule("tools", 500), 10), CategoryRule("tools", 2000)},
       {},
       "EUR 95.00",
       0,
       "higher priority"},
      {"equal in everything, the older rule wins",
       {CategoryRule("tools", 500), CategoryRule("tools", 500)},
       {},
       "EUR 95.00",
       0,
       "the older rule"},
      {"an exclusive winner applies alone",
       {SkuRule("DRILL-1", 1000), Combinable(CategoryRule("tools", 500))},
       {},
       "EUR 90.00",
       0,
       "which is exclusive"},
      // 100.00 - 10% = 90.00, then - 5.00 = 85.00 (the other order would give 85.50).
      {"combinable rules stack in precedence order",
       {Combinable(Kind(CategoryRule("tools", 0), v1::DISCOUNT_KIND_AMOUNT_OFF, Eur(5, 0))),
        Combinable(SkuRule("DRILL-1", 1000))},
       {},
       "EUR 85.00",
       1,
       ""},
      // 100.00 - 10% - 5% = 85.50; the exclusive 20% category rule is outranked by the SKU rule.
      {"a combinable winner drops the exclusive rules",
       {Combinable(SkuRule("DRILL-1", 1000)), CategoryRule("tools", 2000),
        Combinable(AllItems(500))},
       {},
       "EUR 85.50",
       0,
       "it is exclusive and the winner combinable"},
      {"a more specific scope still beats a promotion",
       {SkuRule("DRILL-1", 100),
        Promotion(CategoryRule("tools", 3000), MakeDate(2026, 1, 1), MakeDate(2026, 12, 31))},
       {},
       "EUR 99.00",
       0,
       "more specific scope"},
  };
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(100, 0)));
  Put(Item(kList, "BIT-SET", "accessories", Eur(20, 0)));
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Terms().clear_discount_rules();
    for (const auto& rule : c.rules) *Terms().add_discount_rules() = rule;
    std::vector<QuoteLine> lines = {Line("DRILL-1", 1)};
    for (const auto& sku : c.basket) lines.push_back(Line(sku, 1));
    auto pricing = ComputeQuote(inputs_, lines);
    ASSERT_TRUE(pricing.ok()) << pricing.status();
    const auto& line = pricing->lines(0);
    EXPECT_EQ(common::FormatMoney(line.unit_price()), c.net);
    int applied = -1;  // the first rule applied: the winner
    std::string not_applied;
    for (const auto& step : line.explanation()) {
      if (step.kind() == v1::PRICING_STEP_KIND_DISCOUNT && applied < 0) {
        applied = step.rule_index();
      }
      if (step.kind() == v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) {
        not_applied += step.description();
      }
    }
    EXPECT_EQ(applied, c.winner);
    if (!c.lost_because.empty()) {
      EXPECT_THAT(not_applied, HasSubstr(c.lost_because));
    }
  }
}

TEST_F(EngineTest, EarlyPaymentTotalIsTheTotalLessTheDiscountRoundedOnce) {
  Put(Item(kList, "DRILL-1", "tools/power/drills", Eur(33, 33)));
  Terms().set_payment_net_days(30);
  Terms().set_early_payment_discount_bps(200);
  Terms().set_early_payment_days(10);
  auto pricing = ComputeQuote(inputs_, {Line("DRILL-1", 3)});
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(common::FormatMoney(pricing->total()), "EUR 99.99");
  // 99.99 x 0.98 = 97.9902 -> 97.99.
  EXPECT_EQ(common::FormatMoney(pricing->early_payment_total()), "EUR 97.99");
  EXPECT_EQ(pricing->early_payment_days(), 10);
  EXPECT_EQ(pricing->early_payment_discount_bps(), 200);
}

}  // namespace
}  // namespace accord::pricing
