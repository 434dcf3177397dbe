// EventServiceImpl (see event_stream.h). Beyond the header:
//
// - The relay XADDs before it commits, so the stream can be a few milliseconds ahead of Postgres.
//   The tail never relies on Postgres alone for the newest events: after a catch-up it resumes
//   XREAD from the last position, and a replaying subscriber waits (briefly) for the events the
//   tail already handed out to become visible in Postgres.
// - A subscriber is a shared Subscription (its state machine, under one mutex) and a Reactor that
//   gRPC deletes after OnDone. The tail's listener, worker tasks and the reactor each hold the
//   Subscription; the reactor pointer inside it is cleared in OnDone, and writes or Finish are
//   only started while the protocol guarantees the reactor is alive (no Finish while a write is
//   in flight), and always outside the mutex.
#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <deque>
#include <optional>
#include <pqxx/pqxx>

#include "accord/common/call_observer.h"
#include "accord/common/errors.h"
#include "accord/common/event_stream.h"
#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "accord/common/pg.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ev = ::accord::events::v1;

constexpr auto kCommitPoll = 25ms;
constexpr size_t kMaxPrefix = 512;

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

std::string OutboxTable(const std::string& schema) { return schema + ".outbox"; }

}  // namespace

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
    *response.mutable_event() =
        whole_events ? std::move(envelope) : EventServiceImpl::Notification(envelope);
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
  bool whole_events = false;  // else notifications (EventServiceImpl::ReceivesWholeEvents)
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
  // Served through GrpcServer, the caller was authenticated and its role checked before this ran;
  // registered on a bare gRPC server (tests), it is checked here the same way.
  if (auto* observer = CallObserver::Of(*context); observer && observer->context()) {
    principal_ = observer->context()->principal.subject;
    sub_->whole_events = ReceivesWholeEvents(observer->context()->principal);
  } else {
    auto rpc = service_.runtime_.Authenticate(*context);
    if (!rpc.ok()) return rpc.status();
    if (!SubscribeAccess().Allows(rpc->principal)) {
      return PermissionDenied("ROLE_REQUIRED",
                              "subscribing to events " + SubscribeAccess().Describe());
    }
    principal_ = rpc->principal.subject;
    sub_->whole_events = ReceivesWholeEvents(rpc->principal);
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
  // Set-up waits for a worker no longer than any call does (queue_deadline.h).
  const QueueDeadline deadline =
      QueueDeadlineFor(*context, service_.runtime_.settings().pg.acquire_timeout);
  auto expired = [sub, deadline] {
    Subscription::Action action;
    {
      std::lock_guard lock(sub->mutex);
      if (!sub->pending_finish) sub->pending_finish = deadline.Expired("a worker");
      action = sub->Pump();
    }
    Subscription::Perform(sub, action);
  };
  if (!service_.Submit([sub] { Subscription::Setup(sub); }, deadline, std::move(expired))) {
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
  nlohmann::json fields = {
      {"method", service_.method_.name()},
      {"code", absl::StatusCodeToString(status.code())},
      {"events", sent},
      {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()}};
  if (!principal_.empty()) fields["principal"] = principal_;
  fields["delivered"] = sub_->whole_events ? "events" : "notifications";
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
  return Submit(std::move(task), QueueDeadline{}, nullptr);
}

bool EventServiceImpl::Submit(std::function<void()> task, const QueueDeadline& deadline,
                              std::function<void()> expired) {
  {
    std::lock_guard lock(tasks_mutex_);
    ++tasks_;
  }
  auto done = [this] {
    std::lock_guard lock(tasks_mutex_);
    if (--tasks_ == 0) tasks_done_.notify_all();
  };
  auto guarded = [done](const std::function<void()>& run) {
    try {
      run();
    } catch (const std::exception& error) {
      log::Error("events: task failed", {{"error", error.what()}});
    }
    done();
  };
  std::function<void()> on_expiry;
  if (expired) {
    on_expiry = [guarded, expired = std::move(expired)] { guarded(expired); };
  }
  const bool submitted = runtime_.workers().Submit(
      [guarded, task = std::move(task)] { guarded(task); }, deadline.at, std::move(on_expiry));
  if (!submitted) done();
  return submitted;
}

grpc::ServerWriteReactor<ev::SubscribeResponse>* EventServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const ev::SubscribeRequest* request) {
  return new Reactor(*this, context, *request);
}

v1::EventEnvelope EventServiceImpl::Notification(const v1::EventEnvelope& envelope) {
  v1::EventEnvelope notification;
  notification.set_id(envelope.id());
  notification.set_type(envelope.type());
  notification.set_source(envelope.source());
  notification.set_subject(envelope.subject());
  notification.set_aggregate_version(envelope.aggregate_version());
  if (envelope.has_time()) *notification.mutable_time() = envelope.time();
  return notification;
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
