// EventConsumer (see consumer.h). Beyond the header:
//
// - The group is created at id 0, not $: a new group starts with whatever the stream retains,
//   and, more importantly, a group recreated after Redis lost its data sees the entries the relay
//   published between Redis' restart and the recreation (with $ they would be skipped silently).
//   Replaying retained entries is harmless: consumed_events makes it effect-free.
// - One PollOnce does one of: (re)create the group; read a batch of this consumer's own pending
//   entries (cursor advancing from 0, so a failing entry does not block the ones after it);
//   XAUTOCLAIM entries idle longer than claim_idle (every claim_idle/2, at most every 10 s, and at
//   once while the scan has more to go), which also retries this consumer's own failed entries;
//   or XREADGROUP `>` with BLOCK. NOGROUP from any of them recreates the group at once.
// - An entry whose envelope is missing (trimmed while pending), unparsable or has an invalid id
//   can never apply: it is logged and acknowledged. A handler error leaves the entry pending (it
//   comes back through XAUTOCLAIM); UNAVAILABLE (database down) also ends the batch, and the rest
//   is re-read from the pending list after the loop's backoff.
// - Events without a subject or with aggregate_version 0 skip the position check.
// - accord_consumer_lag{stream,group} = the group's `lag` (entries not yet delivered, Redis 7)
//   plus `pending` (delivered, not yet acknowledged): entries not yet processed. Refreshed at most
//   once a second. accord_consumer_applied_total counts handler applications (not skips).
#include "accord/common/consumer.h"

#include <algorithm>
#include <utility>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/thread_name.h"

namespace accord::common {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Type = RedisValue::Type;

struct EventConsumer::Entry {
  std::string id;
  const std::string* envelope = nullptr;  // null: no `envelope` field (or the entry was deleted)
};

namespace {

constexpr auto kSlice = 50ms;
constexpr auto kInitialBackoff = 100ms;
constexpr auto kMaxBackoff = 2s;
constexpr auto kMaxClaimEvery = 10s;
// Copied rather than assigned from literals: GCC 12 warns falsely (-Wrestrict) on the latter.
const std::string kPendingStart = "0";
const std::string kClaimStart = "0-0";

bool IsNoGroup(const RedisValue& reply) {
  return reply.type == Type::kError && reply.str.rfind("NOGROUP", 0) == 0;
}

absl::Status UnexpectedReply(const std::string& command, const RedisValue& reply) {
  std::string message = "redis ";
  message.append(command).append(" answered ");
  message.append(reply.type == Type::kError ? reply.str : "an unexpected reply");
  return Internal(message);
}

// [[id, [field, value, ...]], ...]; a deleted pending entry comes back as [id, nil].
template <typename EntryT>
std::vector<EntryT> ParseEntries(const RedisValue& list) {
  std::vector<EntryT> entries;
  if (list.type != Type::kArray) return entries;
  for (const auto& item : list.elements) {
    if (item.type != Type::kArray || item.elements.empty()) continue;
    EntryT entry;
    entry.id = item.elements[0].str;
    if (item.elements.size() > 1 && item.elements[1].type == Type::kArray) {
      const auto& fields = item.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "envelope") entry.envelope = &fields[i + 1].str;
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// XREADGROUP answers nil (timeout) or [[stream, entries]].
template <typename EntryT>
std::vector<EntryT> ParseReadGroup(const RedisValue& reply) {
  if (reply.type != Type::kArray || reply.elements.empty()) return {};
  const auto& stream = reply.elements[0];
  if (stream.type != Type::kArray || stream.elements.size() < 2) return {};
  return ParseEntries<EntryT>(stream.elements[1]);
}

}  // namespace

EventConsumer::EventConsumer(ConsumerOptions options, PgPool& pool, RedisClient& redis,
                             Handler handler)
    : options_(std::move(options)),
      pool_(pool),
      redis_(redis),
      handler_(std::move(handler)),
      insert_consumed_sql_("INSERT INTO " + options_.schema +
                           ".consumed_events (consumer_group, event_id) VALUES ($1, $2::uuid) "
                           "ON CONFLICT DO NOTHING"),
      // Returns a row only if the event is newer than what was applied for its subject.
      advance_position_sql_("INSERT INTO " + options_.schema +
                            ".consumer_positions AS p (consumer_group, subject, aggregate_version) "
                            "VALUES ($1, $2, $3) ON CONFLICT (consumer_group, subject) DO UPDATE "
                            "SET aggregate_version = EXCLUDED.aggregate_version "
                            "WHERE p.aggregate_version < EXCLUDED.aggregate_version RETURNING 1") {
  if (options_.batch_size < 1) options_.batch_size = 1;
  const Labels labels = {{"stream", options_.stream}, {"group", options_.group}};
  auto& registry = MetricsRegistry::Global();
  applied_counter_ = &registry.GetCounter("accord_consumer_applied_total",
                                          "Events applied by consumer handlers", labels);
  lag_gauge_ = &registry.GetGauge("accord_consumer_lag",
                                  "Stream entries not yet processed by the consumer group", labels);
}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  if (thread_.joinable()) return;
  stopping_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void EventConsumer::Run() {
  NameCurrentThread("event-consumer");
  auto backoff = std::chrono::milliseconds(kInitialBackoff);
  bool failing = false;
  while (!stopping_.load()) {
    absl::Status status = PollOnce();
    if (status.ok()) {
      if (failing) log::Info("event consumer recovered", {{"stream", options_.stream}});
      failing = false;
      backoff = kInitialBackoff;
      continue;
    }
    if (!failing) {
      log::Warn(
          "event consumer poll failed; retrying",
          {{"stream", options_.stream}, {"group", options_.group}, {"error", status.ToString()}});
    }
    failing = true;
    const auto deadline = Clock::now() + backoff;
    while (!stopping_.load() && Clock::now() < deadline) std::this_thread::sleep_for(kSlice);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

absl::Status EventConsumer::EnsureGroup() {
  auto reply =
      redis_.Command({"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"});
  if (!reply.ok()) return reply.status();
  if (reply->type == Type::kError && reply->str.rfind("BUSYGROUP", 0) != 0) {
    return UnexpectedReply("XGROUP CREATE", *reply);
  }
  group_ready_ = true;
  pending_drained_ = false;
  pending_cursor_ = kPendingStart;
  claim_cursor_ = kClaimStart;
  return absl::OkStatus();
}

absl::Status EventConsumer::Regroup(const std::string& error) {
  log::Warn("consumer group missing (did Redis lose its data?); recreating it",
            {{"stream", options_.stream}, {"group", options_.group}, {"error", error}});
  group_ready_ = false;
  return EnsureGroup();
}

absl::Status EventConsumer::PollOnce() {
  if (!group_ready_) ACCORD_RETURN_IF_ERROR(EnsureGroup());
  MaybeUpdateLag();
  const std::string count = std::to_string(options_.batch_size);

  if (!pending_drained_) {
    auto reply = redis_.Command({"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT",
                                 count, "STREAMS", options_.stream, pending_cursor_});
    if (!reply.ok()) return reply.status();
    if (IsNoGroup(*reply)) return Regroup(reply->str);
    if (reply->type == Type::kError) return UnexpectedReply("XREADGROUP", *reply);
    auto entries = ParseReadGroup<Entry>(*reply);
    if (!entries.empty()) {
      pending_cursor_ = entries.back().id;
      return ApplyAll(entries);
    }
    pending_drained_ = true;
    pending_cursor_ = kPendingStart;
  }

  const auto now = Clock::now();
  if (now >= next_claim_) {
    auto reply = redis_.Command({"XAUTOCLAIM", options_.stream, options_.group, options_.consumer,
                                 std::to_string(options_.claim_idle.count()), claim_cursor_,
                                 "COUNT", count});
    if (!reply.ok()) return reply.status();
    if (IsNoGroup(*reply)) return Regroup(reply->str);
    if (reply->type != Type::kArray || reply->elements.size() < 2) {
      return UnexpectedReply("XAUTOCLAIM", *reply);
    }
    // [next cursor, claimed entries, ids deleted from the stream (dropped from the PEL by Redis)]
    claim_cursor_ = reply->elements[0].str;
    if (claim_cursor_ == "0-0" || claim_cursor_.empty()) {
      claim_cursor_ = kClaimStart;
      next_claim_ = now + std::clamp<Clock::duration>(options_.claim_idle / 2, 1ms, kMaxClaimEvery);
    }
    auto entries = ParseEntries<Entry>(reply->elements[1]);
    if (!entries.empty()) return ApplyAll(entries);
  }

  std::vector<std::string> args = {"XREADGROUP",      "GROUP", options_.group,
                                   options_.consumer, "COUNT", count};
  if (options_.block.count() > 0) {
    args.push_back("BLOCK");
    args.push_back(std::to_string(options_.block.count()));
  }
  args.insert(args.end(), {"STREAMS", options_.stream, ">"});
  auto reply = options_.block.count() > 0 ? redis_.BlockingCommand(args, options_.block)
                                          : redis_.Command(args);
  if (!reply.ok()) return reply.status();
  if (IsNoGroup(*reply)) return Regroup(reply->str);
  if (reply->type == Type::kError) return UnexpectedReply("XREADGROUP", *reply);
  return ApplyAll(ParseReadGroup<Entry>(*reply));
}

absl::Status EventConsumer::ApplyAll(const std::vector<Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  std::vector<std::string> ack = {"XACK", options_.stream, options_.group};
  absl::Status result;
  for (const auto& entry : entries) {
    absl::Status status = ApplyOne(entry);
    if (status.ok()) {
      ack.push_back(entry.id);
      continue;
    }
    if (status.code() == absl::StatusCode::kUnavailable) {
      // The database is down: the rest of the batch would fail the same way. Re-read it later.
      pending_drained_ = false;
      pending_cursor_ = kPendingStart;
      result = status;
      break;
    }
    log::Warn("event handler failed; the entry stays pending and will be retried",
              {{"stream", options_.stream},
               {"group", options_.group},
               {"entry", entry.id},
               {"error", status.ToString()}});
  }
  if (ack.size() > 3) {
    // A lost ack only means a redelivery, which consumed_events turns into a no-op.
    auto acked = redis_.Command(ack);
    if (!acked.ok() && result.ok()) result = acked.status();
  }
  return result;
}

absl::Status EventConsumer::ApplyOne(const Entry& entry) {
  v1::EventEnvelope envelope;
  const char* poison = nullptr;
  if (entry.envelope == nullptr) {
    poison = "stream entry has no envelope (deleted or trimmed while pending?)";
  } else if (!envelope.ParseFromString(*entry.envelope)) {
    poison = "stream entry holds an unparsable envelope";
  } else if (!IsUuid(envelope.id())) {
    poison = "event envelope has an invalid id";
  }
  if (poison != nullptr) {
    log::Error(std::string(poison) + "; acknowledging it without effect",
               {{"stream", options_.stream}, {"group", options_.group}, {"entry", entry.id}});
    return absl::OkStatus();
  }

  bool applied = false;
  absl::Status status = pool_.Transact([&](WriteTransaction& transaction) -> absl::Status {
    applied = false;
    if (transaction.exec_params(insert_consumed_sql_, options_.group, envelope.id())
            .affected_rows() == 0) {
      return absl::OkStatus();  // applied before: a redelivery
    }
    if (!envelope.subject().empty() && envelope.aggregate_version() > 0 &&
        transaction
            .exec_params(advance_position_sql_, options_.group, envelope.subject(),
                         envelope.aggregate_version())
            .empty()) {
      return absl::OkStatus();  // older than what was applied for this subject: dropped
    }
    ACCORD_RETURN_IF_ERROR(handler_(transaction, envelope));
    applied = true;
    return absl::OkStatus();
  });
  if (status.ok() && applied) {
    applied_.fetch_add(1);
    applied_counter_->Increment();
  }
  return status;
}

void EventConsumer::MaybeUpdateLag() {
  const auto now = Clock::now();
  if (now < next_lag_) return;
  next_lag_ = now + 1s;
  auto reply = redis_.Command({"XINFO", "GROUPS", options_.stream});
  if (!reply.ok() || reply->type != Type::kArray) return;
  for (const auto& group : reply->elements) {
    if (group.type != Type::kArray) continue;
    bool ours = false;
    int64_t lag = 0;
    int64_t pending = 0;
    for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
      const std::string& key = group.elements[i].str;
      const RedisValue& value = group.elements[i + 1];
      if (key == "name") ours = value.str == options_.group;
      if (key == "lag" && value.type == Type::kInteger) lag = value.integer;  // nil: unknown
      if (key == "pending" && value.type == Type::kInteger) pending = value.integer;
    }
    if (ours) {
      lag_gauge_->Set(static_cast<double>(lag + pending));
      return;
    }
  }
}

}  // namespace accord::common
