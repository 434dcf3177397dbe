#include "insights_logic.h"

#include <gtest/gtest.h>

namespace accord::account {
namespace {

constexpr int64_t kDay = 86400;
// 2026-03-01T00:00:00Z
const int64_t kMarch = MonthStartEpochSeconds(MonthOf(2026, 3));

TEST(InsightsMonths, Arithmetic) {
  EXPECT_EQ(MonthOf(2026, 3) - MonthOf(2025, 12), 3);
  EXPECT_EQ(MonthText(MonthOf(2026, 3)), "2026-03");
  EXPECT_EQ(MonthText(MonthOfEpochSeconds(kMarch - 1)), "2026-02");
  EXPECT_EQ(MonthOfEpochSeconds(kMarch), MonthOf(2026, 3));
  EXPECT_EQ(kMarch, 1772323200);
}

ActivityFacts SampleFacts() {
  ActivityFacts facts;
  facts.sales.push_back({"a", kMarch + 1 * kDay, 100'000'000, {"x"}});
  facts.sales.push_back({"a", kMarch + 2 * kDay, 50'500'000, {"y"}});
  facts.sales.push_back({"a", kMarch - 1 * kDay, 10'000'000, {"x"}});  // February
  facts.sales.push_back({"b", kMarch + 3 * kDay, 7'000'000, {"z"}});
  facts.cases.push_back({"a", true, kMarch - 2 * kDay, kMarch + 5 * kDay, false});
  facts.cases.push_back({"b", false, kMarch + 1 * kDay, std::nullopt, true});
  facts.breaches.push_back({"a", kMarch + 1 * kDay});
  facts.surveys.push_back({"a", kMarch + 6 * kDay, 4, 9});
  facts.surveys.push_back({"a", kMarch + 7 * kDay, 2, std::nullopt});
  facts.interactions.push_back({"b", "alice", kMarch + 2 * kDay, true, false});
  return facts;
}

TEST(InsightsMonthly, AggregatesEachFactInItsMonth) {
  const AccountMonthly monthly = AggregateMonthly(SampleFacts());
  const MonthFigures& a_march = monthly.at("a").at(MonthOf(2026, 3));
  EXPECT_EQ(a_march.revenue_micros, 150'500'000);
  EXPECT_EQ(a_march.orders, 2);
  EXPECT_EQ(a_march.cases_opened, 0);    // opened in February
  EXPECT_EQ(a_march.cases_resolved, 1);  // resolved in March
  EXPECT_EQ(a_march.sla_breaches, 1);
  EXPECT_EQ(a_march.surveys_answered, 2);
  EXPECT_EQ(a_march.csat_sum, 6);
  EXPECT_EQ(a_march.csat_count, 2);
  EXPECT_EQ(a_march.nps_sum, 9);
  EXPECT_EQ(a_march.nps_count, 1);
  const MonthFigures& a_feb = monthly.at("a").at(MonthOf(2026, 2));
  EXPECT_EQ(a_feb.revenue_micros, 10'000'000);
  EXPECT_EQ(a_feb.cases_opened, 1);
  EXPECT_EQ(a_feb.complaints_opened, 1);
  const MonthFigures& b_march = monthly.at("b").at(MonthOf(2026, 3));
  EXPECT_EQ(b_march.revenue_micros, 7'000'000);
  EXPECT_EQ(b_march.cases_opened, 1);
  EXPECT_EQ(b_march.complaints_opened, 0);
  EXPECT_EQ(b_march.interactions, 1);
}

TEST(InsightsMonthly, RollsUpTheHierarchy) {
  // root <- a <- b; c alone. A cycle d <-> e is cut.
  AccountMonthly own;
  own["a"][1].revenue_micros = 10;
  own["b"][1].revenue_micros = 5;
  own["b"][2].orders = 1;
  own["c"][1].revenue_micros = 100;
  own["d"][1].revenue_micros = 1;
  own["e"][1].revenue_micros = 2;
  const std::map<std::string, std::string> parent_of = {
      {"a", "root"}, {"b", "a"}, {"d", "e"}, {"e", "d"}};
  const AccountMonthly rolled = RollUp(own, parent_of);
  EXPECT_EQ(rolled.at("root").at(1).revenue_micros, 15);
  EXPECT_EQ(rolled.at("root").at(2).orders, 1);
  EXPECT_EQ(rolled.at("a").at(1).revenue_micros, 15);
  EXPECT_EQ(rolled.at("b").at(1).revenue_micros, 5);
  EXPECT_EQ(rolled.at("c").at(1).revenue_micros, 100);
  EXPECT_EQ(rolled.at("d").at(1).revenue_micros, 3);
  EXPECT_EQ(rolled.at("e").at(1).revenue_micros, 3);
}

TEST(InsightsMonthly, RevenueSeriesFillsEmptyMonths) {
  MonthlySeries series;
  series[10].revenue_micros = 1'500'000;
  series[12].revenue_micros = 2'000'000;
  EXPECT_EQ(RevenueSeries(series, 9, 12), (std::vector<double>{0, 1.5, 0, 2}));
}

MonthlySeries ClvSeries() {
  // Months 0..3: 100, 100, nothing, 100 (one order each).
  MonthlySeries series;
  for (int month : {0, 1, 3}) {
    series[month].revenue_micros = 100'000'000;
    series[month].orders = 1;
  }
  series[4].revenue_micros = 999'000'000;  // the current, incomplete month: not counted
  series[4].orders = 1;
  return series;
}

TEST(InsightsClv, HandWorkedWithoutDiscount) {
  // N = 4, revenue 300, m = 0.5 x 300 / 4 = 37.5; months with an order followed by an observed
  // month: 0 (1 ordered), 1 (2 did not): r = 1/2; d = 0; CLV = 37.5 / (1 - 0.5) = 75.
  const Clv clv = ComputeClv(ClvSeries(), 3, {0.5, 0.0});
  ASSERT_TRUE(clv.sufficient) << clv.insufficient_reason;
  EXPECT_EQ(clv.months_observed, 4);
  EXPECT_EQ(clv.orders, 3);
  EXPECT_DOUBLE_EQ(clv.revenue, 300);
  EXPECT_DOUBLE_EQ(clv.average_monthly_margin, 37.5);
  EXPECT_DOUBLE_EQ(clv.retention_rate, 0.5);
  EXPECT_DOUBLE_EQ(clv.monthly_discount_rate, 0);
  EXPECT_DOUBLE_EQ(clv.expected_lifetime_months, 2);
  EXPECT_DOUBLE_EQ(clv.value, 75);
}

TEST(InsightsClv, HandWorkedWithDiscount) {
  // d = 1.1^(1/12) - 1 = 0.0079741404; CLV = 37.5 x 1.0079741404 / 0.5079741404 = 74.41133.
  const Clv clv = ComputeClv(ClvSeries(), 3, {0.5, 0.10});
  ASSERT_TRUE(clv.sufficient);
  EXPECT_NEAR(clv.monthly_discount_rate, 0.0079741404, 1e-9);
  EXPECT_NEAR(clv.value, 74.41133, 1e-5);
}

TEST(InsightsClv, RetentionIsCapped) {
  MonthlySeries series;
  for (int month = 0; month < 6; ++month) {
    series[month].revenue_micros = 10'000'000;
    series[month].orders = 1;
  }
  const Clv clv = ComputeClv(series, 5, {1.0, 0.0});
  ASSERT_TRUE(clv.sufficient);
  EXPECT_DOUBLE_EQ(clv.retention_rate, kMaxRetention);
  EXPECT_NEAR(clv.value, 10 / (1 - kMaxRetention), 1e-9);
}

TEST(InsightsClv, TooLittleHistorySaysSo) {
  MonthlySeries series;
  series[5].revenue_micros = 10'000'000;
  series[5].orders = 2;
  const Clv two_months = ComputeClv(series, 6, {});
  EXPECT_FALSE(two_months.sufficient);
  EXPECT_EQ(two_months.value, 0);
  EXPECT_EQ(two_months.insufficient_reason,
            "insufficient history: 2 month(s) and 2 order(s) observed; lifetime value needs 3 "
            "months and 2 orders");
  const Clv none = ComputeClv({}, 6, {});
  EXPECT_FALSE(none.sufficient);
  EXPECT_EQ(none.insufficient_reason, "insufficient history: no order in a complete month");
}

TEST(InsightsHealth, HandWorkedScore) {
  HealthInputs in;
  in.days_since_last_order = 45;        // 25 x (1 - 45/180) = 18.75
  in.orders_last_90_days = 2;           // 20 x 2/3 = 13.333
  in.days_since_last_interaction = 30;  // 15 x (1 - 30/90) = 10
  in.open_complaints = 1;               // 20 - 5 - 4 = 11
  in.breaches_last_90_days = 1;
  in.csat_recent = 4;  // 20 x 3/4 = 15, NPS 8 after 9: -2 -> 13
  in.nps_recent = 8;
  in.nps_previous = 9;
  const Health health = ComputeHealth(in);
  EXPECT_DOUBLE_EQ(health.order_recency, 18.75);
  EXPECT_NEAR(health.order_frequency, 13.3333333, 1e-6);
  EXPECT_DOUBLE_EQ(health.contact_recency, 10);
  EXPECT_DOUBLE_EQ(health.service, 11);
  EXPECT_DOUBLE_EQ(health.satisfaction, 13);
  EXPECT_NEAR(health.score, 66.0833333, 1e-6);
  EXPECT_EQ(health.risk, ChurnRisk::kLow);
}

TEST(InsightsHealth, SilenceAndComplaintsAreHighRisk) {
  HealthInputs in;
  in.open_complaints = 3;  // service 5
  const Health health = ComputeHealth(in);
  EXPECT_DOUBLE_EQ(health.service, 5);
  EXPECT_DOUBLE_EQ(health.satisfaction, 10);  // no survey: neutral
  EXPECT_DOUBLE_EQ(health.score, 15);
  EXPECT_EQ(health.risk, ChurnRisk::kHigh);
  EXPECT_EQ(ChurnRiskName(health.risk), "high");
}

TEST(InsightsHealth, InputsFromFacts) {
  const int64_t now = kMarch + 10 * kDay;
  ActivityFacts facts = SampleFacts();
  facts.surveys.push_back({"a", now - 100 * kDay, std::nullopt, 10});  // the 90 days before
  const HealthInputs in = HealthInputsAt(facts, now);
  EXPECT_DOUBLE_EQ(*in.days_since_last_order, 7);  // b's sale on day 3
  EXPECT_EQ(in.orders_last_90_days, 4);
  EXPECT_DOUBLE_EQ(*in.days_since_last_interaction, 8);
  EXPECT_EQ(in.open_complaints, 0);  // the complaint was resolved
  EXPECT_EQ(in.breaches_last_90_days, 1);
  EXPECT_DOUBLE_EQ(*in.csat_recent, 3);
  EXPECT_DOUBLE_EQ(*in.nps_recent, 9);
  EXPECT_DOUBLE_EQ(*in.nps_previous, 10);
}

Health HealthOf(double score) {
  Health health;
  health.score = score;
  health.risk = score < 40 ? ChurnRisk::kHigh : score < 60 ? ChurnRisk::kMedium : ChurnRisk::kLow;
  return health;
}

TEST(InsightsHealth, AtRiskFromLevelOrFallingTrend) {
  // Level: high risk whatever the trend, even rising.
  EXPECT_EQ(SuggestAtRisk(HealthOf(35), HealthOf(20)).reason, AtRiskReason::kLevel);
  // Trend: medium risk after a fall of 15 points or more.
  const AtRiskSuggestion fell = SuggestAtRisk(HealthOf(55), HealthOf(70));
  EXPECT_EQ(fell.reason, AtRiskReason::kTrend);
  EXPECT_DOUBLE_EQ(fell.previous_score, 70);
  EXPECT_DOUBLE_EQ(fell.change, -15);
  EXPECT_EQ(SuggestAtRisk(HealthOf(55), HealthOf(69.9)).reason, AtRiskReason::kNone);
  // Medium but steady: no suggestion; a fall inside the low-risk band: none either.
  EXPECT_EQ(SuggestAtRisk(HealthOf(45), HealthOf(50)).reason, AtRiskReason::kNone);
  EXPECT_EQ(SuggestAtRisk(HealthOf(65), HealthOf(100)).reason, AtRiskReason::kNone);
}

TEST(InsightsHealth, TrendFromTheSameFactsThirtyDaysBefore) {
  const int64_t now = kMarch + 100 * kDay;
  ActivityFacts facts;
  for (int days : {110, 80, 60}) facts.sales.push_back({"a", now - days * kDay, 1'000'000, {}});
  facts.interactions.push_back({"a", "alice", now - 50 * kDay, true, false});
  facts.cases.push_back({"a", true, now - 40 * kDay, now - 5 * kDay, false});  // resolved
  facts.cases.push_back({"a", true, now - 20 * kDay, std::nullopt, true});
  facts.cases.push_back({"a", true, now - 10 * kDay, std::nullopt, true});
  facts.cases.push_back({"a", false, now - 35 * kDay, std::nullopt, true});  // not a complaint
  facts.breaches.push_back({"a", now - 15 * kDay});

  // Now: last order 60 days ago 25 x (1 - 60/180) = 16.667; 2 orders in 90 days 13.333; last
  // interaction 50 days ago 15 x (1 - 50/90) = 6.667; 2 open complaints and a breach
  // 20 - 10 - 4 = 6; no survey 10. Score 52.667, medium.
  const Health now_health = ComputeHealth(HealthInputsAt(facts, now));
  EXPECT_NEAR(now_health.score, 52.6666667, 1e-6);
  EXPECT_EQ(now_health.risk, ChurnRisk::kMedium);
  // 30 days before: last order 30 days before then 25 x (1 - 30/180) = 20.833; 3 orders in its 90
  // days 20; interaction 20 days before then 15 x (1 - 20/90) = 11.667; the complaint opened 40
  // days ago was still open, the later ones and the breach not yet there: 20 - 5 = 15; 10.
  // Score 77.5, low.
  const HealthInputs then = HealthInputsAt(facts, now - 30 * kDay);
  EXPECT_EQ(then.open_complaints, 1);
  EXPECT_EQ(then.breaches_last_90_days, 0);
  EXPECT_EQ(then.orders_last_90_days, 3);
  const Health before = ComputeHealth(then);
  EXPECT_NEAR(before.score, 77.5, 1e-9);
  // Medium and 24.833 points down: suggested by the trend, not by the level.
  const AtRiskSuggestion suggestion = SuggestAtRisk(now_health, before);
  EXPECT_EQ(suggestion.reason, AtRiskReason::kTrend);
  EXPECT_NEAR(suggestion.change, -24.8333333, 1e-6);
}

TEST(InsightsTargets, AttainmentAndPace) {
  // A 30-day period, 10 days in: 40 of 90 is 44.4 %, expected by now 30, on track.
  const Attainment a = ComputeAttainment(90, 40, 0, 30 * kDay, 10 * kDay);
  EXPECT_NEAR(a.percent, 44.444444, 1e-5);
  EXPECT_DOUBLE_EQ(a.expected_by_now, 30);
  EXPECT_TRUE(a.on_track);
  const Attainment over = ComputeAttainment(90, 80, 0, 30 * kDay, 40 * kDay);
  EXPECT_DOUBLE_EQ(over.expected_by_now, 90);
  EXPECT_FALSE(over.on_track);
  EXPECT_DOUBLE_EQ(ComputeAttainment(0, 5, 0, 1, 1).percent, 0);
}

TEST(InsightsMovers, LargestChangesBothWays) {
  const Movers movers = TopMovers({{"a", 100}, {"b", 50}, {"c", 10}, {"d", 5}},
                                  {{"a", 40}, {"b", 80}, {"c", 10}, {"e", 70}}, 1);
  ASSERT_EQ(movers.up.size(), 1u);
  EXPECT_EQ(movers.up[0].account_id, "e");  // +70 beats b's +30
  EXPECT_DOUBLE_EQ(movers.up[0].change, 70);
  ASSERT_EQ(movers.down.size(), 1u);
  EXPECT_EQ(movers.down[0].account_id, "a");  // -60 beats d's -5
  EXPECT_DOUBLE_EQ(movers.down[0].previous, 100);
}

TEST(InsightsRecommendations, SupportAndConfidenceByHand) {
  // A{a,b} B{a,b,c} C{a,c} D{b,c} E{a,b,c}, N = 5. For A and c: a -> c in B, C, E of the 4 with a
  // (confidence 3/4, support 3/5); b -> c the same (B, D, E of 4); the tie keeps a.
  const std::map<std::string, std::set<std::string>> baskets = {
      {"A", {"a", "b"}}, {"B", {"a", "b", "c"}}, {"C", {"a", "c"}},
      {"D", {"b", "c"}}, {"E", {"a", "b", "c"}}, {"F", {}}};
  const auto out = RecommendProducts(baskets, "A", {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sku, "c");
  EXPECT_EQ(out[0].because_of, "a");
  EXPECT_EQ(out[0].pair_accounts, 3);
  EXPECT_DOUBLE_EQ(out[0].support, 0.6);
  EXPECT_DOUBLE_EQ(out[0].confidence, 0.75);
  // D{b,c}: a from b -> a (A, B, E of the 4 with b: 0.75), over c -> a (B, C, E of 4: 0.75,
  // tie, b first).
  const auto for_d = RecommendProducts(baskets, "D", {});
  ASSERT_EQ(for_d.size(), 1u);
  EXPECT_EQ(for_d[0].sku, "a");
  EXPECT_EQ(for_d[0].because_of, "b");
}

TEST(InsightsRecommendations, ThresholdsApply) {
  const std::map<std::string, std::set<std::string>> baskets = {{"A", {"a"}}, {"B", {"a", "z"}}};
  EXPECT_TRUE(RecommendProducts(baskets, "A", {}).empty());  // one account bought both
  RecommendationOptions loose;
  loose.min_pair_accounts = 1;
  const auto out = RecommendProducts(baskets, "A", loose);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].confidence, 0.5);
  loose.min_confidence = 0.6;
  EXPECT_TRUE(RecommendProducts(baskets, "A", loose).empty());
  EXPECT_TRUE(RecommendProducts(baskets, "unknown", loose).empty());
}

TEST(InsightsFollowUps, DormantRepeatCustomer) {
  const int64_t now = 1000 * kDay;
  // Gaps 10, 20, 40: median 20, threshold max(60, 40) = 60; last order 61 days ago.
  const DormancyCheck dormant =
      CheckDormancy({now - 131 * kDay, now - 121 * kDay, now - 101 * kDay, now - 61 * kDay}, now);
  EXPECT_TRUE(dormant.dormant);
  EXPECT_DOUBLE_EQ(dormant.median_gap_days, 20);
  EXPECT_DOUBLE_EQ(dormant.threshold_days, 60);
  // Gaps 50, 50: threshold 100; 90 days is not dormant yet.
  EXPECT_FALSE(CheckDormancy({now - 190 * kDay, now - 140 * kDay, now - 90 * kDay}, now).dormant);
  // One order is not a repeat customer.
  EXPECT_FALSE(CheckDormancy({now - 400 * kDay}, now).dormant);
}

TEST(InsightsFollowUps, QuietNeeds) {
  const int64_t now = 1000 * kDay;
  EXPECT_TRUE(NeedIsQuiet(now - 31 * kDay, std::nullopt, now));
  EXPECT_FALSE(NeedIsQuiet(now - 31 * kDay, now - 5 * kDay, now));
  EXPECT_FALSE(NeedIsQuiet(now - 29 * kDay, std::nullopt, now));
}

}  // namespace
}  // namespace accord::account
