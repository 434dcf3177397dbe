// EventConsumer against a real Postgres (a fresh database per test) and a private Redis per test
// (one test loses its data on purpose). Side effects go to evt.effects, one row per application.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/consumer.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/migrations.h"
#include "accord/common/outbox.h"
#include "accord/common/relay.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Type = RedisValue::Type;

constexpr char kSchema[] = "evt";
constexpr char kGroup[] = "test.sync";

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// Drives a consumer step by step until `condition` holds.
bool PollUntil(EventConsumer& consumer, const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = 15s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    absl::Status status = consumer.PollOnce();
    if (!status.ok()) std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class EventConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = ApplyMigrations(db_.url(), kSchema, {});
    ASSERT_TRUE(applied.ok()) << applied.status();
    Exec(
        "CREATE TABLE evt.effects (event_id uuid NOT NULL, subject text NOT NULL, "
        "version bigint NOT NULL)");
    pool_ = std::make_unique<PgPool>(PgOptions{.url = db_.url(), .pool_size = 4},
                                     std::vector<PreparedStatement>{});
    auto options = ParseRedisUrl(redis_server_.url());
    ASSERT_TRUE(options.ok()) << options.status();
    options->breaker_open_duration = 200ms;
    redis_ = std::make_unique<RedisClient>(*options);
    stream_ = EventStreamName("test-" + NewUuidV7());
  }

  ConsumerOptions Options(const std::string& consumer,
                          std::chrono::milliseconds claim_idle = 30s) const {
    ConsumerOptions options;
    options.stream = stream_;
    options.group = kGroup;
    options.consumer = consumer;
    options.schema = kSchema;
    options.block = 50ms;
    options.claim_idle = claim_idle;
    return options;
  }

  static EventConsumer::Handler RecordEffect() {
    return [](WriteTransaction& transaction, const v1::EventEnvelope& event) {
      transaction.exec_params0(
          "INSERT INTO evt.effects (event_id, subject, version) VALUES ($1::uuid, $2, $3)",
          event.id(), event.subject(), event.aggregate_version());
      return absl::OkStatus();
    };
  }

  std::unique_ptr<EventConsumer> MakeConsumer(const std::string& name,
                                              std::chrono::milliseconds claim_idle = 30s,
                                              EventConsumer::Handler handler = RecordEffect()) {
    return std::make_unique<EventConsumer>(Options(name, claim_idle), *pool_, *redis_,
                                           std::move(handler));
  }

  static v1::EventEnvelope Envelope(const std::string& subject, int64_t version) {
    v1::EventEnvelope envelope;
    envelope.set_id(NewUuidV7());
    envelope.set_type("accord.test.v1.ThingUpdated");
    envelope.set_source("test");
    envelope.set_subject(subject);
    envelope.set_aggregate_version(version);
    return envelope;
  }

  // Retries through a breaker that may still be open after a restart.
  RedisValue Redis(const std::vector<std::string>& args) {
    absl::StatusOr<RedisValue> reply;
    WaitFor([&] {
      reply = redis_->Command(args);
      return reply.ok();
    });
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : RedisValue{};
  }

  std::string XAdd(const v1::EventEnvelope& envelope) {
    RedisValue reply = Redis({"XADD", stream_, "*", "envelope", envelope.SerializeAsString()});
    EXPECT_EQ(reply.type, Type::kString) << reply.str;
    return reply.str;
  }

  v1::EventEnvelope Publish(const std::string& subject, int64_t version) {
    v1::EventEnvelope envelope = Envelope(subject, version);
    XAdd(envelope);
    return envelope;
  }

  int64_t PendingCount() {
    RedisValue reply = Redis({"XPENDING", stream_, kGroup});
    if (reply.type != Type::kArray || reply.elements.empty()) return -1;
    return reply.elements[0].integer;
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

  int64_t Effects() const { return Scalar("SELECT count(*) FROM evt.effects"); }
  int64_t EffectsOf(const std::string& event_id) const {
    return Scalar("SELECT count(*) FROM evt.effects WHERE event_id = '" + event_id + "'");
  }

  accord::testing::TestDatabase db_;
  accord::testing::ScopedRedisServer redis_server_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<RedisClient> redis_;
  std::string stream_;
};

TEST_F(EventConsumerTest, AppliesEachEventOnceAndAcknowledges) {
  auto consumer = MakeConsumer("c1");
  std::vector<v1::EventEnvelope> events;
  for (int i = 1; i <= 5; ++i) events.push_back(Publish("things/" + std::to_string(i), 1));

  ASSERT_TRUE(PollUntil(*consumer, [&] { return Effects() == 5; }));
  EXPECT_EQ(PendingCount(), 0);
  for (const auto& event : events) EXPECT_EQ(EffectsOf(event.id()), 1) << event.id();
  EXPECT_EQ(consumer->applied_total(), 5);
  EXPECT_EQ(Scalar("SELECT count(*) FROM evt.consumed_events WHERE consumer_group = 'test.sync'"),
            5);

  // The same event published again (the relay is at-least-once): acknowledged, no new effect.
  const std::string again = XAdd(events[2]);
  ASSERT_TRUE(PollUntil(*consumer, [&] {
    RedisValue groups = Redis({"XINFO", "GROUPS", stream_});
    const auto& fields = groups.elements.at(0).elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "last-delivered-id") return fields[i + 1].str == again;
    }
    return false;
  }));
  EXPECT_EQ(PendingCount(), 0);
  EXPECT_EQ(EffectsOf(events[2].id()), 1);
  EXPECT_EQ(consumer->applied_total(), 5);
}

TEST_F(EventConsumerTest, HandlerErrorLeavesTheEntryPendingForARetry) {
  int calls = 0;
  auto consumer =
      MakeConsumer("c1", 100ms, [&](WriteTransaction& transaction, const v1::EventEnvelope& event) {
        if (++calls == 1) {
          // Its writes must roll back with the failure.
          transaction.exec_params0("INSERT INTO evt.effects VALUES ($1::uuid, 'failed', 0)",
                                   event.id());
          return Internal("first attempt fails");
        }
        return RecordEffect()(transaction, event);
      });
  const auto event = Publish("things/retry", 1);
  ASSERT_TRUE(PollUntil(*consumer, [&] { return calls >= 1; }));
  EXPECT_EQ(Effects(), 0);
  EXPECT_EQ(PendingCount(), 1);
  ASSERT_TRUE(PollUntil(*consumer, [&] { return PendingCount() == 0; }));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(EffectsOf(event.id()), 1);
  EXPECT_EQ(Effects(), 1);
}

TEST_F(EventConsumerTest, EntriesOfADeadConsumerAreClaimedAndAppliedOnce) {
  ASSERT_EQ(Redis({"XGROUP", "CREATE", stream_, kGroup, "0", "MKSTREAM"}).type, Type::kStatus);

  // One consumer dies before its transaction commits: it read the entry, nothing else happened.
  const auto unapplied = Publish("things/1", 1);
  RedisValue read =
      Redis({"XREADGROUP", "GROUP", kGroup, "dead-early", "COUNT", "10", "STREAMS", stream_, ">"});
  ASSERT_EQ(read.type, Type::kArray);
  ASSERT_EQ(PendingCount(), 1);

  // Another dies after its transaction committed but before XACK: simulated by applying with a
  // real consumer and then putting the entry back into its pending list.
  const auto applied = Publish("things/2", 1);
  auto a = MakeConsumer("dead-late", 1h);
  ASSERT_TRUE(PollUntil(*a, [&] { return EffectsOf(applied.id()) == 1; }));
  RedisValue range = Redis({"XRANGE", stream_, "-", "+"});
  ASSERT_EQ(range.elements.size(), 2u);
  const std::string applied_entry = range.elements[1].elements[0].str;
  ASSERT_EQ(Redis({"XCLAIM", stream_, kGroup, "dead-late", "0", applied_entry, "FORCE"}).type,
            Type::kArray);
  a.reset();  // its next poll would re-read its pending list: it is "dead" now
  ASSERT_EQ(PendingCount(), 2);
  EXPECT_EQ(EffectsOf(unapplied.id()), 0);

  auto b = MakeConsumer("B", 200ms);
  ASSERT_TRUE(PollUntil(*b, [&] { return PendingCount() == 0; }));
  EXPECT_EQ(EffectsOf(unapplied.id()), 1);
  EXPECT_EQ(EffectsOf(applied.id()), 1);
  EXPECT_EQ(b->applied_total(), 1);  // the other was a redelivery
  // More rounds change nothing.
  for (int i = 0; i < 5; ++i) (void)b->PollOnce();
  EXPECT_EQ(Effects(), 2);
}

TEST_F(EventConsumerTest, OlderVersionAfterANewerOneIsDropped) {
  auto consumer = MakeConsumer("c1");
  const auto v2 = Publish("things/s", 2);
  const auto v1 = Publish("things/s", 1);
  const auto other = Publish("things/t", 1);
  const auto v3 = Publish("things/s", 3);

  // Entries are handled in stream order, so once v3 is applied, v1 has been seen.
  ASSERT_TRUE(PollUntil(*consumer, [&] { return EffectsOf(v3.id()) == 1; }));
  EXPECT_EQ(PendingCount(), 0);
  EXPECT_EQ(EffectsOf(v2.id()), 1);
  EXPECT_EQ(EffectsOf(v1.id()), 0);
  EXPECT_EQ(EffectsOf(other.id()), 1);
  EXPECT_EQ(Scalar("SELECT aggregate_version FROM evt.consumer_positions WHERE consumer_group = "
                   "'test.sync' AND subject = 'things/s'"),
            3);
  EXPECT_EQ(consumer->applied_total(), 3);
}

TEST_F(EventConsumerTest, RecreatesItsGroupAfterRedisLosesItsData) {
  auto consumer = MakeConsumer("c1");
  consumer->Start();
  for (int i = 1; i <= 3; ++i) Publish("things/r", i);
  ASSERT_TRUE(WaitFor([&] { return Effects() == 3; }));

  redis_server_.Kill();
  redis_server_.Start();
  // Published before the consumer noticed: a group recreated at `$` would skip these.
  std::set<std::string> after;
  for (int i = 4; i <= 5; ++i) after.insert(Publish("things/r", i).id());
  ASSERT_TRUE(WaitFor([&] { return Effects() == 5; }));
  for (const auto& id : after) EXPECT_EQ(EffectsOf(id), 1);

  // And it keeps going.
  const auto later = Publish("things/r", 6);
  ASSERT_TRUE(WaitFor([&] { return EffectsOf(later.id()) == 1; }));
  ASSERT_TRUE(WaitFor([&] { return PendingCount() == 0; }));
  consumer->Stop();
  EXPECT_EQ(consumer->applied_total(), 6);
  EXPECT_EQ(Effects(), 6);
}

TEST_F(EventConsumerTest, AppliesWhatTheRelayPublishes) {
  RelayOptions relay_options;
  relay_options.pg_url = db_.url();
  relay_options.schema = kSchema;
  relay_options.stream = stream_;
  relay_options.poll_interval = 100ms;
  OutboxRelay relay(relay_options, *redis_);
  relay.Start();
  auto consumer = MakeConsumer("c1");
  consumer->Start();

  OutboxWriter writer(kSchema, "test");
  std::set<std::string> ids;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(pool_
                    ->Transact([&](WriteTransaction& transaction) {
                      EventSpec spec;
                      spec.type = "accord.test.v1.ThingUpdated";
                      spec.subject = "things/e2e";
                      spec.aggregate_version = i;
                      ids.insert(writer.Append(transaction, spec).id());
                      return absl::OkStatus();
                    })
                    .ok());
  }
  ASSERT_TRUE(WaitFor([&] { return Effects() == 5; }));
  for (const auto& id : ids) EXPECT_EQ(EffectsOf(id), 1);
  ASSERT_TRUE(WaitFor([&] { return PendingCount() == 0; }));
  consumer->Stop();
  relay.Stop();
}

}  // namespace
}  // namespace accord::common
