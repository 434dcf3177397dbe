#include "accord/common/peer_events.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/service_client.h"
#include "accord/common/thread_name.h"
#include "accord/events/v1/events.grpc.pb.h"

namespace accord::common {
namespace {

namespace ev = ::accord::events::v1;

std::string FeedsTable(const std::string& schema) { return schema + ".peer_feeds"; }

}  // namespace

PeerEventFeed::PeerEventFeed(PeerFeedOptions options, PgPool& pool, const ServiceClient& peer,
                             Handler handler)
    : options_(std::move(options)),
      pool_(pool),
      peer_(peer),
      handler_(std::move(handler)),
      upsert_sql_("INSERT INTO " + FeedsTable(options_.schema) +
                  " (name, peer, cursor, applied, updated_at) VALUES ($1, $2, $3, 1, now()) "
                  "ON CONFLICT (name) DO UPDATE SET cursor = EXCLUDED.cursor, "
                  "applied = " +
                  FeedsTable(options_.schema) + ".applied + 1, updated_at = now()") {
  const Labels labels = {{"feed", options_.name}, {"peer", peer_.options().service}};
  auto& registry = MetricsRegistry::Global();
  applied_counter_ = &registry.GetCounter("accord_peer_feed_applied_total",
                                          "Peer service events applied by this feed", labels);
  reconnects_counter_ = &registry.GetCounter(
      "accord_peer_feed_reconnects_total", "Times this feed subscribed to its peer again", labels);
  connected_gauge_ = &registry.GetGauge("accord_peer_feed_connected",
                                        "1 while the feed's stream to its peer is open", labels);
  blocked_gauge_ =
      &registry.GetGauge("accord_peer_feed_blocked",
                         "1 while the feed is stopped at an event its handler refuses, or at an "
                         "expired cursor (see the logs)",
                         labels);
}

PeerEventFeed::~PeerEventFeed() { Stop(); }

void PeerEventFeed::Start() {
  if (thread_.joinable()) return;
  stopping_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void PeerEventFeed::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
    if (context_) context_->TryCancel();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Status PeerEventFeed::Reset(WriteTransaction& transaction, const std::string& schema,
                                  const std::string& name) {
  transaction.exec_params("DELETE FROM " + FeedsTable(schema) + " WHERE name = $1", name);
  return absl::OkStatus();
}

absl::StatusOr<std::string> PeerEventFeed::StoredCursor(PgPool& pool, const std::string& schema,
                                                        const std::string& name) {
  std::string cursor;
  absl::Status status = pool.Read(
      [&](pqxx::transaction_base& transaction) {
        auto rows = transaction.exec_params(
            "SELECT cursor FROM " + FeedsTable(schema) + " WHERE name = $1", name);
        if (!rows.empty()) cursor = rows[0][0].as<std::string>();
        return absl::OkStatus();
      },
      ReadScope::kOneStatement);
  if (!status.ok()) return status;
  return cursor;
}

bool PeerEventFeed::WaitForApplied(int64_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return applied_.load() >= count; });
}

bool PeerEventFeed::Pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, delay, [&] { return stopping_.load(); });
}

void PeerEventFeed::Run() {
  NameCurrentThread("peer-feed");
  std::chrono::milliseconds backoff = options_.min_backoff;
  bool first = true;
  while (!stopping_.load()) {
    if (!first) reconnects_counter_->Increment();
    first = false;
    const int64_t before = applied_.load();
    absl::Status status = Follow();
    connected_.store(false);
    connected_gauge_->Set(0);
    if (stopping_.load()) break;
    // A stream that delivered something was healthy: start the backoff over.
    if (applied_.load() > before) backoff = options_.min_backoff;
    if (!status.ok()) {
      const bool expired = status.code() == absl::StatusCode::kOutOfRange;
      blocked_gauge_->Set(expired ? 1 : 0);
      nlohmann::json fields = {{"feed", options_.name},
                               {"peer", peer_.options().service},
                               {"code", absl::StatusCodeToString(status.code())},
                               {"error", std::string(status.message())},
                               {"retry_ms", backoff.count()}};
      if (expired) {
        log::Error(
            "peer feed: the stored cursor is past the peer's event retention; events were "
            "lost to this feed. Rebuild what it derives and Reset it.",
            fields);
      } else {
        log::Warn("peer feed: stream ended; subscribing again", fields);
      }
    }
    if (!Pause(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status PeerEventFeed::Follow() {
  auto cursor = StoredCursor(pool_, options_.schema, options_.name);
  if (!cursor.ok()) return cursor.status();

  ev::SubscribeRequest request;
  if (cursor->empty()) {
    request.set_oldest(true);
  } else {
    request.set_cursor(*cursor);
  }
  request.set_type_prefix(options_.type_prefix);
  request.set_subject_prefix(options_.subject_prefix);

  std::shared_ptr<grpc::ClientContext> context =
      peer_.NewContext(CallIdentity::ForService(peer_.options().service_token));
  // A subscription stays open: no deadline (the kit's per-call one is for unary calls).
  context->set_deadline(std::chrono::system_clock::time_point::max());
  {
    std::lock_guard lock(mutex_);
    if (stopping_.load()) return absl::OkStatus();
    context_ = context;
  }
  auto stub = ev::EventService::NewStub(peer_.channel());
  std::unique_ptr<grpc::ClientReader<ev::SubscribeResponse>> reader =
      stub->Subscribe(context.get(), request);

  absl::Status applied = absl::OkStatus();
  ev::SubscribeResponse response;
  while (reader->Read(&response)) {
    if (!connected_.exchange(true)) connected_gauge_->Set(1);
    std::chrono::milliseconds backoff = options_.min_backoff;
    // The event is retried here, in order, until applied: nothing after it is read meanwhile.
    while (true) {
      applied = Apply(response.event(), response.cursor());
      if (applied.ok()) break;
      blocked_gauge_->Set(1);
      log::Error("peer feed: applying an event failed; retrying it",
                 {{"feed", options_.name},
                  {"event_id", response.event().id()},
                  {"type", response.event().type()},
                  {"subject", response.event().subject()},
                  {"code", absl::StatusCodeToString(applied.code())},
                  {"error", std::string(applied.message())}});
      if (!Pause(backoff)) break;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    if (!applied.ok()) break;  // stopping
    blocked_gauge_->Set(0);
  }
  context->TryCancel();
  grpc::Status finished = reader->Finish();
  {
    std::lock_guard lock(mutex_);
    context_.reset();
  }
  if (!applied.ok()) return applied;
  if (stopping_.load()) return absl::OkStatus();
  if (finished.ok()) return absl::UnavailableError("the peer ended the stream");
  return FromGrpcStatus(finished);
}

absl::Status PeerEventFeed::Apply(const v1::EventEnvelope& event, const std::string& cursor) {
  absl::Status status = pool_.Transact([&](WriteTransaction& transaction) -> absl::Status {
    if (absl::Status handled = handler_(transaction, event); !handled.ok()) return handled;
    transaction.exec_params(upsert_sql_, options_.name, peer_.options().service, cursor);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  applied_counter_->Increment();
  {
    std::lock_guard lock(mutex_);
    applied_.fetch_add(1);
  }
  changed_.notify_all();
  return absl::OkStatus();
}

}  // namespace accord::common
