#include "accord/common/cache.h"

#include <openssl/sha.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "accord/common/page_token.h"
#include "accord/common/thread_name.h"

namespace accord::common {
namespace {

// Level 2 value: 8-byte big-endian version, one kind byte ('V' value, 'T' tombstone), the bytes.
constexpr size_t kHeaderSize = 9;

// Compare-and-set in one round trip, so two replicas racing on the same key cannot interleave a
// read and a write. KEYS[1] key; ARGV: version, kind, encoded value, ttl seconds. A value loses
// to a value of the same or a newer version and to a newer tombstone; a tombstone loses to
// anything of the same or a newer version. Versions stay far below 2^53, so Lua's doubles are
// exact.
constexpr char kCompareAndSetScript[] = R"lua(
local current = redis.call('GET', KEYS[1])
if current and string.len(current) >= 9 then
  local held = 0
  for i = 1, 8 do held = held * 256 + string.byte(current, i) end
  local held_kind = string.sub(current, 9, 9)
  local version = tonumber(ARGV[1])
  if held > version then return 0 end
  if held == version and (ARGV[2] == 'T' or held_kind == 'V') then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
return 1
)lua";

// The relay's repair (VersionedCache::RepairCommand). KEYS: the entries; ARGV[1] ttl seconds,
// then for each key its version and encoded tombstone. Only an entry older than the event's
// version is replaced: nothing is written for a key no reader cached, and the writer's copy of
// the same version stays. Returns how many entries it replaced.
constexpr char kRepairScript[] = R"lua(
local replaced = 0
for k = 1, #KEYS do
  local current = redis.call('GET', KEYS[k])
  if current and string.len(current) >= 9 then
    local held = 0
    for i = 1, 8 do held = held * 256 + string.byte(current, i) end
    if held < tonumber(ARGV[2 * k]) then
      redis.call('SET', KEYS[k], ARGV[2 * k + 1], 'EX', ARGV[1])
      replaced = replaced + 1
    end
  end
end
return replaced
)lua";

// A script's SHA-1 in lower-case hex, as EVALSHA and SCRIPT LOAD name it.
std::string Sha1Hex(std::string_view script) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  return LowerHex({reinterpret_cast<const char*>(digest), sizeof(digest)});
}

std::string ScriptSha1Hex() { return Sha1Hex(kCompareAndSetScript); }

std::string Encode(int64_t version, char kind, const std::string& bytes) {
  std::string out;
  out.reserve(kHeaderSize + bytes.size());
  const auto v = static_cast<uint64_t>(version);
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  out.push_back(kind);
  out.append(bytes);
  return out;
}

struct Decoded {
  int64_t version = 0;
  char kind = 0;
  std::string bytes;
};

std::optional<Decoded> Decode(const std::string& raw) {
  if (raw.size() < kHeaderSize) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(raw[i]);
  Decoded out;
  out.version = static_cast<int64_t>(v);
  out.kind = raw[8];
  if (out.kind != 'V' && out.kind != 'T') return std::nullopt;
  out.bytes = raw.substr(kHeaderSize);
  return out;
}

Counter* RequestCounter(const std::string& cache, const char* level, const char* result) {
  return &MetricsRegistry::Global().GetCounter(
      "accord_cache_requests_total", "Cache lookups by cache, level and result",
      {{"cache", cache}, {"level", level}, {"result", result}});
}

}  // namespace

VersionedCache::VersionedCache(Options options, RedisClient* redis,
                               std::function<bool()> fresh_source)
    : options_(std::move(options)),
      redis_(redis),
      fresh_source_(std::move(fresh_source)),
      script_sha_(ScriptSha1Hex()),
      local_hits_(RequestCounter(options_.name, "local", "hit")),
      local_misses_(RequestCounter(options_.name, "local", "miss")),
      redis_hits_(RequestCounter(options_.name, "redis", "hit")),
      redis_misses_(RequestCounter(options_.name, "redis", "miss")),
      fills_dropped_(&MetricsRegistry::Global().GetCounter(
          "accord_cache_fills_dropped_total",
          "Level-2 fills dropped because the background fill queue was full",
          {{"cache", options_.name}})),
      fill_round_trips_(&MetricsRegistry::Global().GetCounter(
          "accord_cache_fill_round_trips_total",
          "Pipelines the background fill thread sent to Redis (fills per round trip: divide "
          "the fills by this)",
          {{"cache", options_.name}})) {
  if (options_.redis_ttl.count() < 1) options_.redis_ttl = std::chrono::seconds(1);
}

VersionedCache::~VersionedCache() {
  {
    std::lock_guard lock(fill_mutex_);
    fill_stopping_ = true;
  }
  fill_ready_.notify_all();
  if (fill_thread_.joinable()) fill_thread_.join();
}

const std::string& VersionedCache::RepairScript() {
  static const std::string script = kRepairScript;
  return script;
}

std::vector<std::string> VersionedCache::RepairCommand(
    const std::string& cache_name, const std::vector<std::pair<std::string, int64_t>>& keys,
    std::chrono::seconds tombstone_ttl) {
  static const std::string sha = Sha1Hex(kRepairScript);
  std::vector<std::string> command;
  command.reserve(4 + 3 * keys.size());
  command.push_back("EVALSHA");
  command.push_back(sha);
  command.push_back(std::to_string(keys.size()));
  for (const auto& [key, version] : keys) command.push_back(RedisKeyFor(cache_name, key));
  command.push_back(std::to_string(std::max<int64_t>(1, tombstone_ttl.count())));
  for (const auto& [key, version] : keys) {
    command.push_back(std::to_string(version));
    command.push_back(Encode(version, 'T', {}));
  }
  return command;
}

std::string VersionedCache::RedisKeyFor(const std::string& cache_name, const std::string& key) {
  return "accord:cache:" + cache_name + ":" + key;
}

std::string VersionedCache::RedisKey(const std::string& key) const {
  return RedisKeyFor(options_.name, key);
}

std::optional<CachedValue> VersionedCache::GetLocalUnchecked(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  Entry& entry = *it->second;
  // An expired entry stays (its version still refuses older writes) until evicted or replaced.
  if (entry.tombstone || Clock::now() >= entry.expires_at) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return CachedValue{entry.version, entry.bytes};
}

std::optional<CachedValue> VersionedCache::GetLocal(const std::string& key, bool count_miss) {
  std::optional<CachedValue> found;
  // Without a live invalidation feed a local entry may be stale: the caller reads Postgres.
  if (Fresh()) found = GetLocalUnchecked(key);
  if (found) {
    local_hits_->Increment();
  } else if (count_miss) {
    local_misses_->Increment();
  }
  return found;
}

std::shared_ptr<const void> VersionedCache::GetLocalDecoded(const std::string& key,
                                                            const Decoder& decode, bool count_miss,
                                                            std::string* bytes) {
  std::shared_ptr<const void> found;
  if (Fresh()) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end() && !it->second->tombstone && Clock::now() < it->second->expires_at) {
      Entry& entry = *it->second;
      // Decoded under the lock so that a version is decoded once, not once per racing reader.
      if (!entry.decoded) entry.decoded = decode(entry.bytes);
      found = entry.decoded;
      if (found) {
        lru_.splice(lru_.begin(), lru_, it->second);
        if (bytes != nullptr) *bytes = entry.bytes;
      }
    }
  }
  if (found) {
    local_hits_->Increment();
  } else if (count_miss) {
    local_misses_->Increment();
  }
  return found;
}

std::optional<CachedValue> VersionedCache::Get(const std::string& key) {
  if (auto local = GetLocal(key)) return local;
  if (redis_ == nullptr) return std::nullopt;
  return AcceptRemote(key, redis_->Command({"GET", RedisKey(key)}));
}

std::vector<std::optional<CachedValue>> VersionedCache::GetMany(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<CachedValue>> found(keys.size());
  std::vector<size_t> missed;
  for (size_t i = 0; i < keys.size(); ++i) {
    found[i] = GetLocal(keys[i]);
    if (!found[i]) missed.push_back(i);
  }
  if (missed.empty() || redis_ == nullptr) return found;
  std::vector<std::string> command = {"MGET"};
  command.reserve(missed.size() + 1);
  for (size_t i : missed) command.push_back(RedisKey(keys[i]));
  auto reply = redis_->Command(command);
  for (size_t n = 0; n < missed.size(); ++n) {
    const size_t i = missed[n];
    if (!reply.ok()) {
      found[i] = AcceptRemote(keys[i], reply.status());
    } else if (reply->type == RedisValue::Type::kArray && n < reply->elements.size()) {
      found[i] = AcceptRemote(keys[i], reply->elements[n]);
    } else {
      found[i] = AcceptRemote(keys[i], *reply);  // an error reply: a miss for every key
    }
  }
  return found;
}

std::optional<CachedValue> VersionedCache::AcceptRemote(const std::string& key,
                                                        const absl::StatusOr<RedisValue>& reply) {
  std::optional<Decoded> decoded;
  if (reply.ok() && reply->type == RedisValue::Type::kString) decoded = Decode(reply->str);
  if (!decoded || decoded->kind != 'V') {
    redis_misses_->Increment();
    // Keep what Redis knows: a tombstone there also refuses stale local writes.
    if (decoded) PutLocal(key, decoded->version, Kind::kTombstone, {});
    return std::nullopt;
  }
  // Redis may lag what this replica already learned from an event (the writer's Put failed):
  // a copy older than the local tombstone is stale.
  if (LocalVersion(key) > decoded->version) {
    redis_misses_->Increment();
    return std::nullopt;
  }
  redis_hits_->Increment();
  PutLocal(key, decoded->version, Kind::kValue, decoded->bytes);
  return CachedValue{decoded->version, std::move(decoded->bytes)};
}

int64_t VersionedCache::LocalVersion(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  return it == index_.end() ? 0 : it->second->version;
}

void VersionedCache::InvalidateLocal(const std::string& key, int64_t version) {
  PutLocal(key, version, Kind::kTombstone, {});
}

void VersionedCache::Put(const std::string& key, const CachedValue& value) {
  PutLocal(key, value.version, Kind::kValue, value.bytes);
  // Redis decides for itself: it may hold a newer version written by another replica.
  StoreRemote(key, value.version, Kind::kValue, value.bytes);
}

std::vector<std::vector<std::string>> VersionedCache::FillLocal(
    const std::vector<std::pair<std::string, CachedValue>>& entries) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(entries.size());
  const std::string ttl = std::to_string(options_.redis_ttl.count());
  for (const auto& [key, value] : entries) {
    PutLocal(key, value.version, Kind::kValue, value.bytes);
    // Plain SET NX, not the compare-and-set script: it refuses whatever the script would refuse
    // (anything held) and costs Redis no script run per key.
    commands.push_back(
        {"SET", RedisKey(key), Encode(value.version, 'V', value.bytes), "NX", "EX", ttl});
  }
  return commands;
}

void VersionedCache::FillMany(const std::vector<std::pair<std::string, CachedValue>>& entries) {
  auto commands = FillLocal(entries);
  if (redis_ == nullptr || commands.empty()) return;
  (void)redis_->Pipeline(commands);  // an error leaves level 2 colder, nothing worse
}

void VersionedCache::FillManyInBackground(
    const std::vector<std::pair<std::string, CachedValue>>& entries) {
  auto commands = FillLocal(entries);
  if (redis_ == nullptr || commands.empty()) return;
  bool wake = false;
  {
    std::lock_guard lock(fill_mutex_);
    if (fill_stopping_) return;
    if (fill_queue_.size() + commands.size() > kMaxQueuedFills) {
      fills_dropped_->Increment(static_cast<double>(commands.size()));
      return;
    }
    for (auto& command : commands) fill_queue_.push_back(std::move(command));
    if (!fill_thread_.joinable()) fill_thread_ = std::thread([this] { RunFills(); });
    // While the thread lingers or writes it is not woken for every batch: only a full chunk
    // calls it early.
    wake = fill_idle_ || fill_queue_.size() >= kFillChunk;
  }
  if (wake) fill_ready_.notify_one();
}

void VersionedCache::RunFills() {
  NameCurrentThread("fill-" + options_.name);
  // One pipeline per gathering takes whatever queued meanwhile, in chunks that keep each round
  // trip's buffers small.
  for (;;) {
    std::vector<std::vector<std::string>> commands;
    {
      std::unique_lock lock(fill_mutex_);
      fill_idle_ = true;
      fill_ready_.wait(lock, [&] { return fill_stopping_ || !fill_queue_.empty(); });
      fill_idle_ = false;
      fill_ready_.wait_for(lock, kFillLinger,
                           [&] { return fill_stopping_ || fill_queue_.size() >= kFillChunk; });
      if (fill_stopping_) return;  // what is queued is dropped: level 2 only gets colder
      commands.swap(fill_queue_);
    }
    for (size_t start = 0; start < commands.size(); start += kFillChunk) {
      const size_t end = std::min(commands.size(), start + kFillChunk);
      std::vector<std::vector<std::string>> chunk(std::make_move_iterator(commands.begin() + start),
                                                  std::make_move_iterator(commands.begin() + end));
      (void)redis_->Pipeline(chunk);  // an error leaves level 2 colder, nothing worse
      fill_round_trips_->Increment();
    }
  }
}

void VersionedCache::PutLocalOnly(const std::string& key, const CachedValue& value) {
  PutLocal(key, value.version, Kind::kValue, value.bytes);
}

void VersionedCache::Invalidate(const std::string& key, int64_t version) {
  PutLocal(key, version, Kind::kTombstone, {});
  StoreRemote(key, version, Kind::kTombstone, {});
}

bool VersionedCache::PutLocal(const std::string& key, int64_t version, Kind kind,
                              const std::string& bytes) {
  if (options_.local_capacity == 0) return false;
  const bool tombstone = kind == Kind::kTombstone;
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    Entry& held = *it->second;
    const bool expired = now >= held.expires_at;
    if (held.version > version) return false;
    if (held.version == version) {
      // Same version: an invalidation adds nothing; a value replaces a tombstone (the event for
      // v means v is current) and refreshes an expired copy of itself, but not a live one.
      if (tombstone) return false;
      if (!held.tombstone && !expired) return false;
    }
    held.version = version;
    held.tombstone = tombstone;
    held.bytes = bytes;
    held.decoded.reset();
    held.expires_at = now + options_.local_ttl;
    lru_.splice(lru_.begin(), lru_, it->second);
    return true;
  }
  lru_.push_front(Entry{key, version, tombstone, bytes, now + options_.local_ttl, nullptr});
  index_.emplace(key, lru_.begin());
  while (lru_.size() > options_.local_capacity) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  return true;
}

void VersionedCache::StoreRemote(const std::string& key, int64_t version, Kind kind,
                                 const std::string& bytes) {
  if (redis_ == nullptr) return;
  // EVALSHA spares Redis hashing and looking up the script text on every call. An error (or the
  // open breaker) just leaves level 2 colder; the source of truth is Postgres.
  std::vector<std::string> args = {"EVALSHA",
                                   script_sha_,
                                   "1",
                                   RedisKey(key),
                                   std::to_string(version),
                                   std::string(1, static_cast<char>(kind)),
                                   Encode(version, static_cast<char>(kind), bytes),
                                   std::to_string(options_.redis_ttl.count())};
  auto reply = redis_->Command(args);
  // NOSCRIPT: the script cache was flushed (SCRIPT FLUSH, a restart, a failover). EVAL runs the
  // same call once and caches the script again for the next EVALSHA.
  if (reply.ok() && reply->type == RedisValue::Type::kError &&
      reply->str.compare(0, 8, "NOSCRIPT") == 0) {
    args[0] = "EVAL";
    args[1] = kCompareAndSetScript;
    (void)redis_->Command(args);
  }
}

}  // namespace accord::common
