// The explainable quote: a pure computation from a price list chain, the account's terms and
// the basket. No I/O; every rule of precedence and every rounding point lives here.
//
// Per line:
//   1. List price: the item of the terms' price list, else of its base list (and so on up the
//      chain). The item's quantity break with the largest min_quantity not above the quantity
//      replaces its unit price.
//   2. Base-list adjustment: a price taken from a base list is multiplied by
//      (10000 + adjustment_bps) / 10000 of each derived list on the way down and rounded
//      half-even once per list, to that list's rounding step (default the minor unit).
//   3. Discount: the eligible rules of the terms in precedence order (scope: SKU over category
//      over all items, a deeper category over a shallower; then priority; then the lower net
//      price; then the older rule). The first decides: exclusive, it applies alone; combinable,
//      every eligible combinable rule stacks, in that order, each on the previous net rounded
//      half-even to the nano (the first exactly). See DiscountRule in trading_terms.proto.
//   4. Policy cap: a discount (of the whole stack) above the pricing policy's limit for the
//      item's deepest limited category is cut to that limit (before rounding).
//   5. Rounding: the net unit price is rounded half-even to the currency's minor unit.
//   6. Margin floor: with an item cost, a net below cost x (10000 + min_margin_bps) / 10000,
//      rounded up to the minor unit, is raised to it, but never above the list price (rounded).
//   7. Line total = net unit price x quantity, exact; order total = sum of line totals, exact.
// All arithmetic is on 128-bit integers of nanos; never floating point.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/money.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "accord/pricing/v1/pricing_policy.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "pricing_common.h"

namespace accord::pricing {

using v1::PriceList;
using v1::PriceListItem;
using v1::QuoteLine;
using v1::QuotePricing;
using v1::TradingTerms;

// a x num / den rounded half to even; den > 0.
common::Int128 DivideHalfEven(common::Int128 num, common::Int128 den);
// `nanos` rounded half-even to a multiple of `step` nanos (step > 0).
common::Int128 RoundHalfEven(common::Int128 nanos, common::Int128 step);
// nanos x (10000 + bps) / 10000 rounded half-even to a multiple of `step`.
common::Int128 ApplyBps(common::Int128 nanos, int64_t bps, common::Int128 step);

// Everything a quote reads, loaded beforehand.
struct PricingInputs {
  std::string account;  // accounts/{id}
  Date price_date;
  // The account's terms in force on price_date, if any.
  std::optional<TradingTerms> terms;
  // The price list and its bases: lists[0] is the list used; lists[i + 1] is lists[i]'s base.
  std::vector<PriceList> lists;
  // Items by list name, then SKU (only the SKUs of the basket need be present).
  std::map<std::string, std::map<std::string, PriceListItem>> items;
  // The pricing policy; empty: no limits.
  v1::PricingPolicy policy;
};

// The limit of `policy` for the deepest category that covers `category`; nullptr when none.
const v1::CategoryLimit* CategoryLimitFor(const v1::PricingPolicy& policy,
                                          const std::string& category);

// Prices the basket, explained as `view` says (BASIC unless FULL). Lines must already be validated
// (SKU shape, quantity 1..10^9). A SKU no list of the chain carries is INVALID_ARGUMENT (reason
// ITEM_NOT_FOUND) naming every such `lines[i].sku`; amounts in another currency than the list's are
// INVALID_ARGUMENT (reason CURRENCY_MISMATCH); a total past the Money range is OUT_OF_RANGE
// (MONEY_OVERFLOW) naming the line.
absl::StatusOr<QuotePricing> ComputeQuote(const PricingInputs& inputs,
                                          const std::vector<QuoteLine>& lines,
                                          v1::PricingView view = v1::PRICING_VIEW_FULL);

// A FULL pricing as BASIC: the DISCOUNT_NOT_APPLIED steps left out. A line saved before the
// groups existed gets its rules_not_applied from those steps (their reason, or for older steps
// their words).
void ToBasicView(QuotePricing& pricing);

}  // namespace accord::pricing
