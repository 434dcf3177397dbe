// Two relays on one outbox and a relay takeover while an XADD of the relay that lost its session
// is still on its way to Redis (issue 18, class 13). Real PostgreSQL and Redis; the old relay
// reaches Redis through a link that holds its bytes (a paused process, a slow network), or Redis
// itself is stopped (SIGSTOP) during the XADD. The stream, and a StreamTail following it, must
// hold each event once, under the publish_seq Postgres committed for it.
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/event_stream.h"
#include "accord/common/ids.h"
#include "accord/common/migrations.h"
#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "accord/common/redis.h"
#include "accord/common/relay.h"
#include "support/held_link.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kSchema[] = "takeover";

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// A StreamTail on the stream that counts how often it hands out each event.
class CountingTail {
 public:
  CountingTail(const std::string& pg_url, const std::string& stream, RedisClient& redis)
      : tail_({pg_url, kSchema, stream, 100ms}, redis) {
    tail_.AddListener([this](const PublishedEvent& event) {
      std::lock_guard lock(mutex_);
      ++delivered_[event.envelope.id()];
    });
    tail_.Start();
  }

  // Every expected event arrives, each once, and nothing else.
  void ExpectEachOnce(const std::set<std::string>& expected) {
    EXPECT_TRUE(WaitFor([&] {
      std::lock_guard lock(mutex_);
      return delivered_.size() >= expected.size();
    }));
    tail_.Stop();
    std::lock_guard lock(mutex_);
    EXPECT_EQ(delivered_.size(), expected.size());
    for (const auto& [id, times] : delivered_) {
      EXPECT_EQ(times, 1) << "the tail handed event " << id << " out " << times << " times";
      EXPECT_EQ(expected.count(id), 1u) << id;
    }
  }

 private:
  StreamTail tail_;
  std::mutex mutex_;
  std::map<std::string, int> delivered_;  // event id -> times handed out
};

class RelayTakeoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = ApplyMigrations(db_.url(), kSchema, {});
    ASSERT_TRUE(applied.ok()) << applied.status();
    stream_ = EventStreamName("takeover-" + NewUuidV7());
  }

  std::unique_ptr<RedisClient> Client(int port) const {
    RedisOptions options;
    options.port = port;
    options.command_timeout = 100ms;
    options.connect_timeout = 100ms;
    return std::make_unique<RedisClient>(options);
  }

  RelayOptions Options() const {
    RelayOptions options;
    options.pg_url = db_.url();
    options.schema = kSchema;
    options.stream = stream_;
    options.poll_interval = 50ms;
    options.cache_name = "-";
    return options;
  }

  std::string AppendCommitted(const std::string& subject) {
    google::protobuf::StringValue payload;
    payload.set_value(subject);
    EventSpec spec;
    spec.type = "accord.test.v1.ThingUpdated";
    spec.subject = subject;
    spec.aggregate_version = 1;
    spec.payload = &payload;
    pqxx::connection connection(db_.url());
    WriteTransaction transaction(connection);
    const std::string id = writer_.Append(transaction, spec).id();
    transaction.commit();
    return id;
  }

  int64_t Scalar(const std::string& sql) const {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    return query.exec1(sql)[0].as<int64_t>();
  }
  int64_t Unpublished() const {
    return Scalar("SELECT count(*) FROM takeover.outbox WHERE published_at IS NULL");
  }
  // A relay session waiting for a row lock (its stamp behind the test's lock).
  bool RelayWaitsForRowLock() const {
    return Scalar(
               "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'accord-relay' "
               "AND wait_event_type = 'Lock'") > 0;
  }

  // (publish_seq, event id) of every entry on the stream.
  std::vector<std::pair<int64_t, std::string>> ReadStream(RedisClient& redis) {
    std::vector<std::pair<int64_t, std::string>> entries;
    auto reply = redis.Command({"XRANGE", stream_, "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return entries;
    for (const auto& item : reply->elements) {
      v1::EventEnvelope envelope;
      EXPECT_TRUE(envelope.ParseFromString(item.elements.at(1).elements.at(1).str));
      const std::string& id = item.elements.at(0).str;
      entries.emplace_back(std::stoll(id.substr(0, id.find('-'))), envelope.id());
    }
    return entries;
  }

  // Every entry is its event's committed publication, once; every expected event is there.
  // (A client of its own: the others' circuit breakers may still be open after a pause.)
  void ExpectStreamIsWhatPostgresCommitted(const std::set<std::string>& expected,
                                           const std::string& round) {
    auto redis = Client(redis_server_.port());
    std::set<std::string> seen;
    for (const auto& [publish_seq, event_id] : ReadStream(*redis)) {
      EXPECT_TRUE(seen.insert(event_id).second)
          << round << ": event " << event_id << " again at " << publish_seq;
      EXPECT_EQ(Scalar("SELECT COALESCE(publish_seq, -1) FROM takeover.outbox WHERE event_id = '" +
                       event_id + "'"),
                publish_seq)
          << round << ": an entry Postgres never committed, event " << event_id;
    }
    for (const auto& id : expected) EXPECT_EQ(seen.count(id), 1u) << round << ": " << id;
  }

  accord::testing::TestDatabase db_;
  accord::testing::ScopedRedisServer redis_server_;
  std::string stream_;
  OutboxWriter writer_{kSchema, "test"};
};

// The race itself, forced: the old relay's XADD reaches Redis after the new relay looked at the
// stream for entries to adopt and before its own first XADD (held there by a row lock the test
// takes on the event). Before the fence the stream then held the event twice: under the old
// relay's id, which Postgres never committed, and under the new relay's.
TEST_F(RelayTakeoverTest, AnXaddInFlightDuringATakeoverLeavesNoSecondCopy) {
  auto direct = Client(redis_server_.port());
  CountingTail tail(db_.url(), stream_, *direct);

  std::set<std::string> expected;
  expected.insert(AppendCommitted("things/warm-up"));
  for (int round = 0; round < 4; ++round) {
    const std::string name = "round " + std::to_string(round);
    accord::testing::HeldLink link(redis_server_.port());
    auto through_link = Client(link.port());
    auto old_relay = std::make_unique<OutboxRelay>(Options(), *through_link);
    old_relay->Start();
    ASSERT_TRUE(WaitFor([&] { return old_relay->active() && Unpublished() == 0; })) << name;
    auto new_client = Client(redis_server_.port());
    OutboxRelay new_relay(Options(), *new_client);
    new_relay.Start();  // a standby until the old one's session ends

    // The old relay stamps the event and sends its XADD, which the link holds; the XADD times
    // out and the pass rolls back.
    link.Hold();
    const std::string event = AppendCommitted("things/" + std::to_string(round));
    expected.insert(event);
    ASSERT_TRUE(WaitFor([&] { return link.held_bytes() > 0; })) << name;
    // The test's lock on the event's row keeps the new relay's stamp waiting.
    pqxx::connection locker(db_.url());
    pqxx::work lock(locker);
    lock.exec("SELECT seq FROM takeover.outbox WHERE published_at IS NULL FOR UPDATE");
    // The old relay's process ends (its session with it); the standby takes over, fences and
    // reads the stream (nothing to adopt yet), then waits for the row.
    old_relay->Stop();
    ASSERT_TRUE(WaitFor([&] { return new_relay.active() && RelayWaitsForRowLock(); })) << name;
    // Now the old XADD arrives.
    link.Release();
    ASSERT_TRUE(link.AwaitDelivered()) << name;
    std::this_thread::sleep_for(50ms);
    lock.abort();
    ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; })) << name;
    new_relay.Stop();
    old_relay.reset();
    ExpectStreamIsWhatPostgresCommitted(expected, name);
  }
  tail.ExpectEachOnce(expected);
}

// The same takeover with Redis itself stopped (SIGSTOP) while the old relay's XADD waits in it,
// and events written throughout: whichever of the two relays' commands Redis runs first, the
// stream and the tail carry each event once, as committed.
TEST_F(RelayTakeoverTest, TakeoversWhileRedisIsStoppedKeepEachEventOnce) {
  auto direct = Client(redis_server_.port());
  CountingTail tail(db_.url(), stream_, *direct);

  std::set<std::string> expected;
  std::vector<std::unique_ptr<RedisClient>> clients;
  clients.push_back(Client(redis_server_.port()));
  auto active = std::make_unique<OutboxRelay>(Options(), *clients.back());
  active->Start();
  ASSERT_TRUE(WaitFor([&] { return active->active(); }));
  for (int round = 0; round < 4; ++round) {
    const std::string name = "round " + std::to_string(round);
    clients.push_back(Client(redis_server_.port()));
    auto standby = std::make_unique<OutboxRelay>(Options(), *clients.back());
    standby->Start();
    for (int i = 0; i < 5; ++i) expected.insert(AppendCommitted("things/a" + std::to_string(i)));
    redis_server_.Pause();
    // Committed while Redis is stopped: the active relay's XADD waits in Redis and times out.
    for (int i = 0; i < 5; ++i) expected.insert(AppendCommitted("things/b" + std::to_string(i)));
    std::this_thread::sleep_for(150ms);
    active->Stop();  // its process ends; the standby takes over while Redis is still stopped
    ASSERT_TRUE(WaitFor([&] { return standby->active(); })) << name;
    for (int i = 0; i < 5; ++i) expected.insert(AppendCommitted("things/c" + std::to_string(i)));
    std::this_thread::sleep_for(100ms * (round % 3));
    redis_server_.Resume();
    ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; })) << name;
    active = std::move(standby);
    ExpectStreamIsWhatPostgresCommitted(expected, name);
  }
  active->Stop();
  tail.ExpectEachOnce(expected);
}

// A fence above every epoch the database handed out (it was restored from a backup older than
// Redis' data): the relay moves its epochs past the fence, and then publishes.
TEST_F(RelayTakeoverTest, AFenceAboveTheDatabasesEpochsIsPassedAfterARestore) {
  auto direct = Client(redis_server_.port());
  // A later session's fence, far above any epoch this database handed out yet.
  auto fenced = direct->Command({"SET", stream_ + ":relay-fence", "1000"});
  ASSERT_TRUE(fenced.ok());
  OutboxRelay relay(Options(), *direct);
  relay.Start();
  const std::string event = AppendCommitted("things/after-restore");
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  relay.Stop();
  EXPECT_GT(Scalar("SELECT last_value FROM takeover.outbox_relay_epoch"), 1000);
  ExpectStreamIsWhatPostgresCommitted({event}, "after restore");
}

}  // namespace
}  // namespace accord::common
