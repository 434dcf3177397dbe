// A two-level read-through cache for resources that carry a version (their etag).
//
// Level 1: a bounded in-process LRU (per replica). Level 2: Redis, shared by replicas. Level 3 is
// the caller's Postgres read. Every entry carries the resource version, and both levels only
// accept a write that is newer than what they hold, so a slow reader can never put an older
// version over a newer one (the cache-aside race). Invalidate(key, version) leaves a tombstone at
// that version, so a stale read that finishes after the invalidation is refused as well.
// Invalidation rides the event fan-out: StreamTail listeners call Invalidate on every replica.
//
// When Redis is down or slow, level 2 is skipped (the circuit breaker makes that cost
// microseconds); level 1 is served only while `fresh_source()` says invalidations are arriving
// (the StreamTail is healthy), else the caller reads Postgres.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "accord/common/metrics.h"
#include "accord/common/redis.h"

namespace accord::common {

struct CachedValue {
  int64_t version = 0;
  std::string bytes;  // serialized resource
};

class VersionedCache {
 public:
  struct Options {
    std::string name;  // metric label and Redis key prefix, e.g. "account"
    size_t local_capacity = 100000;
    std::chrono::milliseconds local_ttl{60000};
    std::chrono::seconds redis_ttl{300};
  };

  VersionedCache(Options options, RedisClient* redis, std::function<bool()> fresh_source);
  ~VersionedCache();
  // The Redis key under which the cache named `cache_name` keeps `key`.
  static std::string RedisKeyFor(const std::string& cache_name, const std::string& key);
  VersionedCache(const VersionedCache&) = delete;
  VersionedCache& operator=(const VersionedCache&) = delete;

  // Level 1, then level 2 (filling level 1 on a hit). nullopt = miss (or a tombstone).
  std::optional<CachedValue> Get(const std::string& key);
  // Get for many keys: level 1 for each, then one MGET for all that missed. One result per key,
  // in the order given.
  std::vector<std::optional<CachedValue>> GetMany(const std::vector<std::string>& keys);
  // Level 1 only; never touches the network (for the inline fast path).
  // `count_miss` false: a probe that a full Get will follow, so the miss is counted only once.
  std::optional<CachedValue> GetLocal(const std::string& key, bool count_miss = true);
  // As GetLocal, but returns what `decode(bytes)` made of the entry (e.g. a parsed message),
  // decoding once per stored version and sharing the result with later hits, so a hot entry is
  // not parsed again on every read. A null result from `decode` counts as a miss. All keys that
  // reach one decode must hold the same kind of resource (callers cast the pointer back).
  using Decoder = std::function<std::shared_ptr<const void>(const std::string& bytes)>;
  // `bytes`, when given, receives the entry's bytes on a hit.
  std::shared_ptr<const void> GetLocalDecoded(const std::string& key, const Decoder& decode,
                                              bool count_miss = true, std::string* bytes = nullptr);
  // Stores `value` in both levels unless either holds a newer version or tombstone.
  void Put(const std::string& key, const CachedValue& value);
  // What a reader stores after reading the source: level 1 as Put does, and level 2 only where
  // Redis holds nothing for the key (SET NX, pipelined in one round trip). A fill never replaces
  // what Redis holds: a writer's newer version or tombstone stays, and an older copy expires.
  void FillMany(const std::vector<std::pair<std::string, CachedValue>>& entries);
  // As FillMany, but level 2 is written by a background thread, so a reader that answers many
  // calls at once does not wait for the round trip: a late fill is no different from a slow
  // reader's (SET NX refuses it wherever Redis already holds something). Fills queue up to
  // kMaxQueuedFills keys; beyond that they are dropped (counted): level 2 only gets colder. The
  // thread gathers what arrives within kFillLinger of a first fill (or until kFillChunk keys
  // wait) into one pipeline, so a burst of reads costs it and Redis a wake-up and a round trip per
  // gathering rather than per batch.
  void FillManyInBackground(const std::vector<std::pair<std::string, CachedValue>>& entries);
  static constexpr size_t kMaxQueuedFills = 50000;
  static constexpr size_t kFillChunk = 1000;
  static constexpr std::chrono::milliseconds kFillLinger{5};
  // Level 1 only, for a resource just created: level 2 cannot hold anything for a new key, so
  // there is nothing to overwrite, and the first reader on another replica fills it.
  void PutLocalOnly(const std::string& key, const CachedValue& value);
  // Drops entries older than `version` and leaves a tombstone at `version` in both levels.
  void Invalidate(const std::string& key, int64_t version);
  // Level 1 only: what every replica does when the event for `version` arrives (the writer has
  // already put that version into Redis, or the relay repaired level 2: see below).
  void InvalidateLocal(const std::string& key, int64_t version);

  // Level-2 repair, run by the outbox relay for every event before the event goes on the stream.
  // A writer's compare-and-set can time out or be skipped by the circuit breaker, and a fill
  // never replaces what Redis holds, so without it an older version would stay in Redis for the
  // whole Redis TTL. For each (key, version), the command replaces an entry older than
  // `version` by a tombstone at `version` that lives `tombstone_ttl` (long enough to refuse any
  // fill still in flight from a read that started before the commit; a reader then fills the
  // current version); an absent, current or newer entry is left alone, so the writer's own copy,
  // which normally got there first, stays warm. One script run for all the keys, since a relay
  // pass repairs hundreds. EVALSHA: on NOSCRIPT, SCRIPT LOAD RepairScript() and send it again.
  static std::vector<std::string> RepairCommand(
      const std::string& cache_name, const std::vector<std::pair<std::string, int64_t>>& keys,
      std::chrono::seconds tombstone_ttl);
  static const std::string& RepairScript();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string key;
    int64_t version = 0;
    bool tombstone = false;
    std::string bytes;
    Clock::time_point expires_at;
    std::shared_ptr<const void> decoded;  // GetLocalDecoded's result for these bytes, once made
  };
  enum class Kind : char { kValue = 'V', kTombstone = 'T' };

  // Level 1 under mutex_; each returns whether it changed the entry.
  bool PutLocal(const std::string& key, int64_t version, Kind kind, const std::string& bytes);
  std::optional<CachedValue> GetLocalUnchecked(const std::string& key);
  // The version level 1 knows for `key` (value or tombstone, live or expired); 0 when none.
  int64_t LocalVersion(const std::string& key);
  // What a level-2 GET answered for `key`, counted, and copied into level 1 on a hit.
  std::optional<CachedValue> AcceptRemote(const std::string& key,
                                          const absl::StatusOr<RedisValue>& reply);
  // Level 2: the compare-and-set script by EVALSHA, falling back to EVAL once on NOSCRIPT; errors
  // are ignored (the cache only gets colder).
  void StoreRemote(const std::string& key, int64_t version, Kind kind, const std::string& bytes);
  std::string RedisKey(const std::string& key) const;
  // Level 1 takes the entries; returns the SET NX commands that fill level 2.
  std::vector<std::vector<std::string>> FillLocal(
      const std::vector<std::pair<std::string, CachedValue>>& entries);
  void RunFills();  // the background fill thread
  bool Fresh() const { return !fresh_source_ || fresh_source_(); }

  Options options_;
  RedisClient* redis_;
  std::function<bool()> fresh_source_;
  std::string script_sha_;  // SHA-1 hex of the compare-and-set script, for EVALSHA
  std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Counter* local_hits_;
  Counter* local_misses_;
  Counter* redis_hits_;
  Counter* redis_misses_;
  Counter* fills_dropped_;
  Counter* fill_round_trips_;
  // FillManyInBackground's queue and thread (started on first use).
  std::mutex fill_mutex_;
  std::condition_variable fill_ready_;
  std::vector<std::vector<std::string>> fill_queue_;
  bool fill_stopping_ = false;
  bool fill_idle_ = false;  // the thread waits for a first fill (producers must wake it)
  std::thread fill_thread_;
};

}  // namespace accord::common
