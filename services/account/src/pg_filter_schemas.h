// How each List filter of the account service maps to SQL: the column expressions, child tables
// and indexes of the filterable fields (common::filter::Schema). Storage's knowledge, so it lives
// here; the logic compiles a request's filter against its repository's FilterSchema().
#pragma once

#include "accord/common/filter.h"

namespace accord::account {

// Over the accounts row alias `a` of PgAccountRepository's List query.
const common::filter::Schema& AccountFilterSchema();
// Over the team_members row alias `t` of PgTeamRepository's List query.
const common::filter::Schema& TeamFilterSchema();
// Over the needs row alias `n` of PgNeedRepository's List query.
const common::filter::Schema& NeedFilterSchema();
// Over the targets row alias `t` of PgInsightsRepository's target List query.
const common::filter::Schema& TargetFilterSchema();

}  // namespace accord::account
