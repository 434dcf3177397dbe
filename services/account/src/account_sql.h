// SQL of the account service, kept as named constants and prepared on every pooled connection.
#pragma once

#include <vector>

#include "accord/common/pg.h"

namespace accord::account::sql {

// Columns in the order RowToAccount reads them.
#define ACCORD_ACCOUNT_COLUMNS                                                             \
  "a.id::text, a.display_name, a.legal_name, a.type, a.lifecycle_stage, a.owner, a.version, " \
  "(extract(epoch FROM a.create_time) * 1000000)::bigint, "                                \
  "(extract(epoch FROM a.update_time) * 1000000)::bigint, "                                \
  "(extract(epoch FROM a.delete_time) * 1000000)::bigint"

inline constexpr const char* kAccountColumns = ACCORD_ACCOUNT_COLUMNS;

inline constexpr common::PreparedStatement kInsertAccount{
    "account_insert",
    "INSERT INTO account.accounts AS a (id, display_name, legal_name, type, lifecycle_stage, "
    "owner) VALUES ($1::uuid, $2, $3, $4, $5, $6) RETURNING " ACCORD_ACCOUNT_COLUMNS};

inline constexpr common::PreparedStatement kGetAccount{
    "account_get", "SELECT " ACCORD_ACCOUNT_COLUMNS
                   " FROM account.accounts a WHERE a.id = $1::uuid AND a.delete_time IS NULL"};

inline constexpr common::PreparedStatement kLockAccount{
    "account_lock",
    "SELECT " ACCORD_ACCOUNT_COLUMNS
    " FROM account.accounts a WHERE a.id = $1::uuid AND a.delete_time IS NULL FOR UPDATE"};

inline constexpr common::PreparedStatement kUpdateAccount{
    "account_update",
    "UPDATE account.accounts AS a SET display_name = $2, legal_name = $3, type = $4, "
    "lifecycle_stage = $5, owner = $6, version = a.version + 1, update_time = now() "
    "WHERE a.id = $1::uuid RETURNING " ACCORD_ACCOUNT_COLUMNS};

inline constexpr common::PreparedStatement kDeleteAccount{
    "account_delete",
    "UPDATE account.accounts AS a SET delete_time = now(), update_time = now(), "
    "version = a.version + 1 WHERE a.id = $1::uuid RETURNING " ACCORD_ACCOUNT_COLUMNS};

inline std::vector<common::PreparedStatement> AllStatements() {
  return {kInsertAccount, kGetAccount, kLockAccount, kUpdateAccount, kDeleteAccount};
}

}  // namespace accord::account::sql
