#include "rebate.h"

#include <cstdio>

#include "accord/common/errors.h"
#include "pricing_engine.h"

namespace accord::pricing {
namespace {

std::string Percent(int32_t bps) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%d.%02d%%", bps / 100, bps % 100);
  return buffer;
}

Money ToMoney(const std::string& currency, common::Int128 nanos) {
  auto money = common::FromNanos(currency, nanos);
  return money.ok() ? *money : common::MakeMoney(currency, 0);
}

bool Digits(const std::string& text, size_t from, size_t count) {
  if (text.size() < from + count) return false;
  for (size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<RebateSpan> ParseRebateSpan(const std::string& text, const std::string& field) {
  const auto invalid = [&] {
    return common::InvalidArgument(field, "`" + text +
                                              "` is not a period: 2026 (a year), 2026-Q1 (a "
                                              "quarter) or 2026-03 (a month)");
  };
  if (!Digits(text, 0, 4)) return invalid();
  const int year = std::stoi(text.substr(0, 4));
  if (year < 1) return invalid();
  RebateSpan span;
  int first_month = 1, last_month = 12;
  if (text.size() == 4) {
    span.period = v1::REBATE_PERIOD_YEAR;
  } else if (text.size() == 7 && text[4] == '-' && text[5] == 'Q' && text[6] >= '1' &&
             text[6] <= '4') {
    span.period = v1::REBATE_PERIOD_QUARTER;
    first_month = (text[6] - '1') * 3 + 1;
    last_month = first_month + 2;
  } else if (text.size() == 7 && text[4] == '-' && Digits(text, 5, 2)) {
    span.period = v1::REBATE_PERIOD_MONTH;
    first_month = last_month = std::stoi(text.substr(5, 2));
    if (first_month < 1 || first_month > 12) return invalid();
  } else {
    return invalid();
  }
  span.start = MakeDate(year, first_month, 1);
  // The day before the first of the next month.
  const Date next = last_month == 12 ? MakeDate(year + 1, 1, 1) : MakeDate(year, last_month + 1, 1);
  span.end = CivilFromDays(DaysFromCivil(next) - 1);
  return span;
}

v1::RebateStatement ComputeRebate(const std::string& name, const v1::TradingTerms& terms,
                                  const RebateSpan& span, const SalesTotals& totals,
                                  bool provisional) {
  const std::string& currency = terms.currency_code();
  v1::RebateStatement statement;
  statement.set_name(name);
  statement.set_trading_terms(terms.name());
  *statement.mutable_period_start() = span.start;
  *statement.mutable_period_end() = span.end;
  statement.set_sales_count(totals.count);
  *statement.mutable_sales_total() = ToMoney(currency, totals.nanos);
  statement.set_provisional(provisional);
  const auto explain = [&](std::string text) { statement.add_explanation(std::move(text)); };
  explain(std::to_string(totals.count) + " sales recorded from " + DateText(span.start) + " to " +
          DateText(span.end) + " (UTC) total " + common::FormatMoney(statement.sales_total()) +
          (provisional ? "; the period is still running" : ""));
  if (totals.other_currency > 0) {
    explain(std::to_string(totals.other_currency) + " sales left out: not in " + currency +
            " or recorded without a total");
  }
  const v1::RebateTier* reached = nullptr;
  const v1::RebateTier* next = nullptr;
  for (const auto& tier : terms.volume_rebate().tiers()) {
    const bool hit = totals.nanos >= common::ToNanos(tier.threshold());
    explain("tier from " + common::FormatMoney(tier.threshold()) + " pays " +
            Percent(tier.rebate_bps()) + ": " + (hit ? "reached" : "not reached"));
    if (hit) {
      reached = &tier;
    } else if (next == nullptr) {
      next = &tier;
    }
  }
  if (reached != nullptr) {
    statement.set_rebate_bps(reached->rebate_bps());
    const common::Int128 exact = totals.nanos * reached->rebate_bps();
    const common::Int128 minor = MinorUnitNanos(currency);
    const common::Int128 rebate = DivideHalfEven(exact, 10000 * minor) * minor;
    *statement.mutable_rebate_amount() = ToMoney(currency, rebate);
    explain(Percent(reached->rebate_bps()) + " of " + common::FormatMoney(statement.sales_total()) +
            " = " + common::FormatMoney(statement.rebate_amount()) +
            " (rounded half-even to the minor unit)");
  } else {
    *statement.mutable_rebate_amount() = ToMoney(currency, 0);
    explain("no tier reached: no rebate");
  }
  if (next != nullptr) {
    *statement.mutable_next_threshold() = next->threshold();
    *statement.mutable_to_next_threshold() =
        ToMoney(currency, common::ToNanos(next->threshold()) - totals.nanos);
    statement.set_next_rebate_bps(next->rebate_bps());
    explain(common::FormatMoney(statement.to_next_threshold()) + " more reaches " +
            Percent(next->rebate_bps()));
  }
  return statement;
}

}  // namespace accord::pricing
