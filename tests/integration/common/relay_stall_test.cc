// OutboxRelay against a Redis that stalls (SIGSTOP) or that a previous relay left entries in which
// Postgres never committed, and its repair of the cache entries its events make stale. A fresh
// database and a private Redis per test.
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/cache.h"
#include "accord/common/ids.h"
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

constexpr char kSchema[] = "stall";

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class RelayStallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = ApplyMigrations(db_.url(), kSchema, {});
    ASSERT_TRUE(applied.ok()) << applied.status();
    auto options = ParseRedisUrl(redis_server_.url());
    ASSERT_TRUE(options.ok()) << options.status();
    options->command_timeout = 100ms;
    options->connect_timeout = 100ms;
    redis_ = std::make_unique<RedisClient>(*options);
    service_ = "test-" + NewUuidV7();
  }

  RelayOptions Options() const {
    RelayOptions options;
    options.pg_url = db_.url();
    options.schema = kSchema;
    options.stream = EventStreamName(service_);
    options.poll_interval = 100ms;
    return options;
  }

  // Commits one event for `subject` at `version`; returns its envelope.
  v1::EventEnvelope AppendCommitted(const std::string& subject, int64_t version) {
    google::protobuf::StringValue payload;
    payload.set_value(subject + "@" + std::to_string(version));
    EventSpec spec;
    spec.type = "accord.test.v1.ThingUpdated";
    spec.subject = subject;
    spec.aggregate_version = version;
    spec.payload = &payload;
    pqxx::connection connection(db_.url());
    WriteTransaction transaction(connection);
    v1::EventEnvelope envelope = writer_.Append(transaction, spec);
    transaction.commit();
    return envelope;
  }

  int64_t Scalar(const std::string& sql) const {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    return query.exec1(sql)[0].as<int64_t>();
  }

  int64_t Unpublished() const {
    return Scalar("SELECT count(*) FROM stall.outbox WHERE published_at IS NULL");
  }

  // (stream id, event id) of every entry.
  std::vector<std::pair<std::string, std::string>> ReadStream() {
    std::vector<std::pair<std::string, std::string>> entries;
    auto reply = redis_->Command({"XRANGE", EventStreamName(service_), "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return entries;
    for (const auto& item : reply->elements) {
      v1::EventEnvelope envelope;
      EXPECT_TRUE(envelope.ParseFromString(item.elements.at(1).elements.at(1).str));
      entries.emplace_back(item.elements.at(0).str, envelope.id());
    }
    return entries;
  }

  VersionedCache::Options CacheOptions() const {
    VersionedCache::Options options;
    options.name = service_;  // the relay's cache name follows from its stream's
    return options;
  }

  accord::testing::TestDatabase db_;
  accord::testing::ScopedRedisServer redis_server_;
  std::unique_ptr<RedisClient> redis_;
  std::string service_;
  OutboxWriter writer_{kSchema, "test"};
};

// A stalled Redis runs the XADD the relay gave up on when it resumes; the relay must then not
// publish the same event again under a new id.
TEST_F(RelayStallTest, AnXaddThatTimedOutInAStallIsNotFollowedByASecondCopy) {
  OutboxRelay relay(Options(), *redis_);
  relay.Start();
  AppendCommitted("things/0", 1);
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));

  std::set<std::string> expected;
  for (int stall = 0; stall < 3; ++stall) {
    redis_server_.Pause();
    // Committed while Redis is stopped: the relay's XADD reaches Redis and times out.
    expected.insert(AppendCommitted("things/" + std::to_string(stall + 1), 1).id());
    std::this_thread::sleep_for(400ms);
    redis_server_.Resume();
    ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  }
  relay.Stop();

  const auto entries = ReadStream();
  std::set<std::string> seen;
  for (const auto& [id, event_id] : entries) {
    EXPECT_TRUE(seen.insert(event_id).second) << "event " << event_id << " twice, again at " << id;
  }
  for (const auto& id : expected) EXPECT_EQ(seen.count(id), 1u) << id;
  // What Postgres committed is what the stream holds.
  for (const auto& [id, event_id] : entries) {
    EXPECT_EQ(Scalar("SELECT publish_seq FROM stall.outbox WHERE event_id = '" + event_id + "'"),
              std::stoll(id.substr(0, id.find('-'))));
  }
}

// A relay that died after its XADD left an entry Postgres never committed; the next relay adopts
// it as the event's publication instead of adding a second copy.
TEST_F(RelayStallTest, AnEntryAnEarlierRelayLeftUncommittedIsAdopted) {
  const v1::EventEnvelope first = AppendCommitted("things/1", 1);
  const v1::EventEnvelope second = AppendCommitted("things/2", 1);
  {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    query.exec("SELECT setval('stall.outbox_publish_seq', 7)");  // what the dead relay drew
  }
  auto added = redis_->Command(
      {"XADD", EventStreamName(service_), "7-0", "envelope", first.SerializeAsString()});
  ASSERT_TRUE(added.ok() && added->type != RedisValue::Type::kError);

  OutboxRelay relay(Options(), *redis_);
  relay.Start();
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  relay.Stop();

  const auto entries = ReadStream();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], std::make_pair(std::string("7-0"), first.id()));
  EXPECT_EQ(entries[1].second, second.id());
  EXPECT_EQ(Scalar("SELECT publish_seq FROM stall.outbox WHERE event_id = '" + first.id() + "'"),
            7);
}

// The writer's update of Redis can be lost; the relay's pass leaves no entry older than its event.
TEST_F(RelayStallTest, APassRepairsCacheEntriesOlderThanItsEvents) {
  VersionedCache writer(CacheOptions(), redis_.get(), nullptr);
  writer.Put("things/stale", {1, "v1"});    // its write to v2 never reached Redis
  writer.Put("things/current", {2, "v2"});  // its write did
  OutboxRelay relay(Options(), *redis_);
  relay.Start();
  AppendCommitted("things/stale", 2);
  AppendCommitted("things/current", 2);
  AppendCommitted("things/uncached", 2);
  ASSERT_TRUE(WaitFor([&] { return Unpublished() == 0; }));
  relay.Stop();

  VersionedCache replica(CacheOptions(), redis_.get(), nullptr);  // started afterwards
  EXPECT_FALSE(replica.Get("things/stale").has_value()) << "the older version is gone";
  auto current = replica.Get("things/current");
  ASSERT_TRUE(current.has_value()) << "the writer's current copy stays";
  EXPECT_EQ(current->bytes, "v2");
  auto uncached =
      redis_->Command({"EXISTS", VersionedCache::RedisKeyFor(service_, "things/uncached")});
  ASSERT_TRUE(uncached.ok());
  EXPECT_EQ(uncached->integer, 0) << "nothing is written for a key no reader cached";
  // The repair's tombstone refuses a fill of the older version still in flight, and the next
  // reader's fill of the current one lands once it expires.
  replica.FillMany({{"things/stale", {1, "v1"}}});
  EXPECT_FALSE(VersionedCache(CacheOptions(), redis_.get(), nullptr).Get("things/stale"));
  auto ttl = redis_->Command({"TTL", VersionedCache::RedisKeyFor(service_, "things/stale")});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, Options().cache_tombstone_ttl.count());
}

}  // namespace
}  // namespace accord::common
