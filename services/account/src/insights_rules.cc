#include "insights_rules.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "accord/common/fields.h"

namespace accord::account {
namespace {

using common::Role;

constexpr size_t kMaxAssigneeId = 200;
constexpr int kMaxMembers = 100;

}  // namespace

absl::Status CheckInsightsReadAccess(const common::Principal& caller, const std::string& account,
                                     const std::string& owner, bool caller_on_team) {
  if (caller.HasAny({Role::kAdmin, Role::kServiceSupervisor, Role::kIntegration})) {
    return absl::OkStatus();
  }
  if (caller.Has(Role::kAccountManager) && (owner == caller.subject || caller_on_team)) {
    return absl::OkStatus();
  }
  return common::PermissionDenied(
      "NOT_ALLOWED", absl::StrCat(caller.subject, " may not read the insights of ", account,
                                  ": admin, service_supervisor, integration, or an "
                                  "account_manager owning it or on its team"));
}

absl::Status CheckInsightsAdmin(const common::Principal& caller, const std::string& action) {
  if (caller.Has(Role::kAdmin)) return absl::OkStatus();
  return common::PermissionDenied(
      "NOT_ALLOWED", absl::StrCat(caller.subject, " may not ", action, ": admin only"));
}

absl::StatusOr<Assignee> ParseAssignee(const std::string& assignee, const std::string& field) {
  Assignee out;
  std::string rest;
  if (assignee.rfind("managers/", 0) == 0) {
    rest = assignee.substr(9);
  } else if (assignee.rfind("teams/", 0) == 0) {
    out.team = true;
    rest = assignee.substr(6);
  } else {
    return common::InvalidArgument(field, "must be `managers/{subject}` or `teams/{team}`");
  }
  if (rest.empty() || rest.find('/') != std::string::npos || common::IsBlank(rest) ||
      common::CodePoints(rest) > kMaxAssigneeId) {
    return common::InvalidArgument(
        field, "the manager or team id must be 1 to 200 characters without `/`");
  }
  out.id = rest;
  return out;
}

absl::Status CheckPerformanceAccess(const common::Principal& caller, const Assignee& assignee,
                                    const std::vector<std::string>& team_members) {
  if (caller.HasAny({Role::kAdmin, Role::kServiceSupervisor, Role::kIntegration})) {
    return absl::OkStatus();
  }
  if (caller.Has(Role::kAccountManager)) {
    if (!assignee.team && assignee.id == caller.subject) return absl::OkStatus();
    if (assignee.team &&
        std::find(team_members.begin(), team_members.end(), caller.subject) != team_members.end()) {
      return absl::OkStatus();
    }
  }
  return common::PermissionDenied(
      "NOT_ALLOWED",
      absl::StrCat(caller.subject, " may not read the performance of ",
                   assignee.team ? "teams/" : "managers/", assignee.id,
                   ": admin, service_supervisor, or the manager (a member of the team) itself"));
}

std::string DateText(const common::v1::Date& date) {
  const std::string text = absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
  return common::IsCalendarDate(text) ? text : "";
}

void ValidateTarget(const v1::Target& target, common::Violations& violations) {
  auto assignee = ParseAssignee(target.assignee(), "target.assignee");
  common::MergeViolations(assignee.status(), violations);
  if (assignee.ok()) {
    if (assignee->team && (target.members_size() < 1 || target.members_size() > kMaxMembers)) {
      violations.Add("target.members", "a team's target names 1 to 100 members");
    }
    if (!assignee->team && target.members_size() > 0) {
      violations.Add("target.members", "only a team's target has members");
    }
  }
  std::set<std::string> seen;
  for (int i = 0; i < target.members_size(); ++i) {
    const std::string& member = target.members(i);
    const std::string field = absl::StrCat("target.members[", i, "]");
    if (member.empty() || common::IsBlank(member) || common::CodePoints(member) > 200) {
      violations.Add(field, "a subject of 1 to 200 characters");
    } else if (!seen.insert(member).second) {
      violations.Add(field, "named twice");
    }
  }
  if (target.metric() == v1::TARGET_METRIC_UNSPECIFIED ||
      !v1::TargetMetric_IsValid(target.metric())) {
    violations.Add("target.metric", "must be REVENUE, NEW_ACCOUNTS, CALLS or CONVERSIONS");
  }
  const std::string start = DateText(target.start_date());
  const std::string end = DateText(target.end_date());
  if (start.empty()) violations.Add("target.start_date", "required: a calendar date");
  if (end.empty()) violations.Add("target.end_date", "required: a calendar date");
  if (!start.empty() && !end.empty() && end < start) {
    violations.Add("target.end_date", "must not be before start_date");
  }
  if (!std::isfinite(target.value()) || target.value() <= 0) {
    violations.Add("target.value", "must be above 0");
  }
}

}  // namespace accord::account
