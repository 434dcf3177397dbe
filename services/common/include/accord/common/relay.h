// Publishes committed outbox rows to the service's Redis Stream.
//
// Visibility trap: bigserial values are taken at insert time but become visible at commit, so a
// row with a lower seq can appear after a higher one was read. A relay that remembered "last seq
// published" would skip it forever. This relay never uses seq as a cursor: each pass selects the
// rows still unpublished (published_at IS NULL, partial index), in seq order, locks them, stamps
// each with the next publish_seq, XADDs them with explicit ids `<publish_seq>-0`, and commits. A
// late-committing row is simply picked up by the next pass and gets a later publish_seq, so
// publish_seq (the stream id, and the cursor clients resume from) only ever grows. Per resource,
// writes serialize on the resource's row lock, so one resource's events commit, and are published,
// in aggregate_version order.
//
// An XADD that times out may still run: Redis had received it and runs it when it answers again
// (a stalled Redis, a SIGSTOP), after the pass rolled back. So a pass that fails once it sent its
// XADDs leaves its batch unconfirmed, and the relay publishes that batch again, before anything
// else, under the same publish_seq values: an entry the stream already holds (same id, same
// envelope) counts as published, and a late arrival of the first XADD is refused by Redis as not
// above the top. The stream thus only ever holds the publication Postgres commits, and each event
// reaches a subscriber once. The unconfirmed batch lives in the process; for a relay that died
// before its retry (or whose last stamps a Postgres crash lost), the next relay session first
// adopts the stream's entries above the highest committed publish_seq as the publications of
// their still unpublished events. An XADD still in flight from a relay that lost its session while
// another took over cannot add a second copy either: every session fences the stream with an
// epoch drawn once it holds the lock, before it reads the stream for adoption, and Redis refuses
// an XADD of an older epoch (a script checks the fence and adds in one step). Every entry on the
// stream is therefore the publication Postgres commits, or the one it will commit, under that
// entry's id.
//
// Before a pass's XADDs, the same round trip repairs the service's Redis cache entries of the
// events' subjects (VersionedCache::RepairCommand), so once an event is on the stream no Redis
// entry older than it remains, whatever became of the writer's own compare-and-set. While Redis
// fails the relay probes it every 100 ms past the circuit breaker, so the repair and the events
// follow within about that long once Redis answers again.
//
// Exactly one relay per service is active: it holds a session advisory lock on a dedicated
// connection; standbys retry the lock every poll interval and take over when the holder's
// connection dies. If Redis is down the pass rolls back and the rows wait. Published rows are kept
// for `retention` and then deleted, so subscribers can replay after Redis loses its data.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "accord/common/redis.h"

namespace accord::common {

struct RelayOptions {
  std::string pg_url;
  std::string schema;  // "account"
  std::string stream;  // EventStreamName(service)
  int batch_size = 500;
  int64_t stream_maxlen = 1000000;               // approximate MAXLEN (~) trimming
  std::chrono::milliseconds poll_interval{500};  // fallback when no NOTIFY arrives
  // Published outbox rows, and the consumers' dedupe records (consumed_events: a redelivered
  // event is never older than its producer's retention, and consumer_positions still refuses an
  // older version after its record is gone), are deleted after this long.
  std::chrono::hours retention{24 * 7};
  // Idempotency keys: how long a retried request_id still returns the first call's result.
  std::chrono::hours idempotency_retention{24};
  // Called on the relay's thread once a pass's events are on the stream (before its COMMIT, as
  // the stream shows them), in stream order: (publish_seq, encoded envelope). The process's own
  // stream tail takes them from here without waiting for its XREAD (StreamTail::Offer). Keep it
  // short: the next pass waits.
  std::function<void(const std::vector<std::pair<int64_t, std::string>>&)> on_published;
  // The VersionedCache whose Redis entries the events' subjects name, repaired before each XADD.
  // Empty: the service of `stream` ("accord.events.<service>"), which is the name the runtime
  // gives its cache; "-": none.
  std::string cache_name;
  // How long a repair's tombstone refuses fills and older compare-and-sets still in flight (see
  // VersionedCache::RepairCommand): far longer than any of them waits, and as short as that, since
  // the key is a miss for every replica until it expires (unless the writer's own copy lands).
  std::chrono::seconds cache_tombstone_ttl{60};
};

// The statement one relay pass runs (prepared once per session; exposed for tests): it reads the
// oldest unpublished rows of `schema`.outbox above $2, at most $1, numbers them with publish_seq
// and stamps them. Columns: seq, publish_seq, envelope, how many rows the batch held, subject and
// aggregate_version.
std::string OutboxStampBatchSql(const std::string& schema);

class OutboxRelay {
 public:
  OutboxRelay(RelayOptions options, RedisClient& redis);
  ~OutboxRelay();
  void Start();
  void Stop();
  bool active() const { return active_.load(); }  // holds the advisory lock right now
  int64_t published_total() const { return published_.load(); }

 private:
  void Run();
  RelayOptions options_;
  RedisClient& redis_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> active_{false};
  std::atomic<int64_t> published_{0};
  // (seq, publish_seq) of a batch whose XADDs may have reached Redis although its pass rolled
  // back; published again under the same ids before anything else. Only the relay's thread uses
  // it; it outlives a database session.
  std::vector<std::pair<int64_t, int64_t>> unconfirmed_;
  std::thread thread_;
};

}  // namespace accord::common
