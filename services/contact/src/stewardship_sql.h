// FindDuplicateContacts' statement, here so that a test can EXPLAIN it on a fresh schema.
// Parameters: $1 the probe's name trigrams (integer[]), $2 and $3 its email and phone digests
// (hex text[]), $4 its accounts (uuid[]), $5 the contact searched for (excluded; '' for a draft),
// $6 the most rows, $7 the lowest name similarity read.
#pragma once

#include "contact_sql.h"

namespace accord::contact::sql {

// Candidates: the same email or phone anywhere (blind index), or a name at least as similar as $7
// (a hair under the caller's similarity, so that RankDuplicates decides the edge) at one of the
// probe's accounts, compared from the copy of each contact's trigrams in the account's index
// (migration 0012): a large account's few hundred contacts are compared without reading their
// rows, which cost a scattered table block each (docs/performance.md, "FindDuplicateContacts by
// name from the account's index"). Then each candidate is measured against the probe from its
// own narrow columns, and only those that count as duplicates are read whole.
inline constexpr char kFindDuplicates[] =
    "WITH probe AS (SELECT $1::integer[] AS trigrams, "
    "ARRAY(SELECT decode(x, 'hex') FROM unnest($2::text[]) x) AS emails, "
    "ARRAY(SELECT decode(x, 'hex') FROM unnest($3::text[]) x) AS phones, "
    "$4::uuid[] AS accounts), "
    "candidates AS ("
    "SELECT l.contact_id AS id FROM contact.contact_lookup l, probe p "
    "WHERE l.kind = 1 AND l.digest = ANY(p.emails) "
    "UNION SELECT l.contact_id FROM contact.contact_lookup l, probe p "
    "WHERE l.kind = 2 AND l.digest = ANY(p.phones) "
    "UNION SELECT r.contact_id FROM contact.account_relations r CROSS JOIN probe p "
    "CROSS JOIN LATERAL (SELECT count(*)::real AS shared FROM (SELECT unnest(r.name_trigrams) "
    "INTERSECT SELECT unnest(p.trigrams)) t) s "
    "WHERE r.account_id = ANY(p.accounts) AND r.delete_time IS NULL "
    "AND r.name_trigrams && p.trigrams AND s.shared / (cardinality(r.name_trigrams) "
    "+ cardinality(p.trigrams) - s.shared) >= $7::real), "
    "measured AS MATERIALIZED (SELECT n.id, "
    "EXISTS (SELECT 1 FROM contact.contact_lookup l WHERE l.contact_id = n.id AND l.kind = 1 "
    "AND l.digest = ANY(p.emails)) AS same_email, "
    "EXISTS (SELECT 1 FROM contact.contact_lookup l WHERE l.contact_id = n.id AND l.kind = 2 "
    "AND l.digest = ANY(p.phones)) AS same_phone, "
    "(SELECT count(*) FROM (SELECT unnest(n.name_trigrams) INTERSECT "
    "SELECT unnest(p.trigrams)) s)::integer AS shared, "
    "cardinality(n.name_trigrams) AS trigram_count, "
    "COALESCE((SELECT string_agg(DISTINCT a.account_id::text, ',') FROM "
    "contact.account_relations a WHERE a.contact_id = n.id AND a.delete_time IS NULL "
    "AND a.account_id = ANY(p.accounts)), '') AS accounts "
    "FROM candidates k JOIN contact.contacts n ON n.id = k.id, probe p "
    "WHERE n.delete_time IS NULL AND n.id::text <> $5) "
    "SELECT " ACCORD_CONTACT_COLUMNS
    ", m.same_email, m.same_phone, m.shared, m.trigram_count, m.accounts "
    "FROM measured m JOIN contact.contacts c ON c.id = m.id "
    "WHERE m.same_email OR m.same_phone OR (m.accounts <> '' AND m.shared > 0 "
    "AND m.shared::real / (m.trigram_count + cardinality($1::integer[]) - m.shared) >= $7::real) "
    "ORDER BY c.create_time, c.id LIMIT $6";

}  // namespace accord::contact::sql
