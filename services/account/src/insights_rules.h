// The rules of account insights that are not figures: who may read and write what, and what a
// valid target is. Pure, unit-tested.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accord/account/v1/insights.pb.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"

namespace accord::account {

// Reading an account's insights, recommendations or overview: admin, service_supervisor and
// integration any account; account_manager an account it owns or is on the active team of;
// everyone else PERMISSION_DENIED (reason NOT_ALLOWED).
absl::Status CheckInsightsReadAccess(const common::Principal& caller, const std::string& account,
                                     const std::string& owner, bool caller_on_team);

// Writing targets and rebuilding: admin only.
absl::Status CheckInsightsAdmin(const common::Principal& caller, const std::string& action);

// `managers/{subject}` or `teams/{team}`.
struct Assignee {
  bool team = false;
  std::string id;
};
absl::StatusOr<Assignee> ParseAssignee(const std::string& assignee, const std::string& field);

// Reading a manager's or team's performance: admin, service_supervisor and integration any;
// an account_manager its own, or a team's whose targets name it among the members.
absl::Status CheckPerformanceAccess(const common::Principal& caller, const Assignee& assignee,
                                    const std::vector<std::string>& team_members);

// The fields of a target as it would be stored (prefix "target."), with every violation.
void ValidateTarget(const v1::Target& target, common::Violations& violations);

// "YYYY-MM-DD" of a set, valid date; "" otherwise.
std::string DateText(const common::v1::Date& date);

}  // namespace accord::account
