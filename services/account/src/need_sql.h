// SQL of account needs, kept as named constants and prepared on every pooled connection.
#pragma once

#include <vector>

#include "accord/common/pg.h"

namespace accord::account::sql {

// Columns in the order RowToNeed reads them. Dates travel as "YYYY-MM-DD" text, '' for none.
#define ACCORD_NEED_COLUMNS                                                                  \
  "n.id::text, n.account_id::text, n.title, n.description, n.source, n.priority, n.status, " \
  "COALESCE(to_char(n.due_date, 'YYYY-MM-DD'), ''), n.owner, n.version, "                    \
  "(extract(epoch FROM n.create_time) * 1000000)::bigint, "                                  \
  "(extract(epoch FROM n.update_time) * 1000000)::bigint, "                                  \
  "(extract(epoch FROM n.delete_time) * 1000000)::bigint"

inline constexpr const char* kNeedColumns = ACCORD_NEED_COLUMNS;

inline constexpr common::PreparedStatement kInsertNeed{
    "need_insert",
    "INSERT INTO account.needs AS n (id, account_id, title, description, source, priority, "
    "status, due_date, owner) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, "
    "NULLIF($8, '')::date, $9) RETURNING " ACCORD_NEED_COLUMNS};

inline constexpr common::PreparedStatement kGetNeed{
    "need_get", "SELECT " ACCORD_NEED_COLUMNS
                " FROM account.needs n JOIN account.accounts a ON a.id = n.account_id "
                "WHERE n.account_id = $1::uuid AND n.id = $2::uuid AND n.delete_time IS NULL "
                "AND a.delete_time IS NULL"};

// The account row is locked first (kAccountAccessForShare); this locks the need too.
inline constexpr common::PreparedStatement kLockNeed{
    "need_lock", "SELECT " ACCORD_NEED_COLUMNS
                 " FROM account.needs n WHERE n.account_id = $1::uuid AND n.id = $2::uuid "
                 "AND n.delete_time IS NULL FOR UPDATE"};

inline constexpr common::PreparedStatement kUpdateNeed{
    "need_update",
    "UPDATE account.needs AS n SET title = $3, description = $4, source = $5, priority = $6, "
    "status = $7, due_date = NULLIF($8, '')::date, owner = $9, version = n.version + 1, "
    "update_time = now() WHERE n.account_id = $1::uuid AND n.id = $2::uuid "
    "RETURNING " ACCORD_NEED_COLUMNS};

inline constexpr common::PreparedStatement kDeleteNeed{
    "need_delete",
    "UPDATE account.needs AS n SET delete_time = now(), update_time = now(), "
    "version = n.version + 1 WHERE n.account_id = $1::uuid AND n.id = $2::uuid "
    "RETURNING " ACCORD_NEED_COLUMNS};

inline std::vector<common::PreparedStatement> NeedStatements() {
  return {kInsertNeed, kGetNeed, kLockNeed, kUpdateNeed, kDeleteNeed};
}

}  // namespace accord::account::sql
