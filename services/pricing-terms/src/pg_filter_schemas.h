// How each List filter of the pricing-terms service maps to SQL: the column expressions of the
// filterable fields (common::filter::Schema). Storage's knowledge, so it lives here; the logic
// compiles a request's filter against its repository's FilterSchema().
#pragma once

#include "accord/common/filter.h"
#include "pricing_repository.h"

namespace accord::pricing {

// The schema of one List, over the row alias `r` of PgPricingRepository's query for it.
const common::filter::Schema& FilterSchemaOf(Listed listed);

}  // namespace accord::pricing
