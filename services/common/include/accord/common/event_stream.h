// Reading a service's published events, for the public EventService.Subscribe and for cache
// invalidation on every replica.
//
// StreamTail: one thread per process XREADs the service's stream (no consumer group: every
// replica sees every event) and hands each event, in stream order, to registered listeners. When
// Redis is unreachable, or came back with a different run_id (it lost its data), it fills the gap
// from Postgres (outbox rows by publish_seq, kept for the retention window) before following the
// stream again, so listeners never miss a published event; `healthy()` is false while it cannot
// follow the live stream (cache users then treat local entries as stale). In the replica whose
// relay is active, the relay also offers what it just put on the stream (Offer), and whichever of
// the two paths comes first hands an event out. While offers arrive, the tail stops blocking on
// XREAD (which would wake it, and cost Redis a read, once per event only to find the event handed
// out already) and looks at the stream only every 100 ms, or at once when an offer was left to
// the stream; a second without offers puts it back on XREAD.
//
// EventServiceImpl: accord.events.v1.EventService for one service. A subscriber first registers
// with the tail (buffering live events), replays from Postgres from its start position, then
// drains the buffer, delivering each publish_seq once, in order; then it follows live. Cursors
// are opaque, signed (PageTokenCodec) encodings of publish_seq.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/method_access.h"
#include "accord/common/metrics.h"
#include "accord/common/queue_deadline.h"
#include "accord/common/redis.h"
#include "accord/common/server.h"
#include "accord/common/v1/event.pb.h"
#include "accord/events/v1/events.grpc.pb.h"

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
  // Positions the tail at the newest published event (Redis, else Postgres; retried on the
  // thread if neither answers) and starts following.
  void Start();
  // Returns within about `block` (the longest XREAD wait).
  void Stop();
  // Returns an id for RemoveListener. Listeners run on the tail's thread: keep them short.
  int AddListener(Listener listener);
  // As above; `*position` is set to the publish_seq after which the listener sees every event
  // (events up to it were handed out before the listener joined).
  int AddListener(Listener listener, int64_t* position);
  // After it returns the listener is not called again (unless called from a listener itself).
  void RemoveListener(int id);
  // Events the relay in this process just put on the stream, in stream order. Those not handed
  // out yet go to the listeners at once when the first of them directly follows the last one
  // handed out, which saves the wait for XREAD; after a gap (publish_seq values a rolled-back pass
  // burnt, or events of another replica's relay not read yet) they are left to the stream, which
  // carries them too. Either way each publish_seq reaches the listeners once, in order.
  void Offer(std::vector<PublishedEvent> events);
  // Offer for what RelayOptions::on_published receives: (publish_seq, encoded envelope). An
  // offer holding an envelope that does not parse is left to the stream (which logs and skips it).
  void OfferEncoded(const std::vector<std::pair<int64_t, std::string>>& published);
  bool healthy() const { return healthy_.load(); }
  int64_t last_seq() const { return last_seq_.load(); }
  // False until Start found where "now" is.
  bool positioned() const { return positioned_.load(); }

 private:
  void Run();
  bool Position();
  // Delivers everything in Postgres after last_seq; false on a database error.
  bool CatchUpFromPostgres();
  pqxx::connection& Pg();  // opens the tail's own connection on first use
  void Deliver(std::vector<PublishedEvent> events);
  // Deliver with delivery_mutex_ held.
  void DeliverLocked(std::vector<PublishedEvent> events);
  void Sleep(std::chrono::milliseconds duration);
  // True while this process's relay hands events out through Offer.
  bool FollowingOffers() const;
  // Waits until an offer was left to the stream, the tail stops, or `timeout` passes.
  void WaitForOfferLeftToStream(std::chrono::milliseconds timeout);
  void LeaveOfferToStream();

  Options options_;
  RedisClient& redis_;
  // Held for a whole delivery: the tail's thread and the relay's (Offer) take turns.
  std::mutex delivery_mutex_;
  std::mutex mutex_;
  std::condition_variable changed_;  // wakes Stop's sleeps and RemoveListener's wait
  // Wakes the tail when an offer is left to the stream (its own, so that deliveries, which notify
  // changed_, do not wake the tail once per event).
  std::condition_variable offer_left_;
  bool offer_left_pending_ = false;        // guarded by mutex_
  std::atomic<int64_t> last_offer_ns_{0};  // steady clock; 0: never
  std::vector<std::pair<int, Listener>> listeners_;
  int next_listener_id_ = 1;
  int64_t handed_out_ = 0;       // last publish_seq given to listeners (or being given)
  uint64_t delivery_round_ = 0;  // bumped when a batch delivery ends
  bool delivering_ = false;
  std::thread::id delivering_thread_;     // the thread running listeners while delivering_
  std::unique_ptr<pqxx::connection> pg_;  // used only by the tail's thread
  std::atomic<bool> stopping_{false};
  std::atomic<bool> healthy_{false};
  std::atomic<bool> positioned_{false};
  std::atomic<int64_t> last_seq_{0};
  Counter& offered_;  // events handed out through Offer
  Counter& reads_;    // XREADs issued
  std::thread thread_;
};

struct EventServiceOptions {
  // Live events buffered per subscriber; a subscriber that falls this far behind while following
  // live is ended with RESOURCE_EXHAUSTED (it resumes from its cursor).
  size_t queue_capacity = 10000;
  int replay_batch = 500;
  // How old start_time may be (the relay's retention).
  std::chrono::hours retention{24 * 7};
  // How long a replay waits for an event the stream already carries to commit in Postgres.
  std::chrono::milliseconds commit_wait{2000};
};

// accord.events.v1.EventService for the service whose outbox lives in `schema`.
class EventServiceImpl final : public accord::events::v1::EventService::CallbackService {
 public:
  EventServiceImpl(Runtime& runtime, StreamTail& tail, std::string schema,
                   EventServiceOptions options = {});
  ~EventServiceImpl() override;

  // Registered with its role rule by GrpcServer::Start: every known role may subscribe, but only
  // integration and admin (the consumers that derive data from events) receive whole events.
  // Every other role receives notifications: the envelope's id, type, source, subject,
  // aggregate_version and time, without payload, actor, trace id or changed fields. A
  // notification tells that a named resource changed, never what it now holds; a console reads
  // the resource again through its Get, which applies the service's access rule for the caller.
  static constexpr std::string_view kSubscribeMethod = "accord.events.v1.EventService/Subscribe";
  static MethodAccess SubscribeAccess() { return MethodAccess::AnyRole(); }
  static bool ReceivesWholeEvents(const Principal& principal) {
    return principal.HasAny({Role::kIntegration, Role::kAdmin});
  }
  // What a subscriber without ReceivesWholeEvents gets of `envelope`.
  static v1::EventEnvelope Notification(const v1::EventEnvelope& envelope);

  grpc::ServerWriteReactor<accord::events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const accord::events::v1::SubscribeRequest* request) override;

  // Cursor <-> publish_seq (exposed for tests and tools).
  std::string EncodeCursor(int64_t publish_seq) const;
  absl::StatusOr<int64_t> DecodeCursor(std::string_view cursor) const;

 private:
  class Reactor;
  struct Subscription;

  // Runs `task` on the worker pool; the destructor waits for such tasks (they use this object).
  bool Submit(std::function<void()> task);
  // As above, but `expired` runs instead of `task` when no worker started it by `deadline`.
  bool Submit(std::function<void()> task, const QueueDeadline& deadline,
              std::function<void()> expired);

  Runtime& runtime_;
  StreamTail& tail_;
  const std::string schema_;
  const EventServiceOptions options_;
  const std::string cursor_query_;
  RpcMethod method_;
  std::mutex tasks_mutex_;
  std::condition_variable tasks_done_;
  int tasks_ = 0;
};

}  // namespace accord::common
