#include "pricing_engine.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string_view>
#include <unordered_map>

#include "accord/common/errors.h"

namespace accord::pricing {
namespace {

using common::Int128;
using v1::DiscountRule;
using v1::PricedLine;
using v1::PricingStep;

constexpr int64_t kBpsScale = 10000;

std::string Percent(int64_t bps) {
  const int64_t magnitude = bps < 0 ? -bps : bps;
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%s%lld.%02lld%%", bps < 0 ? "-" : "",
                static_cast<long long>(magnitude / 100), static_cast<long long>(magnitude % 100));
  return buffer;
}

// Money for display in an explanation; values here are bounded well inside the Money range.
Money ToMoney(const std::string& currency, Int128 nanos) {
  auto money = common::FromNanos(currency, nanos);
  return money.ok() ? *money : common::MakeMoney(currency, 0);
}

std::string Show(const std::string& currency, Int128 nanos) {
  return common::FormatMoney(ToMoney(currency, nanos));
}

void AddStep(PricedLine& line, v1::PricingStepKind kind, std::string description,
             const std::string& source, const Money& unit_price, int32_t bps = 0,
             int32_t rule_index = 0) {
  PricingStep* step = line.add_explanation();
  step->set_kind(kind);
  step->set_description(std::move(description));
  step->set_source(source);
  *step->mutable_unit_price() = unit_price;
  step->set_bps(bps);
  step->set_rule_index(rule_index);
}

void AddStep(PricedLine& line, v1::PricingStepKind kind, std::string description,
             const std::string& source, const std::string& currency, Int128 nanos, int32_t bps = 0,
             int32_t rule_index = 0) {
  AddStep(line, kind, std::move(description), source, ToMoney(currency, nanos), bps, rule_index);
}

// The rules not applied to a line, by reason (ascending indexes each).
using NotApplied = std::map<v1::NotAppliedReason, std::vector<int32_t>>;

// What an eligible rule lost on, as the explanation words it.
std::string_view PrecedenceText(v1::NotAppliedReason reason) {
  switch (reason) {
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE:
      return "more specific scope";
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRIORITY:
      return "higher priority";
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRICE:
      return "the better price for the customer";
    default:
      return "the older rule";
  }
}

std::string GroupText(v1::NotAppliedReason reason, size_t count) {
  std::string text = std::to_string(count) + (count == 1 ? " rule " : " rules ");
  switch (reason) {
    case v1::NOT_APPLIED_REASON_PROMOTION_PERIOD:
      return text + "not applicable: outside the promotional period";
    case v1::NOT_APPLIED_REASON_QUANTITY_WINDOW:
      return text + "not applicable: quantity window";
    case v1::NOT_APPLIED_REASON_BUNDLE_INCOMPLETE:
      return text + "not applicable: bundle incomplete in the basket";
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE:
      return text + "outranked by a more specific scope";
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRIORITY:
      return text + "outranked by priority";
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRICE:
      return text + "outranked by the better price for the customer";
    case v1::NOT_APPLIED_REASON_OUTRANKED_BY_AGE:
      return text + "outranked by an older rule";
    default:
      return text + "not applied";
  }
}

void AddNotAppliedGroup(v1::NotAppliedReason reason, const std::vector<int32_t>& indexes,
                        PricedLine& line) {
  v1::NotAppliedGroup* group = line.add_rules_not_applied();
  group->set_reason(reason);
  group->set_count(static_cast<int32_t>(indexes.size()));
  group->set_description(GroupText(reason, indexes.size()));
  group->mutable_rule_indexes()->Add(indexes.begin(), indexes.end());
}

void AddNotAppliedGroups(const NotApplied& not_applied, PricedLine& line) {
  for (const auto& [reason, indexes] : not_applied) AddNotAppliedGroup(reason, indexes, line);
}

// A line's rules not applied, indexed by reason (the enum's values 0..7), reused line after line.
using NotAppliedLists = std::array<std::vector<int32_t>, v1::NotAppliedReason_ARRAYSIZE>;

// The reason of a DISCOUNT_NOT_APPLIED step saved before steps carried one, from its words.
v1::NotAppliedReason ReasonFromText(std::string_view text) {
  constexpr std::pair<std::string_view, v1::NotAppliedReason> kPhrases[] = {
      {"promotional period", v1::NOT_APPLIED_REASON_PROMOTION_PERIOD},
      {"_quantity ", v1::NOT_APPLIED_REASON_QUANTITY_WINDOW},
      {"of its bundle", v1::NOT_APPLIED_REASON_BUNDLE_INCOMPLETE},
      {"(more specific scope)", v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE},
      {"(higher priority)", v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRIORITY},
      {"(the better price for the customer)", v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRICE},
      {"(the older rule)", v1::NOT_APPLIED_REASON_OUTRANKED_BY_AGE},
  };
  for (const auto& [phrase, reason] : kPhrases) {
    if (text.find(phrase) != std::string_view::npos) return reason;
  }
  return v1::NOT_APPLIED_REASON_UNSPECIFIED;
}

struct Resolved {
  Int128 nanos = 0;
  const PriceListItem* item = nullptr;
};

// What a quote's terms say of each rule that does not depend on the line.
struct RuleFacts {
  bool outside_promotion = false;  // the price date is outside its promotional period
  bool bundle_incomplete = false;  // the basket lacks one of its bundle's SKUs
  int64_t min_quantity = 1;
  int64_t max_quantity = INT64_MAX;
};

// A rule in scope of a line.
struct Match {
  int index;
  const DiscountRule* rule;
  int64_t rank;  // SKU rules outrank any category depth, categories the all-items rules
  int32_t priority;
  v1::NotAppliedReason outside;  // why the rule is not eligible, UNSPECIFIED when it is
  Int128 numerator;              // the net unit price x 10000 under this rule alone
  bool applied = false;
};

class LinePricer {
 public:
  LinePricer(const PricingInputs& inputs, const std::string& currency,
             const std::vector<QuoteLine>& lines, bool full)
      : inputs_(inputs), currency_(currency), minor_(MinorUnitNanos(currency)), full_(full) {
    for (const auto& line : lines) basket_.insert(line.sku());
    if (!inputs_.terms) return;
    // Each rule's scope, once per quote: lines look their rules up by SKU and by each prefix of
    // their category instead of testing every rule.
    const TradingTerms& terms = *inputs_.terms;
    const size_t count = static_cast<size_t>(terms.discount_rules_size());
    rule_texts_.resize(count);
    rule_ranks_.resize(count);
    facts_.resize(count);
    for (int i = 0; i < terms.discount_rules_size(); ++i) {
      const DiscountRule& rule = terms.discount_rules(i);
      // What does not depend on the line (the price date, the basket) is decided once.
      RuleFacts& facts = facts_[static_cast<size_t>(i)];
      facts.outside_promotion =
          IsDateSet(rule.promotion_start()) &&
          !InWindow(inputs_.price_date, rule.promotion_start(), rule.promotion_end());
      facts.min_quantity = std::max<int64_t>(1, rule.min_quantity());
      facts.max_quantity = rule.max_quantity() > 0 ? rule.max_quantity() : INT64_MAX;
      for (const auto& sku : rule.bundle_skus()) {
        if (!basket_.count(sku)) facts.bundle_incomplete = true;
      }
      if (!rule.sku().empty()) {
        by_sku_[rule.sku()].push_back(i);
        rule_ranks_[static_cast<size_t>(i)] = 1000;
      } else if (!rule.category().empty()) {
        by_category_[rule.category()].push_back(i);
        rule_ranks_[static_cast<size_t>(i)] = static_cast<int64_t>(CategoryDepth(rule.category()));
      } else {
        for_all_.push_back(i);
      }
    }
  }

  // The list price of `sku` in lists[index] for `quantity`, with its steps; nullopt when no list
  // from `index` up carries the SKU.
  std::optional<Resolved> ListPrice(size_t index, const std::string& sku, int64_t quantity,
                                    PricedLine& line) const {
    const PriceList& list = inputs_.lists[index];
    auto items = inputs_.items.find(list.name());
    if (items != inputs_.items.end()) {
      auto found = items->second.find(sku);
      if (found != items->second.end()) {
        const PriceListItem& item = found->second;
        Int128 price = common::ToNanos(item.unit_price());
        AddStep(line, v1::PRICING_STEP_KIND_LIST_PRICE,
                "unit price of " + item.name() + ": " + Show(currency_, price), item.name(),
                currency_, price);
        const v1::QuantityBreak* best = nullptr;
        for (const auto& quantity_break : item.quantity_breaks()) {
          if (quantity_break.min_quantity() <= quantity &&
              (best == nullptr || quantity_break.min_quantity() > best->min_quantity())) {
            best = &quantity_break;
          }
        }
        if (best != nullptr) {
          price = common::ToNanos(best->unit_price());
          AddStep(line, v1::PRICING_STEP_KIND_QUANTITY_BREAK,
                  "quantity break from " + std::to_string(best->min_quantity()) + " " +
                      item.unit() + ": " + Show(currency_, price),
                  item.name(), currency_, price);
        }
        return Resolved{price, &item};
      }
    }
    if (index + 1 >= inputs_.lists.size()) return std::nullopt;
    auto base = ListPrice(index + 1, sku, quantity, line);
    if (!base) return std::nullopt;
    const int64_t bps = list.adjustment_bps();
    const Int128 step = IsMoneySet(list.rounding_step()) ? common::ToNanos(list.rounding_step())
                                                         : static_cast<Int128>(minor_);
    const Int128 numerator = base->nanos * (kBpsScale + bps);
    const Int128 to_the_nano = DivideHalfEven(numerator, kBpsScale);
    AddStep(line, v1::PRICING_STEP_KIND_BASE_LIST_ADJUSTMENT,
            list.name() + " derives from " + inputs_.lists[index + 1].name() + " " + Percent(bps) +
                ": " + Show(currency_, to_the_nano),
            list.name(), currency_, to_the_nano, static_cast<int32_t>(bps));
    const Int128 rounded = ApplyBps(base->nanos, bps, step);
    if (numerator % (kBpsScale * step) != 0) {
      AddStep(line, v1::PRICING_STEP_KIND_ROUNDING,
              "rounded half-even to a multiple of " + Show(currency_, step) + " (" + list.name() +
                  "): " + Show(currency_, rounded),
              list.name(), currency_, rounded);
    }
    return Resolved{rounded, base->item};
  }

  // Applies the discount rules that win (see DiscountRule in trading_terms.proto), then the
  // policy's caps and the final rounding; returns the net price.
  Int128 Discount(Int128 list_price, const PriceListItem& item, int64_t quantity,
                  PricedLine& line) const {
    Int128 exact_numerator = list_price * kBpsScale;
    if (inputs_.terms) {
      const TradingTerms& terms = *inputs_.terms;
      const std::vector<int>& in_scope = RulesInScope(item);
      std::vector<Match>& matches = matches_;
      matches.clear();
      for (const int i : in_scope) {
        const DiscountRule& rule = terms.discount_rules(i);
        matches.push_back(Match{i, &rule, rule_ranks_[static_cast<size_t>(i)], rule.priority(),
                                Eligibility(i, quantity), NetNumerator(rule, list_price)});
      }
      std::vector<Match*>& eligible = eligible_;
      eligible.clear();
      for (auto& match : matches) {
        if (match.outside == v1::NOT_APPLIED_REASON_UNSPECIFIED) eligible.push_back(&match);
      }
      // Precedence: scope, priority, the lower net price, the older rule.
      const auto ahead = [](const Match* a, const Match* b) {
        if (a->rank != b->rank) return a->rank > b->rank;
        if (a->priority != b->priority) return a->priority > b->priority;
        if (a->numerator != b->numerator) return a->numerator < b->numerator;
        return a->index < b->index;
      };
      // Only the first two need ordering (the winner, and the runner-up for the decision); the
      // rest are ordered only when they stack.
      std::partial_sort(
          eligible.begin(),
          eligible.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(2, eligible.size())),
          eligible.end(), ahead);
      // Why `a`, ahead in precedence, comes before `b`: the first key that tells them apart.
      auto beats = [](const Match& a, const Match& b) {
        if (a.rank != b.rank) return v1::NOT_APPLIED_REASON_OUTRANKED_BY_SCOPE;
        if (a.priority != b.priority) return v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRIORITY;
        if (a.numerator != b.numerator) return v1::NOT_APPLIED_REASON_OUTRANKED_BY_PRICE;
        return v1::NOT_APPLIED_REASON_OUTRANKED_BY_AGE;
      };
      const Match* winner = eligible.empty() ? nullptr : eligible.front();
      std::vector<const Match*>& applied = applied_;
      applied.clear();
      if (winner != nullptr) {
        for (Match* match : eligible) {
          if (match == winner || (winner->rule->combinable() && match->rule->combinable())) {
            match->applied = true;
            applied.push_back(match);
          }
        }
        // The winner first (it leads `eligible`); the stacked rules in precedence order.
        std::sort(applied.begin() + 1, applied.end(), ahead);
      }
      // The first rule exactly; each stacked one on the previous price rounded to the nano.
      for (size_t k = 0; k < applied.size(); ++k) {
        const Match& match = *applied[k];
        const Int128 before = DivideHalfEven(exact_numerator, kBpsScale);
        exact_numerator = k == 0 ? match.numerator : NetNumerator(*match.rule, before);
        const Int128 net = DivideHalfEven(exact_numerator, kBpsScale);
        AddStep(line, v1::PRICING_STEP_KIND_DISCOUNT,
                "discount rule " + RuleText(match.index) + " of " + terms.name() +
                    (k == 0 ? "" : ", stacked") + ": " + Effect(*match.rule, before) + " = " +
                    Show(currency_, net),
                terms.name(), currency_, net, RuleDiscountBps(*match.rule, before, net),
                match.index);
      }
      if (winner != nullptr) {
        const v1::CategoryLimit* limit = CategoryLimitFor(inputs_.policy, item.category());
        const Int128 capped = list_price * (kBpsScale - (limit ? limit->max_discount_bps() : 0));
        if (limit != nullptr && exact_numerator < capped) {
          exact_numerator = capped;
          AddStep(line, v1::PRICING_STEP_KIND_POLICY_CAP,
                  "discount capped at " + Percent(limit->max_discount_bps()) +
                      ", the pricing policy's limit for category " + limit->category() + ": " +
                      Show(currency_, DivideHalfEven(exact_numerator, kBpsScale)),
                  inputs_.policy.name(), currency_, DivideHalfEven(exact_numerator, kBpsScale),
                  limit->max_discount_bps(), winner->index);
        }
      }
      // The losers: grouped by reason on every view, one step each on the full one.
      NotAppliedLists& not_applied = not_applied_;
      for (auto& indexes : not_applied) indexes.clear();
      const Money list_money = full_ ? ToMoney(currency_, list_price) : Money();
      for (const auto& match : matches) {
        if (match.applied) continue;
        const v1::NotAppliedReason reason = match.outside != v1::NOT_APPLIED_REASON_UNSPECIFIED
                                                ? match.outside
                                                : beats(*winner, match);
        not_applied[static_cast<size_t>(reason)].push_back(match.index);
        if (!full_) continue;
        std::string description = "discount rule " + RuleText(match.index) + " not applied: ";
        if (match.outside != v1::NOT_APPLIED_REASON_UNSPECIFIED) {
          description += OutsideText(*match.rule, quantity, match.outside);
        } else {
          description +=
              "outranked by discount_rules[" + std::to_string(winner->index) + "] (" +
              std::string(PrecedenceText(reason)) +
              (winner->rule->combinable() ? "); it is exclusive and the winner combinable"
                                          : "), which is exclusive");
        }
        AddStep(line, v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED, std::move(description),
                terms.name(), list_money, match.rule->discount_bps(), match.index);
        line.mutable_explanation(line.explanation_size() - 1)->set_not_applied_reason(reason);
      }
      for (size_t reason = 0; reason < not_applied.size(); ++reason) {
        if (!not_applied[reason].empty()) {
          AddNotAppliedGroup(static_cast<v1::NotAppliedReason>(reason), not_applied[reason], line);
        }
      }
      line.set_decision(Decision(terms, matches.size(), eligible.size(), applied.size(),
                                 winner == nullptr ? -1 : winner->index,
                                 eligible.size() > 1 && winner != nullptr
                                     ? beats(*winner, *eligible[1])
                                     : v1::NOT_APPLIED_REASON_UNSPECIFIED));
    } else {
      line.set_decision("no trading terms in force: the list price, no discount rules");
    }
    Int128 rounded = DivideHalfEven(exact_numerator, kBpsScale * minor_) * minor_;
    if (exact_numerator % (kBpsScale * minor_) != 0) {
      AddStep(line, v1::PRICING_STEP_KIND_ROUNDING,
              "net unit price rounded half-even to the minor unit " + Show(currency_, minor_) +
                  ": " + Show(currency_, rounded),
              "", currency_, rounded);
    }
    if (item.has_unit_cost() && IsMoneySet(item.unit_cost())) {
      const int64_t margin = inputs_.policy.min_margin_bps();
      const Int128 cost = common::ToNanos(item.unit_cost());
      // A floor is a minimum: rounded up, so the margin is never short by a fraction.
      const Int128 scaled = cost * (kBpsScale + margin);
      const Int128 unit = kBpsScale * minor_;
      const Int128 floor = (scaled / unit + (scaled % unit > 0 ? 1 : 0)) * minor_;
      const Int128 list_rounded = RoundHalfEven(list_price, minor_);
      const Int128 raised = std::min(floor, list_rounded);
      if (rounded < raised) {
        rounded = raised;
        AddStep(
            line, v1::PRICING_STEP_KIND_POLICY_CAP,
            "net unit price raised to " + Show(currency_, raised) +
                (raised == floor ? ", the pricing policy's floor: cost " + Show(currency_, cost) +
                                       " + " + Percent(margin) + " minimum margin"
                                 : ", the list price (the minimum-margin floor " +
                                       Show(currency_, floor) + " is above it)"),
            item.name(), currency_, rounded, static_cast<int32_t>(margin));
      }
    }
    return rounded;
  }

 private:
  // Why rule `index`, in scope, is not eligible for `quantity` of the line; UNSPECIFIED when
  // it is. In this order: the promotional period, the quantity window, the bundle.
  v1::NotAppliedReason Eligibility(int index, int64_t quantity) const {
    const RuleFacts& facts = facts_[static_cast<size_t>(index)];
    if (facts.outside_promotion) return v1::NOT_APPLIED_REASON_PROMOTION_PERIOD;
    if (quantity < facts.min_quantity || quantity > facts.max_quantity) {
      return v1::NOT_APPLIED_REASON_QUANTITY_WINDOW;
    }
    if (facts.bundle_incomplete) return v1::NOT_APPLIED_REASON_BUNDLE_INCOMPLETE;
    return v1::NOT_APPLIED_REASON_UNSPECIFIED;
  }

  // Eligibility's reason in words, for the full explanation.
  std::string OutsideText(const DiscountRule& rule, int64_t quantity,
                          v1::NotAppliedReason reason) const {
    const int64_t min_quantity = std::max<int64_t>(1, rule.min_quantity());
    switch (reason) {
      case v1::NOT_APPLIED_REASON_PROMOTION_PERIOD:
        return "the price date " + DateText(inputs_.price_date) +
               " is outside its promotional period";
      case v1::NOT_APPLIED_REASON_QUANTITY_WINDOW:
        return quantity < min_quantity
                   ? "quantity " + std::to_string(quantity) + " is below its min_quantity " +
                         std::to_string(min_quantity)
                   : "quantity " + std::to_string(quantity) + " is above its max_quantity " +
                         std::to_string(rule.max_quantity());
      default:
        for (const auto& sku : rule.bundle_skus()) {
          if (!basket_.count(sku)) return "the basket lacks " + sku + " of its bundle";
        }
        return "its bundle is incomplete";
    }
  }

  // Which rule decided the line and why, for people.
  std::string Decision(const TradingTerms& terms, size_t in_scope, size_t eligible, size_t applied,
                       int winner, v1::NotAppliedReason over_next) const {
    if (in_scope == 0) return "no discount rule of " + terms.name() + " covers this item";
    const std::string of = std::to_string(in_scope) + (in_scope == 1 ? " rule" : " rules");
    if (winner < 0) return "no discount: none of the " + of + " covering this item is eligible";
    const bool combinable = inputs_.terms->discount_rules(winner).combinable();
    std::string text = RuleText(winner) + " decided among " + std::to_string(eligible) +
                       " eligible of the " + of + " covering this item: ";
    text += eligible == 1 ? std::string("the only eligible rule")
                          : std::string(PrecedenceText(over_next)) + " than the next";
    if (!combinable) return text + "; exclusive, applied alone";
    if (applied == 1) return text + "; combinable, no other combinable rule to stack";
    return text + "; combinable, " + std::to_string(applied - 1) + " more stacked on it";
  }

  static bool IsPercent(const DiscountRule& rule) {
    return rule.kind() == v1::DISCOUNT_KIND_UNSPECIFIED ||
           rule.kind() == v1::DISCOUNT_KIND_PERCENT_OFF;
  }

  // The net unit price x 10000 the rule gives: exact for a percentage; an amount off stops at
  // zero; a fixed price above the list price leaves the list price.
  static Int128 NetNumerator(const DiscountRule& rule, Int128 list_price) {
    if (IsPercent(rule)) return list_price * (kBpsScale - rule.discount_bps());
    const Int128 amount = common::ToNanos(rule.amount());
    const Int128 net = rule.kind() == v1::DISCOUNT_KIND_AMOUNT_OFF
                           ? std::max<Int128>(0, list_price - amount)
                           : std::min(list_price, amount);
    return net * kBpsScale;
  }

  // The discount in basis points, for the explanation (exact for percentages).
  static int32_t RuleDiscountBps(const DiscountRule& rule, Int128 list_price, Int128 net) {
    if (IsPercent(rule)) return rule.discount_bps();
    if (list_price <= 0) return 0;
    return static_cast<int32_t>(DivideHalfEven((list_price - net) * kBpsScale, list_price));
  }

  std::string Effect(const DiscountRule& rule, Int128 list_price) const {
    if (IsPercent(rule)) return Percent(-rule.discount_bps());
    const Int128 amount = common::ToNanos(rule.amount());
    if (rule.kind() == v1::DISCOUNT_KIND_AMOUNT_OFF) return Show(currency_, amount) + " off";
    return amount > list_price
               ? "fixed price " + Show(currency_, amount) + " is above the list price, which stands"
               : "fixed price";
  }

  // The rules of the terms whose scope covers `item`, in their order in the terms. Those that
  // cover its category (and every item) are gathered once per category and quote; the item's
  // own SKU rules are merged in.
  const std::vector<int>& RulesInScope(const PriceListItem& item) const {
    auto [cached, added] = by_item_category_.try_emplace(item.category());
    std::vector<int>& general = cached->second;
    if (added) {
      general = for_all_;
      // Every prefix of the category that ends at a '/' or at its end (CategoryCovers).
      const std::string_view category = item.category();
      for (size_t end = 1; end <= category.size() && !by_category_.empty(); ++end) {
        if (end != category.size() && category[end] != '/') continue;
        if (auto rules = by_category_.find(category.substr(0, end)); rules != by_category_.end()) {
          general.insert(general.end(), rules->second.begin(), rules->second.end());
        }
      }
      std::sort(general.begin(), general.end());
    }
    auto sku = by_sku_.find(item.sku());
    if (sku == by_sku_.end()) return general;
    in_scope_.clear();
    std::merge(general.begin(), general.end(), sku->second.begin(), sku->second.end(),
               std::back_inserter(in_scope_));
    return in_scope_;
  }

  // The rule's description, made once per quote.
  const std::string& RuleText(int index) const {
    std::string& text = rule_texts_[static_cast<size_t>(index)];
    if (text.empty()) text = MakeRuleText(index, inputs_.terms->discount_rules(index));
    return text;
  }

  std::string MakeRuleText(int index, const DiscountRule& rule) const {
    std::string text = "discount_rules[" + std::to_string(index) + "] (";
    text += !rule.sku().empty()        ? "sku " + rule.sku()
            : !rule.category().empty() ? "category " + rule.category()
                                       : std::string("all items");
    if (IsPercent(rule)) {
      text += ", " + Percent(rule.discount_bps());
    } else {
      text += (rule.kind() == v1::DISCOUNT_KIND_AMOUNT_OFF ? ", " : ", fixed ") +
              Show(currency_, common::ToNanos(rule.amount())) +
              (rule.kind() == v1::DISCOUNT_KIND_AMOUNT_OFF ? " off" : "");
    }
    if (rule.min_quantity() > 1) text += ", from " + std::to_string(rule.min_quantity());
    if (rule.max_quantity() > 0) text += ", up to " + std::to_string(rule.max_quantity());
    if (rule.priority() > 0) text += ", priority " + std::to_string(rule.priority());
    if (rule.combinable()) text += ", combinable";
    if (IsDateSet(rule.promotion_start())) {
      text +=
          ", promotion " + DateText(rule.promotion_start()) + ".." + DateText(rule.promotion_end());
    }
    if (rule.bundle_skus_size() > 0) {
      text += ", with";
      for (const auto& sku : rule.bundle_skus()) text += " " + sku;
    }
    return text + ")";
  }

  const PricingInputs& inputs_;
  const std::string& currency_;
  int64_t minor_;
  bool full_;                     // one DISCOUNT_NOT_APPLIED step per losing rule (the FULL view)
  std::set<std::string> basket_;  // the SKUs of the basket, for bundles
  // The rules by scope (indexes into the terms' discount_rules, ascending).
  std::unordered_map<std::string_view, std::vector<int>> by_sku_;
  std::unordered_map<std::string_view, std::vector<int>> by_category_;
  std::vector<int> for_all_;
  std::vector<int64_t> rule_ranks_;  // SKU rules outrank any category depth
  std::vector<RuleFacts> facts_;     // by rule index
  mutable std::vector<std::string> rule_texts_;
  // The rules covering each category met in the basket (and every item), ascending.
  mutable std::unordered_map<std::string, std::vector<int>> by_item_category_;
  // Scratch reused from line to line.
  mutable std::vector<int> in_scope_;
  mutable std::vector<Match> matches_;
  mutable std::vector<Match*> eligible_;
  mutable std::vector<const Match*> applied_;
  mutable NotAppliedLists not_applied_;
};

}  // namespace

Int128 DivideHalfEven(Int128 num, Int128 den) {
  Int128 quotient = num / den;
  const Int128 remainder = num % den;
  const Int128 twice = (remainder < 0 ? -remainder : remainder) * 2;
  const bool odd = quotient % 2 != 0;
  if (twice > den || (twice == den && odd)) quotient += num < 0 ? -1 : 1;
  return quotient;
}

const v1::CategoryLimit* CategoryLimitFor(const v1::PricingPolicy& policy,
                                          const std::string& category) {
  const v1::CategoryLimit* deepest = nullptr;
  for (const auto& limit : policy.category_limits()) {
    if (!CategoryCovers(limit.category(), category)) continue;
    if (deepest == nullptr ||
        CategoryDepth(limit.category()) > CategoryDepth(deepest->category())) {
      deepest = &limit;
    }
  }
  return deepest;
}

Int128 RoundHalfEven(Int128 nanos, Int128 step) { return DivideHalfEven(nanos, step) * step; }

Int128 ApplyBps(Int128 nanos, int64_t bps, Int128 step) {
  return DivideHalfEven(nanos * (kBpsScale + bps), kBpsScale * step) * step;
}

void ToBasicView(QuotePricing& pricing) {
  for (PricedLine& line : *pricing.mutable_lines()) {
    auto* steps = line.mutable_explanation();
    const bool grouped = line.rules_not_applied_size() > 0;
    NotApplied not_applied;
    auto kept = std::remove_if(steps->begin(), steps->end(), [&](const PricingStep& step) {
      if (step.kind() != v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED) return false;
      if (!grouped) {
        const v1::NotAppliedReason reason =
            step.not_applied_reason() != v1::NOT_APPLIED_REASON_UNSPECIFIED
                ? step.not_applied_reason()
                : ReasonFromText(step.description());
        not_applied[reason].push_back(step.rule_index());
      }
      return true;
    });
    steps->erase(kept, steps->end());
    for (auto& [reason, indexes] : not_applied) std::sort(indexes.begin(), indexes.end());
    AddNotAppliedGroups(not_applied, line);
  }
}

absl::StatusOr<QuotePricing> ComputeQuote(const PricingInputs& inputs,
                                          const std::vector<QuoteLine>& lines,
                                          v1::PricingView view) {
  if (inputs.lists.empty()) return common::Internal("no price list to quote from");
  const PriceList& list = inputs.lists.front();
  const std::string& currency = list.currency_code();
  for (const auto& base : inputs.lists) {
    if (base.currency_code() != currency) {
      return common::WithReason(
          common::InvalidArgument("price_list", base.name() + " is in " + base.currency_code() +
                                                    " but " + list.name() + " in " + currency),
          "CURRENCY_MISMATCH");
    }
  }
  if (inputs.terms && IsMoneySet(inputs.terms->minimum_order_value()) &&
      inputs.terms->minimum_order_value().currency_code() != currency) {
    return common::WithReason(
        common::InvalidArgument("trading_terms",
                                inputs.terms->name() + " has amounts in " +
                                    inputs.terms->minimum_order_value().currency_code() +
                                    " but its price list is in " + currency),
        "CURRENCY_MISMATCH");
  }

  QuotePricing pricing;
  pricing.set_account(inputs.account);
  *pricing.mutable_price_date() = inputs.price_date;
  pricing.set_price_list(list.name());
  pricing.set_currency_code(currency);
  if (inputs.terms) {
    pricing.set_trading_terms(inputs.terms->name());
    pricing.set_payment_net_days(inputs.terms->payment_net_days());
    if (IsMoneySet(inputs.terms->minimum_order_value())) {
      *pricing.mutable_minimum_order_value() = inputs.terms->minimum_order_value();
    }
    if (IsMoneySet(inputs.terms->credit_limit())) {
      *pricing.mutable_credit_limit() = inputs.terms->credit_limit();
    }
  }

  LinePricer pricer(inputs, currency, lines, view == v1::PRICING_VIEW_FULL);
  common::Violations missing;
  common::Violations mismatched;
  Int128 total = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const QuoteLine& request = lines[i];
    const std::string field = "lines[" + std::to_string(i) + "]";
    PricedLine line;
    line.set_index(static_cast<int32_t>(i));
    line.set_sku(request.sku());
    line.set_quantity(request.quantity());
    auto resolved = pricer.ListPrice(0, request.sku(), request.quantity(), line);
    if (!resolved) {
      missing.Add(field + ".sku", "no item " + request.sku() + " in " + list.name() +
                                      (inputs.lists.size() > 1 ? " or its base lists" : ""));
      continue;
    }
    const PriceListItem& item = *resolved->item;
    bool same_currency = item.unit_price().currency_code() == currency;
    for (const auto& quantity_break : item.quantity_breaks()) {
      same_currency = same_currency && quantity_break.unit_price().currency_code() == currency;
    }
    if (!same_currency) {
      mismatched.Add(field + ".sku", item.name() + " is priced in " +
                                         item.unit_price().currency_code() + ", not " + currency);
      continue;
    }
    line.set_product_name(item.product_name());
    line.set_category(item.category());
    line.set_unit(item.unit());
    *line.mutable_list_unit_price() = ToMoney(currency, resolved->nanos);
    const Int128 net = pricer.Discount(resolved->nanos, item, request.quantity(), line);
    *line.mutable_unit_price() = ToMoney(currency, net);
    auto line_total = common::FromNanos(currency, net * request.quantity());
    if (!line_total.ok()) {
      return common::WithReason(
          common::InvalidArgument(field + ".quantity", "the line total does not fit in Money"),
          "MONEY_OVERFLOW");
    }
    *line.mutable_line_total() = *line_total;
    total += net * request.quantity();
    *pricing.add_lines() = std::move(line);
  }
  if (!missing.empty()) return common::WithReason(missing.ToStatus(), "ITEM_NOT_FOUND");
  if (!mismatched.empty()) return common::WithReason(mismatched.ToStatus(), "CURRENCY_MISMATCH");
  auto order_total = common::FromNanos(currency, total);
  if (!order_total.ok()) {
    return common::WithReason(common::InvalidArgument("lines", "the order total does not fit"),
                              "MONEY_OVERFLOW");
  }
  *pricing.mutable_total() = *order_total;
  if (inputs.terms && inputs.terms->early_payment_discount_bps() > 0) {
    const int64_t minor = MinorUnitNanos(currency);
    pricing.set_early_payment_discount_bps(inputs.terms->early_payment_discount_bps());
    pricing.set_early_payment_days(inputs.terms->early_payment_days());
    *pricing.mutable_early_payment_total() =
        ToMoney(currency, ApplyBps(total, -inputs.terms->early_payment_discount_bps(), minor));
  }
  pricing.set_minimum_order_met(true);
  if (pricing.has_minimum_order_value()) {
    pricing.set_minimum_order_met(total >= common::ToNanos(pricing.minimum_order_value()));
  }
  return pricing;
}

}  // namespace accord::pricing
