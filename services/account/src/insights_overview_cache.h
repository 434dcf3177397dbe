// The overview's peer parts kept in Redis between calls, so that GetAccountOverview asks a peer
// only when what it answered last may have changed (README "Account insights", "The overview's
// cache").
//
// Each part (key contacts, open cases, active terms) is stored per account and per caller
// (subject, roles, territories: what the peer's rules look at), with the generation it was read
// under. A generation is a random token per account and part, and one per part for all accounts;
// an event of the part's peer replaces the account's token (or, when the event cannot name one
// account, the all-accounts token), so whatever was stored before no longer matches. A reader
// takes the tokens before it asks the peer and stores the answer under them: an answer read
// before a change whose event was applied meanwhile is stored under tokens that are already
// gone. Tokens are random, never counters, so a Redis that lost its data cannot hand out a token
// an old entry still carries.
//
// Trust: a part is served from the cache only while the account service follows that peer's
// events (its feed connected) and the last invalidation succeeded; otherwise the peer is asked,
// as without a cache, so a peer that is down still leaves its part missing. Key contacts with
// personal data are never stored: contact logs every response that carries them (its access
// log), so only a masked answer is kept.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "accord/common/auth.h"
#include "accord/common/peer_events.h"
#include "accord/common/pg.h"
#include "accord/common/redis.h"
#include "accord/common/service_client.h"
#include "accord/common/v1/event.pb.h"
#include "insights_settings.h"

namespace accord::account {

enum class OverviewPart { kKeyContacts = 0, kOpenCases = 1, kActiveTerms = 2 };
inline constexpr size_t kOverviewParts = 3;

// "key_contacts", "open_cases", "active_terms" (as MissingPart.part names them).
const char* OverviewPartName(OverviewPart part);

// What an event of a peer makes stale: one account's part, or the part for every account (an
// event that names no account, or that moved its resource from one account to another and names
// only the new one). Pure: unit-tested.
struct OverviewStale {
  OverviewPart part;
  std::string account_id;  // empty: every account
};
// nullopt for an event that changes no overview part (another peer's, or one the part does not
// show).
std::optional<OverviewStale> StaleOverviewPart(const common::v1::EventEnvelope& event);

// The caller as the cache keys it: what the peers' rules read of a principal.
std::string OverviewCallerKey(const common::Principal& principal);

class OverviewCache {
 public:
  OverviewCache(common::RedisClient& redis, std::chrono::seconds ttl);

  // One round trip: the tokens of every part and what is stored for `caller` under them.
  struct Lookup {
    // The tokens to store a peer's answer under; empty when Redis could not be read (then
    // nothing is stored).
    std::array<std::string, kOverviewParts> generation;
    // A part's stored bytes (an AccountOverview holding only that part) when still current.
    std::array<std::optional<std::string>, kOverviewParts> bytes;
  };
  Lookup Get(const std::string& account_id, const std::string& caller);
  // Stores parts read under `lookup`'s tokens, each for its ttl (capped by the cache's); in one
  // round trip. Failures only make the cache colder.
  struct Entry {
    OverviewPart part;
    std::string bytes;
    std::chrono::seconds ttl;
  };
  void Put(const std::string& account_id, const std::string& caller, const Lookup& lookup,
           const std::vector<Entry>& entries);
  // Replaces the account's token for `part` (every account's when account_id is empty).
  absl::Status Invalidate(const OverviewStale& stale);

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  common::RedisClient& redis_;
  std::chrono::seconds ttl_;
};

// The account service following contact's, pricing-terms' and service-quality's events for the
// overview's cache: one common::PeerEventFeed per peer (feeds `overview-*` in
// account.peer_feeds), whose handler replaces the tokens of what each event makes stale. A
// failed invalidation fails the event, so the feed retries it, and the part is not served from
// the cache until an invalidation succeeds again.
class OverviewFeeds {
 public:
  OverviewFeeds(common::PgPool& pool, const InsightsSettings& settings, OverviewCache& cache);
  ~OverviewFeeds();

  void Start();
  void Stop();
  // Whether `part` may be served from the cache now. A part whose feed was seen disconnected has
  // every account's token replaced once it is connected again, before it is trusted: what
  // changed while it was away is replayed by the feed, but not before the first read.
  bool Trusted(OverviewPart part);
  int64_t applied_total() const;

 private:
  struct Feed {
    std::unique_ptr<common::ServiceClient> client;
    std::unique_ptr<common::PeerEventFeed> feed;
    OverviewPart part;
    std::atomic<bool> invalidation_failed{false};
    // Disconnections seen by readers, and the count the last all-accounts invalidation covered:
    // nothing is trusted before the first connection.
    std::atomic<int64_t> disconnects{1};
    std::atomic<int64_t> covered{0};
  };
  Feed& FeedOf(OverviewPart part);

  OverviewCache& cache_;
  std::vector<std::unique_ptr<Feed>> feeds_;
};

}  // namespace accord::account
