// How each List filter of the contact service maps to SQL: the column expressions, child tables
// and indexes of the filterable fields (common::filter::Schema). Storage's knowledge, so it lives
// here; the logic compiles a request's filter against its repository's schema.
#pragma once

#include "accord/common/filter.h"

namespace accord::contact {

// Over the contacts row alias `c` of PgContactRepository's List query.
const common::filter::Schema& ContactFilterSchema();
// Over the account_relations row alias `r` of PgRelationRepository's List query.
const common::filter::Schema& RelationFilterSchema();
// Over the interactions row alias `t` of PgEngagementRepository's ListInteractions.
const common::filter::Schema& InteractionFilterSchema();
// Over the follow_ups row alias `t` of PgEngagementRepository's ListFollowUps.
const common::filter::Schema& FollowUpFilterSchema();
// Over the appointments row alias `t` of PgAppointmentRepository's List query.
const common::filter::Schema& AppointmentFilterSchema();
// Over the campaigns row alias `t` of PgCampaignRepository's List query.
const common::filter::Schema& CampaignFilterSchema();

}  // namespace accord::contact
