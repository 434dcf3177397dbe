// How each List filter of service-quality maps to SQL: the column expressions and indexes of the
// filterable fields (common::filter::Schema) over the row aliases of PgQualityRepository's List
// queries. Storage's knowledge, so it lives here; the logic compiles a request's filter against
// its repository's FilterSchema(listing).
#pragma once

#include "accord/common/filter.h"
#include "quality_repository.h"

namespace accord::quality {

const common::filter::Schema& QualityFilterSchema(Listing listing);

}  // namespace accord::quality
