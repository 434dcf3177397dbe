// The account service following the other services' events for its insights: one
// common::PeerEventFeed per peer (contact interactions, pricing-terms sales, service-quality
// cases and surveys), each applying insights_projection.h in the transaction that moves its
// cursor. Rebuild forgets every learned fact and starts the feeds over from the oldest event
// each peer retains.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "accord/common/peer_events.h"
#include "accord/common/pg.h"
#include "accord/common/service_client.h"
#include "insights_settings.h"

namespace accord::account {

class InsightsFeeds {
 public:
  InsightsFeeds(common::PgPool& pool, const InsightsSettings& settings);
  ~InsightsFeeds();

  void Start();
  void Stop();
  // Stops the feeds, empties the fact tables and resets every feed's cursor in one transaction,
  // and starts them again; returns the feeds' peers.
  absl::StatusOr<std::vector<std::string>> Rebuild();
  // Events applied since start, over all feeds (for tests and the rebuild's progress).
  int64_t applied_total() const;

  // The feeds' names in account.peer_feeds.
  static std::vector<std::string> FeedNames();

 private:
  struct Feed {
    std::unique_ptr<common::ServiceClient> client;
    std::unique_ptr<common::PeerEventFeed> feed;
    std::string name;
  };
  common::PgPool& pool_;
  std::vector<Feed> feeds_;
  std::mutex mutex_;  // one rebuild at a time
  bool started_ = false;
};

}  // namespace accord::account
