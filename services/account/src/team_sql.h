// SQL of the account team (and of the access facts every child of an account is written
// under), kept as named constants and prepared on every pooled connection.
#pragma once

#include <vector>

#include "accord/common/pg.h"
#include "team_repository.h"

namespace accord::account::sql {

// ---- Access facts of a live account for one caller ($1 account id, $2 the caller's subject).
// Locking the account row serialises the writes under it and keeps owner, team and existence
// fixed until commit: FOR UPDATE where the team itself changes, FOR SHARE otherwise.
#define ACCORD_ACCOUNT_ACCESS_SELECT                                                        \
  "SELECT a.owner, EXISTS (SELECT 1 FROM account.team_members t WHERE t.account_id = a.id " \
  "AND t.member = $2 AND " ACCORD_TEAM_MEMBER_ACTIVE_SQL                                    \
  ") FROM account.accounts a WHERE a.id = $1::uuid AND a.delete_time IS NULL"

inline constexpr common::PreparedStatement kAccountAccessForUpdate{
    "account_access_for_update", ACCORD_ACCOUNT_ACCESS_SELECT " FOR UPDATE OF a"};

inline constexpr common::PreparedStatement kAccountAccessForShare{
    "account_access_for_share", ACCORD_ACCOUNT_ACCESS_SELECT " FOR SHARE OF a"};

inline constexpr common::PreparedStatement kAccountIsLive{
    "account_is_live",
    "SELECT 1 FROM account.accounts a WHERE a.id = $1::uuid AND a.delete_time IS NULL"};

// ---- Team members. Dates travel as "YYYY-MM-DD" text, '' for none.

// Columns in the order RowToTeamMember reads them.
#define ACCORD_TEAM_MEMBER_COLUMNS                                       \
  "t.id::text, t.account_id::text, t.member, t.role, "                   \
  "COALESCE(to_char(t.start_date, 'YYYY-MM-DD'), ''), "                  \
  "COALESCE(to_char(t.end_date, 'YYYY-MM-DD'), ''), t.note, t.version, " \
  "(extract(epoch FROM t.create_time) * 1000000)::bigint, "              \
  "(extract(epoch FROM t.update_time) * 1000000)::bigint, " ACCORD_TEAM_MEMBER_ACTIVE_SQL

inline constexpr const char* kTeamMemberColumns = ACCORD_TEAM_MEMBER_COLUMNS;

inline constexpr common::PreparedStatement kInsertTeamMember{
    "team_member_insert",
    "INSERT INTO account.team_members AS t (id, account_id, member, role, start_date, end_date, "
    "note) VALUES ($1::uuid, $2::uuid, $3, $4, NULLIF($5, '')::date, NULLIF($6, '')::date, $7) "
    "RETURNING " ACCORD_TEAM_MEMBER_COLUMNS};

inline constexpr common::PreparedStatement kGetTeamMember{
    "team_member_get",
    "SELECT " ACCORD_TEAM_MEMBER_COLUMNS
    " FROM account.team_members t JOIN account.accounts a ON a.id = t.account_id "
    "WHERE t.account_id = $1::uuid AND t.id = $2::uuid AND a.delete_time IS NULL"};

// The account row is locked first (kAccountAccessForUpdate); this locks the membership too.
inline constexpr common::PreparedStatement kLockTeamMember{
    "team_member_lock", "SELECT " ACCORD_TEAM_MEMBER_COLUMNS
                        " FROM account.team_members t WHERE t.account_id = $1::uuid "
                        "AND t.id = $2::uuid FOR UPDATE"};

// The memberships a person holds on an account, but membership $3 ('' for none).
inline constexpr common::PreparedStatement kMembershipsOfMember{
    "team_member_memberships",
    "SELECT " ACCORD_TEAM_MEMBER_COLUMNS
    " FROM account.team_members t WHERE t.account_id = $1::uuid AND t.member = $2 "
    "AND t.id IS DISTINCT FROM NULLIF($3, '')::uuid ORDER BY t.start_date NULLS FIRST, t.id"};

inline constexpr common::PreparedStatement kUpdateTeamMember{
    "team_member_update",
    "UPDATE account.team_members AS t SET role = $3, start_date = NULLIF($4, '')::date, "
    "end_date = NULLIF($5, '')::date, note = $6, version = t.version + 1, update_time = now() "
    "WHERE t.account_id = $1::uuid AND t.id = $2::uuid RETURNING " ACCORD_TEAM_MEMBER_COLUMNS};

inline constexpr common::PreparedStatement kDeleteTeamMember{
    "team_member_delete",
    "DELETE FROM account.team_members t WHERE t.account_id = $1::uuid AND t.id = $2::uuid"};

inline std::vector<common::PreparedStatement> TeamStatements() {
  return {kAccountAccessForUpdate, kAccountAccessForShare, kAccountIsLive,
          kInsertTeamMember,       kGetTeamMember,         kLockTeamMember,
          kMembershipsOfMember,    kUpdateTeamMember,      kDeleteTeamMember};
}

}  // namespace accord::account::sql
