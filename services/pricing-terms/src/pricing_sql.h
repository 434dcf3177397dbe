// SQL of the pricing-terms repository, as named prepared statements (the runtime prepares them
// on every pooled connection).
#pragma once

#include <vector>

#include "accord/common/pg.h"

namespace accord::pricing::sql {

// Every statement returns, in order: id, parent id ('' for top-level resources), body, version,
// create_time and update_time in epoch microseconds.
#define ACCORD_PRICING_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"
#define ACCORD_PRICING_COLUMNS(parent)                                 \
  "r.id::text, " parent ", r.body, r.version, " ACCORD_PRICING_MICROS( \
      "r.create_time") ", " ACCORD_PRICING_MICROS("r.update_time")

#define ACCORD_LIST_COLUMNS ACCORD_PRICING_COLUMNS("''")
#define ACCORD_ITEM_COLUMNS ACCORD_PRICING_COLUMNS("r.price_list_id::text")
#define ACCORD_TERMS_COLUMNS ACCORD_PRICING_COLUMNS("r.account_id::text")

inline constexpr const char* kListColumns = ACCORD_LIST_COLUMNS;
inline constexpr const char* kItemColumns = ACCORD_ITEM_COLUMNS;
inline constexpr const char* kTermsColumns = ACCORD_TERMS_COLUMNS;

inline constexpr common::PreparedStatement kInsertList{
    "pricing_list_insert",
    "INSERT INTO pricing_terms.price_lists AS r (id, display_name, currency_code, status, "
    "base_price_list_id, author, body) VALUES ($1::uuid, $2, $3, $4, NULLIF($5, '')::uuid, $6, "
    "$7) RETURNING " ACCORD_LIST_COLUMNS};
inline constexpr common::PreparedStatement kGetList{
    "pricing_list_get",
    "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.price_lists r WHERE r.id = $1::uuid"};
inline constexpr common::PreparedStatement kLockList{
    "pricing_list_lock", "SELECT " ACCORD_LIST_COLUMNS
                         " FROM pricing_terms.price_lists r WHERE r.id = $1::uuid FOR UPDATE"};
inline constexpr common::PreparedStatement kUpdateList{
    "pricing_list_update",
    "UPDATE pricing_terms.price_lists AS r SET display_name = $2, status = $3, body = $4, "
    "version = r.version + 1, update_time = now() WHERE r.id = $1::uuid "
    "RETURNING " ACCORD_LIST_COLUMNS};
// A new version of the list for a batch of item changes.
inline constexpr common::PreparedStatement kBumpList{
    "pricing_list_bump",
    "UPDATE pricing_terms.price_lists AS r SET version = r.version + 1, update_time = now() "
    "WHERE r.id = $1::uuid RETURNING " ACCORD_LIST_COLUMNS};

inline constexpr common::PreparedStatement kGetItem{
    "pricing_item_get", "SELECT " ACCORD_ITEM_COLUMNS
                        " FROM pricing_terms.price_list_items r "
                        "WHERE r.price_list_id = $1::uuid AND r.sku = $2"};
// Upserts and records the version in the item's history; the last column tells a new row
// (xmax 0) from an updated one.
inline constexpr common::PreparedStatement kUpsertItem{
    "pricing_item_upsert",
    "WITH r AS (INSERT INTO pricing_terms.price_list_items AS i (price_list_id, sku, id, "
    "product_name, category, unit, body) VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, $7) "
    "ON CONFLICT (price_list_id, sku) DO UPDATE SET product_name = EXCLUDED.product_name, "
    "category = EXCLUDED.category, unit = EXCLUDED.unit, body = EXCLUDED.body, "
    "version = i.version + 1, update_time = now() RETURNING i.*, (i.xmax = 0) AS created), "
    "h AS (INSERT INTO pricing_terms.price_list_item_history (price_list_id, sku, version, body) "
    "SELECT price_list_id, sku, version, body FROM r) "
    "SELECT " ACCORD_ITEM_COLUMNS ", r.created FROM r"};

// Account tiers from the account service's events (account_events.h).
inline constexpr common::PreparedStatement kSetAccountTier{
    "pricing_account_tier_set",
    "INSERT INTO pricing_terms.account_tiers (account_id, tier, version) "
    "VALUES ($1::uuid, $2, $3) ON CONFLICT (account_id) DO UPDATE SET tier = EXCLUDED.tier, "
    "version = EXCLUDED.version, update_time = now() "
    "WHERE account_tiers.version < EXCLUDED.version"};
inline constexpr common::PreparedStatement kGetAccountTier{
    "pricing_account_tier_get",
    "SELECT tier FROM pricing_terms.account_tiers WHERE account_id = $1::uuid"};

// ImportPriceListItems: the rows are copied into a staging table of the transaction, then merged
// in one statement that records each changed item's version in its history; a row equal to the
// stored item is left alone. Not prepared: the staging table lives one transaction.
// The import's COPY and merge of hundreds of thousands of rows take longer than the session's
// statement timeout (5 s by default, sized for requests); this transaction alone gets 2 minutes.
inline constexpr char kImportStatementTimeout[] = "SET LOCAL statement_timeout = '120s'";
inline constexpr char kCreateImportStaging[] =
    "CREATE TEMP TABLE pricing_item_import (sku text, id uuid, product_name text, "
    "category text, unit text, body bytea) ON COMMIT DROP";
inline constexpr char kImportStaging[] = "pricing_item_import";
inline constexpr char kMergeImport[] =
    "WITH r AS (INSERT INTO pricing_terms.price_list_items AS i (price_list_id, sku, id, "
    "product_name, category, unit, body) SELECT $1::uuid, s.sku, s.id, s.product_name, s.category, "
    "s.unit, s.body FROM pg_temp.pricing_item_import s "
    "ON CONFLICT (price_list_id, sku) DO UPDATE SET product_name = EXCLUDED.product_name, "
    "category = EXCLUDED.category, unit = EXCLUDED.unit, body = EXCLUDED.body, "
    "version = i.version + 1, update_time = now() WHERE i.body IS DISTINCT FROM EXCLUDED.body "
    "RETURNING i.price_list_id, i.sku, i.version, i.body, (i.xmax = 0) AS created), "
    "h AS (INSERT INTO pricing_terms.price_list_item_history (price_list_id, sku, version, body) "
    "SELECT price_list_id, sku, version, body FROM r) "
    "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM r";

// The versions in force at an instant ($3, exclusive): what a quote for a past day reads.
inline constexpr common::PreparedStatement kItemsAsOf{
    "pricing_items_as_of",
    "SELECT DISTINCT ON (h.sku) i.id::text, h.price_list_id::text, h.body, h.version, "
    ACCORD_PRICING_MICROS("i.create_time") ", " ACCORD_PRICING_MICROS("h.valid_since")
    " FROM pricing_terms.price_list_item_history h JOIN pricing_terms.price_list_items i "
    "ON i.price_list_id = h.price_list_id AND i.sku = h.sku "
    "WHERE h.price_list_id = $1::uuid AND h.sku = ANY($2::text[]) "
    "AND h.valid_since < $3::timestamptz ORDER BY h.sku, h.version DESC"};
inline constexpr common::PreparedStatement kListAsOf{
    "pricing_list_as_of",
    "SELECT h.price_list_id::text, '', h.body, h.version, "
    ACCORD_PRICING_MICROS("l.create_time") ", " ACCORD_PRICING_MICROS("h.valid_since")
    " FROM pricing_terms.price_list_history h JOIN pricing_terms.price_lists l "
    "ON l.id = h.price_list_id WHERE h.price_list_id = $1::uuid "
    "AND h.valid_since < $2::timestamptz ORDER BY h.version DESC LIMIT 1"};
inline constexpr common::PreparedStatement kListHistory{
    "pricing_list_history",
    "INSERT INTO pricing_terms.price_list_history (price_list_id, version, body) "
    "VALUES ($1::uuid, $2, $3)"};

inline constexpr common::PreparedStatement kInsertTerms{
    "pricing_terms_insert",
    "INSERT INTO pricing_terms.trading_terms AS r (id, account_id, price_list_id, status, author, "
    "validity, body) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, "
    "daterange($6::date, NULLIF($7, '')::date, '[]'), $8) RETURNING " ACCORD_TERMS_COLUMNS};
inline constexpr common::PreparedStatement kGetTerms{
    "pricing_terms_get", "SELECT " ACCORD_TERMS_COLUMNS
                         " FROM pricing_terms.trading_terms r "
                         "WHERE r.account_id = $1::uuid AND r.id = $2::uuid"};
inline constexpr common::PreparedStatement kLockTerms{
    "pricing_terms_lock", "SELECT " ACCORD_TERMS_COLUMNS
                          " FROM pricing_terms.trading_terms r "
                          "WHERE r.account_id = $1::uuid AND r.id = $2::uuid FOR UPDATE"};
inline constexpr common::PreparedStatement kLockTermsInForce{
    "pricing_terms_lock_in_force",
    "SELECT " ACCORD_TERMS_COLUMNS
    " FROM pricing_terms.trading_terms r WHERE r.account_id = $1::uuid AND r.id <> $2::uuid "
    "AND r.status IN (3, 4, 5) ORDER BY lower(r.validity), r.id FOR UPDATE"};
inline constexpr common::PreparedStatement kUpdateTerms{
    "pricing_terms_update",
    "UPDATE pricing_terms.trading_terms AS r SET price_list_id = $3::uuid, status = $4, "
    "approver = $5, validity = daterange($6::date, NULLIF($7, '')::date, '[]'), body = $8, "
    "version = r.version + 1, update_time = now() "
    "WHERE r.account_id = $1::uuid AND r.id = $2::uuid RETURNING " ACCORD_TERMS_COLUMNS};
inline constexpr common::PreparedStatement kTermsInForce{
    "pricing_terms_in_force", "SELECT " ACCORD_TERMS_COLUMNS
                              " FROM pricing_terms.trading_terms r WHERE r.account_id = $1::uuid "
                              "AND r.status IN (3, 4, 5) AND r.validity @> $2::date"};

inline constexpr common::PreparedStatement kGetPolicy{
    "pricing_policy_get", "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.pricing_policy r"};
inline constexpr common::PreparedStatement kSharePolicy{
    "pricing_policy_share",
    "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.pricing_policy r FOR SHARE"};
inline constexpr common::PreparedStatement kLockPolicy{
    "pricing_policy_lock",
    "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.pricing_policy r FOR UPDATE"};
inline constexpr common::PreparedStatement kUpdatePolicy{
    "pricing_policy_update",
    "UPDATE pricing_terms.pricing_policy AS r SET body = $1, version = r.version + 1, "
    "update_time = now() RETURNING " ACCORD_LIST_COLUMNS};

// Account events (account_events.h): the account's terms and quotes that a merge or a deletion
// changes, locked.
inline constexpr common::PreparedStatement kLockAccountTerms{
    "pricing_account_terms_lock",
    "SELECT " ACCORD_TERMS_COLUMNS
    " FROM pricing_terms.trading_terms r "
    "WHERE r.account_id = $1::uuid AND r.status = ANY($2::smallint[]) ORDER BY r.id FOR UPDATE"};
inline constexpr common::PreparedStatement kMoveTerms{
    "pricing_terms_move",
    "UPDATE pricing_terms.trading_terms AS r SET account_id = $3::uuid, body = $4, "
    "version = r.version + 1, update_time = now() "
    "WHERE r.account_id = $1::uuid AND r.id = $2::uuid RETURNING " ACCORD_TERMS_COLUMNS};
inline constexpr common::PreparedStatement kLockAccountQuotes{
    "pricing_account_quotes_lock",
    "SELECT " ACCORD_LIST_COLUMNS
    " FROM pricing_terms.quotes r "
    "WHERE r.account_id = $1::uuid AND r.status IN (1, 2) ORDER BY r.id FOR UPDATE"};
inline constexpr common::PreparedStatement kMoveQuote{
    "pricing_quote_move",
    "UPDATE pricing_terms.quotes AS r SET account_id = $2::uuid, body = $3, "
    "version = r.version + 1, update_time = now() WHERE r.id = $1::uuid "
    "RETURNING " ACCORD_LIST_COLUMNS};

inline constexpr common::PreparedStatement kInsertQuote{
    "pricing_quote_insert",
    "INSERT INTO pricing_terms.quotes AS r (id, account_id, status, author, body) "
    "VALUES ($1::uuid, $2::uuid, $3, $4, $5) RETURNING " ACCORD_LIST_COLUMNS};
inline constexpr common::PreparedStatement kGetQuote{
    "pricing_quote_get",
    "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.quotes r WHERE r.id = $1::uuid"};
inline constexpr common::PreparedStatement kLockQuote{
    "pricing_quote_lock",
    "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.quotes r WHERE r.id = $1::uuid FOR UPDATE"};
inline constexpr common::PreparedStatement kUpdateQuote{
    "pricing_quote_update",
    "UPDATE pricing_terms.quotes AS r SET status = $2, body = $3, version = r.version + 1, "
    "update_time = now() WHERE r.id = $1::uuid RETURNING " ACCORD_LIST_COLUMNS};

inline constexpr common::PreparedStatement kInsertSale{
    "pricing_sale_insert",
    "INSERT INTO pricing_terms.sales AS r (id, account_id, quote_id, agent, payment_method, body, "
    "currency_code, total_units, total_nanos) "
    "VALUES ($1::uuid, $2::uuid, NULLIF($3, '')::uuid, $4, $5, $6, $7, $8, $9) "
    "RETURNING " ACCORD_LIST_COLUMNS};
// One period's sales of an account in a currency: count, exact total in nanos (as text), and the
// count of those left out (another currency, or no total recorded).
inline constexpr common::PreparedStatement kSalesTotals{
    "pricing_sales_totals",
    "SELECT count(*) FILTER (WHERE currency_code = $4), "
    "COALESCE(sum(total_units::numeric * 1000000000 + total_nanos) "
    "FILTER (WHERE currency_code = $4), 0)::text, "
    "count(*) FILTER (WHERE currency_code IS DISTINCT FROM $4) FROM pricing_terms.sales "
    "WHERE account_id = $1::uuid AND create_time >= ($2::date)::timestamp AT TIME ZONE 'UTC' "
    "AND create_time < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'"};
inline constexpr common::PreparedStatement kGetSale{
    "pricing_sale_get",
    "SELECT " ACCORD_LIST_COLUMNS " FROM pricing_terms.sales r WHERE r.id = $1::uuid"};
inline constexpr common::PreparedStatement kSaleOfQuote{
    "pricing_sale_of_quote",
    "SELECT r.id::text FROM pricing_terms.sales r WHERE r.quote_id = $1::uuid"};

inline std::vector<common::PreparedStatement> AllStatements() {
  return {kInsertList,        kGetList,      kLockList,       kUpdateList,       kBumpList,
          kGetItem,           kUpsertItem,   kInsertTerms,    kGetTerms,         kLockTerms,
          kLockTermsInForce,  kUpdateTerms,  kTermsInForce,   kInsertQuote,      kGetQuote,
          kLockQuote,         kUpdateQuote,  kInsertSale,     kGetSale,          kSaleOfQuote,
          kItemsAsOf,         kListAsOf,     kListHistory,    kGetPolicy,        kSharePolicy,
          kLockPolicy,        kUpdatePolicy, kSalesTotals,    kLockAccountTerms, kMoveTerms,
          kLockAccountQuotes, kMoveQuote,    kSetAccountTier, kGetAccountTier};
}

}  // namespace accord::pricing::sql
