#include "report_logic.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace accord::quality {
namespace {

std::string Fixed(double value, int decimals = 1) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string CategoryKey(v1::CaseCategory category) {
  return v1::CaseCategory_Name(category).substr(std::string("CASE_CATEGORY_").size());
}

std::string KeyOf(const ReportCase& c, v1::ReportGroupBy group_by) {
  switch (group_by) {
    case v1::REPORT_GROUP_BY_ACCOUNT:
      return c.account;
    case v1::REPORT_GROUP_BY_CATEGORY:
      return CategoryKey(c.category);
    case v1::REPORT_GROUP_BY_TEAM:
      return c.team;
    default:
      return c.agent;
  }
}

std::string KeyOf(const ReportSurvey& s, v1::ReportGroupBy group_by) {
  switch (group_by) {
    case v1::REPORT_GROUP_BY_ACCOUNT:
      return s.account;
    case v1::REPORT_GROUP_BY_CATEGORY:
      return s.category == v1::CASE_CATEGORY_UNSPECIFIED ? "" : CategoryKey(s.category);
    case v1::REPORT_GROUP_BY_TEAM:
      return s.team;
    default:
      return s.agent;
  }
}

struct Grouped {
  std::vector<const ReportCase*> cases;
  std::vector<const ReportSurvey*> surveys;
};

std::map<std::string, Grouped> GroupBy(const ReportInput& input, v1::ReportGroupBy group_by) {
  std::map<std::string, Grouped> groups;
  for (const auto& c : input.cases) groups[KeyOf(c, group_by)].cases.push_back(&c);
  for (const auto& s : input.surveys) groups[KeyOf(s, group_by)].surveys.push_back(&s);
  return groups;
}

// Cases per category in the period and the one before.
std::map<v1::CaseCategory, std::pair<int64_t, int64_t>> CategoryCounts(const ReportInput& input) {
  std::map<v1::CaseCategory, std::pair<int64_t, int64_t>> counts;  // now, before
  for (const auto& c : input.cases) ++counts[c.category].first;
  for (const auto& c : input.previous_cases) ++counts[c.category].second;
  for (const auto& [category, count] : input.previous_category_counts) {
    counts[category].second += count;
  }
  return counts;
}

double Ratio(int64_t part, int64_t whole) {
  return whole == 0 ? -1 : static_cast<double>(part) / static_cast<double>(whole);
}

v1::Recommendation MakeRecommendation(const char* rule, const std::string& subject,
                                      const std::string& text,
                                      const std::map<std::string, std::string>& figures) {
  v1::Recommendation recommendation;
  recommendation.set_rule(rule);
  recommendation.set_subject(subject);
  recommendation.set_text(text);
  for (const auto& [name, value] : figures) (*recommendation.mutable_figures())[name] = value;
  return recommendation;
}

std::string SignalKey(v1::SignalKind kind) {
  return v1::SignalKind_Name(kind).substr(std::string("SIGNAL_KIND_").size());
}

// What a kind's figure counts, in words.
std::string SignalWords(v1::SignalKind kind) {
  switch (kind) {
    case v1::SIGNAL_KIND_RETURN:
      return "returned units";
    case v1::SIGNAL_KIND_AUDIT_FINDING:
      return "audit findings";
    case v1::SIGNAL_KIND_QUALITY_DEFECT:
      return "quality-control defects";
    case v1::SIGNAL_KIND_LOST_CUSTOMER:
      return "lost customers";
    default:
      return "call review points";
  }
}

// A summary that qualifies for SIGNALS_RISING / QUALITY_ISSUES_RISING: enough signals, and a
// figure sum up by growth_percent (or from none). Its change in percent, -1 for "from none".
std::optional<double> SignalGrowth(const v1::SignalSummary& summary, const ReportRules& rules) {
  if (summary.kind() == v1::SIGNAL_KIND_CALL_REVIEW) return std::nullopt;
  if (summary.count() < rules.signal_min_count) return std::nullopt;
  if (summary.previous_figure_sum() <= 0) return -1;
  const double growth = 100.0 * (summary.figure_sum() - summary.previous_figure_sum()) /
                        summary.previous_figure_sum();
  if (growth < rules.growth_percent) return std::nullopt;
  return growth;
}

std::map<std::string, std::string> GrowthFigures(const v1::SignalSummary& summary, double growth) {
  return {{"count", std::to_string(summary.count())},
          {"figure_sum", Fixed(summary.figure_sum(), 2)},
          {"previous_figure_sum", Fixed(summary.previous_figure_sum(), 2)},
          {"change_percent", growth < 0 ? "new" : Fixed(growth)}};
}

}  // namespace

std::vector<v1::SignalSummary> SummarizeSignals(const std::vector<ReportSignal>& signals,
                                                const std::vector<ReportSignal>& previous) {
  std::map<v1::SignalKind, v1::SignalSummary> by_kind;
  for (const auto& signal : signals) {
    auto& summary = by_kind[signal.kind];
    summary.set_count(summary.count() + 1);
    summary.set_figure_sum(summary.figure_sum() + signal.figure);
  }
  for (const auto& signal : previous) {
    auto& summary = by_kind[signal.kind];
    summary.set_previous_count(summary.previous_count() + 1);
    summary.set_previous_figure_sum(summary.previous_figure_sum() + signal.figure);
  }
  std::vector<v1::SignalSummary> out;
  for (auto& [kind, summary] : by_kind) {
    summary.set_kind(kind);
    summary.set_figure_average(
        summary.count() == 0 ? 0 : summary.figure_sum() / static_cast<double>(summary.count()));
    out.push_back(std::move(summary));
  }
  return out;
}

int64_t NearestRank(std::vector<int64_t> values, int percent) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Integer ceil(percent * n / 100), at least rank 1.
  const size_t n = values.size();
  size_t rank = (static_cast<size_t>(percent) * n + 99) / 100;
  rank = std::clamp<size_t>(rank, 1, n);
  return values[rank - 1];
}

v1::ReportFigures ComputeFigures(const std::vector<const ReportCase*>& cases,
                                 const std::vector<const ReportSurvey*>& surveys) {
  v1::ReportFigures figures;
  std::vector<int64_t> first_response, resolution;
  int64_t first_met = 0, resolution_met = 0, resolved = 0, reopened = 0, complaints = 0;
  for (const auto* c : cases) {
    if (c->kind == v1::CASE_KIND_COMPLAINT) ++complaints;
    if (c->first_response_seconds) {
      first_response.push_back(*c->first_response_seconds);
      if (c->first_response_met) ++first_met;
    }
    if (c->resolution_seconds) {
      resolution.push_back(*c->resolution_seconds);
      if (c->resolution_met) ++resolution_met;
    }
    if (c->resolved) ++resolved;
    if (c->resolved && c->reopened) ++reopened;
  }
  figures.set_case_count(static_cast<int64_t>(cases.size()));
  figures.set_complaint_count(complaints);
  figures.set_first_response_measured(static_cast<int64_t>(first_response.size()));
  figures.set_first_response_compliance(
      Ratio(first_met, static_cast<int64_t>(first_response.size())));
  figures.set_resolution_measured(static_cast<int64_t>(resolution.size()));
  figures.set_resolution_compliance(Ratio(resolution_met, static_cast<int64_t>(resolution.size())));
  figures.set_first_response_median_seconds(NearestRank(first_response, 50));
  figures.set_first_response_p90_seconds(NearestRank(first_response, 90));
  figures.set_resolution_median_seconds(NearestRank(resolution, 50));
  figures.set_resolution_p90_seconds(NearestRank(resolution, 90));
  figures.set_resolved_count(resolved);
  figures.set_reopened_count(reopened);
  figures.set_reopen_rate(Ratio(reopened, resolved));

  int64_t csat = 0, satisfied = 0, nps = 0, promoters = 0, detractors = 0, effort = 0;
  int64_t effort_sum = 0;
  for (const auto* s : surveys) {
    if (s->csat) {
      ++csat;
      if (*s->csat >= 4) ++satisfied;
    }
    if (s->nps) {
      ++nps;
      if (*s->nps >= 9) ++promoters;
      if (*s->nps <= 6) ++detractors;
    }
    if (s->effort) {
      ++effort;
      effort_sum += *s->effort;
    }
  }
  figures.set_csat_responses(csat);
  figures.set_csat_satisfied_share(Ratio(satisfied, csat));
  figures.set_nps_responses(nps);
  figures.set_nps(nps == 0 ? 0
                           : 100.0 * static_cast<double>(promoters - detractors) /
                                 static_cast<double>(nps));
  figures.set_effort_responses(effort);
  figures.set_effort_average(
      effort == 0 ? 0 : static_cast<double>(effort_sum) / static_cast<double>(effort));
  return figures;
}

v1::ServiceReport BuildReport(const ReportInput& input, v1::ReportGroupBy group_by,
                              const ReportRules& rules) {
  v1::ServiceReport report;
  report.set_group_by(group_by);
  std::vector<const ReportCase*> all_cases;
  for (const auto& c : input.cases) all_cases.push_back(&c);
  std::vector<const ReportSurvey*> all_surveys;
  for (const auto& s : input.surveys) all_surveys.push_back(&s);
  *report.mutable_totals() = ComputeFigures(all_cases, all_surveys);
  for (const auto& [key, grouped] : GroupBy(input, group_by)) {
    auto* group = report.add_groups();
    group->set_key(key);
    *group->mutable_figures() = ComputeFigures(grouped.cases, grouped.surveys);
  }

  const auto counts = CategoryCounts(input);
  std::vector<v1::CategoryTrend> trends;
  for (const auto& [category, count] : counts) {
    v1::CategoryTrend trend;
    trend.set_category(category);
    trend.set_case_count(count.first);
    trend.set_previous_count(count.second);
    trend.set_change_percent(count.second == 0
                                 ? 0
                                 : 100.0 * static_cast<double>(count.first - count.second) /
                                       static_cast<double>(count.second));
    trends.push_back(trend);
  }
  std::stable_sort(trends.begin(), trends.end(),
                   [](const auto& a, const auto& b) { return a.case_count() > b.case_count(); });
  for (auto& trend : trends) *report.add_top_categories() = std::move(trend);
  for (auto& recommendation : Recommend(input, rules)) {
    *report.add_recommendations() = std::move(recommendation);
  }
  for (auto& summary : SummarizeSignals(input.signals, input.previous_signals)) {
    *report.add_signals() = std::move(summary);
  }
  return report;
}

std::vector<v1::Recommendation> Recommend(const ReportInput& input, const ReportRules& rules) {
  std::vector<v1::Recommendation> out;
  auto add = [&](const char* rule, const std::string& subject, const std::string& text,
                 const std::map<std::string, std::string>& figures) {
    out.push_back(MakeRecommendation(rule, subject, text, figures));
  };

  const auto counts = CategoryCounts(input);
  for (const auto& [category, count] : counts) {
    const auto [now, before] = count;
    if (now < rules.growth_min_cases) continue;
    const double growth =
        before == 0 ? -1 : 100.0 * static_cast<double>(now - before) / static_cast<double>(before);
    if (before != 0 && growth < rules.growth_percent) continue;
    add("CATEGORY_GROWING_FAST", CategoryKey(category),
        "Cases about " + CategoryKey(category) + " grew from " + std::to_string(before) + " to " +
            std::to_string(now) + ": look for a common cause.",
        {{"case_count", std::to_string(now)},
         {"previous_count", std::to_string(before)},
         {"change_percent", before == 0 ? "new" : Fixed(growth)}});
  }

  // Keys viewed in the input, not copied per case (a quarter has a hundred thousand of them).
  auto by = [&](std::string ReportCase::*key) {
    std::map<std::string_view, std::vector<const ReportCase*>> groups;
    for (const auto& c : input.cases) {
      const std::string& k = c.*key;
      if (!k.empty()) groups[k].push_back(&c);
    }
    return groups;
  };
  for (const auto& [team_key, cases] : by(&ReportCase::team)) {
    const std::string team(team_key);
    const auto figures = ComputeFigures(cases, {});
    if (figures.resolution_measured() < rules.team_min_measured) continue;
    if (figures.resolution_compliance() >= rules.team_sla_target) continue;
    add("TEAM_BELOW_SLA_TARGET", team,
        "Team " + team + " resolved " + Fixed(100 * figures.resolution_compliance()) +
            "% of its cases within the SLA, below the " + Fixed(100 * rules.team_sla_target) +
            "% target: review its workload and skills.",
        {{"resolution_measured", std::to_string(figures.resolution_measured())},
         {"resolution_compliance", Fixed(figures.resolution_compliance(), 3)},
         {"target", Fixed(rules.team_sla_target, 3)}});
  }
  for (const auto& [account_key, cases] : by(&ReportCase::account)) {
    const std::string account(account_key);
    const auto figures = ComputeFigures(cases, {});
    if (figures.complaint_count() < rules.repeated_complaints) continue;
    add("REPEATED_COMPLAINTS", account,
        "The customer " + account + " complained " + std::to_string(figures.complaint_count()) +
            " times: the account manager should review the relationship with them.",
        {{"complaint_count", std::to_string(figures.complaint_count())},
         {"threshold", std::to_string(rules.repeated_complaints)}});
  }
  for (const auto& [agent_key, cases] : by(&ReportCase::agent)) {
    const std::string agent(agent_key);
    const auto figures = ComputeFigures(cases, {});
    if (figures.resolved_count() < rules.agent_min_resolved) continue;
    if (figures.reopen_rate() < rules.agent_reopen_rate) continue;
    add("AGENT_HIGH_REOPEN_RATE", agent,
        "Agent " + agent + " had " + std::to_string(figures.reopened_count()) + " of " +
            std::to_string(figures.resolved_count()) +
            " resolved cases reopened: coach on first-time resolution.",
        {{"resolved_count", std::to_string(figures.resolved_count())},
         {"reopened_count", std::to_string(figures.reopened_count())},
         {"reopen_rate", Fixed(figures.reopen_rate(), 3)},
         {"threshold", Fixed(rules.agent_reopen_rate, 3)}});
  }
  for (const auto& summary : SummarizeSignals(input.signals, input.previous_signals)) {
    if (auto growth = SignalGrowth(summary, rules)) {
      std::string words = SignalWords(summary.kind());
      words[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(words[0])));
      add("SIGNALS_RISING", SignalKey(summary.kind()),
          words + " rose from " + Fixed(summary.previous_figure_sum(), 0) + " to " +
              Fixed(summary.figure_sum(), 0) + ": find the common cause with the source.",
          GrowthFigures(summary, *growth));
    }
    if (summary.kind() == v1::SIGNAL_KIND_CALL_REVIEW &&
        summary.count() >= rules.signal_min_count &&
        summary.figure_average() < rules.call_review_target) {
      add("CALL_REVIEWS_LOW", SignalKey(summary.kind()),
          "The " + std::to_string(summary.count()) + " reviewed calls scored " +
              Fixed(summary.figure_average()) + " on average, below the target of " +
              Fixed(rules.call_review_target) + ": coach on call handling.",
          {{"count", std::to_string(summary.count())},
           {"figure_average", Fixed(summary.figure_average(), 2)},
           {"target", Fixed(rules.call_review_target, 2)}});
    }
  }
  return out;
}

namespace {

std::vector<const ReportCase*> Pointers(const std::vector<ReportCase>& cases) {
  std::vector<const ReportCase*> out;
  for (const auto& c : cases) out.push_back(&c);
  return out;
}
std::vector<const ReportSurvey*> Pointers(const std::vector<ReportSurvey>& surveys) {
  std::vector<const ReportSurvey*> out;
  for (const auto& s : surveys) out.push_back(&s);
  return out;
}

// Groups by `key`, most cases first (then by key).
template <typename Key>
void AddGroups(const std::vector<ReportCase>& cases, Key key,
               google::protobuf::RepeatedPtrField<v1::ReportGroup>* out) {
  std::map<std::string, std::vector<const ReportCase*>> groups;
  for (const auto& c : cases) groups[key(c)].push_back(&c);
  std::vector<std::pair<std::string, std::vector<const ReportCase*>>> sorted(groups.begin(),
                                                                             groups.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  for (const auto& [name, members] : sorted) {
    auto* group = out->Add();
    group->set_key(name);
    *group->mutable_figures() = ComputeFigures(members, {});
  }
}

std::string MonthOf(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
  return buffer;
}

std::string Percent(double share) { return Fixed(100 * share, 0) + "%"; }

}  // namespace

v1::AccountServiceReview BuildAccountReview(const ReviewInput& input, const ReportRules& rules) {
  v1::AccountServiceReview review;
  *review.mutable_figures() = ComputeFigures(Pointers(input.cases), Pointers(input.surveys));
  *review.mutable_previous_figures() =
      ComputeFigures(Pointers(input.previous_cases), Pointers(input.previous_surveys));
  AddGroups(
      input.cases, [](const ReportCase& c) { return CategoryKey(c.category); },
      review.mutable_by_category());
  AddGroups(
      input.cases,
      [](const ReportCase& c) {
        return v1::Priority_Name(c.priority).substr(std::string("PRIORITY_").size());
      },
      review.mutable_by_priority());

  std::map<std::string, std::vector<const ReportSurvey*>> months;
  for (const auto& s : input.surveys) months[MonthOf(s.answer_unix)].push_back(&s);
  for (const auto& [month, surveys] : months) {
    const auto figures = ComputeFigures({}, surveys);
    auto* point = review.add_satisfaction_trend();
    point->set_month(month);
    point->set_csat_responses(figures.csat_responses());
    point->set_csat_satisfied_share(figures.csat_satisfied_share());
    point->set_nps_responses(figures.nps_responses());
    point->set_nps(figures.nps());
  }

  auto add = [&](const char* rule, const std::string& subject, const std::string& text,
                 const std::map<std::string, std::string>& figures) {
    *review.add_recommendations() = MakeRecommendation(rule, subject, text, figures);
  };
  const auto& figures = review.figures();
  if (figures.resolution_measured() >= rules.team_min_measured &&
      figures.resolution_compliance() < rules.team_sla_target) {
    add("SLA_BELOW_TARGET", "",
        "We resolved " + Percent(figures.resolution_compliance()) +
            " of your cases within the agreed time, below our " + Percent(rules.team_sla_target) +
            " target. We will review how your cases are staffed and report back.",
        {{"resolution_measured", std::to_string(figures.resolution_measured())},
         {"resolution_compliance", Fixed(figures.resolution_compliance(), 3)},
         {"target", Fixed(rules.team_sla_target, 3)}});
  }
  std::map<v1::CaseCategory, std::vector<const ReportCase*>> complaints;
  for (const auto& c : input.cases) {
    if (c.kind == v1::CASE_KIND_COMPLAINT) complaints[c.category].push_back(&c);
  }
  for (const auto& [category, cases] : complaints) {
    const auto count = static_cast<int64_t>(cases.size());
    if (count < rules.review_repeat_complaints) continue;
    auto* repeated = review.add_repeated_complaints();
    repeated->set_category(category);
    repeated->set_complaint_count(count);
    for (size_t i = 0; i < cases.size() && i < 20; ++i) {
      repeated->add_cases("cases/" + cases[i]->id);
    }
    add("REPEATED_COMPLAINTS_IN_CATEGORY", CategoryKey(category),
        "You raised " + std::to_string(count) + " complaints about " + CategoryKey(category) +
            ". We will look for the common cause with you and agree how to prevent it.",
        {{"complaint_count", std::to_string(count)},
         {"threshold", std::to_string(rules.review_repeat_complaints)}});
  }
  const auto& before = review.previous_figures();
  if (figures.csat_responses() > 0 && before.csat_responses() > 0 &&
      before.csat_satisfied_share() - figures.csat_satisfied_share() >= rules.review_csat_drop) {
    add("SATISFACTION_FALLING", "",
        "Your satisfaction with our service fell from " + Percent(before.csat_satisfied_share()) +
            " to " + Percent(figures.csat_satisfied_share()) +
            " satisfied answers. Your account manager will call you to hear what went wrong.",
        {{"csat_satisfied_share", Fixed(figures.csat_satisfied_share(), 3)},
         {"previous_csat_satisfied_share", Fixed(before.csat_satisfied_share(), 3)},
         {"drop_threshold", Fixed(rules.review_csat_drop, 3)}});
  }
  if (figures.resolved_count() >= rules.review_min_resolved &&
      figures.reopen_rate() >= rules.agent_reopen_rate) {
    add("CASES_REOPENED", "",
        std::to_string(figures.reopened_count()) + " of your " +
            std::to_string(figures.resolved_count()) +
            " resolved cases had to be reopened. We will check each fix with you before we close "
            "a case.",
        {{"resolved_count", std::to_string(figures.resolved_count())},
         {"reopened_count", std::to_string(figures.reopened_count())},
         {"reopen_rate", Fixed(figures.reopen_rate(), 3)},
         {"threshold", Fixed(rules.agent_reopen_rate, 3)}});
  }
  for (auto& summary : SummarizeSignals(input.signals, input.previous_signals)) {
    // The customer's own departure is no advice to give the customer.
    auto growth = summary.kind() == v1::SIGNAL_KIND_LOST_CUSTOMER ? std::nullopt
                                                                  : SignalGrowth(summary, rules);
    if (growth) {
      add("QUALITY_ISSUES_RISING", SignalKey(summary.kind()),
          "We recorded " + Fixed(summary.figure_sum(), 0) + " " + SignalWords(summary.kind()) +
              " on your orders, against " + Fixed(summary.previous_figure_sum(), 0) +
              " before. We will find the cause and tell you what we changed.",
          GrowthFigures(summary, *growth));
    }
    *review.add_signals() = std::move(summary);
  }
  return review;
}

namespace {

std::string CsvField(std::string value) {
  // A key a spreadsheet would take for a formula is kept as text.
  if (!value.empty() && std::string("=+-@").find(value[0]) != std::string::npos) {
    value = "'" + value;
  }
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The figures by name, in the CSV's column order.
std::vector<std::pair<const char*, std::string>> NamedFigures(const v1::ReportFigures& f) {
  return {{"case_count", std::to_string(f.case_count())},
          {"complaint_count", std::to_string(f.complaint_count())},
          {"first_response_measured", std::to_string(f.first_response_measured())},
          {"first_response_compliance", Fixed(f.first_response_compliance(), 4)},
          {"first_response_median_seconds", std::to_string(f.first_response_median_seconds())},
          {"first_response_p90_seconds", std::to_string(f.first_response_p90_seconds())},
          {"resolution_measured", std::to_string(f.resolution_measured())},
          {"resolution_compliance", Fixed(f.resolution_compliance(), 4)},
          {"resolution_median_seconds", std::to_string(f.resolution_median_seconds())},
          {"resolution_p90_seconds", std::to_string(f.resolution_p90_seconds())},
          {"csat_responses", std::to_string(f.csat_responses())},
          {"csat_satisfied_share", Fixed(f.csat_satisfied_share(), 4)},
          {"nps_responses", std::to_string(f.nps_responses())},
          {"nps", Fixed(f.nps(), 2)},
          {"effort_responses", std::to_string(f.effort_responses())},
          {"effort_average", Fixed(f.effort_average(), 2)},
          {"resolved_count", std::to_string(f.resolved_count())},
          {"reopened_count", std::to_string(f.reopened_count())},
          {"reopen_rate", Fixed(f.reopen_rate(), 4)}};
}

void CsvRow(std::string& out, const std::string& key, const v1::ReportFigures& f) {
  out += CsvField(key);
  for (const auto& [name, value] : NamedFigures(f)) out += ',' + value;
  out += "\r\n";
}

// One `section,key,figure,value` row of the review.
void ReviewRow(std::string& out, const char* section, const std::string& key,
               const std::string& figure, const std::string& value) {
  out += std::string(section) + ',' + CsvField(key) + ',' + CsvField(figure) + ',' +
         CsvField(value) + "\r\n";
}

void ReviewFigures(std::string& out, const char* section, const std::string& key,
                   const v1::ReportFigures& f) {
  for (const auto& [name, value] : NamedFigures(f)) ReviewRow(out, section, key, name, value);
}

}  // namespace

std::string ReportToCsv(const v1::ServiceReport& report) {
  std::string group = v1::ReportGroupBy_Name(report.group_by());
  group = group.substr(std::min(group.size(), std::string("REPORT_GROUP_BY_").size()));
  std::transform(group.begin(), group.end(), group.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string out = group;
  for (const auto& [name, value] : NamedFigures(v1::ReportFigures()))
    out += std::string(",") + name;
  out += "\r\n";
  for (const auto& g : report.groups()) CsvRow(out, g.key(), g.figures());
  CsvRow(out, "TOTAL", report.totals());
  return out;
}

std::string ReviewToCsv(const v1::AccountServiceReview& review) {
  std::string out = "section,key,figure,value\r\n";
  ReviewFigures(out, "period", review.account(), review.figures());
  ReviewFigures(out, "previous_period", review.account(), review.previous_figures());
  for (const auto& group : review.by_category()) {
    ReviewFigures(out, "category", group.key(), group.figures());
  }
  for (const auto& group : review.by_priority()) {
    ReviewFigures(out, "priority", group.key(), group.figures());
  }
  for (const auto& point : review.satisfaction_trend()) {
    ReviewRow(out, "satisfaction", point.month(), "csat_responses",
              std::to_string(point.csat_responses()));
    ReviewRow(out, "satisfaction", point.month(), "csat_satisfied_share",
              Fixed(point.csat_satisfied_share(), 4));
    ReviewRow(out, "satisfaction", point.month(), "nps_responses",
              std::to_string(point.nps_responses()));
    ReviewRow(out, "satisfaction", point.month(), "nps", Fixed(point.nps(), 2));
  }
  for (const auto& repeated : review.repeated_complaints()) {
    const std::string category = CategoryKey(repeated.category());
    ReviewRow(out, "repeated_complaint", category, "complaint_count",
              std::to_string(repeated.complaint_count()));
    for (const auto& name : repeated.cases()) {
      ReviewRow(out, "repeated_complaint", category, "case", name);
    }
  }
  for (const auto& summary : review.signals()) {
    const std::string kind = SignalKey(summary.kind());
    ReviewRow(out, "signal", kind, "count", std::to_string(summary.count()));
    ReviewRow(out, "signal", kind, "figure_sum", Fixed(summary.figure_sum(), 2));
    ReviewRow(out, "signal", kind, "figure_average", Fixed(summary.figure_average(), 2));
    ReviewRow(out, "signal", kind, "previous_count", std::to_string(summary.previous_count()));
    ReviewRow(out, "signal", kind, "previous_figure_sum", Fixed(summary.previous_figure_sum(), 2));
  }
  for (const auto& recommendation : review.recommendations()) {
    // RULE, or RULE/SUBJECT where the rule names one (a category, a signal kind).
    const std::string key = recommendation.subject().empty()
                                ? recommendation.rule()
                                : recommendation.rule() + "/" + recommendation.subject();
    ReviewRow(out, "recommendation", key, "text", recommendation.text());
    // Sorted, so that the file is the same for the same review.
    std::map<std::string, std::string> figures(recommendation.figures().begin(),
                                               recommendation.figures().end());
    for (const auto& [name, value] : figures) {
      ReviewRow(out, "recommendation", key, name, value);
    }
  }
  return out;
}

}  // namespace accord::quality
