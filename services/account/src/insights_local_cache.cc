#include "insights_local_cache.h"

#include <pqxx/pqxx>

namespace accord::account {
namespace {

common::Counter& Outcome(const std::string& result) {
  return common::MetricsRegistry::Global().GetCounter(
      "accord_overview_local_cache_total",
      "GetAccountOverview's local parts: from memory (hit), read and kept (miss), or read while "
      "their writers' announcements were not followed (unfollowed)",
      {{"result", result}});
}

}  // namespace

std::string OverviewSaleNotice(const std::string& account_id) { return "s " + account_id; }
std::string OverviewFactNotice(const std::string& account_id) { return "f " + account_id; }

OverviewLocalCache::OverviewLocalCache(Options options) : options_(options) {}

OverviewLocalCache::Ticket OverviewLocalCache::Begin() {
  std::lock_guard lock(mutex_);
  return {epoch_, seq_};
}

size_t OverviewLocalCache::Slot(const std::string& account_id) const {
  return std::hash<std::string>{}(account_id) % kSlots;
}

std::shared_ptr<const OverviewLocalFacts> OverviewLocalCache::Get(const std::string& account_id,
                                                                  const std::string& caller) {
  std::lock_guard lock(mutex_);
  auto account = accounts_.find(account_id);
  if (account == accounts_.end()) return nullptr;
  auto entry = account->second.by_caller.find(caller);
  if (entry == account->second.by_caller.end()) return nullptr;
  if (Clock::now() >= entry->second.expires_at) {
    account->second.by_caller.erase(entry);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, account->second.lru);
  return entry->second.facts;
}

std::shared_ptr<const OverviewLocalCache::Baskets> OverviewLocalCache::GetBaskets() {
  std::lock_guard lock(mutex_);
  if (baskets_ && Clock::now() >= baskets_expire_at_) baskets_.reset();
  return baskets_;
}

void OverviewLocalCache::Put(const Ticket& ticket, const std::string& account_id,
                             const std::string& caller,
                             std::shared_ptr<const OverviewLocalFacts> facts) {
  std::vector<std::string> members = {account_id};
  for (const auto& [member, parent] : facts->facts.parent_of) members.push_back(member);
  std::lock_guard lock(mutex_);
  if (ticket.epoch != epoch_) return;
  for (const auto& member : members) {
    if (announced_[Slot(member)] > ticket.seq) return;
  }
  auto [it, inserted] = accounts_.try_emplace(account_id);
  Account& account = it->second;
  if (inserted) {
    lru_.push_front(account_id);
    account.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, account.lru);
  }
  // The members cannot differ between callers of one account read under the same announcements;
  // kept as last read.
  for (const auto& member : account.members) holders_[member].erase(account_id);
  account.members = members;
  for (const auto& member : members) holders_[member].insert(account_id);
  if (account.by_caller.size() >= kMaxCallers && !account.by_caller.count(caller)) {
    account.by_caller.clear();
  }
  account.by_caller[caller] = Entry{std::move(facts), Clock::now() + options_.ttl};
  while (accounts_.size() > options_.capacity) EraseLocked(lru_.back());
}

void OverviewLocalCache::PutBaskets(const Ticket& ticket, std::shared_ptr<const Baskets> baskets) {
  std::lock_guard lock(mutex_);
  if (ticket.epoch != epoch_ || sales_announced_ > ticket.seq) return;
  baskets_ = std::move(baskets);
  baskets_expire_at_ = Clock::now() + options_.ttl;
}

void OverviewLocalCache::EraseLocked(const std::string& account_id) {
  auto it = accounts_.find(account_id);
  if (it == accounts_.end()) return;
  for (const auto& member : it->second.members) {
    auto holders = holders_.find(member);
    if (holders == holders_.end()) continue;
    holders->second.erase(account_id);
    if (holders->second.empty()) holders_.erase(holders);
  }
  lru_.erase(it->second.lru);
  accounts_.erase(it);
}

void OverviewLocalCache::Invalidate(const std::string& account_id, bool sale) {
  std::lock_guard lock(mutex_);
  ++seq_;
  announced_[Slot(account_id)] = seq_;
  if (sale) {
    sales_announced_ = seq_;
    baskets_.reset();
  }
  auto holders = holders_.find(account_id);
  if (holders == holders_.end()) return;
  const std::vector<std::string> stale(holders->second.begin(), holders->second.end());
  for (const auto& holder : stale) EraseLocked(holder);
}

void OverviewLocalCache::Apply(const std::string& notice) {
  if (notice.size() > 2 && notice[1] == ' ' && (notice[0] == 's' || notice[0] == 'f')) {
    Invalidate(notice.substr(2), notice[0] == 's');
    return;
  }
  // A rebuild, or a notice this version does not know: drop everything rather than guess.
  InvalidateAll();
}

void OverviewLocalCache::InvalidateAll() {
  std::lock_guard lock(mutex_);
  ++epoch_;
  accounts_.clear();
  lru_.clear();
  holders_.clear();
  baskets_.reset();
}

size_t OverviewLocalCache::size() {
  std::lock_guard lock(mutex_);
  return accounts_.size();
}

common::PgNoticeListener::Options OverviewLocalNotices(std::string pg_url,
                                                       OverviewLocalCache& cache) {
  return {.pg_url = std::move(pg_url),
          .channel = kOverviewLocalChannel,
          .application_name = "accord-overview-notices",
          .thread_name = "overview-notices",
          .on_listening = [&cache](pqxx::nontransaction&, int64_t) { cache.InvalidateAll(); },
          .on_notice = [&cache](const std::string& payload) { cache.Apply(payload); },
          .on_probe = nullptr};
}

CachingInsightsRepository::CachingInsightsRepository(common::PgPool& pool,
                                                     OverviewLocalCache& cache,
                                                     std::function<bool()> fresh)
    : PgInsightsRepository(pool),
      cache_(cache),
      fresh_(std::move(fresh)),
      hits_(Outcome("hit")),
      misses_(Outcome("miss")),
      unfollowed_(Outcome("unfollowed")) {}

absl::StatusOr<OverviewLocalFacts> CachingInsightsRepository::LoadOverview(
    const std::string& account_id, const std::string& caller, const std::string& currency,
    int recent_sales, int64_t baskets_since) {
  if (!fresh_()) {
    unfollowed_.Increment();
    return PgInsightsRepository::LoadOverview(account_id, caller, currency, recent_sales,
                                              baskets_since);
  }
  // What the entry depends on besides the account: the caller (team membership), the currency
  // and how many recent sales (both fixed per process, but part of what was read).
  const std::string key = caller + "\n" + currency + "\n" + std::to_string(recent_sales);
  const OverviewLocalCache::Ticket ticket = cache_.Begin();
  std::shared_ptr<const OverviewLocalFacts> cached = cache_.Get(account_id, key);
  std::shared_ptr<const OverviewLocalCache::Baskets> baskets = cache_.GetBaskets();
  if (cached && baskets) {
    hits_.Increment();
    OverviewLocalFacts out = *cached;
    out.baskets = std::move(baskets);
    return out;
  }
  misses_.Increment();
  if (cached) {
    // A sale somewhere since: only the baskets are read again.
    ACCORD_ASSIGN_OR_RETURN(OverviewLocalCache::Baskets read, Baskets(baskets_since));
    auto shared = std::make_shared<const OverviewLocalCache::Baskets>(std::move(read));
    cache_.PutBaskets(ticket, shared);
    OverviewLocalFacts out = *cached;
    out.baskets = std::move(shared);
    return out;
  }
  ACCORD_ASSIGN_OR_RETURN(OverviewLocalFacts read,
                          PgInsightsRepository::LoadOverview(account_id, caller, currency,
                                                             recent_sales, baskets_since));
  cache_.PutBaskets(ticket, read.baskets);
  auto stored = std::make_shared<OverviewLocalFacts>(read);
  stored->baskets.reset();
  cache_.Put(ticket, account_id, key, std::move(stored));
  return read;
}

}  // namespace accord::account
