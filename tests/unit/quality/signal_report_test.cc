// Signals in reports: the summary per kind, their recommendation rules and the account review's
// CSV, against figures worked out by hand.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "report_logic.h"

namespace accord::quality {
namespace {

using enum v1::SignalKind;

ReportSignal Signal(v1::SignalKind kind, double figure, std::string account = "accounts/a1") {
  return ReportSignal{std::move(account), kind, figure};
}

std::vector<v1::Recommendation> Fired(const ReportInput& input, const ReportRules& rules,
                                      const std::string& rule) {
  std::vector<v1::Recommendation> out;
  for (auto& recommendation : Recommend(input, rules)) {
    if (recommendation.rule() == rule) out.push_back(recommendation);
  }
  return out;
}

// Returns 4 + 6 + 2 units now against 5 before; two call reviews of 40 and 90 now, none before;
// one lost customer before only.
ReportInput Sample() {
  ReportInput input;
  input.signals = {Signal(SIGNAL_KIND_RETURN, 4), Signal(SIGNAL_KIND_RETURN, 6),
                   Signal(SIGNAL_KIND_RETURN, 2, "accounts/a2"),
                   Signal(SIGNAL_KIND_CALL_REVIEW, 40), Signal(SIGNAL_KIND_CALL_REVIEW, 90)};
  input.previous_signals = {Signal(SIGNAL_KIND_RETURN, 5),
                            Signal(SIGNAL_KIND_LOST_CUSTOMER, 1, "accounts/a3")};
  return input;
}

TEST(SignalSummaryTest, CountsSumsAndAveragesPerKindInKindOrder) {
  const auto input = Sample();
  const auto summaries = SummarizeSignals(input.signals, input.previous_signals);
  ASSERT_EQ(summaries.size(), 3u);
  // LOST_CUSTOMER (1) before RETURN (2) before CALL_REVIEW (5).
  EXPECT_EQ(summaries[0].kind(), SIGNAL_KIND_LOST_CUSTOMER);
  EXPECT_EQ(summaries[0].count(), 0);
  EXPECT_EQ(summaries[0].previous_count(), 1);
  EXPECT_DOUBLE_EQ(summaries[0].figure_average(), 0);
  EXPECT_EQ(summaries[1].kind(), SIGNAL_KIND_RETURN);
  EXPECT_EQ(summaries[1].count(), 3);
  EXPECT_DOUBLE_EQ(summaries[1].figure_sum(), 12);     // 4 + 6 + 2
  EXPECT_DOUBLE_EQ(summaries[1].figure_average(), 4);  // 12 / 3
  EXPECT_EQ(summaries[1].previous_count(), 1);
  EXPECT_DOUBLE_EQ(summaries[1].previous_figure_sum(), 5);
  EXPECT_EQ(summaries[2].kind(), SIGNAL_KIND_CALL_REVIEW);
  EXPECT_DOUBLE_EQ(summaries[2].figure_average(), 65);  // (40 + 90) / 2

  const auto report = BuildReport(input, v1::REPORT_GROUP_BY_ACCOUNT, ReportRules{});
  ASSERT_EQ(report.signals_size(), 3);
  EXPECT_DOUBLE_EQ(report.signals(1).figure_sum(), 12);
}

TEST(SignalRecommendationTest, SignalsRising) {
  ReportRules rules;
  rules.signal_min_count = 3;
  rules.growth_percent = 100;
  auto fired = Fired(Sample(), rules, "SIGNALS_RISING");
  ASSERT_EQ(fired.size(), 1u);  // returns 5 -> 12 units: +140 %; reviews are not counted so
  EXPECT_EQ(fired[0].subject(), "RETURN");
  EXPECT_EQ(fired[0].figures().at("count"), "3");
  EXPECT_EQ(fired[0].figures().at("figure_sum"), "12.00");
  EXPECT_EQ(fired[0].figures().at("previous_figure_sum"), "5.00");
  EXPECT_EQ(fired[0].figures().at("change_percent"), "140.0");
  rules.growth_percent = 150;  // 140 % is below
  EXPECT_TRUE(Fired(Sample(), rules, "SIGNALS_RISING").empty());
  rules.growth_percent = 100;
  rules.signal_min_count = 4;  // three returns are too few
  EXPECT_TRUE(Fired(Sample(), rules, "SIGNALS_RISING").empty());

  // From none before: "new".
  ReportInput fresh;
  fresh.signals = {Signal(SIGNAL_KIND_QUALITY_DEFECT, 1), Signal(SIGNAL_KIND_QUALITY_DEFECT, 2),
                   Signal(SIGNAL_KIND_QUALITY_DEFECT, 3)};
  fired = Fired(fresh, ReportRules{}, "SIGNALS_RISING");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject(), "QUALITY_DEFECT");
  EXPECT_EQ(fired[0].figures().at("change_percent"), "new");
}

TEST(SignalRecommendationTest, CallReviewsLow) {
  ReportRules rules;
  rules.signal_min_count = 2;
  rules.call_review_target = 70;
  auto fired = Fired(Sample(), rules, "CALL_REVIEWS_LOW");
  ASSERT_EQ(fired.size(), 1u);  // mean 65 < 70
  EXPECT_EQ(fired[0].figures().at("figure_average"), "65.00");
  EXPECT_EQ(fired[0].figures().at("count"), "2");
  rules.call_review_target = 65;  // 65 is not below 65
  EXPECT_TRUE(Fired(Sample(), rules, "CALL_REVIEWS_LOW").empty());
  rules.call_review_target = 70;
  rules.signal_min_count = 3;  // two reviews are too few
  EXPECT_TRUE(Fired(Sample(), rules, "CALL_REVIEWS_LOW").empty());
}

TEST(SignalRecommendationTest, TheReviewSpeaksOfQualityIssuesButNotOfTheCustomerLeaving) {
  ReviewInput input;
  input.signals = {Signal(SIGNAL_KIND_AUDIT_FINDING, 2), Signal(SIGNAL_KIND_AUDIT_FINDING, 2),
                   Signal(SIGNAL_KIND_AUDIT_FINDING, 2), Signal(SIGNAL_KIND_LOST_CUSTOMER, 1),
                   Signal(SIGNAL_KIND_LOST_CUSTOMER, 1), Signal(SIGNAL_KIND_LOST_CUSTOMER, 1)};
  input.previous_signals = {Signal(SIGNAL_KIND_AUDIT_FINDING, 3)};
  const auto review = BuildAccountReview(input, ReportRules{});
  ASSERT_EQ(review.signals_size(), 2);
  ASSERT_EQ(review.recommendations_size(), 1);  // findings 3 -> 6: +100 % >= 50 %
  EXPECT_EQ(review.recommendations(0).rule(), "QUALITY_ISSUES_RISING");
  EXPECT_EQ(review.recommendations(0).subject(), "AUDIT_FINDING");
  EXPECT_EQ(review.recommendations(0).figures().at("change_percent"), "100.0");
  EXPECT_NE(review.recommendations(0).text().find("6 audit findings"), std::string::npos)
      << review.recommendations(0).text();
}

TEST(ReviewCsvTest, OneFigureARowInEverySection) {
  v1::AccountServiceReview review;
  review.set_account("accounts/a1");
  review.mutable_figures()->set_case_count(4);
  review.mutable_previous_figures()->set_case_count(2);
  auto* category = review.add_by_category();
  category->set_key("BILLING_ERROR");
  category->mutable_figures()->set_complaint_count(3);
  auto* point = review.add_satisfaction_trend();
  point->set_month("2026-04");
  point->set_csat_satisfied_share(0.75);
  auto* repeated = review.add_repeated_complaints();
  repeated->set_category(v1::CASE_CATEGORY_BILLING_ERROR);
  repeated->set_complaint_count(3);
  repeated->add_cases("cases/c1");
  auto* summary = review.add_signals();
  summary->set_kind(SIGNAL_KIND_RETURN);
  summary->set_count(2);
  summary->set_figure_sum(7.5);
  auto* recommendation = review.add_recommendations();
  recommendation->set_rule("REPEATED_COMPLAINTS_IN_CATEGORY");
  recommendation->set_subject("BILLING_ERROR");
  recommendation->set_text("You raised 3 complaints, about billing.");
  (*recommendation->mutable_figures())["complaint_count"] = "3";

  const std::string csv = ReviewToCsv(review);
  std::vector<std::string> lines;
  for (size_t at = 0; at < csv.size();) {
    const size_t end = csv.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    lines.push_back(csv.substr(at, end - at));
    at = end + 2;
  }
  // Header, 19 figures for each of period, previous period and one category, 4 satisfaction
  // rows, 2 repeated-complaint rows, 5 signal rows, 2 recommendation rows.
  ASSERT_EQ(lines.size(), 1u + 3 * 19 + 4 + 2 + 5 + 2);
  EXPECT_EQ(lines[0], "section,key,figure,value");
  EXPECT_EQ(lines[1], "period,accounts/a1,case_count,4");
  EXPECT_EQ(lines[20], "previous_period,accounts/a1,case_count,2");
  EXPECT_EQ(lines[40], "category,BILLING_ERROR,complaint_count,3");
  EXPECT_EQ(lines[59], "satisfaction,2026-04,csat_satisfied_share,0.7500");
  EXPECT_EQ(lines[62], "repeated_complaint,BILLING_ERROR,complaint_count,3");
  EXPECT_EQ(lines[63], "repeated_complaint,BILLING_ERROR,case,cases/c1");
  EXPECT_EQ(lines[64], "signal,RETURN,count,2");
  EXPECT_EQ(lines[65], "signal,RETURN,figure_sum,7.50");
  EXPECT_EQ(lines[69],
            "recommendation,REPEATED_COMPLAINTS_IN_CATEGORY/BILLING_ERROR,text,"
            "\"You raised 3 complaints, about billing.\"");
  EXPECT_EQ(lines[70],
            "recommendation,REPEATED_COMPLAINTS_IN_CATEGORY/BILLING_ERROR,complaint_count,3");
}

}  // namespace
}  // namespace accord::quality
