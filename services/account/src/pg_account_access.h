// Postgres side of account_access.h: reads the access facts of an account inside the caller's
// write transaction, under a lock on the account row.
#pragma once

#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/pg.h"
#include "account_access.h"

namespace accord::account {

enum class AccountLock {
  kShare,   // FOR SHARE: owner, team and existence stay as read until commit
  kUpdate,  // FOR UPDATE: also serialises writers of the same account (team changes)
};

// The facts for `subject` on live account `account_id`; NOT_FOUND naming the account when it is
// missing or deleted. Needs the statements of sql::TeamStatements() prepared.
absl::StatusOr<AccountAccessFacts> LoadAccountAccessFacts(common::WriteTransaction& transaction,
                                                          const std::string& account_id,
                                                          const std::string& subject,
                                                          AccountLock lock);

}  // namespace accord::account
