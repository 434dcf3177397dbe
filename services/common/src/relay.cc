// OutboxRelay (see relay.h). Beyond the header:
//
// - One pass = one Postgres transaction, begun in the same round trip as its first statement: one
//   statement reads the oldest unpublished rows (seq order; no FOR UPDATE: the session's advisory
//   lock already makes this relay the only writer of stamps, and row locks would cost a heap
//   write and WAL per event), takes as many publish_seq values as rows, sorts them and hands them
//   out in seq order (nextval's evaluation order inside one statement is not guaranteed) and
//   stamps the rows; then XADD, COMMIT.
//   Values burnt by a rolled-back pass leave gaps in publish_seq: ids only have to grow.
// - A pass's XADDs go in one script (kFencedXaddScript) that stops at the first refused entry. Ids
//   in a batch increase, so once the first is accepted the others are too, and a rejected first
//   id ("equal or smaller than the top item": someone else wrote to the stream, or Postgres was
//   restored from a backup older than Redis' data) leaves nothing of the batch on the stream. The
//   relay then logs an error, rolls back and moves the sequence past the stream's last id so the
//   next pass succeeds instead of wedging forever.
// - The script runs under the session's fence: each session draws an epoch (outbox_relay_epoch)
//   once it holds the lock and raises the stream's fence key to it before it reads the stream;
//   Redis refuses an XADD whose epoch is below the fence. An XADD an earlier session sent before
//   it lost its connection may reach Redis any time later (a stalled Redis, a slow network); it is
//   then either seen by the new session's adoption or refused, never left as a second copy.
// - A pass that fails after sending XADDs (a timeout, an error mid-pipeline, a failed COMMIT)
//   leaves its (seq, publish_seq) pairs unconfirmed, and the next pass stamps those rows with the
//   same publish_seq values, reads the range back (XRANGE) and XADDs only the ids the stream
//   lacks: an id the stream holds with the same envelope is the earlier XADD, which Redis ran
//   after the client gave up on it. Without this, the rows went out again under new ids and the
//   stream held both copies. A session starts by adopting entries above the highest committed
//   publish_seq whose events are unpublished (AdoptStrayEntries), for a relay that died before
//   its retry. So every entry on the stream is, or becomes, the publication Postgres commits.
// - The cache repair (VersionedCache::RepairCommand) of every event of a pass rides in the round
//   trip of its first XADD, ahead of it: a pass whose XADD went through repaired them all. The
//   script is loaded once per session and again after every failure (Redis may have restarted).
// - While Redis is failing, each retry first probes it (past the circuit breaker, every 100 ms),
//   so no rows are locked and no sequence values are burnt until it answers, and the repairs go
//   out as soon as it does.
// - The session must not silently reconnect (that would drop the advisory lock unnoticed): any
//   exception discards the pqxx::connection and a fresh one starts again as a standby.
// - The relay's session commits asynchronously (synchronous_commit off): stamping rows as
//   published needs no fsync of its own, which would otherwise double the commits a write load
//   costs. A crash can lose the last ~200 ms of stamps; the next session adopts their entries
//   (above) and moves the sequence past the stream as after a restore.
// - The pass's statements are prepared once per session, and the lag gauge is read at most once
//   a second (it is 0 without a query whenever a pass finds nothing to publish).
// - Where a pass starts reading. Publishing a row moves it out of the partial index of unpublished
//   rows, but its old index entry stays until VACUUM, and a scan from the lowest seq walks every
//   such entry: after 100 000 events since the last vacuum, a pass spent 2 ms on them (measured),
//   and the relay fell behind a load it keeps up with otherwise. So a pass reads only above a
//   floor: the highest seq this session published at least kFloorLag ago. A row below the floor
//   that is still unpublished belongs to a transaction that stayed open for longer than that after
//   a later row was published; a sweep, a pass from the lowest seq, finds it. Sweeps run when the
//   session starts and then every kSweepEvery, so such a row waits at most that long. The lag
//   gauge reads above the floor too, except while Redis is failing.
// - Retention runs on activation and then every 5 minutes, in batches of 5000 rows.
// - Gauges: accord_outbox_relay_active is written only by a relay that holds or just lost the lock
//   (a standby in the same process must not clear it); the lag gauge only by the active relay.
#include "accord/common/relay.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <optional>
#include <pqxx/pqxx>

#include "accord/common/cache.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "accord/common/table_statistics.h"
#include "accord/common/thread_name.h"
#include "accord/common/v1/event.pb.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kSlice = 50ms;  // longest uninterruptible wait, so Stop() returns promptly
constexpr auto kInitialBackoff = 100ms;
constexpr auto kMaxBackoff = 5s;
constexpr auto kRetentionEvery = std::chrono::minutes(5);
// Young tables' statistics (table_statistics.h).
constexpr auto kAnalyzeEvery = std::chrono::seconds(2);
constexpr int kDeleteBatch = 5000;
constexpr auto kLagEvery = 1s;
// A pass reads above what was published this long ago (see the top of this file).
constexpr auto kFloorLag = 1s;
constexpr auto kFloorMarkEvery = 10ms;  // granularity of the floor's history
constexpr auto kSweepEvery = 1s;
// While Redis fails: how often the relay probes it. This bounds how long after Redis answers
// again a stale cache entry can still be read (see relay.h).
constexpr auto kFailingRetry = 100ms;
// The fence (see relay.h). KEYS[1]: the fence key; ARGV[1]: the session's epoch. Raises the fence
// to the epoch and returns 0, or returns the fence when a later session already holds it.
constexpr char kFenceScript[] = R"lua(
local fence = tonumber(redis.call('GET', KEYS[1]) or '0')
if fence > tonumber(ARGV[1]) then return fence end
if fence < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
)lua";
// The XADDs of a pass under the fence. KEYS[1]: the stream, KEYS[2]: the fence key; ARGV[1]: the
// session's epoch, ARGV[2]: MAXLEN, ARGV[3]: "1" to stop at the first refused entry, then (id,
// envelope) pairs. An error `FENCED` when a later session fenced the stream (nothing is added);
// else one reply per entry tried, as XADD gives it. Redis runs a script whole, so an XADD of an
// older session that reaches Redis after the fence is refused, whenever it was sent.
constexpr char kFencedXaddScript[] = R"lua(
local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
if fence > tonumber(ARGV[1]) then
  return redis.error_reply('FENCED a later relay session publishes this stream')
end
if fence < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1]) end
local out = {}
for i = 4, #ARGV, 2 do
  local reply = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], ARGV[i], 'envelope', ARGV[i + 1])
  out[#out + 1] = reply
  if type(reply) == 'table' and reply.err and ARGV[3] == '1' then break end
end
return out
)lua";
// Statements prepared on the relay's session.
constexpr char kStampBatch[] = "relay_stamp_batch";
constexpr char kOldestUnpublished[] = "relay_oldest_unpublished";

// A stable 63-bit key per schema (FNV-1a, as for migrations), distinct from the migration lock.
long long RelayLockKey(const std::string& schema) {
  unsigned long long hash = 1469598103934665603ULL;
  for (unsigned char c : "accord.relay." + schema) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return static_cast<long long>(hash >> 1);
}

class Wakeup final : public pqxx::notification_receiver {
 public:
  Wakeup(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(const std::string&, int) override { notified = true; }
  bool notified = false;
};

bool IsFenced(const RedisValue& reply) {
  return reply.type == RedisValue::Type::kError && reply.str.rfind("FENCED", 0) == 0;
}

bool IsIdTooSmall(const RedisValue& reply) {
  return reply.type == RedisValue::Type::kError &&
         reply.str.find("equal or smaller") != std::string::npos;
}

// "<ms>-<seq>" -> ms; 0 if unparsable.
int64_t StreamIdMs(const std::string& id) {
  try {
    return std::stoll(id.substr(0, id.find('-')));
  } catch (const std::exception&) {
    return 0;
  }
}

enum class Pass { kEmpty, kPartial, kFull, kRedisFailed };

// One pass's transaction with BEGIN sent in the same round trip as the stamp statement (pqxx::work
// would spend a round trip of its own on BEGIN, and every round trip on a busy machine is a
// wake-up on the path from a commit to the subscribers). The stamp is prepared with SQL PREPARE
// when the session starts, so EXECUTE runs it without planning it again. An exception leaves the
// transaction open, but the session then drops the connection, which rolls it back.
class PassTransaction {
 public:
  explicit PassTransaction(pqxx::connection& connection) {
    query_.emplace(connection, "outbox-relay");
  }

  pqxx::result BeginWith(const std::string& sql) { return query_->exec("BEGIN; " + sql); }
  pqxx::result BeginWithStamp(int batch_size, int64_t floor) {
    return query_->exec("BEGIN; EXECUTE " + std::string(kStampBatch) + "(" +
                        std::to_string(batch_size) + ", " + std::to_string(floor) + ")");
  }
  // Both end the pass, so the connection can take the next statement object.
  void commit() { Finish("COMMIT"); }
  void abort() { Finish("ROLLBACK"); }

 private:
  void Finish(const char* sql) {
    query_->exec(sql);
    query_.reset();
  }

  std::optional<pqxx::nontransaction> query_;
};

}  // namespace

std::string OutboxStampBatchSql(const std::string& schema) {
  const std::string table = schema + ".outbox";
  const std::string sequence = schema + ".outbox_publish_seq";
  // The oldest unpublished rows in seq order, paired by position with as many fresh
  // publish_seq values in increasing order (nextval's evaluation order within a statement is
  // not guaranteed, so the values are sorted), stamped, and returned in seq order.
  //
  // Arrays carry the batch from step to step, so every join is a walk over two arrays or a
  // primary-key probe per row, whatever the planner believes about the outbox. (A table that is
  // never analyzed looks empty; joining CTEs by row number then planned as nested loops, and a
  // 500-row pass took 230 ms instead of 14.) The envelopes come back from the UPDATE itself.
  const std::string batch =
      "SELECT array_agg(seq ORDER BY seq) AS seqs FROM (SELECT seq FROM " + table +
      " WHERE published_at IS NULL AND seq > $2 ORDER BY seq LIMIT $1) unpublished";
  const std::string drawn = "SELECT array_agg(p ORDER BY p) AS ps FROM (SELECT nextval('" +
                            sequence +
                            "') AS p FROM batch, generate_series(1, cardinality(batch.seqs))) d";
  const std::string pairs =
      "SELECT s.seq, s.p FROM batch, drawn, unnest(batch.seqs, drawn.ps) AS s(seq, p)";
  // The seqs again as an array condition, so that the outbox is read by primary key for the
  // batch's rows whatever the plan: the plan is generic and made once per session, and one made
  // while the outbox was young and never analyzed joined `pairs` to a sequential scan of it,
  // which read the whole table on every pass until autovacuum's first ANALYZE (measured: p50
  // delivery 1.1 ms became 3-5 ms over the first 20 000 events of a fresh outbox).
  const std::string stamp =
      "UPDATE " + table +
      " o SET publish_seq = pairs.p, published_at = clock_timestamp() FROM pairs "
      "WHERE o.seq = pairs.seq AND o.seq = ANY((SELECT seqs FROM batch)::bigint[]) "
      "RETURNING o.seq, pairs.p, o.envelope, o.subject, o.aggregate_version";
  // Columns: seq, publish_seq, envelope, how many rows the batch held (all must be stamped),
  // subject, aggregate_version.
  return "WITH batch AS MATERIALIZED (" + batch + "), drawn AS MATERIALIZED (" + drawn +
         "), pairs AS MATERIALIZED (" + pairs + "), stamped AS (" + stamp +
         ") SELECT seq, p, envelope, (SELECT cardinality(seqs) FROM batch), subject, "
         "aggregate_version FROM stamped ORDER BY seq";
}

namespace {

// Everything that lives as long as one Postgres session.
class Session {
 public:
  Session(const RelayOptions& options, RedisClient& redis, pqxx::connection& connection,
          const std::atomic<bool>& stopping, std::atomic<int64_t>& published, Counter& counter,
          Gauge& lag, std::vector<std::pair<int64_t, int64_t>>& unconfirmed)
      : options_(options),
        redis_(redis),
        connection_(connection),
        stopping_(stopping),
        published_(published),
        counter_(counter),
        lag_(lag),
        unconfirmed_(unconfirmed),
        table_(options.schema + ".outbox"),
        sequence_(options.schema + ".outbox_publish_seq"),
        fence_key_(options.stream + ":relay-fence") {
    // Prepared by SQL, not by libpqxx (which prepares on first use): the pass runs it with
    // EXECUTE in the same round trip as its BEGIN.
    pqxx::nontransaction(connection_, "outbox-relay-prepare")
        .exec("PREPARE " + std::string(kStampBatch) + "(bigint, bigint) AS " +
              OutboxStampBatchSql(options.schema));
    connection_.prepare(kOldestUnpublished,
                        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - created_at)::float8 FROM " +
                            table_ +
                            " WHERE published_at IS NULL AND seq > $1 ORDER BY seq LIMIT 1");
  }

  // Blocks until this session holds the lock (true) or the relay stops (false).
  bool AcquireLock() {
    const std::string sql =
        "SELECT pg_try_advisory_lock(" + std::to_string(RelayLockKey(options_.schema)) + ")";
    while (!stopping_.load()) {
      bool locked = false;
      {
        pqxx::nontransaction query(connection_);
        locked = query.exec1(sql)[0].as<bool>();
      }
      if (locked) return true;
      if (!Sleep(options_.poll_interval)) return false;
    }
    return false;
  }

  // Publishes until the relay stops; throws on any Postgres error.
  void Publish() {
    Wakeup wakeup(connection_, "accord_outbox_" + options_.schema);
    auto next_retention = Clock::now();
    auto next_analyze = Clock::now();
    while (!stopping_.load()) {
      if (Clock::now() >= next_retention) {
        DeleteExpired();
        next_retention = Clock::now() + kRetentionEvery;
      }
      if (Clock::now() >= next_analyze) {
        if (auto analyzed = AnalyzeGrowingTables(connection_, options_.schema); !analyzed.empty()) {
          log::Info("analyzed growing tables", {{"tables", analyzed}});
        }
        next_analyze = Clock::now() + kAnalyzeEvery;
      }
      Pass pass;
      do {
        pass = PublishPass();
      } while (pass == Pass::kFull && !stopping_.load());
      UpdateLag(pass);
      if (pass == Pass::kRedisFailed) {
        Sleep(std::min<std::chrono::milliseconds>(options_.poll_interval, kFailingRetry));
      } else {
        WaitForNotification(wakeup);
      }
    }
  }

  // Sleeps in slices; false if the relay is stopping.
  bool Sleep(std::chrono::milliseconds duration) const {
    const auto deadline = Clock::now() + duration;
    while (!stopping_.load()) {
      const auto now = Clock::now();
      if (now >= deadline) return true;
      std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, kSlice));
    }
    return false;
  }

 private:
  void WaitForNotification(Wakeup& wakeup) {
    wakeup.notified = false;
    const auto deadline = Clock::now() + options_.poll_interval;
    while (!stopping_.load() && !wakeup.notified) {
      const auto now = Clock::now();
      if (now >= deadline) return;
      const auto slice = std::chrono::duration_cast<std::chrono::microseconds>(
          std::min<Clock::duration>(deadline - now, kSlice));
      connection_.await_notification(0, static_cast<long>(slice.count()));
    }
  }

  Pass PublishPass() {
    if (redis_failing_) {
      if (!redis_.Probe().ok()) return Pass::kRedisFailed;
      script_loaded_ = false;
    }
    if (!script_loaded_ && !LoadRepairScript()) return Pass::kRedisFailed;
    if (adopt_pending_ && !AdoptStrayEntries()) return Pass::kRedisFailed;
    if (!unconfirmed_.empty()) return RetryUnconfirmed();
    PassTransaction transaction(connection_);
    // Reads, numbers and stamps the batch in one statement: columns seq, publish_seq, envelope,
    // how many rows the batch held, subject and aggregate_version; one row per stamped event.
    if (!sweeping_ && Clock::now() >= next_sweep_) sweeping_ = true;
    const auto rows = transaction.BeginWithStamp(options_.batch_size, sweeping_ ? 0 : Floor());
    if (rows.empty()) {
      transaction.commit();
      redis_failing_ = false;
      EndSweep();
      return Pass::kEmpty;
    }
    const int count = static_cast<int>(rows.size());
    if (rows[0][3].as<int64_t>() != count) {
      throw std::runtime_error("outbox relay stamped " + std::to_string(count) + " rows of " +
                               rows[0][3].as<std::string>());
    }
    std::vector<int64_t> publish_seqs;
    publish_seqs.reserve(rows.size());
    for (const auto& row : rows) publish_seqs.push_back(row[1].as<int64_t>());

    std::vector<std::string> envelopes;
    envelopes.reserve(rows.size());
    for (const auto& row : rows) envelopes.push_back(pqxx::binarystring(row[2]).str());
    // The repairs, then the XADDs (one script, which stops at a refused entry), in one round trip.
    auto trip = Repairs(rows, 4, 5);
    const size_t repairs = trip.size();
    trip.push_back(FencedXadd(publish_seqs, envelopes, /*stop_at_refusal=*/true));
    // From here on Redis may run the XADDs even if this pass fails.
    unconfirmed_.clear();
    for (int i = 0; i < count; ++i)
      unconfirmed_.emplace_back(rows[i][0].as<int64_t>(), publish_seqs[i]);
    auto replies = redis_.Pipeline(trip);
    if (!replies.ok()) return RedisFailed(transaction, replies.status().ToString());
    if (auto error = RepairError(*replies, repairs)) return RedisFailed(transaction, *error);
    const RedisValue& added = replies->back();
    if (IsFenced(added)) {
      unconfirmed_.clear();  // refused whole
      return Fenced(transaction);
    }
    if (added.type != RedisValue::Type::kArray || added.elements.empty()) {
      return RedisFailed(transaction, added.type == RedisValue::Type::kError
                                          ? added.str
                                          : "unexpected reply to the fenced XADD");
    }
    const RedisValue* first = &added.elements.front();
    if (IsIdTooSmall(*first)) {
      unconfirmed_.clear();  // refused: none of the batch is on the stream
      log::Error(
          "outbox relay: the stream already has a higher id than the next publish_seq; "
          "something else writes to it or the database was restored; moving the sequence "
          "past it",
          {{"stream", options_.stream},
           {"publish_seq", publish_seqs.front()},
           {"error", first->str}});
      transaction.abort();
      AdvanceSequencePastStream();
      redis_failing_ = true;
      return Pass::kRedisFailed;
    }
    if (first->type == RedisValue::Type::kError) {
      unconfirmed_.clear();  // refused, and the rest was not tried
      return RedisFailed(transaction, first->str);
    }
    for (const auto& reply : added.elements) {
      if (reply.type == RedisValue::Type::kError) return RedisFailed(transaction, reply.str);
    }
    if (static_cast<int>(added.elements.size()) != count) {
      return RedisFailed(transaction, "the fenced XADD added " +
                                          std::to_string(added.elements.size()) + " of " +
                                          std::to_string(count));
    }
    // The stream carries them now, so this process's tail may have them before the COMMIT's
    // round trip (the stream tail would, too).
    if (options_.on_published) {
      std::vector<std::pair<int64_t, std::string>> published;
      published.reserve(count);
      for (int i = 0; i < count; ++i) {
        published.emplace_back(publish_seqs[i], std::move(envelopes[i]));
      }
      options_.on_published(published);
    }
    transaction.commit();
    unconfirmed_.clear();
    if (redis_failing_) log::Info("outbox relay: publishing again", {{"stream", options_.stream}});
    redis_failing_ = false;
    published_.fetch_add(count);
    counter_.Increment(count);
    MarkPublished(rows[count - 1][0].as<int64_t>());
    if (count >= options_.batch_size) return Pass::kFull;
    EndSweep();
    return Pass::kPartial;
  }

  // The XADDs of `publish_seqs` (increasing) under this session's fence (kFencedXaddScript).
  std::vector<std::string> FencedXadd(const std::vector<int64_t>& publish_seqs,
                                      const std::vector<std::string>& envelopes,
                                      bool stop_at_refusal) const {
    std::vector<std::string> command = {"EVAL",
                                        kFencedXaddScript,
                                        "2",
                                        options_.stream,
                                        fence_key_,
                                        std::to_string(epoch_),
                                        std::to_string(options_.stream_maxlen),
                                        stop_at_refusal ? "1" : "0"};
    command.reserve(command.size() + 2 * publish_seqs.size());
    for (size_t i = 0; i < publish_seqs.size(); ++i) {
      command.push_back(std::to_string(publish_seqs[i]) + "-0");
      command.push_back(envelopes[i]);
    }
    return command;
  }

  // A later session fenced the stream: this one has lost the lock, whether or not its connection
  // has noticed yet. The rollback (or the dead connection's exception) ends the session.
  Pass Fenced(PassTransaction& transaction) {
    log::Warn("outbox relay: a later relay session fenced the stream; standing down",
              {{"stream", options_.stream}, {"epoch", epoch_}});
    transaction.abort();
    throw std::runtime_error("outbox relay: fenced by a later session");
  }

  // The cache repair of the rows' subjects at their versions (columns `subject` and `version`):
  // none, or one command.
  std::vector<std::vector<std::string>> Repairs(const pqxx::result& rows, int subject,
                                                int version) const {
    std::vector<std::vector<std::string>> commands;
    if (options_.cache_name == "-" || rows.empty()) return commands;
    std::vector<std::pair<std::string, int64_t>> keys;
    keys.reserve(rows.size());
    for (const auto& row : rows) {
      keys.emplace_back(row[subject].as<std::string>(), row[version].as<int64_t>());
    }
    commands.push_back(
        VersionedCache::RepairCommand(options_.cache_name, keys, options_.cache_tombstone_ttl));
    return commands;
  }

  // The first error among the first `count` replies (the repairs), if any.
  std::optional<std::string> RepairError(const std::vector<RedisValue>& replies, size_t count) {
    for (size_t i = 0; i < count && i < replies.size(); ++i) {
      if (replies[i].type != RedisValue::Type::kError) continue;
      // NOSCRIPT: Redis lost its scripts (a restart, SCRIPT FLUSH); the next pass loads it.
      script_loaded_ = false;
      return "cache repair: " + replies[i].str;
    }
    return std::nullopt;
  }

  bool LoadRepairScript() {
    if (options_.cache_name == "-") {
      script_loaded_ = true;
      return true;
    }
    auto loaded = redis_.Command({"SCRIPT", "LOAD", VersionedCache::RepairScript()});
    if (!loaded.ok() || loaded->type == RedisValue::Type::kError) {
      if (!redis_failing_) {
        log::Warn("outbox relay: loading the cache repair script failed; will retry",
                  {{"stream", options_.stream},
                   {"error", loaded.ok() ? loaded->str : loaded.status().ToString()}});
      }
      redis_failing_ = true;
      return false;
    }
    script_loaded_ = true;
    return true;
  }

  // Publishes the unconfirmed batch again under its own ids (see the top of this file).
  Pass RetryUnconfirmed() {
    std::string seqs = "{";
    std::string ids = "{";
    for (size_t i = 0; i < unconfirmed_.size(); ++i) {
      if (i > 0) {
        seqs += ',';
        ids += ',';
      }
      seqs += std::to_string(unconfirmed_[i].first);
      ids += std::to_string(unconfirmed_[i].second);
    }
    seqs += '}';
    ids += '}';
    // Rows another relay published meanwhile are left as they are.
    const std::string sql =
        "WITH pairs AS (SELECT * FROM unnest('" + seqs + "'::bigint[], '" + ids +
        "'::bigint[]) AS u(seq, p)), stamped AS (UPDATE " + table_ +
        " o SET publish_seq = pairs.p, published_at = clock_timestamp() FROM pairs "
        "WHERE o.seq = pairs.seq AND o.published_at IS NULL "
        "RETURNING o.seq, pairs.p, o.envelope, o.subject, o.aggregate_version) "
        "SELECT seq, p, envelope, subject, aggregate_version FROM stamped ORDER BY seq";
    PassTransaction transaction(connection_);
    const auto rows = transaction.BeginWith(sql);
    if (rows.empty()) {
      transaction.commit();
      unconfirmed_.clear();
      return Pass::kFull;  // go on with an ordinary pass at once
    }
    const int count = static_cast<int>(rows.size());
    std::vector<int64_t> publish_seqs;
    std::vector<std::string> envelopes;
    for (const auto& row : rows) {
      publish_seqs.push_back(row[1].as<int64_t>());
      envelopes.push_back(pqxx::binarystring(row[2]).str());
    }
    auto trip = Repairs(rows, 3, 4);
    const size_t repairs = trip.size();
    trip.push_back({"XRANGE", options_.stream, std::to_string(publish_seqs.front()) + "-0",
                    std::to_string(publish_seqs.back()) + "-0"});
    auto replies = redis_.Pipeline(trip);
    if (!replies.ok()) return RedisFailed(transaction, replies.status().ToString());
    if (auto error = RepairError(*replies, repairs)) return RedisFailed(transaction, *error);
    const auto held = StreamEnvelopes(replies->back());
    std::vector<int64_t> missing_seqs;
    std::vector<std::string> missing_envelopes;
    std::vector<int> missing_rows;
    for (int i = 0; i < count; ++i) {
      auto found = held.find(publish_seqs[i]);
      if (found == held.end()) {
        missing_seqs.push_back(publish_seqs[i]);
        missing_envelopes.push_back(envelopes[i]);
        missing_rows.push_back(i);
      } else if (found->second != envelopes[i]) {
        return Conflict(transaction, publish_seqs[i]);
      }
    }
    if (!missing_rows.empty()) {
      auto added = redis_.Command(FencedXadd(missing_seqs, missing_envelopes, false));
      if (!added.ok()) return RedisFailed(transaction, added.status().ToString());
      if (IsFenced(*added)) return Fenced(transaction);
      if (added->type != RedisValue::Type::kArray ||
          added->elements.size() != missing_rows.size()) {
        return RedisFailed(transaction, added->type == RedisValue::Type::kError
                                            ? added->str
                                            : "unexpected reply to the fenced XADD");
      }
      for (size_t n = 0; n < added->elements.size(); ++n) {
        const RedisValue& reply = added->elements[n];
        if (reply.type != RedisValue::Type::kError) continue;
        const int i = missing_rows[n];
        if (!IsIdTooSmall(reply)) return RedisFailed(transaction, reply.str);
        // The earlier XADD may have arrived between the XRANGE and this one.
        const std::string id = std::to_string(publish_seqs[i]) + "-0";
        auto again = redis_.Command({"XRANGE", options_.stream, id, id});
        if (!again.ok()) return RedisFailed(transaction, again.status().ToString());
        const auto entry = StreamEnvelopes(*again);
        auto found = entry.find(publish_seqs[i]);
        if (found == entry.end() || found->second != envelopes[i]) {
          return Conflict(transaction, publish_seqs[i]);
        }
      }
    }
    if (options_.on_published) {
      std::vector<std::pair<int64_t, std::string>> published;
      published.reserve(count);
      for (int i = 0; i < count; ++i) published.emplace_back(publish_seqs[i], envelopes[i]);
      options_.on_published(published);
    }
    transaction.commit();
    unconfirmed_.clear();
    log::Info("outbox relay: published a batch again under its first ids",
              {{"stream", options_.stream},
               {"events", count},
               {"already_on_stream", count - static_cast<int>(missing_rows.size())}});
    redis_failing_ = false;
    published_.fetch_add(count);
    counter_.Increment(count);
    MarkPublished(rows[count - 1][0].as<int64_t>());
    return Pass::kFull;
  }

  // Once per session, before its first pass: entries above the highest publish_seq Postgres
  // committed were put there by a relay that never committed them (it died between its XADD and
  // its retry, or Postgres lost its last stamps in a crash). An entry whose event is still
  // unpublished becomes its publication, under the entry's id, rather than being followed by a
  // second copy. False when Redis failed (the next pass tries again).
  //
  // The session fences the stream first, in the same round trip: an XADD of an earlier session
  // still on its way (sent before that session lost its connection, run by Redis whenever it
  // arrives) then either ran before the XREVRANGE, which sees and adopts it, or is refused. Without
  // the fence it could land between this read and the session's first XADD, leaving a second
  // copy of an event under an id Postgres never committed.
  bool AdoptStrayEntries() {
    int64_t committed = 0;
    {
      pqxx::nontransaction query(connection_, "outbox-relay-adopt");
      if (epoch_ == 0) {
        epoch_ = query.exec1("SELECT nextval('" + options_.schema + ".outbox_relay_epoch')")[0]
                     .as<int64_t>();
      }
      committed =
          query.exec1("SELECT COALESCE(max(publish_seq), 0) FROM " + table_)[0].as<int64_t>();
    }
    // Appended piecewise: `"(" + std::string` trips a GCC 12 -Wrestrict false positive.
    std::string above = "(";
    above.append(std::to_string(committed)).append("-0");
    auto replies = redis_.Pipeline({{"EVAL", kFenceScript, "1", fence_key_, std::to_string(epoch_)},
                                    {"XREVRANGE", options_.stream, "+", above, "COUNT",
                                     std::to_string(options_.batch_size * 2)}});
    if (!replies.ok() || replies->size() != 2 || (*replies)[0].type != RedisValue::Type::kInteger) {
      redis_failing_ = true;
      return false;
    }
    if (const int64_t fence = (*replies)[0].integer; fence > 0) {
      // A fence above every epoch this database handed out: it was restored from a backup
      // older than Redis' data. Draw again above it.
      log::Error(
          "outbox relay: the stream's fence is above this database's relay epochs; moving "
          "the epochs past it",
          {{"stream", options_.stream}, {"fence", fence}, {"epoch", epoch_}});
      pqxx::nontransaction query(connection_, "outbox-relay-adopt");
      query.exec_params("SELECT setval('" + options_.schema + ".outbox_relay_epoch', $1)", fence);
      epoch_ = 0;
      redis_failing_ = true;
      return false;
    }
    const RedisValue* reply = &(*replies)[1];
    if (reply->type == RedisValue::Type::kError) {
      redis_failing_ = true;
      return false;
    }
    adopt_pending_ = false;
    std::string event_ids = "{";
    std::string publish_seqs = "{";
    for (const auto& [publish_seq, bytes] : StreamEnvelopes(*reply)) {
      v1::EventEnvelope envelope;
      if (!envelope.ParseFromString(bytes) || !LooksLikeUuid(envelope.id())) continue;
      if (event_ids.size() > 1) {
        event_ids += ',';
        publish_seqs += ',';
      }
      event_ids += envelope.id();
      publish_seqs += std::to_string(publish_seq);
    }
    if (event_ids.size() == 1) return true;
    event_ids += '}';
    publish_seqs += '}';
    pqxx::work transaction(connection_, "outbox-relay-adopt");
    const auto rows = transaction.exec_params(
        "WITH stamped AS (UPDATE " + table_ +
            " o SET publish_seq = u.p, published_at = clock_timestamp() "
            "FROM unnest($1::uuid[], $2::bigint[]) AS u(event_id, p) "
            "WHERE o.event_id = u.event_id AND o.published_at IS NULL "
            "RETURNING o.seq, u.p, o.envelope) SELECT seq, p, envelope FROM stamped ORDER BY p",
        event_ids, publish_seqs);
    transaction.commit();
    if (!rows.empty()) {
      log::Warn("outbox relay: adopted entries an earlier relay left on the stream uncommitted",
                {{"stream", options_.stream},
                 {"events", rows.size()},
                 {"first_publish_seq", rows[0][1].as<int64_t>()}});
      if (options_.on_published) {
        std::vector<std::pair<int64_t, std::string>> published;
        for (const auto& row : rows) {
          published.emplace_back(row[1].as<int64_t>(), pqxx::binarystring(row[2]).str());
        }
        options_.on_published(published);
      }
      published_.fetch_add(static_cast<int64_t>(rows.size()));
      counter_.Increment(static_cast<double>(rows.size()));
    }
    // New ids must go above the entries, adopted or not.
    AdvanceSequencePastStream();
    return true;
  }

  static bool LooksLikeUuid(const std::string& text) {
    if (text.size() != 36) return false;
    for (char c : text) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    return true;
  }

  // publish_seq -> envelope of the entries in an XRANGE reply.
  static std::map<int64_t, std::string> StreamEnvelopes(const RedisValue& reply) {
    std::map<int64_t, std::string> out;
    if (reply.type != RedisValue::Type::kArray) return out;
    for (const auto& entry : reply.elements) {
      if (entry.type != RedisValue::Type::kArray || entry.elements.size() < 2) continue;
      const int64_t seq = StreamIdMs(entry.elements[0].str);
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "envelope") out[seq] = fields[i + 1].str;
      }
    }
    return out;
  }

  // The stream holds something else under an id of the unconfirmed batch: someone else writes
  // to it. As for a foreign higher id: give the ids up and move the sequence past the stream.
  Pass Conflict(PassTransaction& transaction, int64_t publish_seq) {
    log::Error(
        "outbox relay: the stream holds another entry under an id of a batch being published "
        "again; something else writes to it; moving the sequence past it",
        {{"stream", options_.stream}, {"publish_seq", publish_seq}});
    transaction.abort();
    unconfirmed_.clear();
    AdvanceSequencePastStream();
    redis_failing_ = true;
    return Pass::kRedisFailed;
  }

  // The lowest seq a pass that is not a sweep reads above.
  int64_t Floor() {
    const auto cutoff = Clock::now() - kFloorLag;
    while (!floor_marks_.empty() && floor_marks_.front().first <= cutoff) {
      floor_ = std::max(floor_, floor_marks_.front().second);
      floor_marks_.pop_front();
    }
    return floor_;
  }

  void MarkPublished(int64_t highest_seq) {
    const auto now = Clock::now();
    if (!floor_marks_.empty() && now - floor_marks_.back().first < kFloorMarkEvery) {
      floor_marks_.back().second = std::max(floor_marks_.back().second, highest_seq);
    } else {
      floor_marks_.emplace_back(now, highest_seq);
    }
  }

  // A sweep ends with the first pass that finds less than a full batch.
  void EndSweep() {
    if (!sweeping_) return;
    sweeping_ = false;
    next_sweep_ = Clock::now() + kSweepEvery;
  }

  Pass RedisFailed(PassTransaction& transaction, const std::string& error) {
    if (!redis_failing_) {
      log::Warn("outbox relay: publishing to redis failed; will retry",
                {{"stream", options_.stream}, {"error", error}});
    }
    transaction.abort();
    redis_failing_ = true;
    return Pass::kRedisFailed;
  }

  void AdvanceSequencePastStream() {
    auto info = redis_.Command({"XINFO", "STREAM", options_.stream});
    if (!info.ok() || info->type != RedisValue::Type::kArray) return;
    int64_t last = 0;
    for (size_t i = 0; i + 1 < info->elements.size(); i += 2) {
      if (info->elements[i].str == "last-generated-id")
        last = StreamIdMs(info->elements[i + 1].str);
    }
    if (last <= 0) return;
    pqxx::nontransaction query(connection_);
    query.exec_params(
        "SELECT setval('" + sequence_ + "', $1) FROM " + sequence_ + " WHERE last_value < $1",
        last);
  }

  void UpdateLag(Pass pass) {
    if (pass == Pass::kEmpty) {
      lag_.Set(0.0);
      return;
    }
    const auto now = Clock::now();
    if (now < next_lag_read_) return;
    next_lag_read_ = now + kLagEvery;
    pqxx::nontransaction query(connection_);
    // While Redis fails, rows below the floor wait as long as the others: read from the lowest.
    const auto rows =
        query.exec_prepared(kOldestUnpublished, pass == Pass::kRedisFailed ? 0 : Floor());
    lag_.Set(rows.empty() ? 0.0 : std::max(0.0, rows[0][0].as<double>()));
  }

  // What retention deletes: rows of `table` whose `time_column` is older than `keep`.
  struct Expiring {
    const char* table;
    const char* time_column;
    std::chrono::hours keep;
  };

  // The lock holder deletes for every replica, in batches so that no statement holds many locks
  // or runs long; rows are picked by ctid, which works for any primary key.
  void DeleteExpired() {
    const Expiring expiring[] = {
        {"outbox", "published_at", options_.retention},
        {"consumed_events", "applied_at", options_.retention},
        {"idempotency_keys", "created_at", options_.idempotency_retention}};
    for (const auto& [table, time_column, keep] : expiring) {
      const std::string qualified = options_.schema + "." + table;
      const std::string sql = "DELETE FROM " + qualified +
                              " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + qualified + " WHERE " +
                              time_column + " < now() - $1::bigint * interval '1 hour' LIMIT " +
                              std::to_string(kDeleteBatch) + "))";
      size_t total = 0;
      for (;;) {
        pqxx::work transaction(connection_, "retention");
        const size_t deleted = transaction.exec_params(sql, keep.count()).affected_rows();
        transaction.commit();
        total += deleted;
        if (deleted < static_cast<size_t>(kDeleteBatch) || stopping_.load()) break;
      }
      if (total > 0) {
        log::Info("retention deleted expired rows",
                  {{"table", qualified}, {"rows", total}, {"kept_hours", keep.count()}});
      }
    }
  }

  const RelayOptions& options_;
  RedisClient& redis_;
  pqxx::connection& connection_;
  const std::atomic<bool>& stopping_;
  std::atomic<int64_t>& published_;
  Counter& counter_;
  Gauge& lag_;
  std::vector<std::pair<int64_t, int64_t>>& unconfirmed_;
  const std::string table_;
  const std::string sequence_;
  const std::string fence_key_;
  int64_t epoch_ = 0;  // this session's, drawn once it holds the lock (0: not yet)
  bool redis_failing_ = false;
  bool script_loaded_ = false;
  bool adopt_pending_ = true;
  Clock::time_point next_lag_read_{};
  // Where passes start reading (see the top of this file). A session starts with a sweep.
  bool sweeping_ = true;
  Clock::time_point next_sweep_{};
  int64_t floor_ = 0;
  std::deque<std::pair<Clock::time_point, int64_t>> floor_marks_;  // (when, highest seq published)
};

}  // namespace

OutboxRelay::OutboxRelay(RelayOptions options, RedisClient& redis)
    : options_(std::move(options)), redis_(redis) {
  if (options_.batch_size < 1) options_.batch_size = 1;
  if (options_.poll_interval < 1ms) options_.poll_interval = 1ms;
  if (options_.cache_name.empty()) {
    const std::string prefix = EventStreamName("");
    options_.cache_name = options_.stream.compare(0, prefix.size(), prefix) == 0
                              ? options_.stream.substr(prefix.size())
                              : "-";
  }
}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  if (thread_.joinable()) return;
  stopping_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Run() {
  NameCurrentThread("outbox-relay");
  auto& registry = MetricsRegistry::Global();
  const Labels labels = {{"stream", options_.stream}};
  Counter& counter = registry.GetCounter("accord_outbox_published_total",
                                         "Outbox events published to the stream", labels);
  Gauge& lag = registry.GetGauge("accord_outbox_relay_lag_seconds",
                                 "Age of the oldest unpublished outbox row (0 when none)", labels);
  Gauge& active_gauge = registry.GetGauge(
      "accord_outbox_relay_active", "1 while this process' relay holds the relay lock", labels);
  Counter& failures = registry.GetCounter(
      "accord_outbox_relay_session_failures_total",
      "Relay database sessions that ended in an error (each is followed by a reconnect)", labels);

  auto backoff = std::chrono::milliseconds(kInitialBackoff);
  while (!stopping_.load()) {
    const auto session_began = Clock::now();
    {
      std::unique_ptr<pqxx::connection> connection;
      try {
        connection = std::make_unique<pqxx::connection>(
            WithConnectOptions(options_.pg_url, std::chrono::seconds(2), "accord-relay"));
        {
          // A hung statement must not hold the lock (and the stream) forever.
          pqxx::nontransaction setup(*connection);
          setup.exec(SessionSettingsSql(std::chrono::seconds(30)));
          // Stamps need no fsync of their own (see the top of this file).
          setup.exec("SET synchronous_commit = off");
        }
        Session session(options_, redis_, *connection, stopping_, published_, counter, lag,
                        unconfirmed_);
        if (session.AcquireLock()) {
          active_.store(true);
          active_gauge.Set(1);
          log::Info("outbox relay active",
                    {{"schema", options_.schema}, {"stream", options_.stream}});
          session.Publish();
        }
      } catch (const std::exception& error) {
        failures.Increment();
        log::Warn("outbox relay: database session failed; reconnecting",
                  {{"schema", options_.schema}, {"error", error.what()}});
      }
      if (active_.exchange(false)) {
        active_gauge.Set(0);
        log::Info("outbox relay inactive", {{"schema", options_.schema}});
      }
      // Closing the connection (here) releases the lock for a standby.
    }
    if (stopping_.load()) break;
    // Only a session that lasted earns a quick reconnect. One that fails as soon as it holds the
    // lock (a missing table, a revoked grant) would otherwise reconnect ten times a second
    // forever, and every connection costs the database a backend process.
    if (Clock::now() - session_began >= kMaxBackoff) backoff = kInitialBackoff;
    const auto deadline = Clock::now() + backoff;
    while (!stopping_.load() && Clock::now() < deadline) std::this_thread::sleep_for(kSlice);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

}  // namespace accord::common
