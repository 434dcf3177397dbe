// Volume rebates as pure computation: periods parsed from their names, tiers reached, the
// amount rounded once, the next tier, and the explanation of each step.
#include "rebate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/errors.h"

namespace accord::pricing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RebateTest, PeriodsAreYearsQuartersOrMonths) {
  auto year = ParseRebateSpan("2026", "name");
  ASSERT_TRUE(year.ok());
  EXPECT_EQ(year->period, v1::REBATE_PERIOD_YEAR);
  EXPECT_EQ(DateText(year->start), "2026-01-01");
  EXPECT_EQ(DateText(year->end), "2026-12-31");
  auto quarter = ParseRebateSpan("2026-Q4", "name");
  ASSERT_TRUE(quarter.ok());
  EXPECT_EQ(DateText(quarter->start), "2026-10-01");
  EXPECT_EQ(DateText(quarter->end), "2026-12-31");
  auto february = ParseRebateSpan("2028-02", "name");
  ASSERT_TRUE(february.ok());
  EXPECT_EQ(february->period, v1::REBATE_PERIOD_MONTH);
  EXPECT_EQ(DateText(february->end), "2028-02-29");
  for (const std::string bad : {"26", "2026-Q5", "2026-13", "2026-00", "2026-1", "x2026", ""}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseRebateSpan(bad, "name").status())) << bad;
  }
}

TEST(RebateTest, TheHighestTierReachedPaysOnTheWholeTotalRoundedOnce) {
  v1::TradingTerms terms;
  terms.set_name("accounts/a/tradingTerms/t");
  terms.set_currency_code("EUR");
  terms.mutable_volume_rebate()->set_period(v1::REBATE_PERIOD_QUARTER);
  for (auto [units, bps] : {std::pair<int64_t, int>{10000, 100}, {50000, 250}, {100000, 400}}) {
    auto* tier = terms.mutable_volume_rebate()->add_tiers();
    *tier->mutable_threshold() = common::MakeMoney("EUR", units);
    tier->set_rebate_bps(bps);
  }
  const RebateSpan span = *ParseRebateSpan("2026-Q1", "name");
  SalesTotals totals;
  totals.count = 7;
  totals.nanos = static_cast<common::Int128>(61'234'570'000'000);  // EUR 61234.57
  totals.other_currency = 1;
  const auto statement = ComputeRebate("accounts/a/rebateStatements/2026-Q1", terms, span, totals,
                                       /*provisional=*/false);
  EXPECT_EQ(statement.rebate_bps(), 250);
  // 61234.57 x 2.5% = 1530.86425 -> 1530.86.
  EXPECT_EQ(common::FormatMoney(statement.rebate_amount()), "EUR 1530.86");
  EXPECT_EQ(common::FormatMoney(statement.next_threshold()), "EUR 100000.00");
  EXPECT_EQ(common::FormatMoney(statement.to_next_threshold()), "EUR 38765.43");
  EXPECT_EQ(statement.next_rebate_bps(), 400);
  EXPECT_EQ(statement.sales_count(), 7);
  EXPECT_FALSE(statement.provisional());
  ASSERT_EQ(statement.explanation_size(), 7);
  EXPECT_THAT(statement.explanation(1), HasSubstr("1 sales left out"));
  EXPECT_THAT(statement.explanation(3), HasSubstr("EUR 50000.00 pays 2.50%: reached"));
  EXPECT_THAT(statement.explanation(4), HasSubstr("not reached"));

  totals.nanos = 9'999'990'000'000;  // just below the first tier
  const auto none = ComputeRebate("n", terms, span, totals, true);
  EXPECT_EQ(none.rebate_bps(), 0);
  EXPECT_EQ(common::FormatMoney(none.rebate_amount()), "EUR 0.00");
  EXPECT_EQ(common::FormatMoney(none.to_next_threshold()), "EUR 0.01");
  EXPECT_TRUE(none.provisional());
}

}  // namespace
}  // namespace accord::pricing
