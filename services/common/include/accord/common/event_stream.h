// Reading a service's published events, for the public EventService.Subscribe and for cache
// invalidation on every replica.
//
// StreamTail: one thread per process XREADs the service's stream (no consumer group: every
// replica sees every event) and hands each event, in stream order, to registered listeners. When
// Redis is unreachable, or came back with a different run_id (it lost its data), it fills the gap
// from Postgres (outbox rows by publish_seq, kept for the retention window) before following the
// stream again, so listeners never miss a published event; `healthy()` is false while it cannot
// follow the live stream (cache users then treat local entries as stale).
//
// EventServiceImpl: accord.events.v1.EventService for one service. A subscriber first registers
// with the tail (buffering live events), replays from Postgres from its start position, then
// drains the buffer, delivering each publish_seq once, in order; then it follows live. Cursors
// are opaque, signed (PageTokenCodec) encodings of publish_seq.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/redis.h"
#include "accord/common/v1/event.pb.h"

namespace accord::common {

struct PublishedEvent {
  int64_t publish_seq = 0;
  v1::EventEnvelope envelope;
};

class StreamTail {
 public:
  struct Options {
    std::string pg_url;
    std::string schema;
    std::string stream;
    std::chrono::milliseconds block{1000};
  };
  using Listener = std::function<void(const PublishedEvent&)>;

  StreamTail(Options options, RedisClient& redis);
  ~StreamTail();
  void Start();
  void Stop();
  // Returns an id for RemoveListener. Listeners run on the tail's thread: keep them short.
  int AddListener(Listener listener);
  void RemoveListener(int id);
  bool healthy() const { return healthy_.load(); }
  int64_t last_seq() const { return last_seq_.load(); }

 private:
  void Run();
  Options options_;
  RedisClient& redis_;
  std::mutex mutex_;
  std::vector<std::pair<int, Listener>> listeners_;
  int next_listener_id_ = 1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> healthy_{false};
  std::atomic<int64_t> last_seq_{0};
  std::thread thread_;
};

}  // namespace accord::common
