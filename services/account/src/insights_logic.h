// The figures of account insights, as pure functions over facts the account service learned from
// the other services' events (sales, cases, surveys, interactions). Storage hands them the facts;
// nothing here reads a clock or a database, so every formula is unit-tested against hand-worked
// figures. The formulas are documented beside each function and in README "Account insights".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "insights_facts.h"

namespace accord::account {

// ---- Months. A month is counted as year*12 + (month-1), so consecutive months differ by one.
using MonthIndex = int;
MonthIndex MonthOf(int year, int month);
// The UTC month of a time in epoch seconds.
MonthIndex MonthOfEpochSeconds(int64_t seconds);
// "2026-03".
std::string MonthText(MonthIndex month);
// First day of the month, epoch seconds (UTC).
int64_t MonthStartEpochSeconds(MonthIndex month);

// ---- Monthly revenue and activity.
struct MonthFigures {
  int64_t revenue_micros = 0;
  int orders = 0;
  int cases_opened = 0;
  int cases_resolved = 0;
  int complaints_opened = 0;
  int sla_breaches = 0;
  int surveys_answered = 0;
  int64_t csat_sum = 0;
  int csat_count = 0;
  int64_t nps_sum = 0;
  int nps_count = 0;
  int interactions = 0;

  MonthFigures& operator+=(const MonthFigures& other);
  bool operator==(const MonthFigures& other) const;
};

using MonthlySeries = std::map<MonthIndex, MonthFigures>;
using AccountMonthly = std::map<std::string, MonthlySeries>;  // by account id

// Each fact counted in the month of its time (a case: opened in its open month, resolved in its
// resolve month), per account.
AccountMonthly AggregateMonthly(const ActivityFacts& facts);

// Roll-up over the account hierarchy: each account's figures plus those of every account below
// it. `parent_of` maps an account id to its parent id (absent or "" for a root). A cycle (never
// stored, but never trusted) is cut where it closes.
AccountMonthly RollUp(const AccountMonthly& own,
                      const std::map<std::string, std::string>& parent_of);

// Revenue of months [first, last], 0 where nothing was sold, in units (micros / 1e6).
std::vector<double> RevenueSeries(const MonthlySeries& series, MonthIndex first, MonthIndex last);

// ---- Customer lifetime value.
//
//   N  months observed: from the month of the first order to the last complete month
//   m  average monthly margin = margin_rate x (revenue over the N months) / N
//   r  monthly retention = of the observed months with an order and a following observed month,
//      the share whose following month has an order too; capped at 0.98
//   d  monthly discount rate = (1 + annual_discount_rate)^(1/12) - 1
//   CLV = m x (1 + d) / (1 + d - r)        (expected lifetime 1 / (1 - r) months)
//
// Fewer than 3 observed months or 2 orders: insufficient history, no figure.
struct ClvInputs {
  double margin_rate = 0.25;
  double annual_discount_rate = 0.10;
};
struct Clv {
  bool sufficient = false;
  std::string insufficient_reason;
  int months_observed = 0;
  int orders = 0;
  double revenue = 0;                 // over the observed months
  double average_monthly_margin = 0;  // m
  double retention_rate = 0;          // r
  double monthly_discount_rate = 0;   // d
  double expected_lifetime_months = 0;
  double margin_rate = 0;
  double annual_discount_rate = 0;
  double value = 0;
};
inline constexpr int kMinClvMonths = 3;
inline constexpr int kMinClvOrders = 2;
inline constexpr double kMaxRetention = 0.98;
Clv ComputeClv(const MonthlySeries& series, MonthIndex last_complete_month,
               const ClvInputs& inputs);

// ---- Health and churn risk, 0-100, the sum of five shown components:
//   order recency    25 x max(0, 1 - days since the last order / 180); no order: 0
//   order frequency  20 x min(1, orders in the last 90 days / 3)
//   contact recency  15 x max(0, 1 - days since the last interaction / 90); none: 0
//   service          20 - 5 x open complaints - 4 x SLA breaches in the last 90 days, at least 0
//   satisfaction     no CSAT in the last 90 days: 10 (neutral); else 20 x (mean CSAT - 1) / 4;
//                    plus 2 x (mean NPS of the last 90 days - that of the 90 before) when both
//                    exist; kept within 0..20
// Risk: high below 40, medium below 60, low otherwise. Whether to suggest AT_RISK is decided by
// SuggestAtRisk from the level and the trend (below).
struct HealthInputs {
  std::optional<double> days_since_last_order;
  int orders_last_90_days = 0;
  std::optional<double> days_since_last_interaction;
  int open_complaints = 0;
  int breaches_last_90_days = 0;
  std::optional<double> csat_recent;
  std::optional<double> nps_recent;
  std::optional<double> nps_previous;
};
enum class ChurnRisk { kLow, kMedium, kHigh };
struct Health {
  double order_recency = 0;
  double order_frequency = 0;
  double contact_recency = 0;
  double service = 0;
  double satisfaction = 0;
  double score = 0;
  ChurnRisk risk = ChurnRisk::kLow;
};
Health ComputeHealth(const HealthInputs& inputs);
// The inputs at `now` (epoch seconds) from an account's facts, counting only what had happened
// by then (a complaint is open at `now` if opened by then and not resolved by then), so the same
// facts give the score as it stood at an earlier time.
HealthInputs HealthInputsAt(const ActivityFacts& facts, int64_t now);
std::string ChurnRiskName(ChurnRisk risk);

// At-risk suggestion from the level and the trend of the score, for an ACTIVE account:
//   level  the score is below 40 (high churn risk), or
//   trend  the score fell by kHealthFallPoints or more against kHealthTrendDays days before and
//          is now below 60 (medium risk or worse): a customer sliding fast is flagged before it
//          reaches the high-risk band.
// A fall within the low-risk band (100 -> 80) is not a suggestion. Never applied: returned only.
inline constexpr double kHealthTrendDays = 30;
inline constexpr double kHealthFallPoints = 15;
enum class AtRiskReason { kNone, kLevel, kTrend };
struct AtRiskSuggestion {
  AtRiskReason reason = AtRiskReason::kNone;
  double score = 0;
  double previous_score = 0;  // kHealthTrendDays before
  double change = 0;          // score - previous_score
};
AtRiskSuggestion SuggestAtRisk(const Health& now, const Health& before);

// ---- Targets and attainment.
enum class TargetMetric { kRevenue, kNewAccounts, kCalls, kConversions };
// Attainment = actual / target x 100; pace = what a straight line from the period's start to
// its target would have reached by `now` (the whole target once the period is over).
struct Attainment {
  double actual = 0;
  double target = 0;
  double percent = 0;
  double expected_by_now = 0;
  bool on_track = false;  // actual >= expected_by_now
};
Attainment ComputeAttainment(double target, double actual, int64_t period_start, int64_t period_end,
                             int64_t now);

// ---- What moves sales: accounts whose revenue changed most between two periods.
struct Mover {
  std::string account_id;
  double previous = 0;
  double current = 0;
  double change = 0;
};
struct Movers {
  std::vector<Mover> up;    // largest rise first
  std::vector<Mover> down;  // largest fall first
};
Movers TopMovers(const std::map<std::string, double>& previous,
                 const std::map<std::string, double>& current, int limit);

// ---- Recommendations by co-occurrence over sales. Over N accounts that bought anything, for an
// item p the account has not bought and an item x it has:
//   support(x -> p) = accounts that bought both / N
//   confidence(x -> p) = accounts that bought both / accounts that bought x
// Each p is suggested by its best rule (confidence, then support, then x by name), when at least
// `min_pair_accounts` accounts bought both and the confidence reaches `min_confidence`.
struct ProductRecommendation {
  std::string sku;
  std::string because_of;  // x
  int pair_accounts = 0;
  double support = 0;
  double confidence = 0;
};
struct RecommendationOptions {
  int min_pair_accounts = 2;
  double min_confidence = 0.3;
  int limit = 10;
};
std::vector<ProductRecommendation> RecommendProducts(
    const std::map<std::string, std::set<std::string>>& baskets, const std::string& account_id,
    const RecommendationOptions& options);

// ---- Follow-ups that are due.
// A dormant repeat customer: 2 or more orders, and more days since the last one than
// max(dormant_min_days, 2 x the median gap between its orders).
struct DormancyCheck {
  bool dormant = false;
  double days_since_last_order = 0;
  double median_gap_days = 0;
  double threshold_days = 0;
};
inline constexpr double kDormantMinDays = 60;
DormancyCheck CheckDormancy(std::vector<int64_t> order_times, int64_t now);
// A need without activity: open, and neither changed nor followed by an interaction with the
// account for more than `quiet_days`.
inline constexpr double kNeedQuietDays = 30;
bool NeedIsQuiet(int64_t need_update_time, std::optional<int64_t> last_interaction, int64_t now);

}  // namespace accord::account
