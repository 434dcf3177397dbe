#include "insights_logic.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace accord::account {
namespace {

constexpr double kDay = 86400.0;

double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double DaysBetween(int64_t earlier, int64_t later) {
  return static_cast<double>(later - earlier) / kDay;
}

std::optional<double> Mean(const std::vector<int>& values) {
  if (values.empty()) return std::nullopt;
  double sum = 0;
  for (int v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

}  // namespace

MonthIndex MonthOf(int year, int month) { return year * 12 + (month - 1); }

MonthIndex MonthOfEpochSeconds(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return MonthOf(utc.tm_year + 1900, utc.tm_mon + 1);
}

std::string MonthText(MonthIndex month) {
  return absl::StrFormat("%04d-%02d", month / 12, month % 12 + 1);
}

int64_t MonthStartEpochSeconds(MonthIndex month) {
  std::tm utc{};
  utc.tm_year = month / 12 - 1900;
  utc.tm_mon = month % 12;
  utc.tm_mday = 1;
  return static_cast<int64_t>(timegm(&utc));
}

MonthFigures& MonthFigures::operator+=(const MonthFigures& other) {
  revenue_micros += other.revenue_micros;
  orders += other.orders;
  cases_opened += other.cases_opened;
  cases_resolved += other.cases_resolved;
  complaints_opened += other.complaints_opened;
  sla_breaches += other.sla_breaches;
  surveys_answered += other.surveys_answered;
  csat_sum += other.csat_sum;
  csat_count += other.csat_count;
  nps_sum += other.nps_sum;
  nps_count += other.nps_count;
  interactions += other.interactions;
  return *this;
}

bool MonthFigures::operator==(const MonthFigures& other) const {
  return revenue_micros == other.revenue_micros && orders == other.orders &&
         cases_opened == other.cases_opened && cases_resolved == other.cases_resolved &&
         complaints_opened == other.complaints_opened && sla_breaches == other.sla_breaches &&
         surveys_answered == other.surveys_answered && csat_sum == other.csat_sum &&
         csat_count == other.csat_count && nps_sum == other.nps_sum &&
         nps_count == other.nps_count && interactions == other.interactions;
}

AccountMonthly AggregateMonthly(const ActivityFacts& facts) {
  AccountMonthly out;
  for (const auto& sale : facts.sales) {
    auto& month = out[sale.account_id][MonthOfEpochSeconds(sale.time)];
    month.revenue_micros += sale.total_micros;
    ++month.orders;
  }
  for (const auto& c : facts.cases) {
    auto& opened = out[c.account_id][MonthOfEpochSeconds(c.open_time)];
    ++opened.cases_opened;
    if (c.complaint) ++opened.complaints_opened;
    if (c.resolve_time) ++out[c.account_id][MonthOfEpochSeconds(*c.resolve_time)].cases_resolved;
  }
  for (const auto& breach : facts.breaches) {
    ++out[breach.account_id][MonthOfEpochSeconds(breach.time)].sla_breaches;
  }
  for (const auto& survey : facts.surveys) {
    auto& month = out[survey.account_id][MonthOfEpochSeconds(survey.time)];
    ++month.surveys_answered;
    if (survey.csat) {
      month.csat_sum += *survey.csat;
      ++month.csat_count;
    }
    if (survey.nps) {
      month.nps_sum += *survey.nps;
      ++month.nps_count;
    }
  }
  for (const auto& interaction : facts.interactions) {
    ++out[interaction.account_id][MonthOfEpochSeconds(interaction.time)].interactions;
  }
  return out;
}

AccountMonthly RollUp(const AccountMonthly& own,
                      const std::map<std::string, std::string>& parent_of) {
  AccountMonthly out;
  for (const auto& [account, series] : own) {
    // Add the account's own figures to itself and to every ancestor.
    std::set<std::string> seen;
    std::string current = account;
    while (!current.empty() && seen.insert(current).second) {
      auto& target = out[current];
      for (const auto& [month, figures] : series) target[month] += figures;
      auto parent = parent_of.find(current);
      current = parent == parent_of.end() ? "" : parent->second;
    }
  }
  return out;
}

std::vector<double> RevenueSeries(const MonthlySeries& series, MonthIndex first, MonthIndex last) {
  std::vector<double> out;
  for (MonthIndex month = first; month <= last; ++month) {
    auto it = series.find(month);
    out.push_back(it == series.end() ? 0.0 : static_cast<double>(it->second.revenue_micros) / 1e6);
  }
  return out;
}

Clv ComputeClv(const MonthlySeries& series, MonthIndex last_complete_month,
               const ClvInputs& inputs) {
  Clv clv;
  clv.margin_rate = inputs.margin_rate;
  clv.annual_discount_rate = inputs.annual_discount_rate;
  std::optional<MonthIndex> first;
  for (const auto& [month, figures] : series) {
    if (figures.orders > 0 && month <= last_complete_month) {
      first = month;
      break;
    }
  }
  if (!first) {
    clv.insufficient_reason = "insufficient history: no order in a complete month";
    return clv;
  }
  clv.months_observed = last_complete_month - *first + 1;
  std::vector<bool> active;
  for (MonthIndex month = *first; month <= last_complete_month; ++month) {
    auto it = series.find(month);
    const bool ordered = it != series.end() && it->second.orders > 0;
    active.push_back(ordered);
    if (it != series.end()) {
      clv.orders += it->second.orders;
      clv.revenue += static_cast<double>(it->second.revenue_micros) / 1e6;
    }
  }
  if (clv.months_observed < kMinClvMonths || clv.orders < kMinClvOrders) {
    clv.insufficient_reason =
        absl::StrCat("insufficient history: ", clv.months_observed, " month(s) and ", clv.orders,
                     " order(s) observed; lifetime value needs ", kMinClvMonths, " months and ",
                     kMinClvOrders, " orders");
    return clv;
  }
  int opportunities = 0;
  int retained = 0;
  for (size_t i = 0; i + 1 < active.size(); ++i) {
    if (!active[i]) continue;
    ++opportunities;
    if (active[i + 1]) ++retained;
  }
  clv.sufficient = true;
  clv.average_monthly_margin = inputs.margin_rate * clv.revenue / clv.months_observed;
  clv.retention_rate = std::min(kMaxRetention, static_cast<double>(retained) / opportunities);
  clv.monthly_discount_rate = std::pow(1 + inputs.annual_discount_rate, 1.0 / 12) - 1;
  clv.expected_lifetime_months = 1 / (1 - clv.retention_rate);
  const double d = clv.monthly_discount_rate;
  clv.value = clv.average_monthly_margin * (1 + d) / (1 + d - clv.retention_rate);
  return clv;
}

Health ComputeHealth(const HealthInputs& in) {
  Health health;
  if (in.days_since_last_order) {
    health.order_recency = 25 * Clamp01(1 - *in.days_since_last_order / 180);
  }
  health.order_frequency = 20 * std::min(1.0, in.orders_last_90_days / 3.0);
  if (in.days_since_last_interaction) {
    health.contact_recency = 15 * Clamp01(1 - *in.days_since_last_interaction / 90);
  }
  health.service = std::max(0.0, 20.0 - 5 * in.open_complaints - 4 * in.breaches_last_90_days);
  double satisfaction = 10;
  if (in.csat_recent) satisfaction = 20 * (*in.csat_recent - 1) / 4;
  if (in.nps_recent && in.nps_previous) satisfaction += 2 * (*in.nps_recent - *in.nps_previous);
  health.satisfaction = std::clamp(satisfaction, 0.0, 20.0);
  health.score = health.order_recency + health.order_frequency + health.contact_recency +
                 health.service + health.satisfaction;
  health.risk = health.score < 40   ? ChurnRisk::kHigh
                : health.score < 60 ? ChurnRisk::kMedium
                                    : ChurnRisk::kLow;
  return health;
}

HealthInputs HealthInputsAt(const ActivityFacts& facts, int64_t now) {
  HealthInputs in;
  const int64_t day90 = now - static_cast<int64_t>(90 * kDay);
  const int64_t day180 = now - static_cast<int64_t>(180 * kDay);
  std::optional<int64_t> last_order;
  for (const auto& sale : facts.sales) {
    if (sale.time > now) continue;
    if (!last_order || sale.time > *last_order) last_order = sale.time;
    if (sale.time > day90) ++in.orders_last_90_days;
  }
  if (last_order) in.days_since_last_order = DaysBetween(*last_order, now);
  std::optional<int64_t> last_interaction;
  for (const auto& interaction : facts.interactions) {
    if (interaction.time > now) continue;
    if (!last_interaction || interaction.time > *last_interaction) {
      last_interaction = interaction.time;
    }
  }
  if (last_interaction) in.days_since_last_interaction = DaysBetween(*last_interaction, now);
  for (const auto& c : facts.cases) {
    if (!c.complaint || c.open_time > now) continue;
    // Resolved and closed cases carry their resolve time; one without it is as open as it is now.
    if (c.resolve_time ? *c.resolve_time > now : c.open) ++in.open_complaints;
  }
  for (const auto& breach : facts.breaches) {
    if (breach.time > day90 && breach.time <= now) ++in.breaches_last_90_days;
  }
  std::vector<int> csat;
  std::vector<int> nps_recent;
  std::vector<int> nps_previous;
  for (const auto& survey : facts.surveys) {
    if (survey.time > now) continue;
    if (survey.time > day90) {
      if (survey.csat) csat.push_back(*survey.csat);
      if (survey.nps) nps_recent.push_back(*survey.nps);
    } else if (survey.time > day180 && survey.nps) {
      nps_previous.push_back(*survey.nps);
    }
  }
  in.csat_recent = Mean(csat);
  in.nps_recent = Mean(nps_recent);
  in.nps_previous = Mean(nps_previous);
  return in;
}

std::string ChurnRiskName(ChurnRisk risk) {
  switch (risk) {
    case ChurnRisk::kHigh:
      return "high";
    case ChurnRisk::kMedium:
      return "medium";
    case ChurnRisk::kLow:
      break;
  }
  return "low";
}

AtRiskSuggestion SuggestAtRisk(const Health& now, const Health& before) {
  AtRiskSuggestion suggestion;
  suggestion.score = now.score;
  suggestion.previous_score = before.score;
  suggestion.change = now.score - before.score;
  if (now.risk == ChurnRisk::kHigh) {
    suggestion.reason = AtRiskReason::kLevel;
  } else if (now.risk == ChurnRisk::kMedium && suggestion.change <= -kHealthFallPoints) {
    suggestion.reason = AtRiskReason::kTrend;
  }
  return suggestion;
}

Attainment ComputeAttainment(double target, double actual, int64_t period_start, int64_t period_end,
                             int64_t now) {
  Attainment out;
  out.actual = actual;
  out.target = target;
  out.percent = target > 0 ? 100 * actual / target : 0;
  double elapsed = 1;
  if (period_end > period_start) {
    elapsed = Clamp01(static_cast<double>(now - period_start) /
                      static_cast<double>(period_end - period_start));
  }
  out.expected_by_now = target * elapsed;
  out.on_track = actual >= out.expected_by_now;
  return out;
}

Movers TopMovers(const std::map<std::string, double>& previous,
                 const std::map<std::string, double>& current, int limit) {
  std::map<std::string, Mover> all;
  for (const auto& [account, value] : previous) all[account].previous = value;
  for (const auto& [account, value] : current) all[account].current = value;
  std::vector<Mover> movers;
  for (auto& [account, mover] : all) {
    mover.account_id = account;
    mover.change = mover.current - mover.previous;
    if (mover.change != 0) movers.push_back(mover);
  }
  Movers out;
  for (const auto& mover : movers) (mover.change > 0 ? out.up : out.down).push_back(mover);
  auto by_size = [](const Mover& a, const Mover& b) {
    if (std::fabs(a.change) != std::fabs(b.change))
      return std::fabs(a.change) > std::fabs(b.change);
    return a.account_id < b.account_id;
  };
  std::sort(out.up.begin(), out.up.end(), by_size);
  std::sort(out.down.begin(), out.down.end(), by_size);
  if (static_cast<int>(out.up.size()) > limit) out.up.resize(limit);
  if (static_cast<int>(out.down.size()) > limit) out.down.resize(limit);
  return out;
}

std::vector<ProductRecommendation> RecommendProducts(
    const std::map<std::string, std::set<std::string>>& baskets, const std::string& account_id,
    const RecommendationOptions& options) {
  std::vector<ProductRecommendation> out;
  auto own = baskets.find(account_id);
  if (own == baskets.end() || own->second.empty()) return out;
  const auto& bought = own->second;
  int accounts = 0;
  std::map<std::string, int> with_x;                           // x -> accounts
  std::map<std::pair<std::string, std::string>, int> with_xp;  // (x, p) -> accounts
  for (const auto& [account, items] : baskets) {
    if (items.empty()) continue;
    ++accounts;
    for (const auto& x : bought) {
      if (!items.count(x)) continue;
      ++with_x[x];
      for (const auto& p : items) {
        if (!bought.count(p)) ++with_xp[{x, p}];
      }
    }
  }
  std::map<std::string, ProductRecommendation> best;
  for (const auto& [pair, count] : with_xp) {
    const auto& [x, p] = pair;
    ProductRecommendation candidate;
    candidate.sku = p;
    candidate.because_of = x;
    candidate.pair_accounts = count;
    candidate.support = static_cast<double>(count) / accounts;
    candidate.confidence = static_cast<double>(count) / with_x[x];
    if (count < options.min_pair_accounts || candidate.confidence < options.min_confidence) {
      continue;
    }
    auto it = best.find(p);
    // Pairs are visited with x in name order, so an equal rule keeps the earlier x.
    if (it == best.end() || candidate.confidence > it->second.confidence ||
        (candidate.confidence == it->second.confidence && candidate.support > it->second.support)) {
      best[p] = candidate;
    }
  }
  for (auto& [sku, recommendation] : best) out.push_back(recommendation);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.support != b.support) return a.support > b.support;
    return a.sku < b.sku;
  });
  if (static_cast<int>(out.size()) > options.limit) out.resize(options.limit);
  return out;
}

DormancyCheck CheckDormancy(std::vector<int64_t> order_times, int64_t now) {
  DormancyCheck check;
  if (order_times.empty()) return check;
  std::sort(order_times.begin(), order_times.end());
  check.days_since_last_order = DaysBetween(order_times.back(), now);
  std::vector<double> gaps;
  for (size_t i = 1; i < order_times.size(); ++i) {
    gaps.push_back(DaysBetween(order_times[i - 1], order_times[i]));
  }
  if (!gaps.empty()) {
    std::sort(gaps.begin(), gaps.end());
    const size_t mid = gaps.size() / 2;
    check.median_gap_days = gaps.size() % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
  }
  check.threshold_days = std::max(kDormantMinDays, 2 * check.median_gap_days);
  check.dormant = order_times.size() >= 2 && check.days_since_last_order > check.threshold_days;
  return check;
}

bool NeedIsQuiet(int64_t need_update_time, std::optional<int64_t> last_interaction, int64_t now) {
  int64_t last = need_update_time;
  if (last_interaction && *last_interaction > last) last = *last_interaction;
  return DaysBetween(last, now) > kNeedQuietDays;
}

}  // namespace accord::account
