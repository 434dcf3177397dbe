// Service report formulas and recommendation rules. Pure; unit-tested against hand-worked
// figures.
//
// Formulas (per group and in total):
// - compliance = cases within target / cases measured (a first response, or a resolution);
//   -1 when none was measured.
// - median and p90 by nearest rank: the value at rank ceil(p/100 * n) of the sorted times
//   (so the median of an even count is the lower middle value).
// - CSAT share = answers of 4 or 5 / CSAT answers; NPS = % of 9-10 minus % of 0-6 (0..100
//   scale); effort = the mean answer.
// - reopen rate = cases reopened at least once / cases resolved at least once.
// - category change = (count - previous) / previous * 100, 0 when previous is 0.
//
// Recommendation rules (thresholds in ReportRules):
// - CATEGORY_GROWING_FAST: a category with at least `growth_min_cases` cases that grew by at
//   least `growth_percent` against the previous period (or from none).
// - TEAM_BELOW_SLA_TARGET: a team with at least `team_min_measured` resolutions measured whose
//   resolution compliance is below `team_sla_target`.
// - REPEATED_COMPLAINTS: an account with at least `repeated_complaints` complaints.
// - AGENT_HIGH_REOPEN_RATE: an agent with at least `agent_min_resolved` resolved cases whose
//   reopen rate is at least `agent_reopen_rate`.
//
// - SIGNALS_RISING: a signal kind other than call reviews with at least `signal_min_count`
//   signals whose figure sum grew by at least `growth_percent` against the previous period (or
//   from none).
// - CALL_REVIEWS_LOW: at least `signal_min_count` call reviews with a mean score below
//   `call_review_target`.
//
// Signals (returns, audit findings, quality-control defects, call reviews, lost customers) are
// summed per kind: count, figure sum and mean, against the previous period.
//
// The account service review (BuildAccountReview), for one customer, worded for the customer:
// - SLA_BELOW_TARGET: at least `team_min_measured` resolutions measured, compliance below
//   `team_sla_target`.
// - REPEATED_COMPLAINTS_IN_CATEGORY: `review_repeat_complaints` or more complaints in one
//   category (each category listed in repeated_complaints too).
// - SATISFACTION_FALLING: CSAT share down by `review_csat_drop` or more (0-1 scale) against the
//   previous period, both with answers.
// - CASES_REOPENED: at least `review_min_resolved` resolved cases and a reopen rate of
//   `agent_reopen_rate` or more.
// - QUALITY_ISSUES_RISING: returns, audit findings or defects, at least `signal_min_count` of
//   one kind, whose figure sum grew by `growth_percent` or more against the previous period.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accord/quality/v1/report.pb.h"
#include "quality_model.h"

namespace accord::quality {

struct ReportRules {
  int64_t growth_min_cases = 5;
  double growth_percent = 50;
  int64_t team_min_measured = 5;
  double team_sla_target = 0.9;
  int64_t repeated_complaints = 3;
  int64_t agent_min_resolved = 5;
  double agent_reopen_rate = 0.2;
  int64_t review_repeat_complaints = 2;
  double review_csat_drop = 0.1;
  int64_t review_min_resolved = 3;
  int64_t signal_min_count = 3;
  double call_review_target = 70;
};

struct ReportInput {
  std::vector<ReportCase> cases;           // opened in the period
  std::vector<ReportSurvey> surveys;       // answered in the period
  std::vector<ReportCase> previous_cases;  // opened in the period before (same length)
  // Or, as the service reads them, only their counts per category (added to previous_cases').
  std::map<v1::CaseCategory, int64_t> previous_category_counts;
  std::vector<ReportSignal> signals;  // occurred in the period
  std::vector<ReportSignal> previous_signals;
};

// Per kind with signals in either period, in kind order.
std::vector<v1::SignalSummary> SummarizeSignals(const std::vector<ReportSignal>& signals,
                                                const std::vector<ReportSignal>& previous);

// Nearest-rank percentile (1..100) of `values`; 0 when empty.
int64_t NearestRank(std::vector<int64_t> values, int percent);

v1::ReportFigures ComputeFigures(const std::vector<const ReportCase*>& cases,
                                 const std::vector<const ReportSurvey*>& surveys);

// Groups, totals, category trends and recommendations; times are set by the caller.
v1::ServiceReport BuildReport(const ReportInput& input, v1::ReportGroupBy group_by,
                              const ReportRules& rules);

std::vector<v1::Recommendation> Recommend(const ReportInput& input, const ReportRules& rules);

struct ReviewInput {
  std::vector<ReportCase> cases;               // the account's, opened in the period
  std::vector<ReportCase> previous_cases;      // opened in the period before
  std::vector<ReportSurvey> surveys;           // the account's, answered in the period
  std::vector<ReportSurvey> previous_surveys;  // answered in the period before
  std::vector<ReportSignal> signals;           // the account's, occurred in the period
  std::vector<ReportSignal> previous_signals;
};

// The review's figures, groups, trend, repeated complaints and recommendations; the name,
// account and times are set by the caller.
v1::AccountServiceReview BuildAccountReview(const ReviewInput& input, const ReportRules& rules);

// The report as CSV: a header, a row per group, then a TOTAL row (its key column says TOTAL).
std::string ReportToCsv(const v1::ServiceReport& report);

// The review as CSV, one figure a row: `section,key,figure,value`.
std::string ReviewToCsv(const v1::AccountServiceReview& review);

}  // namespace accord::quality
