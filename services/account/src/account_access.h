// Who may write to an account and to what hangs off it (team, needs, ...). One rule, in one
// place, over facts the repository reads under a lock on the account row; pure, so it is
// unit-tested without a database.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "accord/common/auth.h"

namespace accord::account {

// What the access rule needs to know about one live account, for one caller.
struct AccountAccessFacts {
  std::string account;                 // "accounts/{id}", for messages
  std::string owner;                   // accounts.owner
  bool is_active_team_member = false;  // the caller is on the account's team today
};

// Whether the integration role (sync from other systems) may make this kind of write.
enum class IntegrationWrites { kDenied, kAllowed };

// OK when `caller` may write to the account: admin always; account_manager when it owns the
// account or is an active member of its team; integration when `integration` allows it.
// Otherwise PERMISSION_DENIED, reason NOT_ALLOWED, saying that `caller` may not `action` (e.g.
// "change the team of accounts/...").
absl::Status CheckAccountWriteAccess(const common::Principal& caller,
                                     const AccountAccessFacts& facts,
                                     IntegrationWrites integration = IntegrationWrites::kDenied,
                                     std::string_view action = "");

// The rule for `owner`, which grants what no other fact grants (delete, merge away): admin and
// integration may name any owner; anyone else may not change it, not even the owner itself
// (handing an account over is an admin's or the sync's decision). `current_owner` is the stored
// value read under the row lock; CreateAccount passes the caller as the current owner, so an
// account manager may create only accounts it owns. PERMISSION_DENIED, reason OWNER_CHANGE.
absl::Status CheckOwnerChange(const common::Principal& caller, std::string_view account,
                              std::string_view current_owner, std::string_view next_owner);

}  // namespace accord::account
