// How each List filter of the account service maps to SQL: the column expressions, child tables
// and indexes of the filterable fields (common::filter::Schema). Storage's knowledge, so it lives
// here; the logic compiles a request's filter against its repository's FilterSchema().
#pragma once

#include <string>
#include <vector>

#include "accord/common/filter.h"

namespace accord::account {

// Accounts with a character outside ASCII in their display or legal name, over the row alias `a`:
// the predicate of the partial index accounts_non_ascii_by_display_name (migration
// 0007_list_plans_at_scale), which a statement must repeat word for word for PostgreSQL to use that
// index.
inline constexpr char kNonAsciiNameSql[] =
    "(a.display_name ~ '[^\\x01-\\x7f]' OR a.legal_name ~ '[^\\x01-\\x7f]')";

// Whether every account a compiled account filter (AccountFilterSchema) matches satisfies
// kNonAsciiNameSql: the filter is exactly one substring search on a name (`display_name:`,
// `legal_name:`) or one free-text search, and its text holds a character of a script without
// letter case (Han, kana, Hangul; see CaselessScript in the .cc), which only text holding that
// same character matches, case-insensitively or not, in any locale. Decided by compiling those
// three forms of the text and comparing them with the filter's SQL and parameters, so a filter
// of any other shape (AND, OR, NOT, another field) is never taken for one.
bool MatchesOnlyNonAsciiNames(const std::string& filter_sql,
                              const std::vector<std::string>& filter_params);

// Over the accounts row alias `a` of PgAccountRepository's List query.
const common::filter::Schema& AccountFilterSchema();
// Over the team_members row alias `t` of PgTeamRepository's List query.
const common::filter::Schema& TeamFilterSchema();
// Over the needs row alias `n` of PgNeedRepository's List query.
const common::filter::Schema& NeedFilterSchema();
// Over the targets row alias `t` of PgInsightsRepository's target List query.
const common::filter::Schema& TargetFilterSchema();

}  // namespace accord::account
