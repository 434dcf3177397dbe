// Volume rebates: a period of the account's recorded sales totalled, and the rebate the terms'
// tiers give on it, explained. Pure functions; the total comes from the repository.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "pricing_common.h"

namespace accord::pricing {

// A calendar period: `2026` (YEAR), `2026-Q1` (QUARTER) or `2026-03` (MONTH).
struct RebateSpan {
  v1::RebatePeriod period = v1::REBATE_PERIOD_UNSPECIFIED;
  Date start;
  Date end;  // inclusive
};
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<RebateSpan> ParseRebateSpan(const std::string& text, const std::string& field);

// What the repository adds up over a span, for one currency.
struct SalesTotals {
  int64_t count = 0;
  common::Int128 nanos = 0;
  int64_t other_currency = 0;  // sales in another currency, or recorded without a total
};

// The statement for `terms` (with a volume rebate of span.period) over `span`; `provisional`
// while the span has not ended. The rebate is tier rate x total, rounded half-even to the minor
// unit.
v1::RebateStatement ComputeRebate(const std::string& name, const v1::TradingTerms& terms,
                                  const RebateSpan& span, const SalesTotals& totals,
                                  bool provisional);

}  // namespace accord::pricing
