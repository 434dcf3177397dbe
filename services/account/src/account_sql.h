// SQL of the account service, kept as named constants and prepared on every pooled connection.
#pragma once

#include <vector>

#include "accord/common/pg.h"
#include "need_sql.h"
#include "team_repository.h"
#include "team_sql.h"

namespace accord::account::sql {

// Columns in the order RowToAccount reads them.
#define ACCORD_ACCOUNT_COLUMNS                                                                \
  "a.id::text, a.display_name, a.legal_name, a.type, a.lifecycle_stage, a.owner, a.version, " \
  "(extract(epoch FROM a.create_time) * 1000000)::bigint, "                                   \
  "(extract(epoch FROM a.update_time) * 1000000)::bigint, "                                   \
  "(extract(epoch FROM a.delete_time) * 1000000)::bigint, "                                   \
  "a.tax_id, a.tier, a.industry, a.size_band, a.revenue_currency, a.revenue_units, "          \
  "a.revenue_nanos, a.website, a.billing_address, a.shipping_address, a.territory, "          \
  "array_to_json(a.labels)::text, a.parent_id::text, a.merged_into::text, "                   \
  "(SELECT coalesce(json_object_agg(e.system, e.external_id), '{}')::text "                   \
  "FROM account.external_ids e WHERE e.account_id = a.id)"

inline constexpr const char* kAccountColumns = ACCORD_ACCOUNT_COLUMNS;
inline constexpr int kAccountColumnCount = 25;

// $1 id, then the profile in the order of kUpdateAccount's $2..$20.
inline constexpr common::PreparedStatement kInsertAccount{
    "account_insert",
    "INSERT INTO account.accounts AS a (id, display_name, legal_name, type, lifecycle_stage, "
    "owner, tax_id, tier, industry, size_band, revenue_currency, revenue_units, revenue_nanos, "
    "website, billing_address, shipping_address, territory, labels, parent_id) VALUES ($1::uuid, "
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::bytea, $16::bytea, $17, "
    "$18::text[], $19::uuid) RETURNING " ACCORD_ACCOUNT_COLUMNS};

// Any state, deleted and merged included: the caller decides what a tombstone means.
inline constexpr common::PreparedStatement kGetAccount{
    "account_get",
    "SELECT " ACCORD_ACCOUNT_COLUMNS " FROM account.accounts a WHERE a.id = $1::uuid"};

// $1 id, $2 the writer: the live row, locked, plus (column kAccountColumnCount) whether the
// writer is an active member of the account's team, which the access rule needs; one round trip.
inline constexpr common::PreparedStatement kLockAccount{
    "account_lock", "SELECT " ACCORD_ACCOUNT_COLUMNS
                    ", EXISTS (SELECT 1 FROM account.team_members t WHERE "
                    "t.account_id = a.id AND t.member = $2 AND " ACCORD_TEAM_MEMBER_ACTIVE_SQL
                    ") FROM account.accounts a WHERE a.id = $1::uuid FOR UPDATE"};

inline constexpr common::PreparedStatement kBatchGetAccounts{
    "account_batch_get",
    "SELECT " ACCORD_ACCOUNT_COLUMNS " FROM account.accounts a WHERE a.id = ANY($1::uuid[])"};

inline constexpr common::PreparedStatement kUpdateAccount{
    "account_update",
    "UPDATE account.accounts AS a SET display_name = $2, legal_name = $3, type = $4, "
    "lifecycle_stage = $5, owner = $6, tax_id = $7, tier = $8, industry = $9, size_band = $10, "
    "revenue_currency = $11, revenue_units = $12, revenue_nanos = $13, website = $14, "
    "billing_address = $15::bytea, shipping_address = $16::bytea, territory = $17, "
    "labels = $18::text[], parent_id = $19::uuid, version = version + 1, update_time = now() "
    "WHERE a.id = $1::uuid RETURNING " ACCORD_ACCOUNT_COLUMNS};

inline constexpr common::PreparedStatement kDeleteAccount{
    "account_delete",
    "UPDATE account.accounts SET delete_time = now(), update_time = now(), "
    "version = version + 1 WHERE id = $1::uuid"};

inline constexpr common::PreparedStatement kTombstoneAccount{
    "account_tombstone",
    "UPDATE account.accounts SET delete_time = now(), update_time = now(), merged_into = $2::uuid, "
    "version = version + 1 WHERE id = $1::uuid"};

inline constexpr common::PreparedStatement kTouchAccount{
    "account_touch",
    "UPDATE account.accounts SET version = version + 1, update_time = now() WHERE id = $1::uuid"};

inline constexpr common::PreparedStatement kFindByExternalId{
    "account_find_by_external_id",
    "SELECT account_id::text FROM account.external_ids WHERE system = $1 AND external_id = $2"};

inline constexpr common::PreparedStatement kDeleteExternalIds{
    "account_delete_external_ids", "DELETE FROM account.external_ids WHERE account_id = $1::uuid"};

inline constexpr common::PreparedStatement kInsertExternalId{
    "account_insert_external_id",
    "INSERT INTO account.external_ids (system, external_id, account_id) VALUES ($1, $2, "
    "$3::uuid)"};

// Serialises hierarchy changes so that two racing moves cannot both pass the cycle check.
inline constexpr common::PreparedStatement kLockHierarchy{
    "account_lock_hierarchy", "SELECT pg_advisory_xact_lock(hashtext('accord.account.hierarchy'))"};

// Serialises upserts of one external id, so concurrent syncs create one account, not two.
inline constexpr common::PreparedStatement kLockExternalId{
    "account_lock_external_id",
    "SELECT pg_advisory_xact_lock(hashtext('accord.account.external:' || $1 || ':' || $2))"};

// $1 and its ancestors, nearest first (bounded, so a corrupt loop cannot run forever); the
// domain decides whether a move under $1 would close a cycle (see CheckMove).
inline constexpr common::PreparedStatement kAncestry{
    "account_ancestry",
    "WITH RECURSIVE up(id, depth) AS (SELECT $1::uuid, 0 UNION ALL SELECT a.parent_id, "
    "up.depth + 1 FROM account.accounts a JOIN up ON a.id = up.id WHERE a.parent_id IS NOT NULL "
    "AND up.depth < 64) SELECT id::text FROM up ORDER BY depth"};

inline constexpr common::PreparedStatement kSubtree{
    "account_subtree",
    "WITH RECURSIVE down(id, depth, path) AS (SELECT c.id, 1, ARRAY[c.display_name || c.id::text] "
    "FROM account.accounts c WHERE c.parent_id = $1::uuid AND c.delete_time IS NULL UNION ALL "
    "SELECT c.id, down.depth + 1, down.path || (c.display_name || c.id::text) FROM "
    "account.accounts c JOIN down ON c.parent_id = down.id WHERE c.delete_time IS NULL AND "
    "down.depth < $2) SELECT " ACCORD_ACCOUNT_COLUMNS
    ", down.depth FROM down JOIN account.accounts a ON a.id = down.id ORDER BY down.path"};

inline constexpr common::PreparedStatement kReparentChildren{
    "account_reparent_children",
    "UPDATE account.accounts SET parent_id = $2::uuid, version = version + 1, update_time = now() "
    "WHERE parent_id = $1::uuid AND delete_time IS NULL RETURNING id::text"};

inline constexpr common::PreparedStatement kMoveExternalIds{
    "account_move_external_ids",
    "UPDATE account.external_ids SET account_id = $2::uuid WHERE account_id = $1::uuid"};

}  // namespace accord::account::sql

namespace accord::account::sql {

// Tables of the team and needs migration (0003): used by write checks and merges.
// Before a merge moves the duplicate's team: memberships that would overlap one the survivor
// already has (same person, same role, overlapping dates) are dropped; the survivor's stays.
// Each returns the rows it changed, for the merge's events; a move renames the membership or
// need, so its version moves too.
inline constexpr common::PreparedStatement kDropOverlappingTeam{
    "account_drop_overlapping_team",
    "DELETE FROM account.team_members t WHERE t.account_id = $1::uuid AND EXISTS (SELECT 1 FROM "
    "account.team_members s WHERE s.account_id = $2::uuid AND s.member = t.member AND "
    "s.role = t.role AND daterange(coalesce(s.start_date, '-infinity'), coalesce(s.end_date, "
    "'infinity'), '[]') && daterange(coalesce(t.start_date, '-infinity'), "
    "coalesce(t.end_date, 'infinity'), '[]')) RETURNING " ACCORD_TEAM_MEMBER_COLUMNS};

inline constexpr common::PreparedStatement kMoveTeam{
    "account_move_team",
    "UPDATE account.team_members AS t SET account_id = $2::uuid, version = t.version + 1, "
    "update_time = now() WHERE t.account_id = $1::uuid RETURNING " ACCORD_TEAM_MEMBER_COLUMNS};

inline constexpr common::PreparedStatement kMoveNeeds{
    "account_move_needs",
    "UPDATE account.needs AS n SET account_id = $2::uuid, version = n.version + 1, "
    "update_time = now() WHERE n.account_id = $1::uuid RETURNING " ACCORD_NEED_COLUMNS};

}  // namespace accord::account::sql

namespace accord::account::sql {

inline std::vector<common::PreparedStatement> AllStatements() {
  return {kInsertAccount,     kGetAccount,       kLockAccount,      kBatchGetAccounts,
          kUpdateAccount,     kDeleteAccount,    kTombstoneAccount, kFindByExternalId,
          kDeleteExternalIds, kInsertExternalId, kLockHierarchy,    kLockExternalId,
          kAncestry,          kSubtree,          kReparentChildren, kMoveExternalIds,
          kMoveTeam,          kMoveNeeds,        kTouchAccount,     kDropOverlappingTeam};
}

}  // namespace accord::account::sql
