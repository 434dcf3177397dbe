// Who may do what in service-quality. One rule per action, pure, unit-tested.
//
// - Read cases, timelines, policies, calendars, surveys: service_agent, service_supervisor,
//   account_manager, integration, admin (integration sees no free text: see Redact); an
//   account_manager only those of the accounts it owns or is on the team of
//   (LimitedToManagedAccounts; the logic asks the account service).
// - Open a case: service_agent, service_supervisor, account_manager (for its accounts), admin.
// - Work a case (update, move, comment, escalate, resolve): service_supervisor and admin any;
//   service_agent one assigned to it, to one of its teams (its token's `territories` claim), or
//   to nobody yet (to pick it up).
// - Override a priority, manage SLA policies and calendars, read reports, request surveys,
//   record signals (returns, audit findings, defects, call reviews): service_supervisor, admin.
// - Record survey answers: service_agent, service_supervisor, admin.
#pragma once

#include "absl/status/status.h"
#include "accord/common/auth.h"
#include "accord/common/service_client.h"
#include "accord/quality/v1/case.pb.h"

namespace accord::quality {

// Who calls, and the identity calls to other services are made with on its behalf.
struct Caller : common::Principal {
  Caller() = default;
  explicit Caller(common::Principal principal, common::CallIdentity identity = {})
      : common::Principal(std::move(principal)), identity(std::move(identity)) {}
  common::CallIdentity identity;
};

enum class Action {
  kRead,
  kOpenCase,
  kWorkCase,
  kOverridePriority,
  kManageSla,
  kReport,
  kRequestSurvey,
  kAnswerSurvey,
  kRecordSignal,
};

// `subject` is the case for kWorkCase (ignored otherwise). PERMISSION_DENIED naming the action.
absl::Status CheckAccess(const common::Principal& caller, Action action,
                         const v1::Case* subject = nullptr);

// Whether the caller reads only the cases (timelines, surveys, reviews) of the accounts it
// manages: an account_manager with no service role, integration or admin besides.
bool LimitedToManagedAccounts(const common::Principal& caller);

// Whether the caller sees free text (descriptions, comments, notes): everyone but a caller whose
// only role is integration.
bool SeesFreeText(const common::Principal& caller);
void Redact(v1::Case& c);

}  // namespace accord::quality
