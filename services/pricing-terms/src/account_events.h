// Following the account service's events (common::PeerEventFeed, feed `account-events`): each
// account's tier is kept for the pricing policy's tier limits; a merge moves the duplicate's open
// quotes and its terms not yet in force to the survivor and ends its ACTIVE terms; a deletion ends
// the account's ACTIVE terms. Each change is made, with its own event, in the transaction that
// advances the feed's cursor, so it happens exactly once.
#pragma once

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "accord/common/peer_events.h"
#include "accord/common/service_client.h"
#include "pg_pricing_repository.h"

namespace accord::pricing {

// What an account event asks of pricing: a merge or a deletion, nothing for other events. An
// event it cannot read is an error (the feed retries it rather than skip it).
absl::StatusOr<std::optional<AccountChange>> AccountChangeOf(
    const common::v1::EventEnvelope& event);

// An account's tier as an AccountCreated or AccountUpdated event carries it (strategic, key,
// standard or unspecified), with the account's version; nullopt for other events.
struct AccountTier {
  std::string account_id;
  std::string tier;
  int64_t version = 0;
};
absl::StatusOr<std::optional<AccountTier>> AccountTierOf(const common::v1::EventEnvelope& event);

class AccountEventFeed {
 public:
  // `account.service_token` is the identity Subscribe sees (it needs the integration role).
  AccountEventFeed(common::PgPool& pool, common::ServiceClientOptions account);
  ~AccountEventFeed();
  void Start();
  void Stop();
  common::PeerEventFeed& feed() { return *feed_; }

 private:
  common::ServiceClient client_;
  PgPricingRepository repository_;
  std::unique_ptr<common::PeerEventFeed> feed_;
};

}  // namespace accord::pricing
