// SQL of contacts, kept as named constants and prepared on every pooled connection.
#pragma once

#include <vector>

#include "accord/common/pg.h"

namespace accord::contact::sql {

// Columns in the order the repository reads them; the ninth is the ids of the accounts the
// contact has a live relation to, comma-separated; then the derived repeat-customer figures and
// the version of all of it (cache_version, migration 0012).
#define ACCORD_CONTACT_COLUMNS                                                                \
  "c.id::text, c.pii, c.pii_key_id, c.attributes, c.version, "                                \
  "(extract(epoch FROM c.create_time) * 1000000)::bigint, "                                   \
  "(extract(epoch FROM c.update_time) * 1000000)::bigint, "                                   \
  "(extract(epoch FROM c.delete_time) * 1000000)::bigint, "                                   \
  "COALESCE((SELECT string_agg(r.account_id::text, ',' ORDER BY r.account_id) "               \
  "FROM contact.account_relations r WHERE r.contact_id = c.id AND r.delete_time IS NULL), "   \
  "''), c.purchase_count, c.conversation_count, c.repeat_customer, c.relationship_strength, " \
  "c.cache_version"

inline constexpr const char* kContactColumns = ACCORD_CONTACT_COLUMNS;
inline constexpr int kContactColumnCount = 14;

inline constexpr common::PreparedStatement kInsertContact{
    "contact_insert",
    "INSERT INTO contact.contacts AS c (id, pii, pii_key_id, attributes, job_title, department, "
    "owner, status, customer_kind, preferred_channel, time_zone, labels, external_ids, "
    "name_trigrams) VALUES ($1::uuid, $2::bytea, $3, $4::bytea, $5, $6, $7, $8, $9, $10, $11, "
    "$12::text[], $13::jsonb, $14::integer[]) RETURNING " ACCORD_CONTACT_COLUMNS};

inline constexpr common::PreparedStatement kGetContact{
    "contact_get", "SELECT " ACCORD_CONTACT_COLUMNS
                   " FROM contact.contacts c WHERE c.id = $1::uuid AND c.delete_time IS NULL"};

inline constexpr common::PreparedStatement kLockContact{
    "contact_lock", "SELECT " ACCORD_CONTACT_COLUMNS
                    " FROM contact.contacts c WHERE c.id = $1::uuid AND c.delete_time IS NULL "
                    "FOR UPDATE OF c"};

inline constexpr common::PreparedStatement kUpdateContact{
    "contact_update",
    "UPDATE contact.contacts AS c SET pii = $2::bytea, pii_key_id = $3, attributes = $4::bytea, "
    "job_title = $5, department = $6, owner = $7, status = $8, customer_kind = $9, "
    "preferred_channel = $10, time_zone = $11, labels = $12::text[], external_ids = $13::jsonb, "
    "name_trigrams = $14::integer[], name_trigrams_built = true, version = c.version + 1, "
    "update_time = now() "
    "WHERE c.id = $1::uuid "
    "RETURNING " ACCORD_CONTACT_COLUMNS};

inline constexpr common::PreparedStatement kDeleteContact{
    "contact_delete",
    "UPDATE contact.contacts AS c SET delete_time = now(), update_time = now(), "
    "version = c.version + 1 WHERE c.id = $1::uuid RETURNING " ACCORD_CONTACT_COLUMNS};

inline constexpr common::PreparedStatement kDeleteLookups{
    "contact_lookup_delete", "DELETE FROM contact.contact_lookup WHERE contact_id = $1::uuid"};

inline constexpr common::PreparedStatement kInsertLookup{
    "contact_lookup_insert",
    "INSERT INTO contact.contact_lookup (kind, digest, contact_id) VALUES ($1, $2::bytea, "
    "$3::uuid) ON CONFLICT DO NOTHING"};

inline constexpr common::PreparedStatement kLookup{
    "contact_lookup",
    "SELECT " ACCORD_CONTACT_COLUMNS
    " FROM contact.contact_lookup l JOIN contact.contacts c ON c.id = l.contact_id "
    "WHERE l.kind = $1 AND l.digest = $2::bytea AND c.delete_time IS NULL "
    "ORDER BY c.create_time, c.id LIMIT 100"};

inline constexpr common::PreparedStatement kDeleteExternalIds{
    "contact_external_ids_delete",
    "DELETE FROM contact.contact_external_ids WHERE contact_id = $1::uuid"};

inline constexpr common::PreparedStatement kInsertExternalId{
    "contact_external_id_insert",
    "INSERT INTO contact.contact_external_ids (system, external_id, contact_id) VALUES ($1, $2, "
    "$3::uuid)"};

inline constexpr common::PreparedStatement kFindByExternalId{
    "contact_find_by_external_id",
    "SELECT contact_id::text FROM contact.contact_external_ids WHERE system = $1 AND "
    "external_id = $2"};

// Serialises upserts of one external id, including the first, which has no row to lock.
inline constexpr common::PreparedStatement kLockExternalId{
    "contact_external_id_lock",
    "SELECT pg_advisory_xact_lock(hashtextextended('accord.contact.external_id' || chr(1) || $1 "
    "|| chr(1) || $2, 0))"};

// Why a contact is not live: merged (into whom), erased, or deleted; no row when it never was.
inline constexpr common::PreparedStatement kContactTombstone{
    "contact_tombstone",
    "SELECT COALESCE(merged_into::text, ''), erase_time IS NOT NULL FROM contact.contacts "
    "WHERE id = $1::uuid AND delete_time IS NOT NULL"};

inline constexpr common::PreparedStatement kContactIsLive{
    "contact_is_live_for_share",
    "SELECT 1 FROM contact.contacts WHERE id = $1::uuid AND delete_time IS NULL FOR SHARE"};

inline constexpr common::PreparedStatement kAppendAccessLog{
    "contact_access_log_append",
    "INSERT INTO contact.access_log (actor, roles, contact_id, fields, method, reason, "
    "request_id) SELECT $1, $2, u.id, string_to_array(u.fields, ','), $3, $4, $5 "
    "FROM unnest($6::uuid[], $7::text[]) AS u(id, fields)"};

inline std::vector<common::PreparedStatement> ContactStatements() {
  return {kInsertContact,     kGetContact,       kLockContact,      kUpdateContact,
          kDeleteContact,     kDeleteLookups,    kInsertLookup,     kLookup,
          kDeleteExternalIds, kInsertExternalId, kFindByExternalId, kLockExternalId,
          kContactIsLive,     kAppendAccessLog,  kContactTombstone};
}

}  // namespace accord::contact::sql
