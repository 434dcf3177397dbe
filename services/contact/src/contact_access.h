// Who may see and change contacts. The rules are pure functions over facts; ContactAccess
// gathers the facts that live in the account service (ownership and teams) through an
// AccountDirectory.
//
//   personal data   admin; account_manager for contacts it owns or that relate to an account it
//                   owns or is on the team of. Everyone else (integration always) sees it masked.
//   read            every role (personal data as above)
//   create          admin, account_manager (becoming the owner unless it names another)
//   update, delete  admin; account_manager when it may see the contact's personal data
//   upsert by id    admin, integration (sync)
//   relations       admin; account_manager for accounts it owns or is on the team of
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "accord/common/auth.h"
#include "accord/common/service_client.h"
#include "account_directory.h"

namespace accord::contact {

// The caller of one RPC, with what the contact service needs to act for it elsewhere.
struct Caller {
  common::Principal principal;
  common::CallIdentity identity;  // for calls to the account service on the caller's behalf
  std::string access_reason;      // x-access-reason metadata, for the access log
  std::string method;             // e.g. "GetContact"
};

// What access to one contact depends on.
struct ContactFacts {
  std::string owner;
  std::vector<std::string> account_ids;  // accounts with a live relation to the contact
};

// Pure rules; `manages_related` says whether the caller owns or is on the team of one of
// facts.account_ids.
bool SeesPersonalData(const common::Principal& caller, const ContactFacts& facts,
                      bool manages_related);
absl::Status CheckCreate(const common::Principal& caller);
absl::Status CheckUpsert(const common::Principal& caller);
absl::Status CheckChange(const common::Principal& caller, const ContactFacts& facts,
                         bool manages_related, std::string_view contact);
absl::Status CheckRelationChange(const common::Principal& caller, bool manages_account,
                                 std::string_view account);

class ContactAccess {
 public:
  explicit ContactAccess(AccountDirectory& accounts) : accounts_(accounts) {}

  // Never fails: when the account service cannot say, personal data stays masked.
  bool SeesPersonalData(const Caller& caller, const ContactFacts& facts);
  // SeesPersonalData's answer when it needs no call to the account service; nullopt otherwise.
  static std::optional<bool> SeesPersonalDataWithoutIo(const Caller& caller,
                                                       const ContactFacts& facts);
  // PERMISSION_DENIED, or UNAVAILABLE when the answer needs the account service and it is down.
  absl::Status CheckChange(const Caller& caller, const ContactFacts& facts,
                           std::string_view contact);
  absl::Status CheckRelationChange(const Caller& caller, const std::string& account_id);
  AccountDirectory& accounts() { return accounts_; }

 private:
  // Whether the caller (an account manager) manages any of `account_ids`.
  absl::StatusOr<bool> ManagesAny(const Caller& caller,
                                  const std::vector<std::string>& account_ids);

  AccountDirectory& accounts_;
};

}  // namespace accord::contact
