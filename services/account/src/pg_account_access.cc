#include "pg_account_access.h"

#include "accord/common/errors.h"
#include "resource_names.h"
#include "team_sql.h"

namespace accord::account {

absl::StatusOr<AccountAccessFacts> LoadAccountAccessFacts(common::WriteTransaction& transaction,
                                                          const std::string& account_id,
                                                          const std::string& subject,
                                                          AccountLock lock) {
  const auto& statement =
      lock == AccountLock::kUpdate ? sql::kAccountAccessForUpdate : sql::kAccountAccessForShare;
  auto rows = transaction.exec_prepared(statement.name, account_id, subject);
  if (rows.empty()) return common::NotFound(AccountName(account_id));
  AccountAccessFacts facts;
  facts.account = AccountName(account_id);
  facts.owner = rows[0][0].as<std::string>();
  facts.is_active_team_member = rows[0][1].as<bool>();
  return facts;
}

}  // namespace accord::account
