// SQL of the insights' reads that every overview makes, kept as named constants and prepared on
// every pooled connection: parsed and planned once per connection instead of on every call (as
// unnamed statements, parsing and planning them was half of PostgreSQL's CPU per overview).
#pragma once

#include <vector>

#include "accord/common/pg.h"
#include "account_sql.h"
#include "team_repository.h"

namespace accord::account::sql {

#define ACCORD_INSIGHTS_EPOCH(column) "floor(extract(epoch FROM " column "))::bigint"

inline constexpr common::PreparedStatement kInsightAccount{
    "insights_account",
    "SELECT a.owner, a.lifecycle_stage, EXISTS (SELECT 1 FROM account.team_members t "
    "WHERE t.account_id = a.id AND t.member = $2 AND " ACCORD_TEAM_MEMBER_ACTIVE_SQL
    ") FROM account.accounts a WHERE a.id = $1::uuid AND a.delete_time IS NULL AND "
    "a.merged_into IS NULL"};

// The account, the accounts merged into it, and (with $2) its live subtree, each with the
// account it rolls up into. Each way down is its own indexed lookup: one join on "merged OR
// child" was a sequential scan of every account, twice per overview. Depth-bounded: the
// hierarchy refuses cycles, but a read must end even if one slipped in.
inline constexpr common::PreparedStatement kInsightTree{
    "insights_tree",
    "WITH RECURSIVE tree (id, parent, depth) AS ("
    " SELECT a.id, NULL::uuid, 0 FROM account.accounts a WHERE a.id = $1::uuid"
    " UNION ALL"
    " SELECT c.id, t.id, t.depth + 1 FROM tree t CROSS JOIN LATERAL ("
    "  SELECT a.id FROM account.accounts a WHERE a.merged_into = t.id"
    "  UNION ALL"
    "  SELECT a.id FROM account.accounts a WHERE $2 AND a.parent_id = t.id"
    "  AND a.delete_time IS NULL) c"
    " WHERE t.depth < 32)"
    " SELECT DISTINCT ON (id) id::text, COALESCE(parent::text, '') FROM tree"
    " ORDER BY id, depth"};

// The facts of the accounts $1 (a text[]).
inline constexpr common::PreparedStatement kInsightSales{
    "insights_sales",
    "SELECT account_id, " ACCORD_INSIGHTS_EPOCH(
        "sale_time") ", total_micros, currency_code = $2 FROM account.insight_sales "
                     "WHERE account_id = ANY($1::text[]) ORDER BY sale_time, sale"};
inline constexpr common::PreparedStatement kInsightCases{
    "insights_cases",
    "SELECT account_id, complaint, " ACCORD_INSIGHTS_EPOCH("open_time") ", " ACCORD_INSIGHTS_EPOCH(
        "resolve_time") ", status NOT IN (6, 7) FROM account.insight_cases "
                        "WHERE account_id = ANY($1::text[]) ORDER BY case_name"};
inline constexpr common::PreparedStatement kInsightBreaches{
    "insights_breaches",
    "SELECT account_id, " ACCORD_INSIGHTS_EPOCH(
        "breach_time") " FROM account.insight_sla_breaches WHERE account_id = ANY($1::text[]) "
                       "ORDER BY event_id"};
inline constexpr common::PreparedStatement kInsightSurveys{
    "insights_surveys",
    "SELECT account_id, " ACCORD_INSIGHTS_EPOCH(
        "answer_time") ", csat, nps FROM account.insight_surveys WHERE account_id = "
                       "ANY($1::text[]) ORDER BY survey"};
inline constexpr common::PreparedStatement kInsightInteractions{
    "insights_interactions",
    "SELECT account_id, owner, " ACCORD_INSIGHTS_EPOCH(
        "interaction_time") ", channel IN (1, 2), outcome = 5 FROM account.insight_interactions "
                            "WHERE account_id = ANY($1::text[]) ORDER BY interaction"};

inline constexpr common::PreparedStatement kInsightBaskets{
    "insights_baskets",
    "SELECT DISTINCT s.account_id, l.sku FROM account.insight_sales s JOIN "
    "account.insight_sale_lines l ON l.sale = s.sale WHERE s.sale_time >= "
    "to_timestamp($1::bigint)"};

inline constexpr common::PreparedStatement kInsightRecentSales{
    "insights_recent_sales",
    "SELECT s.sale, s.currency_code, s.total_micros, (SELECT count(*) FROM "
    "account.insight_sale_lines l WHERE l.sale = s.sale), (extract(epoch FROM "
    "s.sale_time) * 1000000)::bigint FROM account.insight_sales s WHERE s.account_id "
    "= $1 ORDER BY s.sale_time DESC, s.sale DESC LIMIT $2"};

inline constexpr common::PreparedStatement kInsightOpenNeeds{
    "insights_open_needs",
    "SELECT n.id::text, n.title, " ACCORD_INSIGHTS_EPOCH("n.update_time") ", (SELECT " ACCORD_INSIGHTS_EPOCH(
        "max(i.interaction_time)") " FROM account.insight_interactions i WHERE i.account_id = "
                                   "$1) FROM account.needs n WHERE n.account_id = $1::uuid AND "
                                   "n.delete_time IS NULL AND n.status IN (1, 2) "
                                   "ORDER BY n.create_time, n.id"};

// Everything GetAccountOverview knows locally, in one statement: one round trip and one snapshot
// instead of eleven statements in a read transaction (their round trips and per-statement
// executor work were most of the account service's and PostgreSQL's CPU per overview). $1 the
// account id, $2 the caller (its team membership), $3 the reporting currency, $4 how many recent
// sales, $5 the baskets' window start (epoch seconds). No row: the account is missing, deleted or
// merged away. Columns: the account (ACCORD_ACCOUNT_COLUMNS), then (from kAccountColumnCount)
// whether the caller is on its team, and JSON arrays of arrays in the column order and row order
// of the separate reads above: the tree without descendants (kInsightTree), the sales, cases,
// breaches, surveys and interactions of those accounts, the recent sales (kInsightRecentSales),
// the open needs without the account's last interaction, that last interaction (a number or
// NULL), and the baskets (kInsightBaskets). $1 is text throughout (`::text::uuid` where a uuid is
// compared) so every use deduces the same parameter type.
inline constexpr int kOverviewTeamColumn = kAccountColumnCount;
inline constexpr common::PreparedStatement kInsightOverview{
    "insights_overview",
    "WITH RECURSIVE tree (id, parent, depth) AS ("
    " SELECT a.id, NULL::uuid, 0 FROM account.accounts a WHERE a.id = $1::text::uuid"
    " UNION ALL"
    " SELECT m.id, t.id, t.depth + 1 FROM tree t JOIN account.accounts m ON m.merged_into = t.id"
    " WHERE t.depth < 32),"
    " members AS (SELECT DISTINCT ON (id) id::text AS id, COALESCE(parent::text, '') AS parent"
    " FROM tree ORDER BY id, depth),"
    " ids AS (SELECT array_agg(id) AS ids FROM members)"
    " SELECT " ACCORD_ACCOUNT_COLUMNS
    ", EXISTS (SELECT 1 FROM account.team_members t WHERE t.account_id = a.id"
    " AND t.member = $2::text AND " ACCORD_TEAM_MEMBER_ACTIVE_SQL
    "), (SELECT json_agg(json_build_array(m.id, m.parent))::text FROM members m),"
    " (SELECT coalesce(json_agg(json_build_array(s.account_id, "
    ACCORD_INSIGHTS_EPOCH("s.sale_time")
    ", s.total_micros, s.currency_code = $3::text) ORDER BY s.sale_time, s.sale), '[]')::text"
    " FROM account.insight_sales s, ids WHERE s.account_id = ANY(ids.ids)),"
    " (SELECT coalesce(json_agg(json_build_array(c.account_id, c.complaint, "
    ACCORD_INSIGHTS_EPOCH("c.open_time") ", " ACCORD_INSIGHTS_EPOCH("c.resolve_time")
    ", c.status NOT IN (6, 7)) ORDER BY c.case_name), '[]')::text"
    " FROM account.insight_cases c, ids WHERE c.account_id = ANY(ids.ids)),"
    " (SELECT coalesce(json_agg(json_build_array(b.account_id, "
    ACCORD_INSIGHTS_EPOCH("b.breach_time")
    ") ORDER BY b.event_id), '[]')::text"
    " FROM account.insight_sla_breaches b, ids WHERE b.account_id = ANY(ids.ids)),"
    " (SELECT coalesce(json_agg(json_build_array(v.account_id, "
    ACCORD_INSIGHTS_EPOCH("v.answer_time")
    ", v.csat, v.nps) ORDER BY v.survey), '[]')::text"
    " FROM account.insight_surveys v, ids WHERE v.account_id = ANY(ids.ids)),"
    " (SELECT coalesce(json_agg(json_build_array(i.account_id, i.owner, "
    ACCORD_INSIGHTS_EPOCH("i.interaction_time")
    ", i.channel IN (1, 2), i.outcome = 5) ORDER BY i.interaction), '[]')::text"
    " FROM account.insight_interactions i, ids WHERE i.account_id = ANY(ids.ids)),"
    " (SELECT coalesce(json_agg(json_build_array(r.sale, r.currency_code, r.total_micros,"
    " r.lines, r.micros) ORDER BY r.sale_time DESC, r.sale DESC), '[]')::text"
    " FROM (SELECT s.sale, s.currency_code, s.total_micros, s.sale_time, (SELECT count(*)"
    " FROM account.insight_sale_lines l WHERE l.sale = s.sale) AS lines,"
    " (extract(epoch FROM s.sale_time) * 1000000)::bigint AS micros"
    " FROM account.insight_sales s WHERE s.account_id = $1::text"
    " ORDER BY s.sale_time DESC, s.sale DESC LIMIT $4::int) r),"
    " (SELECT coalesce(json_agg(json_build_array(n.id::text, n.title, "
    ACCORD_INSIGHTS_EPOCH("n.update_time")
    ") ORDER BY n.create_time, n.id), '[]')::text FROM account.needs n"
    " WHERE n.account_id = a.id AND n.delete_time IS NULL AND n.status IN (1, 2)),"
    " (SELECT " ACCORD_INSIGHTS_EPOCH("max(i.interaction_time)")
    " FROM account.insight_interactions i WHERE i.account_id = $1::text),"
    " (SELECT coalesce(json_agg(json_build_array(k.account_id, k.sku)), '[]')::text"
    " FROM (SELECT DISTINCT s.account_id, l.sku FROM account.insight_sales s"
    " JOIN account.insight_sale_lines l ON l.sale = s.sale"
    " WHERE s.sale_time >= to_timestamp($5::bigint)) k)"
    " FROM account.accounts a WHERE a.id = $1::text::uuid AND a.delete_time IS NULL"
    " AND a.merged_into IS NULL"};

#undef ACCORD_INSIGHTS_EPOCH

// Announces a change of the overview's local parts (insights_local_cache.h) to every replica
// listening; run in the writing transaction's COMMIT round trip, so delivered only if it commits.
inline constexpr common::PreparedStatement kInsightNotify{
    "insights_notify", "SELECT pg_notify('account_overview_local', $1::text)"};

inline std::vector<common::PreparedStatement> InsightsStatements() {
  return {kInsightAccount,     kInsightTree,      kInsightSales,        kInsightCases,
          kInsightBreaches,    kInsightSurveys,   kInsightInteractions, kInsightBaskets,
          kInsightRecentSales, kInsightOpenNeeds, kInsightOverview,     kInsightNotify};
}

}  // namespace accord::account::sql
