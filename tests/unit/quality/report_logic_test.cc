// Report formulas and recommendation rules against figures worked out by hand (see the
// comments next to each expectation).
#include "report_logic.h"

#include <gtest/gtest.h>

namespace accord::quality {
namespace {

using enum v1::CaseCategory;
using enum v1::CaseKind;

ReportCase Case(std::string account, std::string team, std::string agent, v1::CaseCategory category,
                v1::CaseKind kind, std::optional<int64_t> first, bool first_met,
                std::optional<int64_t> resolution, bool resolution_met, bool reopened = false) {
  ReportCase c;
  c.account = std::move(account);
  c.team = std::move(team);
  c.agent = std::move(agent);
  c.category = category;
  c.kind = kind;
  c.first_response_seconds = first;
  c.first_response_met = first_met;
  c.resolution_seconds = resolution;
  c.resolution_met = resolution_met;
  c.resolved = resolution.has_value();
  c.reopened = reopened;
  return c;
}

ReportSurvey Survey(std::string account, std::string team, std::optional<int> csat,
                    std::optional<int> nps, std::optional<int> effort) {
  ReportSurvey s;
  s.account = std::move(account);
  s.team = std::move(team);
  s.csat = csat;
  s.nps = nps;
  s.effort = effort;
  return s;
}

// Five cases, four surveys, and a previous period of three cases.
ReportInput Sample() {
  ReportInput input;
  input.cases = {
      Case("accounts/a1", "T1", "x", CASE_CATEGORY_BILLING_ERROR, CASE_KIND_COMPLAINT, 600, true,
           3600, true),
      Case("accounts/a1", "T1", "x", CASE_CATEGORY_BILLING_ERROR, CASE_KIND_COMPLAINT, 1200, true,
           7200, false, /*reopened=*/true),
      Case("accounts/a1", "T2", "y", CASE_CATEGORY_LATE_DELIVERY, CASE_KIND_COMPLAINT, 3000, false,
           std::nullopt, false),
      Case("accounts/a2", "T2", "y", CASE_CATEGORY_LATE_DELIVERY, CASE_KIND_ENQUIRY, 300, true,
           1800, true),
      Case("accounts/a2", "T1", "x", CASE_CATEGORY_OTHER, CASE_KIND_REQUEST, std::nullopt, false,
           std::nullopt, false),
  };
  input.surveys = {
      Survey("accounts/a1", "T1", 5, 10, 2),
      Survey("accounts/a1", "T1", 4, 9, std::nullopt),
      Survey("accounts/a2", "T2", 2, 6, 4),
      Survey("accounts/a2", "", std::nullopt, 8, std::nullopt),
  };
  input.previous_cases = {
      Case("accounts/a1", "T1", "x", CASE_CATEGORY_BILLING_ERROR, CASE_KIND_COMPLAINT, std::nullopt,
           false, std::nullopt, false),
      Case("accounts/a1", "T1", "x", CASE_CATEGORY_LATE_DELIVERY, CASE_KIND_COMPLAINT, std::nullopt,
           false, std::nullopt, false),
      Case("accounts/a1", "T1", "x", CASE_CATEGORY_LATE_DELIVERY, CASE_KIND_COMPLAINT, std::nullopt,
           false, std::nullopt, false),
  };
  return input;
}

TEST(ReportFormulaTest, NearestRank) {
  EXPECT_EQ(NearestRank({}, 50), 0);
  EXPECT_EQ(NearestRank({7}, 90), 7);
  EXPECT_EQ(NearestRank({3000, 300, 1200, 600}, 50), 600);   // rank ceil(2.0) = 2
  EXPECT_EQ(NearestRank({3000, 300, 1200, 600}, 90), 3000);  // rank ceil(3.6) = 4
  EXPECT_EQ(NearestRank({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90), 9);
}

TEST(ReportFormulaTest, Totals) {
  const auto report = BuildReport(Sample(), v1::REPORT_GROUP_BY_TEAM, ReportRules{});
  const auto& t = report.totals();
  EXPECT_EQ(t.case_count(), 5);
  EXPECT_EQ(t.complaint_count(), 3);
  EXPECT_EQ(t.first_response_measured(), 4);
  EXPECT_DOUBLE_EQ(t.first_response_compliance(), 0.75);  // 3 of 4 within target
  EXPECT_EQ(t.first_response_median_seconds(), 600);      // 300 600 1200 3000: rank 2
  EXPECT_EQ(t.first_response_p90_seconds(), 3000);        // rank 4
  EXPECT_EQ(t.resolution_measured(), 3);
  EXPECT_DOUBLE_EQ(t.resolution_compliance(), 2.0 / 3.0);
  EXPECT_EQ(t.resolution_median_seconds(), 3600);  // 1800 3600 7200: rank 2
  EXPECT_EQ(t.resolution_p90_seconds(), 7200);     // rank ceil(2.7) = 3
  EXPECT_EQ(t.csat_responses(), 3);
  EXPECT_DOUBLE_EQ(t.csat_satisfied_share(), 2.0 / 3.0);  // 5 and 4 of 5, 4, 2
  EXPECT_EQ(t.nps_responses(), 4);
  EXPECT_DOUBLE_EQ(t.nps(), 25.0);  // promoters 10, 9 (50%) minus detractors 6 (25%)
  EXPECT_EQ(t.effort_responses(), 2);
  EXPECT_DOUBLE_EQ(t.effort_average(), 3.0);
  EXPECT_EQ(t.resolved_count(), 3);
  EXPECT_EQ(t.reopened_count(), 1);
  EXPECT_DOUBLE_EQ(t.reopen_rate(), 1.0 / 3.0);
}

TEST(ReportFormulaTest, GroupsAndTrends) {
  const auto report = BuildReport(Sample(), v1::REPORT_GROUP_BY_TEAM, ReportRules{});
  ASSERT_EQ(report.groups_size(), 3);  // "" (a survey without a case), T1, T2
  EXPECT_EQ(report.groups(0).key(), "");
  EXPECT_EQ(report.groups(0).figures().nps_responses(), 1);
  EXPECT_EQ(report.groups(1).key(), "T1");
  EXPECT_EQ(report.groups(1).figures().case_count(), 3);
  EXPECT_DOUBLE_EQ(report.groups(1).figures().resolution_compliance(), 0.5);
  EXPECT_DOUBLE_EQ(report.groups(1).figures().csat_satisfied_share(), 1.0);
  EXPECT_EQ(report.groups(2).key(), "T2");
  EXPECT_EQ(report.groups(2).figures().case_count(), 2);
  EXPECT_DOUBLE_EQ(report.groups(2).figures().first_response_compliance(), 0.5);
  EXPECT_DOUBLE_EQ(report.groups(2).figures().reopen_rate(), 0.0);

  // BILLING 2 (was 1: +100%), LATE_DELIVERY 2 (was 2: 0%), OTHER 1 (was 0).
  ASSERT_EQ(report.top_categories_size(), 3);
  EXPECT_EQ(report.top_categories(0).category(), CASE_CATEGORY_BILLING_ERROR);
  EXPECT_DOUBLE_EQ(report.top_categories(0).change_percent(), 100.0);
  EXPECT_EQ(report.top_categories(1).category(), CASE_CATEGORY_LATE_DELIVERY);
  EXPECT_DOUBLE_EQ(report.top_categories(1).change_percent(), 0.0);
  EXPECT_EQ(report.top_categories(2).category(), CASE_CATEGORY_OTHER);
  EXPECT_EQ(report.top_categories(2).previous_count(), 0);

  const auto by_account = BuildReport(Sample(), v1::REPORT_GROUP_BY_ACCOUNT, ReportRules{});
  ASSERT_EQ(by_account.groups_size(), 2);
  EXPECT_EQ(by_account.groups(0).figures().complaint_count(), 3);
  EXPECT_DOUBLE_EQ(by_account.groups(1).figures().nps(), -50.0);  // 6 and 8: 0% - 50%
}

std::vector<v1::Recommendation> Fired(const ReportInput& input, const ReportRules& rules,
                                      const std::string& rule) {
  std::vector<v1::Recommendation> out;
  for (auto& r : Recommend(input, rules)) {
    if (r.rule() == rule) out.push_back(r);
  }
  return out;
}

TEST(RecommendationTest, CategoryGrowingFast) {
  ReportRules rules;
  rules.growth_min_cases = 2;
  rules.growth_percent = 50;
  auto fired = Fired(Sample(), rules, "CATEGORY_GROWING_FAST");
  ASSERT_EQ(fired.size(), 1u);  // BILLING 1 -> 2; LATE_DELIVERY flat; OTHER below the minimum
  EXPECT_EQ(fired[0].subject(), "BILLING_ERROR");
  EXPECT_EQ(fired[0].figures().at("case_count"), "2");
  EXPECT_EQ(fired[0].figures().at("previous_count"), "1");
  EXPECT_EQ(fired[0].figures().at("change_percent"), "100.0");
  rules.growth_percent = 150;
  EXPECT_TRUE(Fired(Sample(), rules, "CATEGORY_GROWING_FAST").empty());
}

TEST(RecommendationTest, TeamBelowSlaTarget) {
  ReportRules rules;
  rules.team_min_measured = 2;
  rules.team_sla_target = 0.9;
  auto fired = Fired(Sample(), rules, "TEAM_BELOW_SLA_TARGET");
  ASSERT_EQ(fired.size(), 1u);  // T1: 1 of 2 in target; T2 has only one measured
  EXPECT_EQ(fired[0].subject(), "T1");
  EXPECT_EQ(fired[0].figures().at("resolution_compliance"), "0.500");
  EXPECT_EQ(fired[0].figures().at("resolution_measured"), "2");
  rules.team_sla_target = 0.5;
  EXPECT_TRUE(Fired(Sample(), rules, "TEAM_BELOW_SLA_TARGET").empty());
}

TEST(RecommendationTest, RepeatedComplaints) {
  ReportRules rules;
  rules.repeated_complaints = 3;
  auto fired = Fired(Sample(), rules, "REPEATED_COMPLAINTS");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject(), "accounts/a1");
  EXPECT_EQ(fired[0].figures().at("complaint_count"), "3");
  rules.repeated_complaints = 4;
  EXPECT_TRUE(Fired(Sample(), rules, "REPEATED_COMPLAINTS").empty());
}

TEST(RecommendationTest, AgentHighReopenRate) {
  ReportRules rules;
  rules.agent_min_resolved = 2;
  rules.agent_reopen_rate = 0.2;
  auto fired = Fired(Sample(), rules, "AGENT_HIGH_REOPEN_RATE");
  ASSERT_EQ(fired.size(), 1u);  // x: 1 of 2 resolved reopened; y resolved one
  EXPECT_EQ(fired[0].subject(), "x");
  EXPECT_EQ(fired[0].figures().at("reopen_rate"), "0.500");
  EXPECT_EQ(fired[0].figures().at("resolved_count"), "2");
  rules.agent_reopen_rate = 0.6;
  EXPECT_TRUE(Fired(Sample(), rules, "AGENT_HIGH_REOPEN_RATE").empty());
}

TEST(RecommendationTest, DefaultsOnASmallSample) {
  // Only a1's three complaints reach a default threshold; the other rules need more cases.
  auto fired = Recommend(Sample(), ReportRules{});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].rule(), "REPEATED_COMPLAINTS");
}

}  // namespace
}  // namespace accord::quality
