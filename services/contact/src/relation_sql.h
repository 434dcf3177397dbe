// SQL of account relations, kept as named constants and prepared on every pooled connection.
#pragma once

#include <vector>

#include "accord/common/pg.h"
#include "contact_sql.h"

namespace accord::contact::sql {

// Dates travel as "YYYY-MM-DD" text, '' for none; roles as "1,6".
#define ACCORD_RELATION_COLUMNS                                                         \
  "r.id::text, r.contact_id::text, r.account_id::text, array_to_string(r.roles, ','), " \
  "COALESCE(to_char(r.start_date, 'YYYY-MM-DD'), ''), "                                 \
  "COALESCE(to_char(r.end_date, 'YYYY-MM-DD'), ''), r.is_primary, r.version, "          \
  "(extract(epoch FROM r.create_time) * 1000000)::bigint, "                             \
  "(extract(epoch FROM r.update_time) * 1000000)::bigint, "                             \
  "(extract(epoch FROM r.delete_time) * 1000000)::bigint"

inline constexpr const char* kRelationColumns = ACCORD_RELATION_COLUMNS;
inline constexpr int kRelationColumnCount = 11;

inline constexpr common::PreparedStatement kInsertRelation{
    "relation_insert",
    "INSERT INTO contact.account_relations AS r (id, contact_id, account_id, roles, start_date, "
    "end_date, is_primary) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::smallint[], "
    "NULLIF($5, '')::date, NULLIF($6, '')::date, $7::boolean) RETURNING " ACCORD_RELATION_COLUMNS};

inline constexpr common::PreparedStatement kFindLiveRelation{
    "relation_find_live",
    "SELECT r.id::text FROM contact.account_relations r WHERE r.contact_id = $1::uuid AND "
    "r.account_id = $2::uuid AND r.delete_time IS NULL"};

inline constexpr common::PreparedStatement kGetRelation{
    "relation_get",
    "SELECT " ACCORD_RELATION_COLUMNS
    " FROM contact.account_relations r JOIN contact.contacts c ON c.id = r.contact_id "
    "WHERE r.contact_id = $1::uuid AND r.id = $2::uuid AND r.delete_time IS NULL "
    "AND c.delete_time IS NULL"};

inline constexpr common::PreparedStatement kLockRelation{
    "relation_lock", "SELECT " ACCORD_RELATION_COLUMNS
                     " FROM contact.account_relations r WHERE r.contact_id = $1::uuid AND "
                     "r.id = $2::uuid AND r.delete_time IS NULL FOR UPDATE"};

inline constexpr common::PreparedStatement kUpdateRelation{
    "relation_update",
    "UPDATE contact.account_relations AS r SET roles = $3::smallint[], "
    "start_date = NULLIF($4, '')::date, end_date = NULLIF($5, '')::date, "
    "is_primary = $6::boolean, version = r.version + 1, update_time = now() "
    "WHERE r.contact_id = $1::uuid AND r.id = $2::uuid RETURNING " ACCORD_RELATION_COLUMNS};

inline constexpr common::PreparedStatement kDeleteRelation{
    "relation_delete",
    "UPDATE contact.account_relations AS r SET delete_time = now(), update_time = now(), "
    "version = r.version + 1 WHERE r.contact_id = $1::uuid AND r.id = $2::uuid "
    "RETURNING " ACCORD_RELATION_COLUMNS};

// Relations with a role that have not ended, of live contacts, with the contact's columns.
inline constexpr common::PreparedStatement kKeyContacts{
    "relation_key_contacts",
    "SELECT " ACCORD_RELATION_COLUMNS ", " ACCORD_CONTACT_COLUMNS
    " FROM contact.account_relations r JOIN contact.contacts c ON c.id = r.contact_id "
    "WHERE r.account_id = $1::uuid AND r.delete_time IS NULL AND c.delete_time IS NULL "
    "AND cardinality(r.roles) > 0 AND (r.end_date IS NULL OR r.end_date >= current_date) "
    "ORDER BY r.create_time, r.id LIMIT 1000"};

// For the account events: an account's live relations, locked; a relation moved to another
// account; a relation ended on a day (never before it started).
inline constexpr common::PreparedStatement kLockAccountRelations{
    "relation_lock_account", "SELECT " ACCORD_RELATION_COLUMNS
                             " FROM contact.account_relations r WHERE r.account_id = $1::uuid "
                             "AND r.delete_time IS NULL ORDER BY r.id FOR UPDATE"};

inline constexpr common::PreparedStatement kMoveRelation{
    "relation_move",
    "UPDATE contact.account_relations AS r SET account_id = $3::uuid, version = r.version + 1, "
    "update_time = now() WHERE r.contact_id = $1::uuid AND r.id = $2::uuid "
    "RETURNING " ACCORD_RELATION_COLUMNS};

inline constexpr common::PreparedStatement kEndRelation{
    "relation_end",
    "UPDATE contact.account_relations AS r SET end_date = GREATEST($3::date, r.start_date), "
    "version = r.version + 1, update_time = now() WHERE r.contact_id = $1::uuid AND "
    "r.id = $2::uuid RETURNING " ACCORD_RELATION_COLUMNS};

inline std::vector<common::PreparedStatement> RelationStatements() {
  return {kInsertRelation, kFindLiveRelation, kGetRelation,  kLockRelation, kUpdateRelation,
          kDeleteRelation, kKeyContacts,      kMoveRelation, kEndRelation,  kLockAccountRelations};
}

}  // namespace accord::contact::sql
