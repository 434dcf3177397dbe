// A property test: for random rule sets and baskets, the engine's prices equal those of a
// second, naive evaluation of the documented rules written here independently (every rule
// tested against every line and compared with every other, plain 64-bit integers, where the
// engine looks a line's rules up by SKU and category): scope (SKU, category depth, all items),
// promotional periods, quantity windows, bundles, priority, the better price, the older rule,
// exclusive and combinable rules stacked in precedence order, and the policy's category cap applied
// last.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <set>

#include "accord/common/money.h"
#include "pricing_engine.h"

namespace accord::pricing {
namespace {

constexpr char kList[] = "priceLists/0190a000-0000-7000-8000-000000000001";
const std::vector<std::string> kCategories = {
    "tools", "tools/power", "tools/power/drills", "tools/power/saws", "tools/hand", "garden"};
const std::vector<std::string> kSkus = {"A", "B", "C", "D", "E"};

struct NaiveItem {
  std::string category;
  int64_t cents;
  std::map<int64_t, int64_t> breaks;  // from quantity -> cents
};

struct NaiveRule {
  std::string sku;       // or
  std::string category;  // a prefix; neither: every item
  int64_t bps;           // percent off, or
  int64_t amount_cents;  // an amount off (when bps is 0)
  int64_t min_quantity;
  int64_t max_quantity;  // 0: none
  int64_t priority;
  bool combinable;
  int promotion;       // 0: none; 1: a period holding the price date; 2: one that does not
  std::string bundle;  // a SKU the basket must hold too; "": none
};

bool Covers(const std::string& prefix, const std::string& category) {
  return category == prefix || category.rfind(prefix + "/", 0) == 0;
}

int64_t ScopeRank(const NaiveRule& rule) {
  if (!rule.sku.empty()) return 100;
  if (rule.category.empty()) return 0;
  return static_cast<int64_t>(std::count(rule.category.begin(), rule.category.end(), '/')) + 1;
}

int64_t HalfEven(int64_t num, int64_t den) {
  int64_t quotient = num / den;
  const int64_t rest = num % den;
  if (rest * 2 > den || (rest * 2 == den && quotient % 2 == 1)) ++quotient;
  return quotient;
}

// The rule applied to `nanos`, as nanos x 10000 (exact).
int64_t Apply(const NaiveRule& rule, int64_t nanos) {
  if (rule.bps > 0) return nanos * (10000 - rule.bps);
  return std::max<int64_t>(0, nanos - rule.amount_cents * 10'000'000) * 10000;
}

// Whether rule i comes before rule j, per the README: scope, priority, the lower price alone
// on `list` nanos, the older rule.
bool Before(const std::vector<NaiveRule>& rules, int i, int j, int64_t list) {
  const NaiveRule& a = rules[i];
  const NaiveRule& b = rules[j];
  if (ScopeRank(a) != ScopeRank(b)) return ScopeRank(a) > ScopeRank(b);
  if (a.priority != b.priority) return a.priority > b.priority;
  if (Apply(a, list) != Apply(b, list)) return Apply(a, list) < Apply(b, list);
  return i < j;
}

using NotApplied = std::map<v1::NotAppliedReason, std::vector<int>>;

// Net unit price in cents and the rules applied, in order (empty: none). `limit_bps` is the
// policy's cap for the item's category (-1: none). `not_applied` receives every rule in scope
// that did not apply, by reason: the window, or the first precedence key on which the first
// rule beats it.
std::pair<int64_t, std::vector<int>> NaivePrice(const std::string& sku, const NaiveItem& item,
                                                int64_t quantity,
                                                const std::vector<NaiveRule>& rules,
                                                const std::set<std::string>& basket,
                                                int64_t limit_bps, NotApplied* not_applied) {
  int64_t list_cents = item.cents;
  for (int64_t q = quantity; q >= 2; --q) {
    auto found = item.breaks.find(q);
    if (found != item.breaks.end()) {
      list_cents = found->second;
      break;
    }
  }
  const int64_t list = list_cents * 10'000'000;
  std::vector<int> remaining;
  for (int i = 0; i < static_cast<int>(rules.size()); ++i) {
    const auto& rule = rules[i];
    const bool scope = !rule.sku.empty()        ? rule.sku == sku
                       : !rule.category.empty() ? Covers(rule.category, item.category)
                                                : true;
    const bool window = quantity >= std::max<int64_t>(1, rule.min_quantity) &&
                        (rule.max_quantity == 0 || quantity <= rule.max_quantity);
    if (!scope) continue;
    // Not eligible: outside its promotion, then its quantity window, then its bundle.
    if (rule.promotion == 2) {
      (*not_applied)[v1::NOT_APPLIED_REASON_PROMOTION_PERIOD].push_back(i);
    } else if (!window) {
      (*not_applied)[v1::NOT_APPLIED_REASON_QUANTITY_WINDOW].push_back(i);
    } else if (!rule.bundle.empty() && !basket.count(rule.bundle)) {
      (*not_applied)[v1::NOT_APPLIED_REASON_BUNDLE_INCOMPLETE].push_back(i);
    } else {
      remaining.push_back(i);
    }
  }
  // Every eligible rule in precedence order, by picking the one before all the others.
  std::vector<int> ordered;
  while (!remaining.empty()) {
    for (size_t c = 0; c < remaining.size(); ++c) {
      bool first = true;
      for (int other : remaining) {
        if (other != remaining[c] && !Before(rules, remaining[c], other, list)) first = false;
      }
      if (first) {
        ordered.push_back(remaining[c]);
        remaining.erase(remaining.begin() + static_cast<long>(c));
        break;
      }
    }
  }
  std::vector<int> applied;
  if (!ordered.empty()) {
    applied.push_back(ordered[0]);
    if (rules[ordered[0]].combinable) {
      for (size_t k = 1; k < ordered.size(); ++k) {
        if (rules[ordered[k]].combinable) applied.push_back(ordered[k]);
      }
    }
  }
  for (const int loser : ordered) {
    if (std::find(applied.begin(), applied.end(), loser) != applied.end()) continue;
    const NaiveRule& a = rules[ordered[0]];
    const NaiveRule& b = rules[loser];
    const v1::NotAppliedReason reason =
        ScopeRank(a) != ScopeRank(b)       ? v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE
        : a.priority != b.priority         ? v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRIORITY
        : Apply(a, list) != Apply(b, list) ? v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRICE
                                           : v1::NOT_APPLIED_REASON_OUTRANKED_BY_AGE;
    (*not_applied)[reason].push_back(loser);
  }
  for (auto& [reason, indexes] : *not_applied) std::sort(indexes.begin(), indexes.end());
  int64_t numerator = list * 10000;
  for (size_t k = 0; k < applied.size(); ++k) {
    numerator = Apply(rules[applied[k]], k == 0 ? list : HalfEven(numerator, 10000));
  }
  if (!applied.empty() && limit_bps >= 0 && numerator < list * (10000 - limit_bps)) {
    numerator = list * (10000 - limit_bps);
  }
  return {HalfEven(numerator, int64_t{10000} * 10'000'000), applied};
}

Money Cents(int64_t cents) {
  return common::MakeMoney("EUR", cents / 100, static_cast<int32_t>(cents % 100) * 10'000'000);
}

int64_t ToCents(const Money& money) { return money.units() * 100 + money.nanos() / 10'000'000; }

TEST(PricingPropertyTest, EngineAgreesWithANaiveEvaluation) {
  std::mt19937_64 random(20261206);
  auto pick = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random);
  };
  // The generator must exercise precedence, stacking and the policy's cap.
  int discounted = 0, outranked = 0, stacked = 0, capped = 0;
  std::set<v1::NotAppliedReason> reasons_seen;
  for (int round = 0; round < 500; ++round) {
    PricingInputs inputs;
    inputs.price_date = MakeDate(2026, 6, 15);
    PriceList list;
    list.set_name(kList);
    list.set_currency_code("EUR");
    inputs.lists.push_back(list);
    std::map<std::string, NaiveItem> naive_items;
    for (const auto& sku : kSkus) {
      NaiveItem naive{kCategories[pick(0, kCategories.size() - 1)], pick(0, 100000), {}};
      PriceListItem item;
      item.set_name(std::string(kList) + "/items/" + sku);
      item.set_sku(sku);
      item.set_category(naive.category);
      *item.mutable_unit_price() = Cents(naive.cents);
      for (int b = pick(0, 3); b > 0; --b) {
        const int64_t from = pick(2, 200);
        if (naive.breaks.count(from)) continue;
        naive.breaks[from] = pick(0, naive.cents);
        auto* quantity_break = item.add_quantity_breaks();
        quantity_break->set_min_quantity(from);
        *quantity_break->mutable_unit_price() = Cents(naive.breaks[from]);
      }
      naive_items[sku] = naive;
      inputs.items[kList][sku] = item;
    }
    TradingTerms terms;
    terms.set_name("accounts/x/tradingTerms/y");
    std::vector<NaiveRule> rules;
    // Every fifth round many rules, so that lines share the rules gathered for their category
    // and merge their SKU's own.
    for (int r = round % 5 == 0 ? pick(20, 60) : pick(0, 8); r > 0; --r) {
      NaiveRule rule{};
      const int64_t scope = pick(0, 5);
      if (scope <= 1) {
        rule.sku = kSkus[pick(0, kSkus.size() - 1)];
      } else if (scope <= 4) {
        rule.category = kCategories[pick(0, kCategories.size() - 1)];
      }
      if (pick(0, 3) == 0) {
        rule.amount_cents = pick(1, 20000);
      } else {
        rule.bps = pick(1, 10000);
      }
      const int64_t thresholds[] = {0, 1, 10, 50, 100};
      rule.min_quantity = thresholds[pick(0, 4)];
      if (pick(0, 3) == 0)
        rule.max_quantity = std::max<int64_t>(1, rule.min_quantity) + pick(0, 100);
      rule.priority = pick(0, 2) == 0 ? pick(1, 3) : 0;
      rule.combinable = pick(0, 1) == 1;
      if (pick(0, 5) == 0) rule.promotion = static_cast<int>(pick(1, 2));
      if (pick(0, 5) == 0) rule.bundle = kSkus[pick(0, kSkus.size() - 1)];
      rules.push_back(rule);
      auto* discount = terms.add_discount_rules();
      discount->set_sku(rule.sku);
      discount->set_category(rule.category);
      if (rule.bps > 0) {
        discount->set_discount_bps(static_cast<int32_t>(rule.bps));
      } else {
        discount->set_kind(v1::DISCOUNT_KIND_AMOUNT_OFF);
        *discount->mutable_amount() = Cents(rule.amount_cents);
      }
      discount->set_min_quantity(rule.min_quantity);
      discount->set_max_quantity(rule.max_quantity);
      discount->set_priority(static_cast<int32_t>(rule.priority));
      discount->set_combinable(rule.combinable);
      if (rule.promotion == 1) {
        *discount->mutable_promotion_start() = MakeDate(2026, 6, 1);
        *discount->mutable_promotion_end() = MakeDate(2026, 6, 30);
      } else if (rule.promotion == 2) {
        *discount->mutable_promotion_start() = MakeDate(2026, 7, 1);
        *discount->mutable_promotion_end() = MakeDate(2026, 7, 31);
      }
      if (!rule.bundle.empty()) discount->add_bundle_skus(rule.bundle);
    }
    // Sometimes a policy limit on one category (and so its subcategories).
    std::string limited;
    int64_t limit_bps = -1;
    if (pick(0, 2) == 0) {
      limited = kCategories[pick(0, kCategories.size() - 1)];
      limit_bps = pick(0, 5000);
      auto* limit = inputs.policy.add_category_limits();
      limit->set_category(limited);
      limit->set_max_discount_bps(static_cast<int32_t>(limit_bps));
    }
    inputs.terms = terms;
    std::vector<QuoteLine> lines;
    for (int l = pick(1, 6); l > 0; --l) {
      QuoteLine line;
      line.set_sku(kSkus[pick(0, kSkus.size() - 1)]);
      line.set_quantity(pick(1, 250));
      lines.push_back(line);
    }
    std::set<std::string> basket;
    for (const auto& line : lines) basket.insert(line.sku());
    auto pricing = ComputeQuote(inputs, lines, v1::PRICING_VIEW_FULL);
    ASSERT_TRUE(pricing.ok()) << pricing.status();
    auto basic = ComputeQuote(inputs, lines, v1::PRICING_VIEW_BASIC);
    ASSERT_TRUE(basic.ok()) << basic.status();
    int64_t total = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const NaiveItem& item = naive_items[lines[i].sku()];
      NotApplied naive_not_applied;
      const auto [cents, applied] = NaivePrice(
          lines[i].sku(), item, lines[i].quantity(), rules, basket,
          !limited.empty() && Covers(limited, item.category) ? limit_bps : -1, &naive_not_applied);
      const auto& line = pricing->lines(static_cast<int>(i));
      const auto& basic_line = basic->lines(static_cast<int>(i));
      // FULL: one step for every rule in scope that did not apply, with the naive reason.
      NotApplied full_steps;
      for (const auto& step : line.explanation()) {
        if (step.kind() == v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) {
          full_steps[step.not_applied_reason()].push_back(step.rule_index());
        }
      }
      for (auto& [reason, indexes] : full_steps) std::sort(indexes.begin(), indexes.end());
      ASSERT_EQ(full_steps, naive_not_applied) << "round " << round << " line " << i;
      // BASIC: the same groups and counts on both views, the same price, and the FULL steps
      // less the DISCOUNT_NOT_APPLIED ones.
      NotApplied groups;
      for (const auto& group : basic_line.rules_not_applied()) {
        ASSERT_EQ(group.count(), group.rule_indexes_size());
        groups[group.reason()] = {group.rule_indexes().begin(), group.rule_indexes().end()};
      }
      ASSERT_EQ(groups, naive_not_applied) << "round " << round << " line " << i;
      for (const auto& [reason, indexes] : groups) reasons_seen.insert(reason);
      ASSERT_EQ(basic_line.rules_not_applied_size(), line.rules_not_applied_size());
      ASSERT_EQ(basic_line.unit_price().SerializeAsString(), line.unit_price().SerializeAsString());
      ASSERT_EQ(basic_line.decision(), line.decision());
      std::vector<std::string> full_kept;
      for (const auto& step : line.explanation()) {
        if (step.kind() != v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) {
          full_kept.push_back(step.SerializeAsString());
        }
      }
      std::vector<std::string> basic_steps;
      for (const auto& step : basic_line.explanation()) {
        basic_steps.push_back(step.SerializeAsString());
      }
      ASSERT_EQ(basic_steps, full_kept) << "round " << round << " line " << i;
      ASSERT_EQ(ToCents(line.unit_price()), cents) << "round " << round << " line " << i;
      ASSERT_EQ(ToCents(line.line_total()), cents * lines[i].quantity());
      std::vector<int> engine_applied;
      for (const auto& step : line.explanation()) {
        if (step.kind() == v1::PRICING_STEP_KIND_DISCOUNT)
          engine_applied.push_back(step.rule_index());
        if (step.kind() == v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) ++outranked;
        if (step.kind() == v1::PRICING_STEP_KIND_POLICY_CAP) ++capped;
      }
      ASSERT_EQ(engine_applied, applied) << "round " << round << " line " << i;
      if (!applied.empty()) ++discounted;
      if (applied.size() > 1) ++stacked;
      total += cents * lines[i].quantity();
    }
    ASSERT_EQ(ToCents(pricing->total()), total);
    // A saved (FULL) quote read in the BASIC view is what BASIC answers; so is one saved before
    // reasons and groups were recorded, its groups rebuilt from the steps' words.
    QuotePricing as_basic = *pricing;
    ToBasicView(as_basic);
    ASSERT_EQ(as_basic.SerializeAsString(), basic->SerializeAsString()) << "round " << round;
    QuotePricing legacy = *pricing;
    for (auto& line : *legacy.mutable_lines()) {
      line.clear_rules_not_applied();
      for (auto& step : *line.mutable_explanation()) step.clear_not_applied_reason();
    }
    ToBasicView(legacy);
    ASSERT_EQ(legacy.SerializeAsString(), basic->SerializeAsString()) << "round " << round;
  }
  EXPECT_GT(discounted, 300);
  EXPECT_GT(outranked, 300);
  EXPECT_GT(stacked, 50);
  EXPECT_GT(capped, 20);
  // The promotion, the window, the bundle and every precedence key, each seen against a loser.
  EXPECT_EQ(reasons_seen.size(), 7u);
}

}  // namespace
}  // namespace accord::pricing
