// The rules of a case that need no storage: the priority matrix, the status flow, escalation
// levels, compensation limits and the checks of a case's fields. Pure; unit-tested.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/fields.h"
#include "accord/common/v1/money.pb.h"
#include "accord/quality/v1/case.pb.h"

namespace accord::quality {

using v1::CaseStatus;
using v1::EscalationLevel;
using v1::Level;
using v1::Priority;

// Priority from impact x urgency. Rows are impact HIGH, MEDIUM, LOW; columns urgency HIGH,
// MEDIUM, LOW. The default is the usual service-desk matrix:
//                 urgency HIGH  MEDIUM  LOW
//   impact HIGH     critical    high    medium
//          MEDIUM   high        medium  low
//          LOW      medium      low     low
class PriorityMatrix {
 public:
  PriorityMatrix();
  // Nine priorities, row by row, separated by commas or spaces: "critical,high,medium,high,...".
  static absl::StatusOr<PriorityMatrix> Parse(std::string_view text);
  Priority Lookup(Level impact, Level urgency) const;

 private:
  std::array<std::array<Priority, 3>, 3> cells_{};
};

// One step up (LOW -> MEDIUM -> HIGH -> CRITICAL); CRITICAL stays.
Priority RaiseOneStep(Priority priority);

// The case's priority: the matrix, raised one step for a strategic account when
// `raise_strategic` (the organisation's policy).
Priority CasePriority(const PriorityMatrix& matrix, Level impact, Level urgency,
                      accord::account::v1::AccountTier tier, bool raise_strategic);

// The status flow (see CaseStatus in case.proto). The same status is not a move.
bool IsAllowedTransition(CaseStatus from, CaseStatus to);
// Statuses a case can still be worked in (the SLA runs or is paused).
bool IsOpenStatus(CaseStatus status);
// FAILED_PRECONDITION, reason ILLEGAL_STATUS_TRANSITION, naming both statuses.
absl::Status IllegalTransition(CaseStatus from, CaseStatus to);

// AGENT -> SUPERVISOR -> MANAGER; nullopt at MANAGER (nowhere higher).
std::optional<EscalationLevel> NextEscalationLevel(EscalationLevel level);

// Largest compensation a role may grant without escalating, by currency. A role without an entry
// may grant any; a role with entries may grant only in those currencies.
struct CompensationLimits {
  std::map<common::Role, std::vector<common::v1::Money>> by_role;
  // "EUR 500, USD 550" (units with up to 9 decimals).
  static absl::StatusOr<std::vector<common::v1::Money>> ParseList(std::string_view text);
};
// OK, or FAILED_PRECONDITION (reason COMPENSATION_ABOVE_LIMIT) naming the limit that applies.
absl::Status CheckCompensation(const CompensationLimits& limits, const common::Principal& caller,
                               const common::v1::Money& amount);

// `cases/{uuid}` -> the id; INVALID_ARGUMENT naming `field` otherwise. Likewise the others.
absl::StatusOr<std::string> ParseCaseName(std::string_view name, const std::string& field);
absl::StatusOr<std::string> ParseSimpleName(std::string_view name, std::string_view collection,
                                            const std::string& field);
std::string CaseName(std::string_view id);
std::string TimelineEntryName(std::string_view case_id, std::string_view id);
// `accounts/{uuid}`, `contacts/{uuid}`: shape only, the services that own them are not asked yet.
bool IsResourceName(std::string_view name, std::string_view collection);

using common::CodePoints;
using common::IsBlank;

// Field checks of a case as the caller sets them (create and update), under `prefix` ("case.").
void ValidateCaseFields(const v1::Case& c, const std::string& prefix,
                        common::Violations& violations);
void ValidateResolution(const v1::Resolution& resolution, const std::string& prefix,
                        common::Violations& violations);

}  // namespace accord::quality
