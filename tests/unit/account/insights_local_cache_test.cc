// OverviewLocalCache (insights_local_cache.h): what an announcement drops, which stores it
// refuses (a read that started before it), merged accounts, the shared baskets, expiry and
// capacity. The notices and the repository around it are tested against PostgreSQL in
// tests/integration/account/insights_local_cache_test.cc.
#include "insights_local_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace accord::account {
namespace {

std::shared_ptr<const OverviewLocalFacts> Facts(const std::string& owner,
                                                std::map<std::string, std::string> merged = {}) {
  auto facts = std::make_shared<OverviewLocalFacts>();
  facts->account.owner = owner;
  facts->facts.parent_of = std::move(merged);
  return facts;
}

std::shared_ptr<const OverviewLocalCache::Baskets> BasketsOf(const std::string& sku) {
  return std::make_shared<const OverviewLocalCache::Baskets>(
      OverviewLocalCache::Baskets{{"a", {sku}}});
}

TEST(OverviewLocalCacheTest, StoresPerAccountAndCallerAndDropsWhatIsAnnounced) {
  OverviewLocalCache cache({});
  cache.Put(cache.Begin(), "a", "alice", Facts("alice"));
  cache.Put(cache.Begin(), "a", "bob", Facts("alice"));
  cache.Put(cache.Begin(), "b", "alice", Facts("carl"));
  ASSERT_NE(cache.Get("a", "alice"), nullptr);
  EXPECT_EQ(cache.Get("a", "alice")->account.owner, "alice");
  EXPECT_NE(cache.Get("a", "bob"), nullptr);
  EXPECT_EQ(cache.Get("a", "dave"), nullptr);
  EXPECT_EQ(cache.Get("b", "alice")->account.owner, "carl");

  cache.Apply(OverviewFactNotice("a"));
  EXPECT_EQ(cache.Get("a", "alice"), nullptr);
  EXPECT_EQ(cache.Get("a", "bob"), nullptr);
  EXPECT_NE(cache.Get("b", "alice"), nullptr);  // another account stays
  EXPECT_EQ(cache.size(), 1u);
}

TEST(OverviewLocalCacheTest, RefusesAStoreReadBeforeAnAnnouncementOfAnyOfItsAccounts) {
  OverviewLocalCache cache({});
  // A read began, then its account was announced changed, then the read tries to store.
  OverviewLocalCache::Ticket before = cache.Begin();
  cache.Invalidate("a", false);
  cache.Put(before, "a", "alice", Facts("alice"));
  EXPECT_EQ(cache.Get("a", "alice"), nullptr);
  // The same for an account merged into it (its facts are part of the entry).
  before = cache.Begin();
  cache.Invalidate("dup", false);
  cache.Put(before, "a", "alice", Facts("alice", {{"dup", "a"}}));
  EXPECT_EQ(cache.Get("a", "alice"), nullptr);
  // An announcement of an unrelated account does not refuse it (unless it shares a slot, which
  // only makes the cache colder: not the case for these two keys).
  before = cache.Begin();
  cache.Invalidate("zzz-unrelated", false);
  cache.Put(before, "a", "alice", Facts("alice", {{"dup", "a"}}));
  ASSERT_NE(cache.Get("a", "alice"), nullptr);
  // Stored: an announcement of the merged account drops the survivor's entry.
  cache.Apply(OverviewFactNotice("dup"));
  EXPECT_EQ(cache.Get("a", "alice"), nullptr);
  // A read that began after the announcement stores.
  cache.Put(cache.Begin(), "a", "alice", Facts("alice"));
  EXPECT_NE(cache.Get("a", "alice"), nullptr);
}

TEST(OverviewLocalCacheTest, ASaleAnywhereDropsTheBasketsAndRefusesOlderOnes) {
  OverviewLocalCache cache({});
  cache.PutBaskets(cache.Begin(), BasketsOf("A"));
  cache.Put(cache.Begin(), "a", "alice", Facts("alice"));
  ASSERT_NE(cache.GetBaskets(), nullptr);
  // Another fact of another account leaves the baskets.
  cache.Apply(OverviewFactNotice("b"));
  ASSERT_NE(cache.GetBaskets(), nullptr);
  const OverviewLocalCache::Ticket before = cache.Begin();
  cache.Apply(OverviewSaleNotice("b"));
  EXPECT_EQ(cache.GetBaskets(), nullptr);
  EXPECT_NE(cache.Get("a", "alice"), nullptr);  // a's own parts did not change
  cache.PutBaskets(before, BasketsOf("B"));
  EXPECT_EQ(cache.GetBaskets(), nullptr);
  cache.PutBaskets(cache.Begin(), BasketsOf("C"));
  ASSERT_NE(cache.GetBaskets(), nullptr);
  EXPECT_EQ(*cache.GetBaskets()->at("a").begin(), "C");
}

TEST(OverviewLocalCacheTest, ARebuildOrAnUnknownNoticeDropsEverythingAndRefusesOlderReads) {
  OverviewLocalCache cache({});
  const OverviewLocalCache::Ticket before = cache.Begin();
  cache.Put(cache.Begin(), "a", "alice", Facts("alice"));
  cache.PutBaskets(cache.Begin(), BasketsOf("A"));
  cache.Apply(kOverviewRebuildNotice);
  EXPECT_EQ(cache.Get("a", "alice"), nullptr);
  EXPECT_EQ(cache.GetBaskets(), nullptr);
  cache.Put(before, "b", "alice", Facts("alice"));
  cache.PutBaskets(before, BasketsOf("A"));
  EXPECT_EQ(cache.Get("b", "alice"), nullptr);
  EXPECT_EQ(cache.GetBaskets(), nullptr);

  cache.Put(cache.Begin(), "a", "alice", Facts("alice"));
  cache.Apply("x something new");
  EXPECT_EQ(cache.Get("a", "alice"), nullptr);
}

TEST(OverviewLocalCacheTest, EntriesExpireAndTheLeastRecentlyUsedAccountGoesFirst) {
  OverviewLocalCache expiring({.capacity = 10, .ttl = std::chrono::milliseconds(50)});
  expiring.Put(expiring.Begin(), "a", "alice", Facts("alice"));
  expiring.PutBaskets(expiring.Begin(), BasketsOf("A"));
  ASSERT_NE(expiring.Get("a", "alice"), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(expiring.Get("a", "alice"), nullptr);
  EXPECT_EQ(expiring.GetBaskets(), nullptr);

  OverviewLocalCache small({.capacity = 2, .ttl = std::chrono::seconds(60)});
  small.Put(small.Begin(), "a", "alice", Facts("alice"));
  small.Put(small.Begin(), "b", "alice", Facts("alice"));
  ASSERT_NE(small.Get("a", "alice"), nullptr);  // a is now the most recently used
  small.Put(small.Begin(), "c", "alice", Facts("alice"));
  EXPECT_EQ(small.size(), 2u);
  EXPECT_NE(small.Get("a", "alice"), nullptr);
  EXPECT_EQ(small.Get("b", "alice"), nullptr);
  EXPECT_NE(small.Get("c", "alice"), nullptr);
}

}  // namespace
}  // namespace accord::account
