// The other services' events the contact service follows (common::PeerEventFeed, cursors in
// contact.peer_feeds, moved in the transaction that applies each event, so every event takes
// effect once across restarts and Redis losing its data):
// - the account service (feed `account-events`): AccountMerged moves the duplicate's relations to
//   the survivor (folded into the contact's own relation to the survivor when it has one);
//   AccountDeleted ends the account's relations on the event's day. Each changed relation emits
//   its AccountRelationUpdated / AccountRelationDeleted event.
// - pricing-terms (feed `sale-events`): SaleRecorded naming a contact (`contacts/{id}`) becomes a
//   purchase of that contact (of the survivor, when it was merged), which the repeat-customer
//   figures and the campaigns' revenue read. Sales naming no contact of this service are skipped.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accord/common/outbox.h"
#include "accord/common/peer_events.h"
#include "accord/common/service_client.h"
#include "accord/common/v1/money.pb.h"

namespace accord::contact {

inline constexpr char kAccountFeed[] = "account-events";
inline constexpr char kSaleFeed[] = "sale-events";

// What an account event asks of the relations; nullopt for events that ask nothing.
struct AccountChange {
  std::string account_id;
  std::string survivor_id;  // set for a merge
  std::string day;          // "YYYY-MM-DD" (UTC) of the event: a deletion ends relations then
};
absl::StatusOr<std::optional<AccountChange>> AccountChangeOf(
    const common::v1::EventEnvelope& event);

// A sale that names one of this service's contacts.
struct Purchase {
  std::string sale;        // "sales/{id}"
  std::string contact_id;  // as named by the sale (maybe a merged contact)
  std::string account_id;
  common::v1::Money total;
  int64_t sale_time_micros = 0;
};
absl::StatusOr<std::optional<Purchase>> PurchaseOf(const common::v1::EventEnvelope& event);

// Apply inside the feed's transaction; the number of relations / purchases changed.
absl::StatusOr<int> ApplyAccountChange(common::WriteTransaction& transaction,
                                       const AccountChange& change,
                                       const common::OutboxWriter& outbox,
                                       const std::string& trace_id);
absl::StatusOr<int> ApplyPurchase(common::WriteTransaction& transaction, const Purchase& purchase);

class FollowedEvents {
 public:
  // The clients' service_token is the identity Subscribe sees (the integration role). An empty
  // address leaves that feed out.
  FollowedEvents(common::PgPool& pool, common::ServiceClientOptions account,
                 common::ServiceClientOptions pricing);
  ~FollowedEvents();
  void Start();
  void Stop();

 private:
  common::ServiceClient account_client_;
  std::unique_ptr<common::ServiceClient> pricing_client_;  // none without an address
  common::OutboxWriter outbox_;
  std::unique_ptr<common::PeerEventFeed> account_feed_;
  std::unique_ptr<common::PeerEventFeed> sale_feed_;
};

}  // namespace accord::contact
