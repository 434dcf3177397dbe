// OutboxWriter + OutboxRelay against a real Postgres (a fresh database per test) and a private
// Redis per test (some tests kill it).
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/ids.h"
#include "accord/common/metrics.h"
#include "accord/common/migrations.h"
#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "accord/common/redis.h"
#include "accord/common/relay.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kSchema[] = "evt";

// Polls `condition` until it holds or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

struct StreamEvent {
  std::string id;  // "<publish_seq>-0"
  v1::EventEnvelope envelope;
};

int64_t IdMs(const std::string& id) { return std::stoll(id.substr(0, id.find('-'))); }

class OutboxRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = ApplyMigrations(db_.url(), kSchema, {});
    ASSERT_TRUE(applied.ok()) << applied.status();
    auto options = ParseRedisUrl(redis_server_.url());
    ASSERT_TRUE(options.ok()) << options.status();
    options->breaker_open_duration = 200ms;
    redis_ = std::make_unique<RedisClient>(*options);
    stream_ = EventStreamName("test-" + NewUuidV7());
  }

  RelayOptions Options() const {
    RelayOptions options;
    options.pg_url = db_.url();
    options.schema = kSchema;
    options.stream = stream_;
    options.poll_interval = 100ms;
    return options;
  }

  // The test's event for `subject` at `version`, whose payload names both.
  struct TestEvent {
    google::protobuf::StringValue payload;
    EventSpec spec;
    TestEvent(const std::string& subject, int64_t version) {
      payload.set_value(subject + "@" + std::to_string(version));
      spec.type = "accord.test.v1.ThingUpdated";
      spec.subject = subject;
      spec.aggregate_version = version;
      spec.actor = "users/tester";
      spec.payload = &payload;
      spec.changed_fields = {"value"};
    }
  };

  v1::EventEnvelope Append(WriteTransaction& transaction, const std::string& subject,
                           int64_t version) {
    const TestEvent event(subject, version);
    return writer_.Append(transaction, event.spec);
  }

  // Inserts the row at once (Append defers it to COMMIT), so that a test can hold it uncommitted
  // while later rows commit.
  v1::EventEnvelope AppendInFlight(pqxx::work& transaction, const std::string& subject,
                                   int64_t version) {
    const TestEvent event(subject, version);
    const v1::EventEnvelope envelope = writer_.Envelope(event.spec);
    transaction.exec_params(writer_.append_sql(), envelope.id(), event.spec.type, subject, version,
                            pqxx::binarystring(envelope.SerializeAsString()));
    return envelope;
  }

  v1::EventEnvelope AppendCommitted(const std::string& subject, int64_t version) {
    pqxx::connection connection(db_.url());
    WriteTransaction transaction(connection);
    v1::EventEnvelope envelope = Append(transaction, subject, version);
    transaction.commit();
    return envelope;
  }

  int64_t Scalar(const std::string& sql) const {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    return query.exec1(sql)[0].as<int64_t>();
  }

  void Exec(const std::string& sql) const {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    query.exec(sql);
  }

  int64_t Unpublished() const {
    return Scalar("SELECT count(*) FROM evt.outbox WHERE published_at IS NULL");
  }

  // event_id -> publish_seq of published rows.
  std::map<std::string, int64_t> PublishSeqs() const {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    std::map<std::string, int64_t> out;
    for (const auto& row : query.exec(
             "SELECT event_id::text, publish_seq FROM evt.outbox WHERE publish_seq IS NOT NULL")) {
      out[row[0].as<std::string>()] = row[1].as<int64_t>();
    }
    return out;
  }

  std::vector<StreamEvent> ReadStream() {
    auto reply = redis_->Command({"XRANGE", stream_, "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    std::vector<StreamEvent> events;
    if (!reply.ok()) return events;
    EXPECT_EQ(reply->type, RedisValue::Type::kArray) << reply->str;
    for (const auto& item : reply->elements) {
      StreamEvent event;
      event.id = item.elements.at(0).str;
      const auto& fields = item.elements.at(1).elements;
      EXPECT_EQ(fields.size(), 2u);
      EXPECT_EQ(fields.at(0).str, "envelope");
      EXPECT_TRUE(event.envelope.ParseFromString(fields.at(1).str)) << event.id;
      events.push_back(std::move(event));
    }
    return events;
  }

  size_t StreamLength() {
    auto reply = redis_->Command({"XLEN", stream_});
    return reply.ok() && reply->type == RedisValue::Type::kInteger
               ? static_cast<size_t>(reply->integer)
               : 0;
  }

  Gauge& LagGauge() const {
    return MetricsRegistry::Global().GetGauge("accord_outbox_relay_lag_seconds", "",
                                              {{"stream", stream_}});
  }

  accord::testing::TestDatabase db_;
  accord::testing::ScopedRedisServer redis_server_;
  std::unique_ptr<RedisClient> redis_;
  std::string stream_;
  OutboxWriter writer_{kSchema, "test"};
};

// Retention keeps days of events in the outbox, so autovacuum's default (a fifth of the table
// dead) would leave the relay's sweeps walking millions of dead index entries.
TEST_F(OutboxRelayTest, AutovacuumVisitsTheOutboxAfterAFixedNumberOfDeadRows) {
  pqxx::connection connection(db_.url());
  pqxx::nontransaction query(connection);
  const auto options =
      query
          .exec1("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = '" +
                 std::string(kSchema) + ".outbox'::regclass")[0]
          .as<std::string>();
  EXPECT_NE(options.find("autovacuum_vacuum_scale_factor=0"), std::string::npos) << options;
  EXPECT_NE(options.find("autovacuum_vacuum_threshold=20000"), std::string::npos) << options;
}

// The relay prepares its pass once per session, with the generic plans every Accord session
// asks for, so the plan made for a fresh outbox (empty, never analyzed) stays in use while the
// table grows: it must not read the whole outbox.
TEST_F(OutboxRelayTest, APassPlannedOnAFreshOutboxReadsOnlyItsBatchByKey) {
  pqxx::connection connection(db_.url());
  pqxx::nontransaction session(connection);
  session.exec(SessionSettingsSql(std::chrono::milliseconds(5000)));
  session.exec("PREPARE pass(bigint, bigint) AS " + OutboxStampBatchSql(kSchema));
  std::string plan;
  for (const auto& row : session.exec("EXPLAIN EXECUTE pass(500, 0)")) {
    plan += row[0].as<std::string>() + "\n";
  }
  EXPECT_NE(plan.find("Update on outbox"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
}

// The active relay keeps young tables' statistics current (table_statistics.h): a table that
// grew past its size since its last ANALYZE is analyzed within seconds, not after autovacuum.
TEST_F(OutboxRelayTest, TheRelayAnalyzesATableThatGrew) {
  OutboxRelay relay(Options(), *redis_);
  relay.Start();
  {
    pqxx::connection connection(db_.url());
    pqxx::work insert(connection);
    insert.exec0(
        "INSERT INTO evt.idempotency_keys (request_id, method, fingerprint) SELECT "
        "gen_random_uuid()::text, 'm', 'f' FROM generate_series(1, 3000)");
    insert.exec("SELECT pg_stat_force_next_flush()");
    insert.commit();
  }
  pqxx::connection connection(db_.url());
  EXPECT_TRUE(WaitFor([&] {
    pqxx::nontransaction query(connection);
    return !query
                .exec1(
                    "SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = 'evt' "
                    "AND relname = 'idempotency_keys'")[0]
                .is_null();
  }));
  relay.Stop();
}

TEST_F(OutboxRelayTest, AppendWritesTheEnvelopeAndNotifies) {
  pqxx::connection listener(db_.url());
  struct Receiver : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string&, int) override { ++count; }
    int count = 0;
  } receiver(listener, "accord_outbox_evt");

  const v1::EventEnvelope envelope = AppendCommitted("things/1", 3);
  EXPECT_TRUE(IsUuid(envelope.id()));
  EXPECT_EQ(envelope.source(), "test");
  EXPECT_EQ(envelope.subject(), "things/1");
  EXPECT_EQ(envelope.aggregate_version(), 3);
  EXPECT_GT(envelope.time().seconds(), 0);
  google::protobuf::StringValue payload;
  ASSERT_TRUE(envelope.payload().UnpackTo(&payload));
  EXPECT_EQ(payload.value(), "things/1@3");
  ASSERT_EQ(envelope.changed_fields().paths_size(), 1);

  pqxx::nontransaction query(listener);
  const auto row = query.exec1(
      "SELECT event_id::text, type, subject, aggregate_version, envelope, publish_seq IS NULL "
      "FROM evt.outbox");
  EXPECT_EQ(row[0].as<std::string>(), envelope.id());
  EXPECT_EQ(row[1].as<std::string>(), "accord.test.v1.ThingUpdated");
  EXPECT_EQ(row[2].as<std::string>(), "things/1");
  EXPECT_EQ(row[3].as<int64_t>(), 3);
  v1::EventEnvelope stored;
  ASSERT_TRUE(stored.ParseFromString(pqxx::binarystring(row[4]).str()));
  EXPECT_EQ(stored.id(), envelope.id());
  EXPECT_TRUE(row[5].as<bool>());
  query.commit();

  const auto deadline = Clock::now() + 5s;
  while (receiver.count == 0 && Clock::now() < deadline) listener.await_notification(0, 100000);
  EXPECT_EQ(receiver.count, 1);
  EXPECT_EQ(EventStreamName("account"), "accord.events.account");
}

TEST_F(OutboxRelayTest, PublishesEachEventOnceInOrder) {
  RelayOptions options = Options();
  options.batch_size = 7;  // several full batches for the backlog
  std::vector<v1::EventEnvelope> appended;
  const std::vector<std::string> subjects = {"things/a", "things/b", "things/c"};
  // A backlog before the relay starts, then events it must pick up while running.
  for (int version = 1; version <= 5; ++version) {
    for (const auto& subject : subjects) appended.push_back(AppendCommitted(subject, version));
  }
  OutboxRelay relay(options, *redis_);
  relay.Start();
  for (int version = 6; version <= 10; ++version) {
    for (const auto& subject : subjects) appended.push_back(AppendCommitted(subject, version));
  }
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  relay.Stop();

  // Everything is stamped published, so nothing more can reach the stream.
  const auto events = ReadStream();
  ASSERT_EQ(events.size(), appended.size());
  const auto publish_seqs = PublishSeqs();
  std::set<std::string> seen;
  std::map<std::string, int64_t> last_version;
  int64_t last_id = 0;
  for (const auto& event : events) {
    EXPECT_TRUE(event.id.size() > 2 && event.id.substr(event.id.size() - 2) == "-0") << event.id;
    EXPECT_GT(IdMs(event.id), last_id);
    last_id = IdMs(event.id);
    EXPECT_TRUE(seen.insert(event.envelope.id()).second) << "duplicate " << event.envelope.id();
    EXPECT_EQ(publish_seqs.at(event.envelope.id()), IdMs(event.id));
    EXPECT_GT(event.envelope.aggregate_version(), last_version[event.envelope.subject()])
        << event.envelope.subject();
    last_version[event.envelope.subject()] = event.envelope.aggregate_version();
  }
  for (const auto& envelope : appended) EXPECT_EQ(seen.count(envelope.id()), 1u);
  EXPECT_EQ(relay.published_total(), static_cast<int64_t>(appended.size()));
  EXPECT_EQ(MetricsRegistry::Global()
                .GetCounter("accord_outbox_published_total", "", {{"stream", stream_}})
                .value(),
            static_cast<double>(appended.size()));
}

TEST_F(OutboxRelayTest, LateCommittingRowIsPublishedAfterLaterOnes) {
  OutboxRelay relay(Options(), *redis_);
  relay.Start();

  // T1 inserts first (lower seq) but commits last.
  pqxx::connection slow_connection(db_.url());
  auto slow = std::make_unique<pqxx::work>(slow_connection);
  const v1::EventEnvelope early = AppendInFlight(*slow, "things/slow", 1);
  const v1::EventEnvelope late = AppendCommitted("things/fast", 1);

  ASSERT_TRUE(WaitFor([&] { return StreamLength() == 1; }));
  auto events = ReadStream();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].envelope.id(), late.id());

  slow->commit();
  slow.reset();
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0 && StreamLength() == 2; }));
  events = ReadStream();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].envelope.id(), late.id());
  EXPECT_EQ(events[1].envelope.id(), early.id());
  EXPECT_GT(IdMs(events[1].id), IdMs(events[0].id));

  // Insertion order and publish order really are opposite.
  EXPECT_LT(Scalar("SELECT seq FROM evt.outbox WHERE event_id = '" + early.id() + "'"),
            Scalar("SELECT seq FROM evt.outbox WHERE event_id = '" + late.id() + "'"));
  const auto publish_seqs = PublishSeqs();
  EXPECT_GT(publish_seqs.at(early.id()), publish_seqs.at(late.id()));
}

// Passes read above a floor (the highest seq published a second ago) so that they skip the index
// entries of published rows; a row below it that commits late must still be published, by a sweep.
TEST_F(OutboxRelayTest, ARowCommittedLongAfterLaterOnesIsStillPublished) {
  OutboxRelay relay(Options(), *redis_);
  relay.Start();

  pqxx::connection slow_connection(db_.url());
  auto slow = std::make_unique<pqxx::work>(slow_connection);
  const v1::EventEnvelope early = AppendInFlight(*slow, "things/slow", 1);
  std::set<std::string> later;
  for (int i = 1; i <= 3; ++i) later.insert(AppendCommitted("things/fast", i).id());
  ASSERT_TRUE(WaitFor([&] { return StreamLength() == 3; }));
  // Well past the floor's lag, with more rows published meanwhile, so the floor is above `early`.
  std::this_thread::sleep_for(1500ms);
  later.insert(AppendCommitted("things/fast", 4).id());
  ASSERT_TRUE(WaitFor([&] { return StreamLength() == 4; }));

  slow->commit();
  slow.reset();
  const auto committed = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0 && StreamLength() == 5; }));
  // A sweep runs every second.
  EXPECT_LT(Clock::now() - committed, 3s);
  const auto events = ReadStream();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events.back().envelope.id(), early.id());
  std::set<std::string> before;
  for (size_t i = 0; i + 1 < events.size(); ++i) before.insert(events[i].envelope.id());
  EXPECT_EQ(before, later);
  EXPECT_EQ(relay.published_total(), 5);
}

TEST_F(OutboxRelayTest, OnlyOneRelayIsActiveAndTheStandbyTakesOver) {
  auto first = std::make_unique<OutboxRelay>(Options(), *redis_);
  auto second = std::make_unique<OutboxRelay>(Options(), *redis_);
  std::atomic<bool> watching{true};
  std::atomic<int> both_active{0};
  std::atomic<OutboxRelay*> first_ptr{first.get()};
  std::atomic<OutboxRelay*> second_ptr{second.get()};
  std::thread watcher([&] {
    while (watching.load()) {
      OutboxRelay* a = first_ptr.load();
      OutboxRelay* b = second_ptr.load();
      if (a != nullptr && b != nullptr && a->active() && b->active()) ++both_active;
      std::this_thread::sleep_for(1ms);
    }
  });
  first->Start();
  second->Start();
  ASSERT_TRUE(WaitFor([&] { return first->active() || second->active(); }));

  std::set<std::string> appended;
  for (int i = 1; i <= 10; ++i) appended.insert(AppendCommitted("things/x", i).id());
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  EXPECT_EQ(first->published_total() + second->published_total(), 10);

  // Stop whichever is active; the standby must take over.
  const bool first_was_active = first->active();
  std::unique_ptr<OutboxRelay>& active = first_was_active ? first : second;
  std::unique_ptr<OutboxRelay>& standby = first_was_active ? second : first;
  ASSERT_FALSE(standby->active());
  (first_was_active ? first_ptr : second_ptr).store(nullptr);
  const auto stop_started = Clock::now();
  active->Stop();
  EXPECT_LT(Clock::now() - stop_started, 2s) << "Stop() must return promptly";
  EXPECT_FALSE(active->active());
  ASSERT_TRUE(WaitFor([&] { return standby->active(); }));

  for (int i = 11; i <= 20; ++i) appended.insert(AppendCommitted("things/x", i).id());
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  EXPECT_EQ(standby->published_total(), 20 - active->published_total());
  watching = false;
  watcher.join();
  EXPECT_EQ(both_active.load(), 0);

  const auto events = ReadStream();
  ASSERT_EQ(events.size(), 20u);
  std::set<std::string> seen;
  int64_t last_version = 0;
  for (const auto& event : events) {
    EXPECT_TRUE(seen.insert(event.envelope.id()).second) << "duplicate " << event.envelope.id();
    EXPECT_EQ(event.envelope.aggregate_version(), last_version + 1);
    last_version = event.envelope.aggregate_version();
  }
  EXPECT_EQ(seen, appended);
}

TEST_F(OutboxRelayTest, RedisOutageLosesNothing) {
  OutboxRelay relay(Options(), *redis_);
  relay.Start();
  for (int i = 1; i <= 3; ++i) AppendCommitted("things/y", i);
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0 && StreamLength() == 3; }));

  redis_server_.Kill();
  std::set<std::string> during_outage;
  for (int i = 4; i <= 13; ++i) during_outage.insert(AppendCommitted("things/y", i).id());
  EXPECT_EQ(Unpublished(), 10);

  // The lag is the age of the oldest waiting row: positive, and growing while Redis is down.
  ASSERT_TRUE(WaitFor([&] { return LagGauge().value() > 0; }));
  const double first_lag = LagGauge().value();
  ASSERT_TRUE(WaitFor([&] { return LagGauge().value() >= first_lag + 0.3; }));
  EXPECT_EQ(Unpublished(), 10);
  EXPECT_TRUE(relay.active());

  // A restarted non-persistent Redis is empty: the stream holds exactly the waiting rows.
  redis_server_.Start();
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  const auto events = ReadStream();
  ASSERT_EQ(events.size(), during_outage.size());
  std::set<std::string> seen;
  int64_t last_version = 3;
  for (const auto& event : events) {
    EXPECT_TRUE(seen.insert(event.envelope.id()).second) << "duplicate " << event.envelope.id();
    EXPECT_EQ(event.envelope.aggregate_version(), last_version + 1);
    last_version = event.envelope.aggregate_version();
  }
  EXPECT_EQ(seen, during_outage);
  EXPECT_TRUE(WaitFor([&] { return LagGauge().value() == 0; }));
  EXPECT_EQ(relay.published_total(), 13);
}

TEST_F(OutboxRelayTest, ANotificationWakesTheRelayBeforeThePollInterval) {
  RelayOptions options = Options();
  options.poll_interval = 60s;
  OutboxRelay relay(options, *redis_);
  relay.Start();
  ASSERT_TRUE(WaitFor([&] { return relay.active(); }));
  // Let it finish its first (empty) pass and settle into waiting.
  ASSERT_TRUE(WaitFor([&] { return LagGauge().value() == 0; }));
  AppendCommitted("things/w", 1);
  EXPECT_TRUE(WaitFor([&] { return StreamLength() == 1; }, 10s));
  const auto stop_started = Clock::now();
  relay.Stop();
  EXPECT_LT(Clock::now() - stop_started, 2s) << "Stop() must not wait out the poll interval";
}

TEST_F(OutboxRelayTest, ASessionThatFailsAtOnceBacksOffInsteadOfReconnectingInALoop) {
  RelayOptions options = Options();
  options.schema = "no_outbox_here";  // never migrated: the relay gets its lock, then fails
  Counter& failures = MetricsRegistry::Global().GetCounter(
      "accord_outbox_relay_session_failures_total", "", {{"stream", stream_}});
  const double before = failures.value();
  OutboxRelay relay(options, *redis_);
  relay.Start();
  std::this_thread::sleep_for(1600ms);
  relay.Stop();
  const double failed = failures.value() - before;
  EXPECT_GE(failed, 2) << "it keeps retrying";
  // Retries 100, 200, 400 and 800 ms apart fit at most five sessions in 1.6 s; a backoff that
  // reset whenever the lock was taken would reconnect about every 100 ms (over a dozen).
  EXPECT_LE(failed, 5);
}

TEST_F(OutboxRelayTest, AForeignHigherStreamIdDoesNotWedgeTheRelay) {
  // Someone else wrote an id far above the publish sequence.
  auto foreign = redis_->Command({"XADD", stream_, "1000000-0", "envelope", "not ours"});
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  ASSERT_EQ(foreign->str, "1000000-0");

  std::set<std::string> appended;
  for (int i = 1; i <= 4; ++i) appended.insert(AppendCommitted("things/v", i).id());
  OutboxRelay relay(Options(), *redis_);
  relay.Start();
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));

  auto reply = redis_->Command({"XRANGE", stream_, "(1000000-0", "+"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->elements.size(), appended.size());
  std::set<std::string> seen;
  for (const auto& item : reply->elements) {
    v1::EventEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(item.elements.at(1).elements.at(1).str));
    seen.insert(envelope.id());
  }
  EXPECT_EQ(seen, appended);
  EXPECT_EQ(StreamLength(), appended.size() + 1);
  EXPECT_GT(Scalar("SELECT min(publish_seq) FROM evt.outbox"), 1000000);
}

TEST_F(OutboxRelayTest, RetentionDeletesOnlyExpiredRowsEachAfterItsOwnWindow) {
  RelayOptions options = Options();
  options.retention = std::chrono::hours(1);
  std::vector<std::string> published;
  {
    OutboxRelay relay(options, *redis_);
    relay.Start();
    for (int i = 1; i <= 6; ++i) published.push_back(AppendCommitted("things/z", i).id());
    ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  }
  // Three rows published two hours ago, three just now.
  for (int i = 0; i < 3; ++i) {
    Exec("UPDATE evt.outbox SET published_at = now() - interval '2 hours' WHERE event_id = '" +
         published[i] + "'");
  }
  // Two old rows that were never published (Redis is down, so they stay that way).
  redis_server_.Kill();
  AppendCommitted("things/z", 7);
  AppendCommitted("things/z", 8);
  Exec("UPDATE evt.outbox SET created_at = now() - interval '3 hours' WHERE published_at IS NULL");

  // Dedupe records and idempotency keys, old and recent, each kept for its own window.
  options.idempotency_retention = std::chrono::hours(2);
  Exec(
      "INSERT INTO evt.consumed_events (consumer_group, event_id, applied_at) VALUES "
      "('g', gen_random_uuid(), now() - interval '90 minutes'), "
      "('g', gen_random_uuid(), now() - interval '10 minutes')");
  Exec(
      "INSERT INTO evt.idempotency_keys (request_id, method, fingerprint, created_at) VALUES "
      "('old', 'M', 'f', now() - interval '3 hours'), "
      "('recent', 'M', 'f', now() - interval '90 minutes')");

  // A relay runs retention as soon as it becomes active.
  OutboxRelay relay(options, *redis_);
  relay.Start();
  ASSERT_TRUE(WaitFor([&] { return Scalar("SELECT count(*) FROM evt.outbox") == 5; }));
  ASSERT_TRUE(WaitFor([&] { return Scalar("SELECT count(*) FROM evt.idempotency_keys") == 1; }));
  EXPECT_EQ(Scalar("SELECT count(*) FROM evt.idempotency_keys WHERE request_id = 'recent'"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM evt.consumed_events"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM evt.consumed_events "
                   "WHERE applied_at > now() - interval '1 hour'"),
            1);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Scalar("SELECT count(*) FROM evt.outbox WHERE event_id = '" + published[i] + "'"),
              i < 3 ? 0 : 1)
        << i;
  }
  EXPECT_EQ(Unpublished(), 2);
}

}  // namespace
}  // namespace accord::common
