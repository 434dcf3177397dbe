// How account insights learn from the other services: each event a peer feed delivers becomes
// (or updates) one fact row, inside the feed's transaction (common::PeerEventFeed), so it counts
// exactly once. Rows hold the latest state of the peer's resource, and an older version never
// replaces a newer one, so applying an event again, or replaying every retained event after a
// rebuild, leaves the same rows.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "accord/common/pg.h"
#include "accord/common/v1/event.pb.h"

namespace accord::account {

// The fact tables, emptied by a rebuild.
const std::vector<std::string>& InsightFactTables();

// Applies one event of contact, pricing-terms or service-quality. Event types insights do not
// use, and payloads that are not what the type says (logged), change nothing; database errors
// are returned, so the feed retries the event.
absl::Status ApplyInsightEvent(common::WriteTransaction& transaction,
                               const common::v1::EventEnvelope& event);

}  // namespace accord::account
