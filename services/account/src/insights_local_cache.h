// GetAccountOverview's local parts (the account, its facts, recent sales and open needs, and every
// account's baskets) kept in each replica's memory between calls, so that an overview of an
// account read before costs PostgreSQL nothing (docs/performance.md, "the overview's local parts
// kept in memory"). No round trip checks an entry: every writer of what the parts show announces
// it, and each replica drops what it holds as the announcements arrive.
//
// - The insights' facts are written only by the projection (and emptied by a rebuild): its
//   transaction notifies the channel `account_overview_local` ("s ID" for a sale, which also
//   changes every account's baskets, "f ID" for another fact, "*" for a rebuild). PostgreSQL
//   delivers a notice when, and only if, the transaction commits, to every replica listening.
// - The account, its team (the caller's membership) and its needs are the account service's own
//   writes, whose events every replica's StreamTail sees (as the warm account cache's level 1 is
//   kept): an event whose subject is under `accounts/ID` drops that account. A merge names the
//   survivor (updated) and the duplicate; an entry also drops when an account merged into it does.
//
// Races: a reader takes a Ticket before it reads PostgreSQL, and its Put is refused when an
// announcement for one of the entry's accounts (or a rebuild, or a lost listening connection)
// arrived since; an announcement arrives after its commit, so either it refuses the Put or it
// drops the stored entry. The cache is used only while both sources are followed (the listening
// connection up and probed within a second, the StreamTail healthy); after the connection was
// lost, everything is dropped before it is used again. Entries also expire after a TTL (default
// 10 s), which bounds what depends on the clock rather than on writes: team memberships starting
// or ending with the date, and the baskets' two-year window moving on.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "accord/common/metrics.h"
#include "accord/common/pg_notices.h"
#include "insights_repository.h"
#include "pg_insights_repository.h"

namespace accord::account {

// The channel the projection notifies (insights_sql.h kInsightNotify) and its payloads.
inline constexpr char kOverviewLocalChannel[] = "account_overview_local";
std::string OverviewSaleNotice(const std::string& account_id);
std::string OverviewFactNotice(const std::string& account_id);
inline constexpr char kOverviewRebuildNotice[] = "*";

class OverviewLocalCache {
 public:
  using Baskets = std::map<std::string, std::set<std::string>>;
  struct Options {
    size_t capacity = 10000;  // accounts
    std::chrono::milliseconds ttl{10000};
  };
  explicit OverviewLocalCache(Options options);

  struct Ticket {
    uint64_t epoch = 0;
    uint64_t seq = 0;
  };
  // Taken before reading PostgreSQL, for Put and PutBaskets.
  Ticket Begin();
  // The account's local facts as read for `caller` (baskets null), or null on a miss.
  std::shared_ptr<const OverviewLocalFacts> Get(const std::string& account_id,
                                                const std::string& caller);
  std::shared_ptr<const Baskets> GetBaskets();
  // Refused when anything the entry shows was announced changed since `ticket`.
  void Put(const Ticket& ticket, const std::string& account_id, const std::string& caller,
           std::shared_ptr<const OverviewLocalFacts> facts);
  void PutBaskets(const Ticket& ticket, std::shared_ptr<const Baskets> baskets);

  // An announcement: the account (and every entry it is merged into) changed; with `sale`, every
  // account's baskets too.
  void Invalidate(const std::string& account_id, bool sale);
  // A notice payload (OverviewSaleNotice, OverviewFactNotice, kOverviewRebuildNotice).
  void Apply(const std::string& notice);
  // Everything (a rebuild, or announcements that may have been missed).
  void InvalidateAll();

  size_t size();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::shared_ptr<const OverviewLocalFacts> facts;
    Clock::time_point expires_at;
  };
  struct Account {
    std::unordered_map<std::string, Entry> by_caller;
    std::vector<std::string> members;  // the account and those merged into it
    std::list<std::string>::iterator lru;
  };
  static constexpr size_t kSlots = 4096;
  static constexpr size_t kMaxCallers = 64;
  size_t Slot(const std::string& account_id) const;
  void EraseLocked(const std::string& account_id);

  const Options options_;
  std::mutex mutex_;
  uint64_t epoch_ = 1;
  uint64_t seq_ = 0;
  // The seq of the last announcement of an account hashed here: a Put whose ticket is older is
  // refused (a collision only refuses more).
  std::array<uint64_t, kSlots> announced_{};
  uint64_t sales_announced_ = 0;
  std::unordered_map<std::string, Account> accounts_;
  std::list<std::string> lru_;  // most recently stored first
  // Member account -> the cached accounts whose entry includes it.
  std::unordered_map<std::string, std::unordered_set<std::string>> holders_;
  std::shared_ptr<const Baskets> baskets_;
  Clock::time_point baskets_expire_at_;
};

// What follows kOverviewLocalChannel on a connection of its own and applies each notice to the
// cache, emptying it whenever the connection is (re)established (a notice may have been missed
// while it was down). Its fresh() is the cache's to use.
common::PgNoticeListener::Options OverviewLocalNotices(std::string pg_url,
                                                       OverviewLocalCache& cache);

// The insights' storage, whose LoadOverview answers from the cache while `fresh()` holds and
// fills it otherwise; every other read and write is PgInsightsRepository's.
class CachingInsightsRepository final : public PgInsightsRepository {
 public:
  CachingInsightsRepository(common::PgPool& pool, OverviewLocalCache& cache,
                            std::function<bool()> fresh);

  absl::StatusOr<OverviewLocalFacts> LoadOverview(const std::string& account_id,
                                                  const std::string& caller,
                                                  const std::string& currency, int recent_sales,
                                                  int64_t baskets_since) override;

 private:
  OverviewLocalCache& cache_;
  std::function<bool()> fresh_;
  // accord_overview_local_cache_total by result: hit, miss (read and stored), unfollowed (read,
  // not stored: the announcements were not followed).
  common::Counter& hits_;
  common::Counter& misses_;
  common::Counter& unfollowed_;
};

}  // namespace accord::account
