// AIP-160-style list filters, compiled to a parameterised Postgres WHERE fragment.
//
// Grammar (keywords are upper-case; whitespace is free between tokens):
//   expr       := and_expr { "OR" and_expr }        -- AND binds tighter than OR
//   and_expr   := term { "AND" term }               -- no implicit AND: join terms explicitly
//   term       := [ "NOT" | "-" ] factor
//   factor     := "(" expr ")" | comparison | text
//   comparison := field op value
//   op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//   field      := name { "." name }                 -- e.g. lifecycle_stage, external_ids.erp
//   value      := "quoted string" (escapes \" and \\) | bare word [A-Za-z0-9_.:@+-]+
//   text       := a lone value with no operator: free-text search, where the schema allows it
//
// Values by field type: strings and enums as words or quoted strings (enum names are
// case-insensitive, short "ACTIVE" or long "LIFECYCLE_STAGE_ACTIVE"), integers, true/false,
// and RFC 3339 timestamps such as 2024-05-01T00:00:00Z (quoted or bare).
// ":" means "has": a substring match (case-insensitive) on a string, membership in a string
// list (labels:vip), presence of a key in a map (external_ids:erp). A comparison on a missing
// (NULL) value is false, so `x != v` and `NOT x = v` both match rows where x is missing.
//
// Limits: 2000 bytes, parentheses nested at most 16 deep, at most 50 comparisons, and a cost of
// at most 100: a comparison that an index answers (FieldSpec::indexed, with =, or membership and
// has-key on list and map fields) costs 1, any other comparison 4 (a substring match or free-text
// search scans every row), and each OR 1 more (ORs keep Postgres from narrowing by one index).
// Every problem is INVALID_ARGUMENT on the field "filter", naming the offending offset; a filter
// over the cost has reason FILTER_TOO_COMPLEX and names the cost and the limit.
//
// Safety: client values only ever travel as bind parameters; SQL text comes from the trusted
// Schema (column expressions) and from this file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::common::filter {

inline constexpr size_t kMaxFilterLength = 2000;
inline constexpr int kMaxDepth = 16;
inline constexpr int kMaxComparisons = 50;
inline constexpr int kMaxFilterCost = 100;
inline constexpr int kIndexedComparisonCost = 1;
inline constexpr int kScanComparisonCost = 4;
inline constexpr int kOrCost = 1;

enum class FieldType {
  kString,       // = and != (exact), : (case-insensitive substring)
  kEnum,         // = and !=, value looked up in FieldSpec::enum_values
  kInt,          // = != < <= > >=, bound as $N::bigint
  kBool,         // = and !=, true/false, bound as $N::boolean
  kTimestamp,    // = != < <= > >=, RFC 3339, bound as $N::timestamptz
  kStringArray,  // text[] column: only `field:value` (membership, exact)
  kStringMap,    // jsonb object: `field.key = v`, `field.key != v`, `field:key` (has key)
};

struct FieldSpec {
  std::string name;    // as clients write it, e.g. "lifecycle_stage"
  std::string column;  // trusted SQL expression, e.g. "a.lifecycle_stage"
  FieldType type = FieldType::kString;
  // kEnum only: accepted name -> stored value, matched case-insensitively, e.g.
  // {"ACTIVE", "2"}, {"LIFECYCLE_STAGE_ACTIVE", "2"}. The stored value is bound uncast, so
  // Postgres infers its type from the column.
  std::map<std::string, std::string> enum_values;
  // Operators the field accepts, e.g. {"=", ":"}; empty = every operator its type supports.
  std::vector<std::string> allowed_ops;
  // Whether an index answers `=` on the column (or membership / has-key for list and map fields),
  // which makes such a comparison cheap in the filter's cost.
  bool indexed = false;
  // kStringArray and kStringMap fields kept in a child table: a comparison becomes a semi-join,
  // `parent_key IN (SELECT child_key FROM from WHERE ...)`, which Postgres answers from the child
  // table's index instead of building the list or map for every row; the comparisons of one OR on
  // the same field share one subquery (docs/filter-plans.md). `column` is then unused. All of it
  // is trusted SQL.
  struct ChildTable {
    std::string parent_key;    // e.g. "a.id"
    std::string from;          // e.g. "account.external_ids e"
    std::string child_key;     // e.g. "e.account_id"
    std::string key_column;    // kStringMap: the key, e.g. "e.system"
    std::string value_column;  // the value, e.g. "e.external_id"
    std::string condition;     // more conditions on the child row, or ""
  };
  std::optional<ChildTable> child;
  // kString only: an index answers `:` (case-insensitive substring). A pg_trgm GIN index on the
  // column serves values of three characters or more through ILIKE itself; pg_trgm finds no
  // trigram in a shorter value, so a two-character value (a short CJK name such as 鴻海) is
  // matched through `bigrams`, the schema's function (e.g. "account.bigrams") whose GIN
  // expression index holds every pair of adjacent characters of the lower-cased column:
  // `bigrams(column) @> bigrams(value)`, rechecked with ILIKE. A one-character value scans.
  struct SubstringIndex {
    std::string bigrams;  // trusted SQL: a function name; empty: trigrams only
  };
  std::optional<SubstringIndex> substring_index;
};

struct Schema {
  std::vector<FieldSpec> fields;
  // Trusted SQL for free-text search; every "{}" becomes the same $N placeholder, bound to a
  // LIKE pattern "%text%" with %, _ and \ escaped by a backslash (Postgres's default LIKE
  // escape), e.g. "a.display_name ILIKE {} OR a.legal_name ILIKE {}". Empty: no free text.
  std::string text_search_sql;
  // Or: the kString fields free text searches, as if each were compared with `:` and the
  // comparisons OR-ed (so their substring indexes serve it). Takes precedence over
  // text_search_sql.
  std::vector<std::string> text_search_fields;
};

struct SqlFilter {
  // "" for an empty filter; otherwise a parenthesised boolean expression using placeholders
  // $first_param_index .. $(first_param_index + params.size() - 1), safe to AND with more SQL.
  std::string where;
  // Values for the placeholders, in order, bound as text (the SQL casts where needed).
  std::vector<std::string> params;
  // The filter matches a two-character value through the schema's pair index (see
  // FieldSpec::SubstringIndex). PostgreSQL has no statistics for that clause and takes it for a
  // rare one, so a List may rather walk its ordering index for a page before gathering every match
  // (the account repository's List). Longer values are estimated from the column's statistics.
  bool matches_pairs = false;
  // The filter tests membership in a list kept in the row (`labels:vip`: FieldType::kStringArray
  // without a child table), which the list's GIN index answers. PostgreSQL knows the shares of the
  // list's most common elements only and takes any other for one fixed share (half the least
  // common's), however rare it is, so a List walks for a page first here too.
  bool matches_elements = false;
};

// Parses `filter` and compiles it against `schema`. `first_param_index` is the number of the
// first placeholder to use, for callers that already bind $1..$k themselves.
absl::StatusOr<SqlFilter> Compile(std::string_view filter, const Schema& schema,
                                  int first_param_index = 1);

// `value` as a quoted string of this language ("a \"b\"" for a "b"), for a filter one service
// writes into a request to another.
std::string Quoted(std::string_view value);

}  // namespace accord::common::filter
