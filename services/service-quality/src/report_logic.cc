#include "report_logic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

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

double Ratio(int64_t part, int64_t whole) {
  return whole == 0 ? -1 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

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

  std::map<v1::CaseCategory, std::pair<int64_t, int64_t>> counts;  // now, before
  for (const auto& c : input.cases) ++counts[c.category].first;
  for (const auto& c : input.previous_cases) ++counts[c.category].second;
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
  return report;
}

std::vector<v1::Recommendation> Recommend(const ReportInput& input, const ReportRules& rules) {
  std::vector<v1::Recommendation> out;
  auto add = [&](const char* rule, const std::string& subject, const std::string& text,
                 std::map<std::string, std::string> figures) {
    v1::Recommendation recommendation;
    recommendation.set_rule(rule);
    recommendation.set_subject(subject);
    recommendation.set_text(text);
    for (auto& [name, value] : figures) (*recommendation.mutable_figures())[name] = value;
    out.push_back(std::move(recommendation));
  };

  std::map<v1::CaseCategory, std::pair<int64_t, int64_t>> counts;
  for (const auto& c : input.cases) ++counts[c.category].first;
  for (const auto& c : input.previous_cases) ++counts[c.category].second;
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

  auto by = [&](const std::function<std::string(const ReportCase&)>& key) {
    std::map<std::string, std::vector<const ReportCase*>> groups;
    for (const auto& c : input.cases) {
      const std::string k = key(c);
      if (!k.empty()) groups[k].push_back(&c);
    }
    return groups;
  };
  for (const auto& [team, cases] : by([](const ReportCase& c) { return c.team; })) {
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
  for (const auto& [account, cases] : by([](const ReportCase& c) { return c.account; })) {
    const auto figures = ComputeFigures(cases, {});
    if (figures.complaint_count() < rules.repeated_complaints) continue;
    add("REPEATED_COMPLAINTS", account,
        "The customer " + account + " complained " + std::to_string(figures.complaint_count()) +
            " times: the account manager should review the relationship with them.",
        {{"complaint_count", std::to_string(figures.complaint_count())},
         {"threshold", std::to_string(rules.repeated_complaints)}});
  }
  for (const auto& [agent, cases] : by([](const ReportCase& c) { return c.agent; })) {
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
  return out;
}

}  // namespace accord::quality
