// Following the account service's events (common::PeerEventFeed over its EventService, with the
// cursor in service_quality.peer_feeds, moved in the transaction that applies each event, so
// every event takes effect once across restarts and Redis losing its data):
// - AccountMerged: every case (and survey) of the duplicate moves to the survivor; each moved case
//   gets a timeline entry and a CaseAccountMerged event.
// - AccountDeleted: the account's cases that are not closed close (reason ACCOUNT_DELETED), each
//   with a CaseClosed event.
// - AccountCreated / AccountUpdated with lifecycle_stage CHURNED: a LOST_CUSTOMER signal, once per
//   event, and a SignalRecorded event.
// - Every one of them: the account's facts (account_facts: tier and version, merged into, deleted),
//   from which new cases learn their account without asking the account service
//   (QualityLogic::ResolveAccount). A case keeps the tier it opened with.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "accord/common/peer_events.h"
#include "accord/common/service_client.h"
#include "pg_quality_repository.h"
#include "quality_logic.h"

namespace accord::quality {

inline constexpr char kAccountFeed[] = "account-events";

// Applies one account event inside the feed's transaction.
absl::Status ApplyAccountEvent(QualityRepository& repository, common::WriteTransaction& transaction,
                               const common::v1::EventEnvelope& event, Instant now);

class AccountEventFollower {
 public:
  // `peer` is the account service's client; its service token must carry a role the account
  // service's Subscribe admits (integration).
  AccountEventFollower(common::PgPool& pool, QualityRepository& repository,
                       const common::ServiceClient& peer, Clock clock = SystemNow);
  void Start() { feed_.Start(); }
  void Stop() { feed_.Stop(); }
  const common::PeerEventFeed& feed() const { return feed_; }

 private:
  common::PeerEventFeed feed_;
};

}  // namespace accord::quality
