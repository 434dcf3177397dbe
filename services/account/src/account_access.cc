#include "account_access.h"

#include "accord/common/errors.h"

namespace accord::account {

using common::Role;

absl::Status CheckAccountWriteAccess(const common::Principal& caller,
                                     const AccountAccessFacts& facts, IntegrationWrites integration,
                                     std::string_view action) {
  if (caller.Has(Role::kAdmin)) return absl::OkStatus();
  if (caller.Has(Role::kAccountManager) &&
      (facts.owner == caller.subject || facts.is_active_team_member)) {
    return absl::OkStatus();
  }
  if (integration == IntegrationWrites::kAllowed && caller.Has(Role::kIntegration)) {
    return absl::OkStatus();
  }
  const std::string what = action.empty() ? "write to " + facts.account : std::string(action);
  return common::PermissionDenied("NOT_ALLOWED", caller.subject + " may not " + what);
}

absl::Status CheckOwnerChange(const common::Principal& caller, std::string_view account,
                              std::string_view current_owner, std::string_view next_owner) {
  if (next_owner == current_owner) return absl::OkStatus();
  if (caller.HasAny({Role::kAdmin, Role::kIntegration})) return absl::OkStatus();
  return common::PermissionDenied(
      "OWNER_CHANGE", caller.subject + " may not change the owner of " +
                          (account.empty() ? std::string("an account") : std::string(account)) +
                          "; only admin and integration may assign owners");
}

}  // namespace accord::account
