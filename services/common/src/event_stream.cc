// StreamTail and EventServiceImpl (see event_stream.h). Beyond the header:
//
// - The relay XADDs before it commits, so the stream can be a few milliseconds ahead of Postgres.
//   The tail never relies on Postgres alone for the newest events: after a catch-up it resumes
//   XREAD from the last position, and a replaying subscriber waits (briefly) for the events the
//   tail already handed out to become visible in Postgres.
// - A Redis restart without persistence can happen between two calls on different pooled
//   connections, and XREAD on the new instance would silently skip what the old one held. So
//   every non-empty XREAD is followed by INFO run_id; a batch read from an unknown instance is
//   discarded and the gap is filled from Postgres instead.
// - Listeners are called outside the tail's mutex (so a listener may start gRPC writes, which can
//   run reactions inline); RemoveListener waits for a batch in progress so that, once it returns,
//   the listener is not called again.
// - A subscriber is a shared Subscription (its state machine, under one mutex) and a Reactor that
//   gRPC deletes after OnDone. The tail's listener, worker tasks and the reactor each hold the
//   Subscription; the reactor pointer inside it is cleared in OnDone, and writes or Finish are
//   only started while the protocol guarantees the reactor is alive (no Finish while a write is
//   in flight), and always outside the mutex.
#include "accord/common/event_stream.h"

#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <deque>
#include <optional>
#include <pqxx/pqxx>

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "accord/common/pg.h"
#include "accord/common/thread_name.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ev = ::accord::events::v1;

constexpr int kCatchUpBatch = 1000;
constexpr int kReadCount = 500;
constexpr auto kRunIdCheckEvery = 5s;
// While the relay in this process offers events, the tail reads the stream this often (for events
// that did not come through an offer: another replica's relay took over), and offers count as
// flowing for kOffersFresh after the last one. Failing over to another replica's relay therefore
// delays its first events by up to kOfferedCheckEvery, for kOffersFresh.
constexpr auto kOfferedCheckEvery = 100ms;
constexpr auto kOffersFresh = 1s;
constexpr auto kCommitPoll = 25ms;
constexpr size_t kMaxPrefix = 512;

// "<ms>-<seq>" -> ms (the publish_seq), or -1.
int64_t SeqOfStreamId(const std::string& id) {
  int64_t value = -1;
  const char* end = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(id.data(), end, value);
  if (ec != std::errc() || (ptr != end && *ptr != '-')) return -1;
  return value;
}

std::optional<std::string> RunIdOf(const RedisValue& info) {
  if (info.type != RedisValue::Type::kString) return std::nullopt;
  const auto at = info.str.find("run_id:");
  if (at == std::string::npos) return std::nullopt;
  const auto begin = at + 7;
  const auto end = info.str.find_first_of("\r\n", begin);
  return info.str.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

struct StreamEntry {
  std::string id;
  int64_t seq = -1;
  const std::string* envelope = nullptr;  // points into the reply
};

// Entries of an XRANGE/XREVRANGE reply, or of one stream in an XREAD reply.
std::vector<StreamEntry> EntriesOf(const RedisValue& entries) {
  std::vector<StreamEntry> out;
  if (entries.type != RedisValue::Type::kArray) return out;
  for (const auto& entry : entries.elements) {
    if (entry.type != RedisValue::Type::kArray || entry.elements.size() < 2) continue;
    StreamEntry parsed;
    parsed.id = entry.elements[0].str;
    parsed.seq = SeqOfStreamId(parsed.id);
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "envelope") parsed.envelope = &fields[i + 1].str;
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

std::string OutboxTable(const std::string& schema) { return schema + ".outbox"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// StreamTail

StreamTail::StreamTail(Options options, RedisClient& redis)
    : options_(std::move(options)),
      redis_(redis),
      offered_(MetricsRegistry::Global().GetCounter(
          "accord_stream_tail_offered_total",
          "Events handed to listeners straight from this process's relay, without XREAD",
          {{"stream", options_.stream}})),
      reads_(MetricsRegistry::Global().GetCounter("accord_stream_tail_reads_total",
                                                  "XREADs the stream tail issued",
                                                  {{"stream", options_.stream}})) {
  if (options_.block < 10ms) options_.block = 10ms;  // BLOCK 0 would mean "forever"
}

StreamTail::~StreamTail() { Stop(); }

void StreamTail::Start() {
  if (thread_.joinable()) return;
  stopping_.store(false);
  if (!positioned_.load()) Position();
  thread_ = std::thread([this] { Run(); });
}

void StreamTail::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  changed_.notify_all();
  offer_left_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int StreamTail::AddListener(Listener listener) {
  int64_t ignored = 0;
  return AddListener(std::move(listener), &ignored);
}

int StreamTail::AddListener(Listener listener, int64_t* position) {
  std::lock_guard lock(mutex_);
  const int id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(listener));
  *position = handed_out_;
  return id;
}

void StreamTail::RemoveListener(int id) {
  std::unique_lock lock(mutex_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
  if (!delivering_ || std::this_thread::get_id() == delivering_thread_) return;
  const uint64_t round = delivery_round_;
  changed_.wait(lock, [&] { return !delivering_ || delivery_round_ != round; });
}

void StreamTail::Sleep(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, duration, [&] { return stopping_.load(); });
}

bool StreamTail::Position() {
  int64_t position = -1;
  auto newest = redis_.Command({"XREVRANGE", options_.stream, "+", "-", "COUNT", "1"});
  if (newest.ok() && newest->type == RedisValue::Type::kArray) {
    auto entries = EntriesOf(*newest);
    position = entries.empty() ? 0 : std::max<int64_t>(entries.front().seq, 0);
  }
  // Postgres too: after Redis lost its data the stream may be behind what was published.
  try {
    pqxx::nontransaction query(Pg());
    auto row =
        query.exec1("SELECT coalesce(max(publish_seq), 0) FROM " + OutboxTable(options_.schema));
    position = std::max(position, row[0].as<int64_t>());
  } catch (const std::exception& error) {
    pg_.reset();
    log::Warn("stream tail: cannot read the outbox position",
              {{"stream", options_.stream}, {"error", error.what()}});
  }
  if (position < 0) return false;
  {
    std::lock_guard lock(mutex_);
    handed_out_ = position;
  }
  last_seq_.store(position);
  positioned_.store(true);
  return true;
}

pqxx::connection& StreamTail::Pg() {
  if (!pg_) {
    auto connection = std::make_unique<pqxx::connection>(
        WithConnectOptions(options_.pg_url, std::chrono::seconds(2), "accord-stream-tail"));
    pqxx::nontransaction setup(*connection);
    setup.exec(SessionSettingsSql(std::chrono::seconds(10)));
    pg_ = std::move(connection);
  }
  return *pg_;
}

bool StreamTail::CatchUpFromPostgres() {
  static constexpr char kWhat[] = "stream tail: reading the outbox failed";
  try {
    const std::string sql = "SELECT publish_seq, envelope FROM " + OutboxTable(options_.schema) +
                            " WHERE publish_seq > $1 ORDER BY publish_seq LIMIT $2";
    while (!stopping_.load()) {
      std::vector<PublishedEvent> events;
      size_t count = 0;
      int64_t highest = 0;
      {
        pqxx::nontransaction query(Pg());
        auto rows = query.exec_params(sql, last_seq_.load(), kCatchUpBatch);
        count = rows.size();
        events.reserve(rows.size());
        for (const auto& row : rows) {
          PublishedEvent event;
          event.publish_seq = row[0].as<int64_t>();
          highest = event.publish_seq;
          if (!event.envelope.ParseFromString(pqxx::binarystring(row[1]).str())) {
            log::Error("stream tail: undecodable outbox envelope; skipped",
                       {{"schema", options_.schema}, {"publish_seq", event.publish_seq}});
            continue;
          }
          events.push_back(std::move(event));
        }
      }
      Deliver(std::move(events));
      // Past undecodable rows too, so one bad row cannot stall the tail.
      if (highest > last_seq_.load()) last_seq_.store(highest);
      if (count < static_cast<size_t>(kCatchUpBatch)) return true;
    }
    return true;
  } catch (const std::exception& error) {
    pg_.reset();
    log::Warn(kWhat, {{"stream", options_.stream}, {"error", error.what()}});
    return false;
  }
}

void StreamTail::Offer(std::vector<PublishedEvent> events) {
  if (events.empty() || !positioned_.load()) return;
  std::unique_lock delivery(delivery_mutex_);
  // The stream may already have handed out the first few.
  std::erase_if(events, [&](const PublishedEvent& e) { return e.publish_seq <= last_seq_.load(); });
  if (events.empty()) return;
  if (events.front().publish_seq != last_seq_.load() + 1) {
    delivery.unlock();
    LeaveOfferToStream();
    return;
  }
  last_offer_ns_.store(Clock::now().time_since_epoch().count());
  offered_.Increment(static_cast<double>(events.size()));
  DeliverLocked(std::move(events));
}

void StreamTail::LeaveOfferToStream() {
  {
    std::lock_guard lock(mutex_);
    offer_left_pending_ = true;
  }
  offer_left_.notify_all();
}

bool StreamTail::FollowingOffers() const {
  const int64_t last = last_offer_ns_.load();
  return last != 0 && Clock::now().time_since_epoch().count() - last <
                          std::chrono::duration_cast<Clock::duration>(kOffersFresh).count();
}

void StreamTail::WaitForOfferLeftToStream(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  offer_left_.wait_for(lock, timeout, [&] { return stopping_.load() || offer_left_pending_; });
  offer_left_pending_ = false;
}

void StreamTail::OfferEncoded(const std::vector<std::pair<int64_t, std::string>>& published) {
  std::vector<PublishedEvent> events;
  events.reserve(published.size());
  for (const auto& [publish_seq, envelope] : published) {
    PublishedEvent event;
    event.publish_seq = publish_seq;
    if (!event.envelope.ParseFromString(envelope)) {
      LeaveOfferToStream();
      return;
    }
    events.push_back(std::move(event));
  }
  Offer(std::move(events));
}

void StreamTail::Deliver(std::vector<PublishedEvent> events) {
  std::lock_guard delivery(delivery_mutex_);
  DeliverLocked(std::move(events));
}

void StreamTail::DeliverLocked(std::vector<PublishedEvent> events) {
  std::erase_if(events, [&](const PublishedEvent& e) { return e.publish_seq <= last_seq_.load(); });
  if (events.empty()) return;
  std::vector<std::pair<int, Listener>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = listeners_;
    delivering_ = true;
    delivering_thread_ = std::this_thread::get_id();
    handed_out_ = events.back().publish_seq;
  }
  for (const auto& event : events) {
    for (const auto& [id, listener] : snapshot) {
      try {
        listener(event);
      } catch (const std::exception& error) {
        log::Error("stream tail: listener threw", {{"listener", id}, {"error", error.what()}});
      }
    }
    last_seq_.store(event.publish_seq);
  }
  {
    std::lock_guard lock(mutex_);
    delivering_ = false;
    ++delivery_round_;
  }
  changed_.notify_all();
}

void StreamTail::Run() {
  NameCurrentThread("stream-tail");
  const auto block_ms = std::to_string(options_.block.count());
  std::string run_id;
  bool reachable = false;  // Redis answered since the last failure
  bool catch_up = true;    // Postgres may hold events this tail has not seen on the stream
  auto next_run_id_check = Clock::now();
  std::string read_from;         // XREAD position: the last entry id seen
  bool stream_has_more = false;  // the last XREAD returned a full batch
  auto lost_redis = [&] {
    if (reachable || healthy_.load()) {
      log::Warn("stream tail: redis unreachable; following the outbox in Postgres",
                {{"stream", options_.stream}});
    }
    healthy_.store(false);
    reachable = false;
    catch_up = true;
  };

  while (!stopping_.load()) {
    if (!positioned_.load() && !Position()) {
      Sleep(options_.block);
      continue;
    }
    if (!reachable || Clock::now() >= next_run_id_check) {
      auto info = redis_.Command({"INFO", "server"});
      std::optional<std::string> id = info.ok() ? RunIdOf(*info) : std::nullopt;
      if (!id) {
        lost_redis();
        // The relay cannot publish without Redis, but this replica may be the only one cut off:
        // keep listeners fed from Postgres meanwhile.
        CatchUpFromPostgres();
        Sleep(options_.block);
        continue;
      }
      if (!run_id.empty() && *id != run_id) {
        log::Warn("stream tail: redis restarted (new run_id); catching up from Postgres",
                  {{"stream", options_.stream}});
        catch_up = true;
      }
      run_id = *id;
      reachable = true;
      next_run_id_check = Clock::now() + kRunIdCheckEvery;
    }
    if (catch_up) {
      if (!CatchUpFromPostgres()) {
        healthy_.store(false);
        Sleep(options_.block);
        continue;
      }
      catch_up = false;
    }
    // Offers hand the events out already: a look at the stream now and then (or when an offer
    // was left to it) finds what did not come that way, without a wake-up per event.
    // A read that filled its batch leaves more behind: read on at once.
    const bool following_offers = FollowingOffers();
    if (following_offers && !stream_has_more) {
      WaitForOfferLeftToStream(kOfferedCheckEvery);
      if (stopping_.load()) break;
    }
    const int64_t last = last_seq_.load();
    if (read_from.empty() || SeqOfStreamId(read_from) < last) {
      read_from = std::to_string(last) + "-0";
    }
    if (!healthy_.exchange(true)) {
      log::Info("stream tail: following the stream",
                {{"stream", options_.stream}, {"from", read_from}});
    }

    // INFO rides in the same pipeline: it runs right after XREAD on the same connection, which
    // cannot outlive a restart, so its run_id names the instance that answered the XREAD (see the
    // note at the top) without a round trip of its own.
    stream_has_more = false;  // until this read says otherwise
    std::vector<std::string> xread = {"XREAD", "COUNT", std::to_string(kReadCount)};
    if (!following_offers) xread.insert(xread.end(), {"BLOCK", block_ms});
    xread.insert(xread.end(), {"STREAMS", options_.stream, read_from});
    reads_.Increment();
    auto replies = redis_.Pipeline({std::move(xread), {"INFO", "server"}}, options_.block);
    if (!replies.ok() || replies->size() != 2) {
      lost_redis();
      continue;
    }
    const RedisValue* reply = &(*replies)[0];
    if (reply->type == RedisValue::Type::kError) {
      log::Error("stream tail: XREAD failed", {{"stream", options_.stream}, {"error", reply->str}});
      healthy_.store(false);
      Sleep(options_.block);
      continue;
    }
    if (reply->type != RedisValue::Type::kArray || reply->elements.empty()) continue;  // timeout
    const RedisValue& stream = reply->elements[0];
    if (stream.type != RedisValue::Type::kArray || stream.elements.size() < 2) continue;
    auto entries = EntriesOf(stream.elements[1]);
    stream_has_more = entries.size() >= static_cast<size_t>(kReadCount);
    if (entries.empty()) continue;

    // Were these read from the instance we know? (See the note at the top.)
    std::optional<std::string> id = RunIdOf((*replies)[1]);
    if (!id) {
      lost_redis();
      continue;
    }
    next_run_id_check = Clock::now() + kRunIdCheckEvery;
    if (*id != run_id) {
      log::Warn("stream tail: redis restarted (new run_id); catching up from Postgres",
                {{"stream", options_.stream}});
      run_id = *id;
      catch_up = true;
      continue;
    }

    std::vector<PublishedEvent> events;
    events.reserve(entries.size());
    for (const auto& entry : entries) {
      read_from = entry.id;
      PublishedEvent event;
      event.publish_seq = entry.seq;
      if (entry.seq <= 0 || entry.envelope == nullptr ||
          !event.envelope.ParseFromString(*entry.envelope)) {
        log::Error("stream tail: malformed stream entry; skipped",
                   {{"stream", options_.stream}, {"id", entry.id}});
        continue;
      }
      events.push_back(std::move(event));
    }
    Deliver(std::move(events));
  }
  healthy_.store(false);
}

// ---------------------------------------------------------------------------------------------
// EventServiceImpl

struct EventServiceImpl::Subscription {
  enum class Phase { kSetup, kReplay, kLive };
  enum class StartKind { kNow, kCursor, kTime, kOldest };

  // What to do once the mutex is released.
  struct Action {
    enum class Kind { kNone, kWrite, kFinish, kFetch } kind = Kind::kNone;
    Reactor* reactor = nullptr;
    grpc::Status status;
  };

  explicit Subscription(EventServiceImpl& s) : service(s) {}

  bool Matches(const v1::EventEnvelope& envelope) const {
    return StartsWith(envelope.type(), type_prefix) &&
           StartsWith(envelope.subject(), subject_prefix);
  }

  ev::SubscribeResponse Response(int64_t seq, v1::EventEnvelope envelope) const {
    ev::SubscribeResponse response;
    *response.mutable_event() = std::move(envelope);
    response.set_cursor(service.EncodeCursor(seq));
    return response;
  }

  // Decides the next step; the caller holds `mutex` and performs the action after releasing it.
  Action Pump();
  static void Perform(const std::shared_ptr<Subscription>& self, Action action);
  static void Setup(const std::shared_ptr<Subscription>& self);
  static void Fetch(const std::shared_ptr<Subscription>& self);
  static void OnLive(const std::shared_ptr<Subscription>& self, const PublishedEvent& event);
  absl::StatusOr<int64_t> ResolveStart(int64_t position) const;

  EventServiceImpl& service;
  // Set before the subscription is shared, then read-only.
  std::string type_prefix;
  std::string subject_prefix;
  StartKind start_kind = StartKind::kNow;
  int64_t start_seq = 0;   // kCursor
  std::string start_time;  // kTime, RFC 3339

  std::mutex mutex;
  Reactor* reactor = nullptr;  // null once gRPC called OnDone
  Phase phase = Phase::kSetup;
  int64_t scanned = 0;              // highest publish_seq already handled (sent or filtered out)
  int64_t target = 0;               // replay must reach this before following live
  std::deque<PublishedEvent> live;  // matching live events, in order
  std::deque<ev::SubscribeResponse> ready;  // replayed, waiting to be written
  ev::SubscribeResponse outgoing;           // the write in flight
  bool writing = false;
  bool fetching = false;
  bool finished = false;  // Finish was (or is being) called
  bool pause_before_fetch = false;
  int64_t waited_for = -1;  // the target a commit wait started for
  Clock::time_point wait_until;
  std::optional<absl::Status> pending_finish;
  absl::Status final_status;
  int listener_id = 0;
  int64_t sent = 0;
};

class EventServiceImpl::Reactor final : public grpc::ServerWriteReactor<ev::SubscribeResponse> {
 public:
  Reactor(EventServiceImpl& service, grpc::CallbackServerContext* context,
          const ev::SubscribeRequest& request);
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  absl::Status Begin(grpc::CallbackServerContext* context, const ev::SubscribeRequest& request);
  void Step(std::optional<absl::Status> finish_with, bool write_done);

  EventServiceImpl& service_;
  std::shared_ptr<Subscription> sub_;
  const Clock::time_point started_ = Clock::now();
  std::string principal_;
};

EventServiceImpl::Subscription::Action EventServiceImpl::Subscription::Pump() {
  Action action;
  if (reactor == nullptr || finished || writing) return action;
  if (pending_finish) {
    finished = true;
    final_status = *pending_finish;
    action.kind = Action::Kind::kFinish;
    action.reactor = reactor;
    action.status = ToGrpcStatus(*pending_finish);
    return action;
  }
  if (!ready.empty()) {
    outgoing = std::move(ready.front());
    ready.pop_front();
  } else if (phase == Phase::kReplay) {
    if (!fetching) {
      fetching = true;
      action.kind = Action::Kind::kFetch;
    }
    return action;
  } else if (phase == Phase::kLive) {
    while (!live.empty() && live.front().publish_seq <= scanned) live.pop_front();
    if (live.empty()) return action;
    PublishedEvent event = std::move(live.front());
    live.pop_front();
    scanned = event.publish_seq;
    outgoing = Response(event.publish_seq, std::move(event.envelope));
  } else {
    return action;
  }
  writing = true;
  ++sent;
  action.kind = Action::Kind::kWrite;
  action.reactor = reactor;
  return action;
}

void EventServiceImpl::Subscription::Perform(const std::shared_ptr<Subscription>& self,
                                             Action action) {
  switch (action.kind) {
    case Action::Kind::kNone:
      return;
    case Action::Kind::kWrite:
      // `outgoing` is not touched again until OnWriteDone.
      action.reactor->StartWrite(&self->outgoing);
      return;
    case Action::Kind::kFinish:
      action.reactor->Finish(action.status);
      return;
    case Action::Kind::kFetch:
      if (self->service.Submit([self] { Fetch(self); })) return;
      Action next;
      {
        std::lock_guard lock(self->mutex);
        self->fetching = false;
        if (!self->pending_finish) {
          self->pending_finish =
              absl::ResourceExhaustedError("the server is overloaded; resume from your cursor");
        }
        next = self->Pump();
      }
      Perform(self, next);
      return;
  }
}

absl::StatusOr<int64_t> EventServiceImpl::Subscription::ResolveStart(int64_t position) const {
  if (start_kind == StartKind::kNow) return position;
  const std::string table = OutboxTable(service.schema_);
  int64_t start = 0;
  absl::Status status = service.runtime_.pg().Read([&](pqxx::transaction_base& transaction) {
    if (start_kind == StartKind::kCursor) {
      // Retention deletes the oldest published rows. If the oldest left is beyond the event
      // after the cursor, events the client has not seen may be gone.
      auto row = transaction.exec1("SELECT min(publish_seq) FROM " + table);
      if (!row[0].is_null() && row[0].as<int64_t>() > start_seq + 1) {
        return WithReason(
            absl::OutOfRangeError("the cursor is older than the event retention window; "
                                  "subscribe again with start_time or from now"),
            "CURSOR_EXPIRED");
      }
      start = start_seq;
      return absl::OkStatus();
    }
    if (start_kind == StartKind::kOldest) {
      auto row = transaction.exec1("SELECT min(publish_seq) FROM " + table);
      start = row[0].is_null() ? 0 : row[0].as<int64_t>() - 1;
      return absl::OkStatus();
    }
    auto row = transaction.exec_params1("SELECT (SELECT min(publish_seq) FROM " + table +
                                            " WHERE published_at >= $1::timestamptz), "
                                            "(SELECT coalesce(max(publish_seq), 0) FROM " +
                                            table + ")",
                                        start_time);
    // Nothing published since then: everything from now on qualifies.
    start = row[0].is_null() ? row[1].as<int64_t>() : row[0].as<int64_t>() - 1;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return start;
}

void EventServiceImpl::Subscription::Setup(const std::shared_ptr<Subscription>& self) {
  EventServiceImpl& service = self->service;
  int64_t position = 0;
  // Registering first buffers everything after `position`; the replay covers the rest.
  const int id = service.tail_.AddListener(
      [self](const PublishedEvent& event) { OnLive(self, event); }, &position);
  bool ended = false;
  {
    std::lock_guard lock(self->mutex);
    ended = self->reactor == nullptr;
    if (!ended) self->listener_id = id;
  }
  if (ended) {
    // The call ended while this task waited; nobody else will remove the listener.
    service.tail_.RemoveListener(id);
    return;
  }
  absl::StatusOr<int64_t> start = self->ResolveStart(position);
  Action action;
  {
    std::lock_guard lock(self->mutex);
    if (!start.ok()) {
      if (!self->pending_finish) self->pending_finish = start.status();
    } else {
      self->scanned = *start;
      self->target = position;
      self->phase = self->start_kind == StartKind::kNow ? Phase::kLive : Phase::kReplay;
    }
    action = self->Pump();
  }
  Perform(self, action);
}

void EventServiceImpl::Subscription::Fetch(const std::shared_ptr<Subscription>& self) {
  EventServiceImpl& service = self->service;
  int64_t from = 0;
  bool pause = false;
  {
    std::lock_guard lock(self->mutex);
    from = self->scanned;
    pause = std::exchange(self->pause_before_fetch, false);
  }
  if (pause) std::this_thread::sleep_for(kCommitPoll);
  std::vector<std::pair<int64_t, std::string>> rows;
  absl::Status status = service.runtime_.pg().Read(
      [&](pqxx::transaction_base& transaction) {
        auto result = transaction.exec_params(
            "SELECT publish_seq, envelope FROM " + OutboxTable(service.schema_) +
                " WHERE publish_seq > $1 ORDER BY publish_seq LIMIT $2",
            from, service.options_.replay_batch);
        rows.reserve(result.size());
        for (const auto& row : result) {
          rows.emplace_back(row[0].as<int64_t>(), pqxx::binarystring(row[1]).str());
        }
        return absl::OkStatus();
      },
      ReadScope::kOneStatement);

  Action action;
  {
    std::lock_guard lock(self->mutex);
    self->fetching = false;
    if (self->reactor == nullptr || self->finished) return;
    if (!status.ok()) {
      log::Warn("events: replay read failed", {{"error", std::string(status.message())}});
      if (!self->pending_finish) {
        self->pending_finish = Unavailable(
            "EVENTS_UNAVAILABLE", "reading events failed; resume from the last cursor received");
      }
    } else {
      for (auto& [seq, bytes] : rows) {
        self->scanned = seq;
        v1::EventEnvelope envelope;
        if (!envelope.ParseFromString(bytes)) {
          log::Error("events: undecodable outbox envelope; skipped", {{"publish_seq", seq}});
          continue;
        }
        if (self->Matches(envelope))
          self->ready.push_back(self->Response(seq, std::move(envelope)));
      }
      if (rows.size() < static_cast<size_t>(service.options_.replay_batch)) {
        if (self->scanned >= self->target) {
          self->phase = Phase::kLive;
        } else {
          // The stream is ahead of what Postgres shows: the relay has not committed yet (or a
          // pass rolled back after its XADD, and those ids will never appear).
          const auto now = Clock::now();
          if (self->waited_for != self->target) {
            self->waited_for = self->target;
            self->wait_until = now + service.options_.commit_wait;
          }
          if (now < self->wait_until) {
            self->pause_before_fetch = true;
          } else {
            log::Warn("events: stream ids never became visible in the outbox; following live",
                      {{"scanned", self->scanned}, {"target", self->target}});
            self->phase = Phase::kLive;
          }
        }
      }
    }
    action = self->Pump();
  }
  Perform(self, action);
}

void EventServiceImpl::Subscription::OnLive(const std::shared_ptr<Subscription>& self,
                                            const PublishedEvent& event) {
  Action action;
  {
    std::lock_guard lock(self->mutex);
    if (self->reactor == nullptr || self->finished || self->pending_finish) return;
    if (!self->Matches(event.envelope)) return;
    self->live.push_back(event);
    if (self->live.size() > self->service.options_.queue_capacity) {
      self->live.clear();
      if (self->phase != Phase::kLive) {
        // Still replaying: drop the buffer and let the replay read these from Postgres too.
        self->target = std::max(self->target, event.publish_seq);
      } else {
        self->pending_finish = WithReason(
            absl::ResourceExhaustedError(
                "the subscriber fell too far behind the live stream; resubscribe with the last "
                "cursor received to continue without losing events"),
            "SUBSCRIBER_TOO_SLOW");
      }
    }
    action = self->Pump();
  }
  Perform(self, action);
}

EventServiceImpl::Reactor::Reactor(EventServiceImpl& service, grpc::CallbackServerContext* context,
                                   const ev::SubscribeRequest& request)
    : service_(service), sub_(std::make_shared<Subscription>(service)) {
  sub_->reactor = this;
  absl::Status status = Begin(context, request);
  if (!status.ok()) Step(status, false);
}

absl::Status EventServiceImpl::Reactor::Begin(grpc::CallbackServerContext* context,
                                              const ev::SubscribeRequest& request) {
  auto rpc = service_.runtime_.Authenticate(*context);
  if (!rpc.ok()) return rpc.status();
  principal_ = rpc->principal.subject;
  if (!rpc->principal.HasAny({Role::kIntegration, Role::kAdmin})) {
    return PermissionDenied("ROLE_REQUIRED",
                            "subscribing to events needs the role integration or admin");
  }
  Violations violations;
  if (request.type_prefix().size() > kMaxPrefix) {
    violations.Add("type_prefix", "must be at most " + std::to_string(kMaxPrefix) + " bytes");
  }
  if (request.subject_prefix().size() > kMaxPrefix) {
    violations.Add("subject_prefix", "must be at most " + std::to_string(kMaxPrefix) + " bytes");
  }
  using google::protobuf::util::TimeUtil;
  switch (request.start_case()) {
    case ev::SubscribeRequest::kCursor:
      if (request.cursor().empty()) break;  // an unset cursor: from now
      if (auto seq = service_.DecodeCursor(request.cursor()); seq.ok()) {
        sub_->start_kind = Subscription::StartKind::kCursor;
        sub_->start_seq = *seq;
      } else {
        violations.Add("cursor", "is not a cursor issued by this service's event stream");
      }
      break;
    case ev::SubscribeRequest::kStartTime: {
      const auto& time = request.start_time();
      if (time.seconds() < TimeUtil::kTimestampMinSeconds ||
          time.seconds() > TimeUtil::kTimestampMaxSeconds || time.nanos() < 0 ||
          time.nanos() > 999999999) {
        violations.Add("start_time", "is not a valid timestamp");
        break;
      }
      const auto now = TimeUtil::GetCurrentTime();
      if (time > now + TimeUtil::SecondsToDuration(60)) {
        violations.Add("start_time", "is in the future; omit it to start from now");
        break;
      }
      const auto oldest =
          now - TimeUtil::SecondsToDuration(
                    std::chrono::duration_cast<std::chrono::seconds>(service_.options_.retention)
                        .count());
      if (time < oldest) {
        ACCORD_RETURN_IF_ERROR(violations.ToStatus());
        return WithReason(
            absl::OutOfRangeError("start_time is older than the event retention "
                                  "window (" +
                                  std::to_string(service_.options_.retention.count()) +
                                  "h); the oldest accepted is " + TimeUtil::ToString(oldest)),
            "START_TIME_OUT_OF_RETENTION");
      }
      sub_->start_kind = Subscription::StartKind::kTime;
      sub_->start_time = TimeUtil::ToString(time);
      break;
    }
    case ev::SubscribeRequest::kOldest:
      if (request.oldest()) sub_->start_kind = Subscription::StartKind::kOldest;
      break;
    case ev::SubscribeRequest::START_NOT_SET:
      break;
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  sub_->type_prefix = request.type_prefix();
  sub_->subject_prefix = request.subject_prefix();
  auto sub = sub_;
  if (!service_.Submit([sub] { Subscription::Setup(sub); })) {
    return absl::ResourceExhaustedError("the server is overloaded; retry with backoff");
  }
  return absl::OkStatus();
}

void EventServiceImpl::Reactor::Step(std::optional<absl::Status> finish_with, bool write_done) {
  Subscription::Action action;
  {
    std::lock_guard lock(sub_->mutex);
    if (write_done) sub_->writing = false;
    if (finish_with && !sub_->pending_finish) sub_->pending_finish = std::move(*finish_with);
    action = sub_->Pump();
  }
  Subscription::Perform(sub_, action);
}

void EventServiceImpl::Reactor::OnWriteDone(bool ok) {
  std::optional<absl::Status> finish;
  if (!ok) finish = absl::CancelledError("the stream is closed");
  Step(std::move(finish), true);
}

void EventServiceImpl::Reactor::OnCancel() {
  Step(absl::CancelledError("the client cancelled the subscription"), false);
}

void EventServiceImpl::Reactor::OnDone() {
  int listener_id = 0;
  absl::Status status;
  int64_t sent = 0;
  {
    std::lock_guard lock(sub_->mutex);
    sub_->reactor = nullptr;
    listener_id = std::exchange(sub_->listener_id, 0);
    status = sub_->final_status;
    sent = sub_->sent;
    sub_->live.clear();
    sub_->ready.clear();
  }
  if (listener_id > 0) service_.tail_.RemoveListener(listener_id);
  const auto elapsed = Clock::now() - started_;
  service_.method_.Record(static_cast<grpc::StatusCode>(status.code()), elapsed);
  nlohmann::json fields = {
      {"method", service_.method_.name()},
      {"code", absl::StatusCodeToString(status.code())},
      {"events", sent},
      {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()}};
  if (!principal_.empty()) fields["principal"] = principal_;
  if (!status.ok()) fields["error"] = std::string(status.message());
  log::Info("events subscription ended", std::move(fields));
  delete this;
}

EventServiceImpl::EventServiceImpl(Runtime& runtime, StreamTail& tail, std::string schema,
                                   EventServiceOptions options)
    : runtime_(runtime),
      tail_(tail),
      schema_(std::move(schema)),
      options_(std::move(options)),
      cursor_query_("events:" + schema_),
      method_("accord.events.v1.EventService", "Subscribe") {}

EventServiceImpl::~EventServiceImpl() {
  std::unique_lock lock(tasks_mutex_);
  tasks_done_.wait(lock, [&] { return tasks_ == 0; });
}

bool EventServiceImpl::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(tasks_mutex_);
    ++tasks_;
  }
  auto done = [this] {
    std::lock_guard lock(tasks_mutex_);
    if (--tasks_ == 0) tasks_done_.notify_all();
  };
  const bool submitted = runtime_.workers().Submit([task = std::move(task), done] {
    try {
      task();
    } catch (const std::exception& error) {
      log::Error("events: task failed", {{"error", error.what()}});
    }
    done();
  });
  if (!submitted) done();
  return submitted;
}

grpc::ServerWriteReactor<ev::SubscribeResponse>* EventServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const ev::SubscribeRequest* request) {
  return new Reactor(*this, context, *request);
}

std::string EventServiceImpl::EncodeCursor(int64_t publish_seq) const {
  return runtime_.page_tokens().Encode(PageCursor{cursor_query_, {std::to_string(publish_seq)}});
}

absl::StatusOr<int64_t> EventServiceImpl::DecodeCursor(std::string_view cursor) const {
  auto decoded = runtime_.page_tokens().Decode(cursor, cursor_query_);
  if (!decoded.ok() || decoded->last_key.size() != 1) {
    return InvalidArgument("cursor", "is not a cursor issued by this service's event stream");
  }
  const std::string& text = decoded->last_key[0];
  int64_t seq = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc() || end != text.data() + text.size() || seq < 0) {
    return InvalidArgument("cursor", "is not a cursor issued by this service's event stream");
  }
  return seq;
}

}  // namespace accord::common
