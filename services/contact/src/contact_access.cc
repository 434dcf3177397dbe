#include "contact_access.h"

#include "accord/common/errors.h"
#include "contact_fields.h"

namespace accord::contact {

using common::Role;

bool SeesPersonalData(const common::Principal& caller, const ContactFacts& facts,
                      bool manages_related) {
  if (caller.Has(Role::kAdmin)) return true;
  if (caller.Has(Role::kAccountManager)) {
    return facts.owner == caller.subject || manages_related;
  }
  return false;
}

absl::Status CheckCreate(const common::Principal& caller) {
  if (caller.HasAny({Role::kAdmin, Role::kAccountManager})) return absl::OkStatus();
  return common::PermissionDenied("NOT_ALLOWED",
                                  "only admin and account_manager may create contacts");
}

absl::Status CheckUpsert(const common::Principal& caller) {
  if (caller.HasAny({Role::kAdmin, Role::kIntegration})) return absl::OkStatus();
  return common::PermissionDenied("NOT_ALLOWED",
                                  "only admin and integration may upsert contacts by external id");
}

absl::Status CheckChange(const common::Principal& caller, const ContactFacts& facts,
                         bool manages_related, std::string_view contact) {
  if (caller.Has(Role::kAdmin)) return absl::OkStatus();
  if (caller.Has(Role::kAccountManager) && (facts.owner == caller.subject || manages_related)) {
    return absl::OkStatus();
  }
  return common::PermissionDenied(
      "NOT_ALLOWED", caller.subject + " may not change " + std::string(contact) +
                         ": it is neither its owner nor on the team of an account it works with");
}

absl::Status CheckRelationChange(const common::Principal& caller, bool manages_account,
                                 std::string_view account) {
  if (caller.Has(Role::kAdmin)) return absl::OkStatus();
  if (caller.Has(Role::kAccountManager) && manages_account) return absl::OkStatus();
  return common::PermissionDenied(
      "NOT_ALLOWED", caller.subject + " may not change the contacts of " + std::string(account) +
                         ": it neither owns it nor is on its team");
}

absl::StatusOr<bool> ContactAccess::ManagesAny(const Caller& caller,
                                               const std::vector<std::string>& account_ids) {
  absl::Status failure;
  for (const auto& id : account_ids) {
    auto manages = accounts_.Manages(caller.identity, caller.principal.subject, id);
    if (!manages.ok()) {
      failure = manages.status();
      continue;
    }
    if (*manages) return true;
  }
  if (!failure.ok()) return failure;
  return false;
}

std::optional<bool> ContactAccess::SeesPersonalDataWithoutIo(const Caller& caller,
                                                             const ContactFacts& facts) {
  const auto& principal = caller.principal;
  if (principal.Has(Role::kAdmin)) return true;
  if (!principal.Has(Role::kAccountManager)) return false;
  if (facts.owner == principal.subject) return true;
  if (facts.account_ids.empty()) return false;
  return std::nullopt;  // whether it manages one of the accounts: the account service says
}

bool ContactAccess::SeesPersonalData(const Caller& caller, const ContactFacts& facts) {
  if (auto sees = SeesPersonalDataWithoutIo(caller, facts)) return *sees;
  const auto& principal = caller.principal;
  auto manages = ManagesAny(caller, facts.account_ids);
  return contact::SeesPersonalData(principal, facts, manages.ok() && *manages);
}

absl::Status ContactAccess::CheckChange(const Caller& caller, const ContactFacts& facts,
                                        std::string_view contact) {
  const auto& principal = caller.principal;
  bool manages = false;
  if (!principal.Has(Role::kAdmin) && principal.Has(Role::kAccountManager) &&
      facts.owner != principal.subject) {
    ACCORD_ASSIGN_OR_RETURN(manages, ManagesAny(caller, facts.account_ids));
  }
  return contact::CheckChange(principal, facts, manages, contact);
}

absl::Status ContactAccess::CheckRelationChange(const Caller& caller,
                                                const std::string& account_id) {
  const auto& principal = caller.principal;
  bool manages = false;
  if (!principal.Has(Role::kAdmin) && principal.Has(Role::kAccountManager)) {
    ACCORD_ASSIGN_OR_RETURN(manages,
                            accounts_.Manages(caller.identity, principal.subject, account_id));
  }
  return contact::CheckRelationChange(principal, manages, AccountName(account_id));
}

}  // namespace accord::contact
