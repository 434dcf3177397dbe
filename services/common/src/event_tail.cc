// StreamTail (see event_stream.h). Beyond the header:
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
#include <charconv>
#include <optional>
#include <pqxx/pqxx>

#include "accord/common/errors.h"
#include "accord/common/event_stream.h"
#include "accord/common/log.h"
#include "accord/common/thread_name.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kCatchUpBatch = 1000;
constexpr int kReadCount = 500;
constexpr auto kRunIdCheckEvery = 5s;
// While the relay in this process offers events, the tail reads the stream this often (for events
// that did not come through an offer: another replica's relay took over), and offers count as
// flowing for kOffersFresh after the last one. Failing over to another replica's relay therefore
// delays its first events by up to kOfferedCheckEvery, for kOffersFresh.
constexpr auto kOfferedCheckEvery = 100ms;
constexpr auto kOffersFresh = 1s;
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
  // Offers are arriving, whoever hands these out: the tail stops blocking on XREAD, which would
  // otherwise keep winning the race (Redis answers a blocked XREAD as soon as the XADD runs,
  // before the relay has its own reply) and read every event back.
  last_offer_ns_.store(Clock::now().time_since_epoch().count());
  std::unique_lock delivery(delivery_mutex_);
  // The stream may already have handed out the first few.
  std::erase_if(events, [&](const PublishedEvent& e) { return e.publish_seq <= last_seq_.load(); });
  if (events.empty()) return;
  if (events.front().publish_seq != last_seq_.load() + 1) {
    delivery.unlock();
    LeaveOfferToStream();
    return;
  }
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

}  // namespace accord::common
