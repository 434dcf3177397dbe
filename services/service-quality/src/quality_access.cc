#include "quality_access.h"

#include <algorithm>

#include "accord/common/errors.h"

namespace accord::quality {
namespace {

using common::Role;

const char* ActionText(Action action) {
  switch (action) {
    case Action::kRead:
      return "read service-quality data";
    case Action::kOpenCase:
      return "open cases";
    case Action::kWorkCase:
      return "work this case";
    case Action::kOverridePriority:
      return "override a case's priority";
    case Action::kManageSla:
      return "manage SLA policies and calendars";
    case Action::kReport:
      return "read service reports";
    case Action::kRequestSurvey:
      return "request surveys";
    case Action::kAnswerSurvey:
      return "record survey answers";
    case Action::kRecordSignal:
      return "record satisfaction signals";
  }
  return "do this";
}

bool AgentMayWork(const common::Principal& caller, const v1::Case& c) {
  if (c.assignee() == caller.subject) return true;
  if (!c.team().empty() && std::find(caller.territories.begin(), caller.territories.end(),
                                     c.team()) != caller.territories.end()) {
    return true;
  }
  return c.assignee().empty() && c.team().empty();
}

}  // namespace

absl::Status CheckAccess(const common::Principal& caller, Action action, const v1::Case* subject) {
  bool allowed = false;
  switch (action) {
    case Action::kRead:
      allowed = caller.HasAny({Role::kServiceAgent, Role::kServiceSupervisor, Role::kAccountManager,
                               Role::kIntegration, Role::kAdmin});
      break;
    case Action::kOpenCase:
      allowed = caller.HasAny(
          {Role::kServiceAgent, Role::kServiceSupervisor, Role::kAccountManager, Role::kAdmin});
      break;
    case Action::kWorkCase:
      allowed =
          caller.HasAny({Role::kServiceSupervisor, Role::kAdmin}) ||
          (caller.Has(Role::kServiceAgent) && subject != nullptr && AgentMayWork(caller, *subject));
      break;
    case Action::kOverridePriority:
    case Action::kManageSla:
    case Action::kReport:
    case Action::kRequestSurvey:
    case Action::kRecordSignal:
      allowed = caller.HasAny({Role::kServiceSupervisor, Role::kAdmin});
      break;
    case Action::kAnswerSurvey:
      allowed = caller.HasAny({Role::kServiceAgent, Role::kServiceSupervisor, Role::kAdmin});
      break;
  }
  if (allowed) return absl::OkStatus();
  std::string message = std::string("you may not ") + ActionText(action);
  if (action == Action::kWorkCase && subject != nullptr && caller.Has(Role::kServiceAgent)) {
    message += ": it is assigned to " +
               (subject->assignee().empty() ? "nobody" : subject->assignee()) +
               (subject->team().empty() ? "" : " of team " + subject->team());
  }
  return common::PermissionDenied("PERMISSION_DENIED", message);
}

bool LimitedToManagedAccounts(const common::Principal& caller) {
  return caller.Has(Role::kAccountManager) &&
         !caller.HasAny(
             {Role::kServiceAgent, Role::kServiceSupervisor, Role::kIntegration, Role::kAdmin});
}

bool SeesFreeText(const common::Principal& caller) {
  for (Role role : caller.roles) {
    if (role != Role::kIntegration) return true;
  }
  return false;
}

void Redact(v1::Case& c) {
  c.clear_description();
  c.clear_priority_override_reason();
  for (auto& need : *c.mutable_special_needs()) need.clear_note();
  if (c.has_resolution()) c.mutable_resolution()->clear_summary();
}

}  // namespace accord::quality
