// The account service review's figures, groups, trend and customer-worded recommendations
// against hand-worked figures, and the report's CSV.
#include <gtest/gtest.h>

#include "report_logic.h"

namespace accord::quality {
namespace {

ReportCase Case(const std::string& id, v1::CaseCategory category, v1::CaseKind kind,
                v1::Priority priority, std::optional<int64_t> resolution, bool met, bool reopened) {
  ReportCase c;
  c.id = id;
  c.account = "accounts/a";
  c.category = category;
  c.kind = kind;
  c.priority = priority;
  c.resolution_seconds = resolution;
  c.resolution_met = met;
  c.resolved = resolution.has_value();
  c.reopened = reopened;
  return c;
}

ReportSurvey Csat(int csat, int64_t answered) {
  ReportSurvey s;
  s.account = "accounts/a";
  s.csat = csat;
  s.answer_unix = answered;
  return s;
}

constexpr int64_t kMarch10 = 1773100800;  // 2026-03-10T00:00:00Z
constexpr int64_t kApril2 = 1775088000;   // 2026-04-02T00:00:00Z

TEST(AccountReviewTest, HandWorkedFiguresAndRecommendations) {
  ReviewInput input;
  using enum v1::CaseCategory;
  input.cases = {
      Case("1", CASE_CATEGORY_BILLING_ERROR, v1::CASE_KIND_COMPLAINT, v1::PRIORITY_HIGH, 3600, true,
           false),
      Case("2", CASE_CATEGORY_BILLING_ERROR, v1::CASE_KIND_COMPLAINT, v1::PRIORITY_HIGH, 7200,
           false, true),
      Case("3", CASE_CATEGORY_LATE_DELIVERY, v1::CASE_KIND_COMPLAINT, v1::PRIORITY_LOW, 1800, true,
           true),
      Case("4", CASE_CATEGORY_BILLING_ERROR, v1::CASE_KIND_ENQUIRY, v1::PRIORITY_LOW, std::nullopt,
           false, false),
  };
  input.surveys = {Csat(5, kMarch10), Csat(2, kMarch10 + 3600), Csat(4, kApril2)};
  input.previous_surveys = {Csat(5, kMarch10 - 40 * 86400), Csat(5, kMarch10 - 41 * 86400)};
  ReportRules rules;
  rules.team_min_measured = 3;
  const v1::AccountServiceReview review = BuildAccountReview(input, rules);

  EXPECT_EQ(review.figures().case_count(), 4);
  EXPECT_EQ(review.figures().complaint_count(), 3);
  EXPECT_DOUBLE_EQ(review.figures().resolution_compliance(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(review.figures().csat_satisfied_share(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(review.previous_figures().csat_satisfied_share(), 1.0);
  EXPECT_EQ(review.previous_figures().case_count(), 0);

  ASSERT_EQ(review.by_category_size(), 2);
  EXPECT_EQ(review.by_category(0).key(), "BILLING_ERROR");
  EXPECT_EQ(review.by_category(0).figures().case_count(), 3);
  EXPECT_EQ(review.by_category(1).key(), "LATE_DELIVERY");
  ASSERT_EQ(review.by_priority_size(), 2);
  EXPECT_EQ(review.by_priority(0).key(), "HIGH");
  EXPECT_EQ(review.by_priority(1).key(), "LOW");
  EXPECT_EQ(review.by_priority(1).figures().case_count(), 2);

  ASSERT_EQ(review.satisfaction_trend_size(), 2);
  EXPECT_EQ(review.satisfaction_trend(0).month(), "2026-03");
  EXPECT_EQ(review.satisfaction_trend(0).csat_responses(), 2);
  EXPECT_DOUBLE_EQ(review.satisfaction_trend(0).csat_satisfied_share(), 0.5);
  EXPECT_EQ(review.satisfaction_trend(1).month(), "2026-04");
  EXPECT_DOUBLE_EQ(review.satisfaction_trend(1).csat_satisfied_share(), 1.0);

  ASSERT_EQ(review.repeated_complaints_size(), 1);
  EXPECT_EQ(review.repeated_complaints(0).category(), CASE_CATEGORY_BILLING_ERROR);
  EXPECT_EQ(review.repeated_complaints(0).complaint_count(), 2);
  EXPECT_EQ(review.repeated_complaints(0).cases(0), "cases/1");

  std::vector<std::string> rules_fired;
  for (const auto& r : review.recommendations()) rules_fired.push_back(r.rule());
  EXPECT_EQ(rules_fired,
            (std::vector<std::string>{"SLA_BELOW_TARGET", "REPEATED_COMPLAINTS_IN_CATEGORY",
                                      "SATISFACTION_FALLING", "CASES_REOPENED"}));
  EXPECT_EQ(review.recommendations(0).text(),
            "We resolved 67% of your cases within the agreed time, below our 90% target. We will "
            "review how your cases are staffed and report back.");
  EXPECT_EQ(review.recommendations(0).figures().at("resolution_compliance"), "0.667");
  EXPECT_EQ(review.recommendations(1).subject(), "BILLING_ERROR");
  EXPECT_EQ(review.recommendations(2).figures().at("previous_csat_satisfied_share"), "1.000");
  EXPECT_EQ(review.recommendations(3).figures().at("reopened_count"), "2");
}

TEST(AccountReviewTest, AQuietPeriodRecommendsNothing) {
  ReviewInput input;
  input.cases = {
      Case("1", v1::CASE_CATEGORY_OTHER, v1::CASE_KIND_ENQUIRY, v1::PRIORITY_LOW, 60, true, false)};
  input.surveys = {Csat(5, kApril2)};
  const auto review = BuildAccountReview(input, ReportRules{});
  EXPECT_EQ(review.recommendations_size(), 0);
  EXPECT_EQ(review.repeated_complaints_size(), 0);
  // Without previous answers satisfaction cannot be said to fall.
  EXPECT_EQ(review.previous_figures().csat_responses(), 0);
}

TEST(ReportCsvTest, HeaderGroupsTotalAndQuoting) {
  v1::ServiceReport report;
  report.set_group_by(v1::REPORT_GROUP_BY_TEAM);
  auto* group = report.add_groups();
  group->set_key("North, \"East\"");
  group->mutable_figures()->set_case_count(3);
  group->mutable_figures()->set_resolution_compliance(2.0 / 3.0);
  report.add_groups()->set_key("=HYPERLINK(\"x\")");
  report.mutable_totals()->set_case_count(3);
  const std::string csv = ReportToCsv(report);
  const auto first_line = csv.substr(0, csv.find("\r\n"));
  EXPECT_EQ(first_line.substr(0, 27), "team,case_count,complaint_c");
  EXPECT_NE(csv.find("\r\n\"North, \"\"East\"\"\",3,0,0,0.0000,0,0,0,0.6667,"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\r\n\"'=HYPERLINK(\"\"x\"\")\",0,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\r\nTOTAL,3,"), std::string::npos);
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
  int lines = 0;
  for (size_t at = csv.find("\r\n"); at != std::string::npos; at = csv.find("\r\n", at + 2)) {
    ++lines;
  }
  EXPECT_EQ(lines, 4);
}

}  // namespace
}  // namespace accord::quality
