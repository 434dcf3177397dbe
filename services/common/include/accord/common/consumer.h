// A Redis Streams consumer-group consumer with effectively-once side effects.
//
// It creates its group if missing (MKSTREAM; again after a Redis restart, so no NOGROUP loop),
// first re-reads its own pending entries (id 0), claims entries another consumer left idle
// longer than `claim_idle` (XAUTOCLAIM), and acknowledges an entry only after its handler's
// transaction committed. In that same transaction it records the event id in
// {schema}.consumed_events, so a redelivered event has no second effect, and the highest applied
// aggregate_version per (consumer group, subject) in {schema}.consumer_positions, so an event
// older than what was applied for its resource is dropped (acknowledged without effect).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "accord/common/pg.h"
#include "accord/common/redis.h"
#include "accord/common/v1/event.pb.h"

namespace accord::common {

class Counter;
class Gauge;

struct ConsumerOptions {
  std::string stream;    // e.g. EventStreamName("account")
  std::string group;     // e.g. "service-quality.account-sync"
  std::string consumer;  // unique per process, e.g. hostname + pid
  std::string schema;    // where consumed_events / consumer_positions live
  int batch_size = 100;
  std::chrono::milliseconds block{1000};
  std::chrono::milliseconds claim_idle{30000};
};

class EventConsumer {
 public:
  // The handler runs inside the transaction that records the event; returning an error rolls
  // both back and leaves the entry pending for a retry.
  using Handler = std::function<absl::Status(WriteTransaction&, const v1::EventEnvelope&)>;

  EventConsumer(ConsumerOptions options, PgPool& pool, RedisClient& redis, Handler handler);
  ~EventConsumer();
  void Start();
  void Stop();
  // One read-apply-ack round (used by Start's loop; public so tests can drive it step by step).
  absl::Status PollOnce();
  int64_t applied_total() const { return applied_.load(); }

 private:
  struct Entry;
  void Run();
  absl::Status EnsureGroup();
  // After NOGROUP: Redis lost the group (and probably the stream); recreate it at once.
  absl::Status Regroup(const std::string& error);
  // Applies entries in order and acknowledges the ones done; see consumer.cc.
  absl::Status ApplyAll(const std::vector<Entry>& entries);
  // OK means "acknowledge": applied, already applied, stale, or never applicable.
  absl::Status ApplyOne(const Entry& entry);
  void MaybeUpdateLag();

  ConsumerOptions options_;
  PgPool& pool_;
  RedisClient& redis_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> applied_{0};
  bool pending_drained_ = false;
  bool group_ready_ = false;
  std::string pending_cursor_ = "0";  // own pending entries are re-read from here
  std::string claim_cursor_ = "0-0";  // XAUTOCLAIM scan position
  std::chrono::steady_clock::time_point next_claim_{};
  std::chrono::steady_clock::time_point next_lag_{};
  std::string insert_consumed_sql_;
  std::string advance_position_sql_;
  Counter* applied_counter_ = nullptr;
  Gauge* lag_gauge_ = nullptr;
  std::thread thread_;
};

}  // namespace accord::common
