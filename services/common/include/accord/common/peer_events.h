// Following another Accord service's events, exactly once, across restarts and Redis losses.
//
// A PeerEventFeed holds one EventService.Subscribe stream open to a peer service (through the
// kit's ServiceClient, with the service's own token) and applies each event in a transaction of
// the consuming service's own database, which also stores the stream's cursor in
// {schema}.peer_feeds. A crash before the commit leaves the old cursor, so the event comes again;
// after the commit the cursor has moved, so it never comes twice. Redis does not hold the
// position: the peer replays from its outbox in PostgreSQL, so a Redis that lost its data loses
// nothing here.
//
// A feed with no stored cursor starts from the oldest event the peer still retains. A handler
// error rolls the event back and retries it with backoff: the feed stops at that event rather
// than skip it (the error is logged and accord_peer_feed_blocked is 1). A cursor older than the
// peer's retention (the consumer was away longer than it) is logged as an error; the feed then
// waits for an operator to Reset it (start over from the oldest retained event) rather than
// silently skipping what was lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accord/common/pg.h"
#include "accord/common/v1/event.pb.h"

namespace grpc {
class ClientContext;
}

namespace accord::common {

class Counter;
class Gauge;
class ServiceClient;

struct PeerFeedOptions {
  // The feed's key in {schema}.peer_feeds, unique within the schema, e.g. "account-events".
  std::string name;
  // The consuming service's schema.
  std::string schema;
  // Only events whose type / subject start with these (SubscribeRequest's filters).
  std::string type_prefix;
  std::string subject_prefix;
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
};

class PeerEventFeed {
 public:
  // Runs inside the transaction that advances the cursor; an error rolls both back.
  using Handler = std::function<absl::Status(WriteTransaction&, const v1::EventEnvelope&)>;

  // `peer` must outlive the feed; its options' service_token is sent as the caller's identity
  // (the peer's Subscribe admits the integration and admin roles).
  PeerEventFeed(PeerFeedOptions options, PgPool& pool, const ServiceClient& peer, Handler handler);
  ~PeerEventFeed();
  PeerEventFeed(const PeerEventFeed&) = delete;
  PeerEventFeed& operator=(const PeerEventFeed&) = delete;

  void Start();
  // Cancels the stream and joins the thread; an event being applied is committed or rolled back
  // first.
  void Stop();

  // Forgets the stored cursor in the caller's transaction, so that the feed (restarted) begins
  // again from the oldest retained event. For rebuilding what a handler derived: delete the
  // derived rows and reset in one transaction, then Start.
  static absl::Status Reset(WriteTransaction& transaction, const std::string& schema,
                            const std::string& name);
  // The stored cursor; empty when the feed has none yet.
  static absl::StatusOr<std::string> StoredCursor(PgPool& pool, const std::string& schema,
                                                  const std::string& name);

  int64_t applied_total() const { return applied_.load(); }
  bool connected() const { return connected_.load(); }
  // Waits until at least `count` events were applied since construction, or `timeout` passed.
  bool WaitForApplied(int64_t count, std::chrono::milliseconds timeout) const;

 private:
  void Run();
  // One connection: subscribe from the stored cursor and apply until the stream ends.
  absl::Status Follow();
  absl::Status Apply(const v1::EventEnvelope& event, const std::string& cursor);
  // Sleeps for the backoff unless stopped; returns false when stopping.
  bool Pause(std::chrono::milliseconds delay);

  PeerFeedOptions options_;
  PgPool& pool_;
  const ServiceClient& peer_;
  Handler handler_;
  std::string upsert_sql_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<int64_t> applied_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::shared_ptr<grpc::ClientContext> context_;  // the open stream, cancelled by Stop
  std::thread thread_;

  Counter* applied_counter_ = nullptr;
  Counter* reconnects_counter_ = nullptr;
  Gauge* connected_gauge_ = nullptr;
  Gauge* blocked_gauge_ = nullptr;
};

}  // namespace accord::common
