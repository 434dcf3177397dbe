#include "account_insights.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "accord/common/field_limits.h"
#include "accord/common/fields.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/list_query.h"
#include "accord/common/paging.h"
#include "insights_forecast.h"
#include "insights_rules.h"
#include "resource_names.h"

namespace accord::account {
namespace {

namespace filter = common::filter;
using google::protobuf::util::TimeUtil;

constexpr int64_t kDay = 86400;
constexpr int kDefaultMonths = 12;
constexpr int kMaxMonths = 60;
constexpr int kDefaultHorizon = 3;
constexpr int kMaxHorizon = 12;
constexpr int kDefaultRecommendations = 20;
constexpr int kMaxRecommendations = 100;
constexpr int kOverviewSales = 5;
constexpr int kMoversShown = 5;
constexpr int64_t kBasketWindow = 730 * kDay;  // sales that shape recommendations

constexpr char kClvFormula[] =
    "CLV = m x (1 + d) / (1 + d - r); m = margin_rate x revenue / months_observed, r = monthly "
    "retention, d = (1 + annual_discount_rate)^(1/12) - 1";

// "accounts/{id}/<suffix>" -> id.
absl::StatusOr<std::string> ParseAccountChild(const std::string& name, const std::string& suffix,
                                              const std::string& field) {
  const std::string tail = "/" + suffix;
  if (name.size() <= tail.size() || name.compare(name.size() - tail.size(), tail.size(), tail)) {
    return common::InvalidArgument(field, "must be `accounts/{account_id}/" + suffix + "`");
  }
  return ParseAccountName(name.substr(0, name.size() - tail.size()), field);
}

std::optional<double> MeanOf(int64_t sum, int count) {
  if (count == 0) return std::nullopt;
  return static_cast<double>(sum) / count;
}

// Epoch seconds of the start of a "YYYY-MM-DD" day (UTC).
int64_t DayStart(const std::string& date) {
  std::tm utc{};
  utc.tm_year = std::stoi(date.substr(0, 4)) - 1900;
  utc.tm_mon = std::stoi(date.substr(5, 2)) - 1;
  utc.tm_mday = std::stoi(date.substr(8, 2));
  return static_cast<int64_t>(timegm(&utc));
}

std::string DayOf(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return absl::StrFormat("%04d-%02d-%02d", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday);
}

common::v1::Date DateOf(const std::string& text) {
  common::v1::Date date;
  date.set_year(std::stoi(text.substr(0, 4)));
  date.set_month(std::stoi(text.substr(5, 2)));
  date.set_day(std::stoi(text.substr(8, 2)));
  return date;
}

v1::ForecastMethod MethodOf(ForecastMethod method) {
  return method == ForecastMethod::kHoltLinearTrend
             ? v1::FORECAST_METHOD_HOLT_LINEAR_TREND
             : v1::FORECAST_METHOD_SIMPLE_EXPONENTIAL_SMOOTHING;
}

v1::ChurnRisk RiskOf(ChurnRisk risk) {
  switch (risk) {
    case ChurnRisk::kHigh:
      return v1::CHURN_RISK_HIGH;
    case ChurnRisk::kMedium:
      return v1::CHURN_RISK_MEDIUM;
    case ChurnRisk::kLow:
      break;
  }
  return v1::CHURN_RISK_LOW;
}

// Sales revenue of `facts` in [from, to) (epoch seconds), by account.
std::map<std::string, double> RevenueBetween(const ActivityFacts& facts, int64_t from, int64_t to) {
  std::map<std::string, double> out;
  for (const auto& sale : facts.sales) {
    if (sale.time >= from && sale.time < to) {
      out[sale.account_id] += static_cast<double>(sale.total_micros) / 1e6;
    }
  }
  return out;
}

std::vector<v1::Recommendation> FollowUpsOf(const std::string& account_id,
                                            const ActivityFacts& facts, int64_t now) {
  std::vector<v1::Recommendation> out;
  std::vector<int64_t> orders;
  for (const auto& sale : facts.sales) {
    if (sale.account_id == account_id) orders.push_back(sale.time);
  }
  const DormancyCheck dormancy = CheckDormancy(orders, now);
  if (dormancy.dormant) {
    v1::Recommendation r;
    r.set_kind(v1::RECOMMENDATION_KIND_DORMANT_CUSTOMER);
    r.set_account(AccountName(account_id));
    r.set_days_since_last_order(dormancy.days_since_last_order);
    r.set_threshold_days(dormancy.threshold_days);
    r.set_reason(absl::StrFormat(
        "a repeat customer (%d orders) that has not ordered for %.0f days, more than the %.0f "
        "its ordering rhythm allows: call to follow up",
        orders.size(), dormancy.days_since_last_order, dormancy.threshold_days));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

AccountInsightsLogic::AccountInsightsLogic(InsightsRepository& repository,
                                           const common::PageTokenCodec& page_tokens,
                                           const InsightsSettings& settings)
    : repository_(repository), page_tokens_(page_tokens), settings_(settings) {}

common::v1::Money AccountInsightsLogic::Money(double units) const {
  const int64_t micros = static_cast<int64_t>(std::llround(units * 1e6));
  common::v1::Money money;
  money.set_currency_code(settings_.currency);
  money.set_units(micros / 1'000'000);
  money.set_nanos(static_cast<int32_t>((micros % 1'000'000) * 1000));
  return money;
}

absl::StatusOr<InsightAccount> AccountInsightsLogic::ReadableAccount(
    const common::Principal& caller, const std::string& account_id) {
  ACCORD_ASSIGN_OR_RETURN(InsightAccount account,
                          repository_.GetAccount(account_id, caller.subject));
  ACCORD_RETURN_IF_ERROR(CheckInsightsReadAccess(caller, AccountName(account_id), account.owner,
                                                 account.caller_on_team));
  return account;
}

v1::RevenueForecast AccountInsightsLogic::ForecastOf(const MonthlySeries& series, int horizon,
                                                     int64_t now) const {
  const MonthIndex current = MonthOfEpochSeconds(now);
  std::optional<MonthIndex> first;
  for (const auto& [month, figures] : series) {
    if (figures.orders > 0 && month < current) {
      first = month;
      break;
    }
  }
  const Forecast forecast = ForecastSeries(
      first ? RevenueSeries(series, *first, current - 1) : std::vector<double>{}, horizon);
  v1::RevenueForecast out;
  out.set_sufficient_history(forecast.sufficient);
  out.set_insufficient_reason(forecast.insufficient_reason);
  if (!forecast.sufficient) return out;
  out.set_method(MethodOf(forecast.method));
  out.set_alpha(forecast.alpha);
  out.set_beta(forecast.beta);
  out.set_backtest_months(forecast.backtest_points);
  out.set_backtest_mae(forecast.backtest.mae);
  if (forecast.backtest.mape) out.set_backtest_mape(*forecast.backtest.mape);
  if (forecast.backtest.mase) out.set_backtest_mase(*forecast.backtest.mase);
  out.set_compared_method(MethodOf(forecast.method == ForecastMethod::kHoltLinearTrend
                                       ? ForecastMethod::kSimpleExponentialSmoothing
                                       : ForecastMethod::kHoltLinearTrend));
  out.set_compared_backtest_mae(forecast.other_backtest.mae);
  for (const auto& point : forecast.points) {
    auto* p = out.add_points();
    p->set_month(MonthText(current - 1 + point.step));
    *p->mutable_value() = Money(point.value);
    *p->mutable_lower() = Money(point.lower);
    *p->mutable_upper() = Money(point.upper);
  }
  return out;
}

v1::AccountInsights AccountInsightsLogic::Build(const InsightAccount& account,
                                                const InsightFacts& facts, bool descendants,
                                                int months, int horizon, int64_t now) const {
  const AccountMonthly rolled = RollUp(AggregateMonthly(facts.facts), facts.parent_of);
  const auto found = rolled.find(account.id);
  const MonthlySeries series = found == rolled.end() ? MonthlySeries{} : found->second;
  const MonthIndex current = MonthOfEpochSeconds(now);

  v1::AccountInsights out;
  out.set_name(AccountName(account.id) + "/insights");
  out.set_currency_code(settings_.currency);
  out.set_includes_descendants(descendants);
  out.set_excluded_sales(facts.excluded_sales);
  for (MonthIndex month = current - months + 1; month <= current; ++month) {
    auto it = series.find(month);
    const MonthFigures figures = it == series.end() ? MonthFigures{} : it->second;
    auto* m = out.add_months();
    m->set_month(MonthText(month));
    *m->mutable_revenue() = Money(static_cast<double>(figures.revenue_micros) / 1e6);
    m->set_orders(figures.orders);
    m->set_cases_opened(figures.cases_opened);
    m->set_cases_resolved(figures.cases_resolved);
    m->set_complaints_opened(figures.complaints_opened);
    m->set_sla_breaches(figures.sla_breaches);
    m->set_surveys_answered(figures.surveys_answered);
    if (auto csat = MeanOf(figures.csat_sum, figures.csat_count)) m->set_average_csat(*csat);
    if (auto nps = MeanOf(figures.nps_sum, figures.nps_count)) m->set_average_nps(*nps);
    m->set_interactions(figures.interactions);
  }

  const Clv clv = ComputeClv(series, current - 1, settings_.clv);
  auto* value = out.mutable_lifetime_value();
  value->set_sufficient_history(clv.sufficient);
  value->set_insufficient_reason(clv.insufficient_reason);
  value->set_months_observed(clv.months_observed);
  value->set_orders(clv.orders);
  *value->mutable_revenue() = Money(clv.revenue);
  value->set_margin_rate(clv.margin_rate);
  value->set_annual_discount_rate(clv.annual_discount_rate);
  value->set_formula(kClvFormula);
  if (clv.sufficient) {
    *value->mutable_average_monthly_margin() = Money(clv.average_monthly_margin);
    value->set_retention_rate(clv.retention_rate);
    value->set_monthly_discount_rate(clv.monthly_discount_rate);
    value->set_expected_lifetime_months(clv.expected_lifetime_months);
    *value->mutable_value() = Money(clv.value);
  }

  *out.mutable_forecast() = ForecastOf(series, horizon, now);

  const HealthInputs in = HealthInputsAt(facts.facts, now);
  const Health health = ComputeHealth(in);
  auto* h = out.mutable_health();
  h->set_score(health.score);
  h->set_churn_risk(RiskOf(health.risk));
  h->set_order_recency(health.order_recency);
  h->set_order_frequency(health.order_frequency);
  h->set_contact_recency(health.contact_recency);
  h->set_service(health.service);
  h->set_satisfaction(health.satisfaction);
  if (in.days_since_last_order) h->set_days_since_last_order(*in.days_since_last_order);
  h->set_orders_last_90_days(in.orders_last_90_days);
  if (in.days_since_last_interaction) {
    h->set_days_since_last_interaction(*in.days_since_last_interaction);
  }
  h->set_open_complaints(in.open_complaints);
  h->set_breaches_last_90_days(in.breaches_last_90_days);
  if (in.csat_recent) h->set_csat_last_90_days(*in.csat_recent);
  if (in.nps_recent) h->set_nps_last_90_days(*in.nps_recent);
  if (in.nps_previous) h->set_nps_previous_90_days(*in.nps_previous);
  h->set_lifecycle_stage(account.lifecycle_stage);
  const Health before = ComputeHealth(
      HealthInputsAt(facts.facts, now - static_cast<int64_t>(kHealthTrendDays) * kDay));
  const AtRiskSuggestion suggestion = SuggestAtRisk(health, before);
  h->set_score_30_days_before(suggestion.previous_score);
  h->set_score_change_30_days(suggestion.change);
  if (suggestion.reason != AtRiskReason::kNone &&
      account.lifecycle_stage == v1::LIFECYCLE_STAGE_ACTIVE) {
    h->set_suggested_lifecycle_stage(v1::LIFECYCLE_STAGE_AT_RISK);
    h->set_suggestion_reason(
        suggestion.reason == AtRiskReason::kLevel
            ? absl::StrFormat("health %.1f is below 40 (high churn risk); move the account to "
                              "AT_RISK with UpdateAccount if you agree",
                              health.score)
            : absl::StrFormat("health fell from %.1f to %.1f in 30 days (medium churn risk and "
                              "falling); move the account to AT_RISK with UpdateAccount if you "
                              "agree",
                              suggestion.previous_score, health.score));
  }
  *out.mutable_compute_time() = TimeUtil::SecondsToTimestamp(now);
  return out;
}

absl::StatusOr<v1::AccountInsights> AccountInsightsLogic::GetInsights(
    const common::Principal& caller, const v1::GetAccountInsightsRequest& request, int64_t now) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto account_id = ParseAccountChild(request.name(), "insights", "name");
  common::MergeViolations(account_id.status(), violations);
  if (request.months() < 0 || request.months() > kMaxMonths) {
    violations.Add("months", "1 to 60 (0 for the default 12)");
  }
  if (request.forecast_months() < 0 || request.forecast_months() > kMaxHorizon) {
    violations.Add("forecast_months", "1 to 12 (0 for the default 3)");
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(InsightAccount account, ReadableAccount(caller, *account_id));
  ACCORD_ASSIGN_OR_RETURN(
      InsightFacts facts,
      repository_.LoadAccountFacts(account.id, request.include_descendants(), settings_.currency));
  return Build(account, facts, request.include_descendants(),
               request.months() ? request.months() : kDefaultMonths,
               request.forecast_months() ? request.forecast_months() : kDefaultHorizon, now);
}

absl::StatusOr<InsightFacts> AccountInsightsLogic::FactsOf(const InsightAccount& account) {
  return repository_.LoadAccountFacts(account.id, false, settings_.currency);
}

absl::StatusOr<AccountInsightsLogic::OverviewParts> AccountInsightsLogic::OverviewOf(
    const common::Principal& caller, const std::string& account_id, int64_t now) {
  ACCORD_ASSIGN_OR_RETURN(OverviewLocalFacts local,
                          repository_.LoadOverview(account_id, caller.subject, settings_.currency,
                                                   kOverviewSales, now - kBasketWindow));
  ACCORD_RETURN_IF_ERROR(CheckInsightsReadAccess(
      caller, AccountName(account_id), local.account.owner, local.account.caller_on_team));
  OverviewParts parts;
  parts.insights = Build(local.account, local.facts, false, kDefaultMonths, kDefaultHorizon, now);
  parts.recommendations =
      Recommend(local.account, local.facts, local.open_needs, *local.baskets, now);
  parts.account = std::move(local.resource);
  parts.recent_sales = std::move(local.recent_sales);
  return parts;
}

absl::StatusOr<std::vector<v1::Recommendation>> AccountInsightsLogic::RecommendationsOf(
    const InsightAccount& account, const InsightFacts& facts, int64_t now) {
  ACCORD_ASSIGN_OR_RETURN(std::vector<NeedActivity> needs, repository_.OpenNeeds(account.id));
  ACCORD_ASSIGN_OR_RETURN(auto baskets, repository_.Baskets(now - kBasketWindow));
  return Recommend(account, facts, needs, baskets, now);
}

std::vector<v1::Recommendation> AccountInsightsLogic::Recommend(
    const InsightAccount& account, const InsightFacts& facts,
    const std::vector<NeedActivity>& needs,
    const std::map<std::string, std::set<std::string>>& baskets, int64_t now) const {
  std::vector<v1::Recommendation> out = FollowUpsOf(account.id, facts.facts, now);
  for (const auto& need : needs) {
    if (!NeedIsQuiet(need.update_time, need.last_interaction, now)) continue;
    v1::Recommendation r;
    r.set_kind(v1::RECOMMENDATION_KIND_QUIET_NEED);
    r.set_account(AccountName(account.id));
    r.set_need(need.need);
    r.set_reason("open need \"" + need.title.substr(0, 200) +
                 "\" has seen no change and no interaction for more than 30 days");
    out.push_back(std::move(r));
  }
  RecommendationOptions options;
  options.limit = kMaxRecommendations;
  for (const auto& product : RecommendProducts(baskets, account.id, options)) {
    v1::Recommendation r;
    r.set_kind(v1::RECOMMENDATION_KIND_PRODUCT);
    r.set_account(AccountName(account.id));
    r.set_sku(product.sku);
    r.set_because_of(product.because_of);
    r.set_support(product.support);
    r.set_confidence(product.confidence);
    r.set_accounts(product.pair_accounts);
    r.set_reason(absl::StrFormat(
        "%d accounts that bought %s also bought %s (confidence %.0f%%, support %.0f%%)",
        product.pair_accounts, product.because_of, product.sku, 100 * product.confidence,
        100 * product.support));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<v1::ListAccountRecommendationsResponse> AccountInsightsLogic::ListRecommendations(
    const common::Principal& caller, const v1::ListAccountRecommendationsRequest& request,
    int64_t now) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto account_id = ParseAccountName(request.parent(), "parent");
  common::MergeViolations(account_id.status(), violations);
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  std::optional<v1::RecommendationKind> kind;
  if (!request.filter().empty()) {
    // The one filter offered: `kind = X`.
    std::string value = request.filter();
    const std::string prefix = "kind = ";
    v1::RecommendationKind parsed;
    if (value.rfind(prefix, 0) == 0) value = value.substr(prefix.size());
    if (request.filter().rfind(prefix, 0) == 0 &&
        (v1::RecommendationKind_Parse(value, &parsed) ||
         v1::RecommendationKind_Parse("RECOMMENDATION_KIND_" + value, &parsed)) &&
        parsed != v1::RECOMMENDATION_KIND_UNSPECIFIED) {
      kind = parsed;
    } else {
      violations.Add("filter",
                     "only `kind = PRODUCT`, `kind = DORMANT_CUSTOMER` or "
                     "`kind = QUIET_NEED`");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const std::string fingerprint = request.parent() + "\n" + request.filter();
  size_t offset = 0;
  if (!request.page_token().empty()) {
    ACCORD_ASSIGN_OR_RETURN(common::PageCursor cursor,
                            page_tokens_.Decode(request.page_token(), fingerprint));
    if (cursor.last_key.size() != 1) return common::InvalidArgument("page_token", "malformed");
    offset = std::stoul(cursor.last_key[0]);
  }
  const size_t page_size = static_cast<size_t>(
      request.page_size() == 0 ? kDefaultRecommendations
                               : std::min(request.page_size(), kMaxRecommendations));
  ACCORD_ASSIGN_OR_RETURN(InsightAccount account, ReadableAccount(caller, *account_id));
  ACCORD_ASSIGN_OR_RETURN(InsightFacts facts, FactsOf(account));
  ACCORD_ASSIGN_OR_RETURN(std::vector<v1::Recommendation> all,
                          RecommendationsOf(account, facts, now));
  if (kind) {
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const v1::Recommendation& r) { return r.kind() != *kind; }),
              all.end());
  }
  v1::ListAccountRecommendationsResponse response;
  for (size_t i = offset; i < all.size() && i < offset + page_size; ++i) {
    *response.add_recommendations() = all[i];
  }
  if (offset + page_size < all.size()) {
    response.set_next_page_token(
        page_tokens_.Encode({fingerprint, {std::to_string(offset + page_size)}}));
  }
  return response;
}

absl::StatusOr<v1::Performance> AccountInsightsLogic::GetPerformance(
    const common::Principal& caller, const v1::GetPerformanceRequest& request, int64_t now) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  const std::string suffix = "/performance";
  std::string assignee_name;
  if (request.name().size() > suffix.size() &&
      request.name().compare(request.name().size() - suffix.size(), suffix.size(), suffix) == 0) {
    assignee_name = request.name().substr(0, request.name().size() - suffix.size());
  }
  auto assignee = ParseAssignee(assignee_name, "name");
  if (assignee_name.empty()) {
    violations.Add("name",
                   "must be `managers/{subject}/performance` or `teams/{team}/performance`");
  } else {
    common::MergeViolations(assignee.status(), violations);
  }
  const bool start_set = request.has_start_date();
  const bool end_set = request.has_end_date();
  std::string from = start_set ? DateText(request.start_date()) : "";
  std::string to = end_set ? DateText(request.end_date()) : "";
  if (start_set && from.empty()) violations.Add("start_date", "not a calendar date");
  if (end_set && to.empty()) violations.Add("end_date", "not a calendar date");
  if (start_set != end_set)
    violations.Add("end_date", "give both start_date and end_date, or none");
  if (!from.empty() && !to.empty() && to < from) {
    violations.Add("end_date", "must not be before start_date");
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  if (!start_set) {
    const MonthIndex current = MonthOfEpochSeconds(now);
    from = DayOf(MonthStartEpochSeconds(current));
    to = DayOf(MonthStartEpochSeconds(current + 1) - kDay);
  }

  ACCORD_ASSIGN_OR_RETURN(std::vector<v1::Target> targets,
                          repository_.TargetsOf(assignee_name, from, to));
  std::vector<std::string> members;
  if (assignee->team) {
    std::set<std::string> unique;
    for (const auto& target : targets)
      unique.insert(target.members().begin(), target.members().end());
    members.assign(unique.begin(), unique.end());
  } else {
    members = {assignee->id};
  }
  ACCORD_RETURN_IF_ERROR(CheckPerformanceAccess(caller, *assignee, members));

  v1::Performance out;
  out.set_name(request.name());
  for (const auto& member : members) out.add_members(member);
  *out.mutable_start_date() = DateOf(from);
  *out.mutable_end_date() = DateOf(to);

  const int64_t start = DayStart(from);
  const int64_t end = DayStart(to) + kDay;
  ACCORD_ASSIGN_OR_RETURN(std::vector<std::string> accounts, repository_.AccountsOwnedBy(members));
  ACCORD_ASSIGN_OR_RETURN(ActivityFacts facts, repository_.LoadFacts(accounts, settings_.currency));
  double revenue = 0;
  const auto current = RevenueBetween(facts, start, end);
  for (const auto& [account, value] : current) revenue += value;
  *out.mutable_revenue() = Money(revenue);

  // All the members' accounts as one series.
  MonthlySeries combined;
  for (const auto& [account, series] : AggregateMonthly(facts)) {
    for (const auto& [month, figures] : series) combined[month] += figures;
  }
  *out.mutable_forecast() = ForecastOf(combined, kDefaultHorizon, now);

  const Movers movers =
      TopMovers(RevenueBetween(facts, start - (end - start), start), current, kMoversShown);
  auto add_mover = [&](const Mover& mover, v1::SalesMover* m) {
    m->set_account(AccountName(mover.account_id));
    *m->mutable_previous() = Money(mover.previous);
    *m->mutable_current() = Money(mover.current);
    *m->mutable_change() = Money(mover.change);
  };
  for (const auto& mover : movers.up) add_mover(mover, out.add_movers_up());
  for (const auto& mover : movers.down) add_mover(mover, out.add_movers_down());

  for (const auto& account : accounts) {
    if (out.due_follow_ups_size() >= 100) break;
    for (auto& r : FollowUpsOf(account, facts, now)) *out.add_due_follow_ups() = std::move(r);
  }

  for (const auto& target : targets) {
    std::vector<std::string> counted(target.members().begin(), target.members().end());
    if (counted.empty()) counted = {assignee->id};
    const std::string target_from = DateText(target.start_date());
    const std::string target_to = DateText(target.end_date());
    const int64_t target_start = DayStart(target_from);
    const int64_t target_end = DayStart(target_to) + kDay;
    double actual = 0;
    switch (target.metric()) {
      case v1::TARGET_METRIC_REVENUE: {
        ACCORD_ASSIGN_OR_RETURN(std::vector<std::string> owned,
                                repository_.AccountsOwnedBy(counted));
        ACCORD_ASSIGN_OR_RETURN(ActivityFacts sold,
                                repository_.LoadFacts(owned, settings_.currency));
        for (const auto& [account, value] : RevenueBetween(sold, target_start, target_end)) {
          actual += value;
        }
        break;
      }
      case v1::TARGET_METRIC_NEW_ACCOUNTS: {
        ACCORD_ASSIGN_OR_RETURN(int64_t created,
                                repository_.NewAccounts(counted, target_from, target_to));
        actual = static_cast<double>(created);
        break;
      }
      default: {
        ACCORD_ASSIGN_OR_RETURN(InsightsRepository::Interactions logged,
                                repository_.InteractionsBy(counted, target_from, target_to));
        actual = static_cast<double>(
            target.metric() == v1::TARGET_METRIC_CALLS ? logged.calls : logged.conversions);
        break;
      }
    }
    const Attainment attainment =
        ComputeAttainment(target.value(), actual, target_start, target_end, now);
    auto* a = out.add_attainments();
    *a->mutable_target() = target;
    a->set_actual(attainment.actual);
    a->set_percent(attainment.percent);
    a->set_expected_by_now(attainment.expected_by_now);
    a->set_on_track(attainment.on_track);
  }
  *out.mutable_compute_time() = TimeUtil::SecondsToTimestamp(now);
  return out;
}

// ---- Targets.

namespace {

absl::StatusOr<std::string> ParseTargetName(const std::string& name, const std::string& field) {
  const std::string prefix = "targets/";
  if (name.rfind(prefix, 0) != 0 || !common::IsUuid(name.substr(prefix.size()))) {
    return common::InvalidArgument(field, "must be `targets/{target_id}`");
  }
  return name.substr(prefix.size());
}

absl::Status CheckTargetEtag(const std::string& supplied, const v1::Target& current) {
  if (supplied != current.etag()) return common::EtagMismatch(current.name());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Target> AccountInsightsLogic::CreateTarget(
    const common::Principal& caller, const v1::CreateTargetRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_RETURN_IF_ERROR(CheckInsightsAdmin(caller, "set targets"));
  common::Violations violations;
  common::MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ValidateTarget(request.target(), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.CreateTarget(request.target(), meta);
}

absl::StatusOr<v1::Target> AccountInsightsLogic::GetTarget(const common::Principal& caller,
                                                           const v1::GetTargetRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseTargetName(request.name(), "name"));
  ACCORD_ASSIGN_OR_RETURN(v1::Target target, repository_.GetTarget(id));
  auto assignee = ParseAssignee(target.assignee(), "assignee");
  if (!assignee.ok()) return common::Internal("stored target with a bad assignee");
  ACCORD_RETURN_IF_ERROR(CheckPerformanceAccess(
      caller, *assignee, {target.members().begin(), target.members().end()}));
  return target;
}

absl::StatusOr<v1::ListTargetsResponse> AccountInsightsLogic::ListTargets(
    const common::Principal& caller, const v1::ListTargetsRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  if (!caller.HasAny(
          {common::Role::kAdmin, common::Role::kServiceSupervisor, common::Role::kIntegration})) {
    return common::PermissionDenied("NOT_ALLOWED",
                                    caller.subject +
                                        " may not list every target: admin or "
                                        "service_supervisor; read your own with GetPerformance");
  }
  ACCORD_ASSIGN_OR_RETURN(common::OrderBy order,
                          common::ParseOrderBy(request.order_by(), {"create_time"}));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                                            request.filter() + "\n" + order.canonical));
  TargetListQuery query;
  query.limit = start.limit;
  query.after = start.after;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(TargetPage page, repository_.ListTargets(query));
  v1::ListTargetsResponse response;
  const size_t returned = common::RowsToReturn(start, page.targets.size());
  for (size_t i = 0; i < returned; ++i) *response.add_targets() = std::move(page.targets[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, page.targets.size(), page.keys));
  return response;
}

absl::StatusOr<v1::Target> AccountInsightsLogic::UpdateTarget(
    const common::Principal& caller, const v1::UpdateTargetRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_RETURN_IF_ERROR(CheckInsightsAdmin(caller, "change targets"));
  common::Violations violations;
  auto id = ParseTargetName(request.target().name(), "target.name");
  common::MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the target as you last read it");
  }
  common::MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  static const std::set<std::string> kUpdatable = {"members", "value", "start_date", "end_date"};
  std::vector<std::string> paths(request.update_mask().paths().begin(),
                                 request.update_mask().paths().end());
  if (paths.empty()) paths.assign(kUpdatable.begin(), kUpdatable.end());
  for (const auto& path : paths) {
    if (!kUpdatable.count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: members, value, "
                                        "start_date, end_date");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.UpdateTarget(
      *id,
      [&](const v1::Target& current) -> absl::StatusOr<v1::Target> {
        ACCORD_RETURN_IF_ERROR(CheckTargetEtag(request.etag(), current));
        v1::Target next = current;
        const v1::Target& patch = request.target();
        for (const auto& path : paths) {
          if (path == "members") *next.mutable_members() = patch.members();
          if (path == "value") next.set_value(patch.value());
          if (path == "start_date") *next.mutable_start_date() = patch.start_date();
          if (path == "end_date") *next.mutable_end_date() = patch.end_date();
        }
        common::Violations field_violations;
        ValidateTarget(next, field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        return next;
      },
      meta);
}

absl::Status AccountInsightsLogic::DeleteTarget(const common::Principal& caller,
                                                const v1::DeleteTargetRequest& request,
                                                WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_RETURN_IF_ERROR(CheckInsightsAdmin(caller, "delete targets"));
  common::Violations violations;
  auto id = ParseTargetName(request.name(), "name");
  common::MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the target as you last read it");
  }
  common::MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.DeleteTarget(
      *id,
      [&](const v1::Target& current) -> absl::StatusOr<v1::Target> {
        ACCORD_RETURN_IF_ERROR(CheckTargetEtag(request.etag(), current));
        return current;
      },
      meta);
}

}  // namespace accord::account
