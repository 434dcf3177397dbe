// What Kubernetes' probes see: readiness ("" and each served service) follows PostgreSQL and the
// drain, liveness ("liveness") follows only the worker pool; and a service refuses to start on a
// schema older than it needs.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "accord/common/metrics.h"
#include "accord/common/migrations.h"
#include "accord/common/server.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

constexpr int kServing = 1;
constexpr int kNotServing = 2;
constexpr char kEventService[] = "accord.events.v1.EventService";

// A service with no API of its own: the runtime still serves its EventService.
ServiceDefinition BareDefinition(const std::string& schema) {
  ServiceDefinition definition;
  definition.name = "probe-test";
  definition.schema = schema;
  definition.migrations = []() -> const std::vector<Migration>& {
    static const std::vector<Migration> kNone;
    return kNone;
  };
  definition.make_services = [](Runtime&) { return std::vector<std::unique_ptr<grpc::Service>>{}; };
  return definition;
}

// Polls until the status of `name` equals `want` or `timeout` passes; returns the last seen.
int WaitFor(const std::shared_ptr<grpc::Channel>& channel, const std::string& name, int want,
            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    status = testing::HealthStatus(channel, name);
    if (status == want) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

TEST(HealthTest, ReadinessAnswersForEveryServedNameAndUnknownNamesAreNotFound) {
  testing::TestDatabase database;
  testing::ServiceHarness harness(BareDefinition("probe_names"), database.url(),
                                  testing::SharedRedisUrl());
  EXPECT_EQ(WaitFor(harness.channel(), "", kServing, std::chrono::seconds(10)), kServing);
  EXPECT_EQ(testing::HealthStatus(harness.channel(), kEventService), kServing);
  EXPECT_EQ(testing::HealthStatus(harness.channel(), kLivenessHealthName), kServing);
  EXPECT_EQ(testing::HealthStatus(harness.channel(), "accord.nothing.v1.NoSuchService"), -1);
}

TEST(HealthTest, DatabaseOutageTurnsReadinessOffButLivenessStaysServing) {
  testing::ScopedPostgresServer postgres;
  testing::TestDatabase database(postgres.url());
  auto definition = BareDefinition("probe_outage");
  auto settings = testing::TestSettings(definition, database.url(), testing::SharedRedisUrl());
  settings.liveness_stall = std::chrono::milliseconds(1000);
  testing::ServiceHarness harness(definition, settings);
  ASSERT_EQ(WaitFor(harness.channel(), "", kServing, std::chrono::seconds(10)), kServing);

  postgres.Stop();
  EXPECT_EQ(WaitFor(harness.channel(), "", kNotServing, std::chrono::seconds(15)), kNotServing);
  EXPECT_EQ(testing::HealthStatus(harness.channel(), kEventService), kNotServing);
  // Several stall periods long: a liveness that followed the database would have turned.
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(testing::HealthStatus(harness.channel(), kLivenessHealthName), kServing) << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  postgres.Start();
  EXPECT_EQ(WaitFor(harness.channel(), "", kServing, std::chrono::seconds(15)), kServing);
  EXPECT_EQ(testing::HealthStatus(harness.channel(), kEventService), kServing);
}

// True once the global registry shows `series` with `value` (within `timeout`).
bool WaitForSeries(const std::string& series, const std::string& value,
                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (MetricsRegistry::Global().RenderText().find(series + " " + value + "\n") !=
        std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(HealthTest, RedisOutageIsReportedButTakesNoReplicaOutOfService) {
  testing::ScopedRedisServer redis;
  testing::TestDatabase database;
  testing::ServiceHarness harness(BareDefinition("probe_redis"), database.url(), redis.url());
  const std::string series = "accord_redis_up{service=\"probe-test\"}";
  ASSERT_EQ(WaitFor(harness.channel(), "", kServing, std::chrono::seconds(10)), kServing);
  EXPECT_TRUE(WaitForSeries(series, "1", std::chrono::seconds(10)));

  redis.Kill();
  EXPECT_TRUE(WaitForSeries(series, "0", std::chrono::seconds(10)));
  // Without Redis the service still serves from PostgreSQL: it stays ready, and alive.
  EXPECT_EQ(testing::HealthStatus(harness.channel(), ""), kServing);
  EXPECT_EQ(testing::HealthStatus(harness.channel(), kLivenessHealthName), kServing);

  redis.Start();
  EXPECT_TRUE(WaitForSeries(series, "1", std::chrono::seconds(15)));
}

TEST(HealthTest, LivenessTurnsOffWhileNoWorkerTakesWorkAndBackAfter) {
  testing::TestDatabase database;
  auto definition = BareDefinition("probe_stall");
  auto settings = testing::TestSettings(definition, database.url(), testing::SharedRedisUrl());
  settings.worker_threads = 2;
  settings.liveness_stall = std::chrono::milliseconds(500);
  testing::ServiceHarness harness(definition, settings);
  ASSERT_EQ(WaitFor(harness.channel(), "", kServing, std::chrono::seconds(10)), kServing);
  ASSERT_EQ(testing::HealthStatus(harness.channel(), kLivenessHealthName), kServing);

  // Every worker stuck (as behind a deadlock) until released.
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  for (int i = 0; i < settings.worker_threads; ++i) {
    ASSERT_TRUE(harness.runtime().workers().Submit([&] {
      std::unique_lock lock(mutex);
      released_cv.wait(lock, [&] { return released; });
    }));
  }
  EXPECT_EQ(WaitFor(harness.channel(), kLivenessHealthName, kNotServing, std::chrono::seconds(10)),
            kNotServing);
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  released_cv.notify_all();
  EXPECT_EQ(WaitFor(harness.channel(), kLivenessHealthName, kServing, std::chrono::seconds(10)),
            kServing);
}

// Whether the channel's connection is still the one it opened: polls for `wait`, false as soon
// as the server has ended it (GOAWAY turns the channel IDLE).
bool StaysConnected(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (channel->GetState(false) != GRPC_CHANNEL_READY) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A ready bare service whose connections live `age` (0: forever), with a connected channel.
class ConnectionAgeTest : public ::testing::Test {
 protected:
  void Start(std::chrono::milliseconds age) {
    auto definition = BareDefinition("conn_age");
    auto settings = testing::TestSettings(definition, database_.url(), testing::SharedRedisUrl());
    settings.max_connection_age = age;
    harness_ = std::make_unique<testing::ServiceHarness>(definition, settings);
    ASSERT_EQ(WaitFor(harness_->channel(), "", kServing, std::chrono::seconds(10)), kServing);
    ASSERT_EQ(harness_->channel()->GetState(false), GRPC_CHANNEL_READY);
  }
  testing::TestDatabase database_;
  std::unique_ptr<testing::ServiceHarness> harness_;
};

TEST_F(ConnectionAgeTest, ServerEndsOldConnectionsAndClientsReconnect) {
  Start(std::chrono::milliseconds(300));
  EXPECT_FALSE(StaysConnected(harness_->channel(), std::chrono::seconds(3)));
  // The next call connects again.
  EXPECT_EQ(testing::HealthStatus(harness_->channel(), ""), kServing);
}

TEST_F(ConnectionAgeTest, ZeroKeepsConnectionsOpen) {
  Start(std::chrono::milliseconds(0));
  EXPECT_TRUE(StaysConnected(harness_->channel(), std::chrono::seconds(2)));
}

TEST(SchemaCheckTest, ListsWhatIsNotAppliedInOrder) {
  testing::TestDatabase database;
  const std::vector<Migration> own = {{"0001_things", "CREATE TABLE things (id int)"},
                                      {"0002_more", "ALTER TABLE things ADD COLUMN name text"}};
  // Never migrated: everything is missing, the common migrations first.
  auto missing = MissingMigrations(database.url(), "schema_check", own);
  ASSERT_TRUE(missing.ok()) << missing.status();
  ASSERT_GE(missing->size(), 3u);
  EXPECT_EQ(missing->back(), "0002_more");
  EXPECT_TRUE(missing->front().starts_with("0000_common"));

  ASSERT_TRUE(ApplyMigrations(database.url(), "schema_check", {own[0]}).ok());
  missing = MissingMigrations(database.url(), "schema_check", own);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(*missing, std::vector<std::string>{"0002_more"});

  ASSERT_TRUE(ApplyMigrations(database.url(), "schema_check", own).ok());
  missing = MissingMigrations(database.url(), "schema_check", own);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  // A newer release's migration in the schema does not stop this one.
  const std::vector<Migration> older = {own[0]};
  missing = MissingMigrations(database.url(), "schema_check", older);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST(SchemaCheckTest, UnreachableDatabaseIsUnavailable) {
  const int port = testing::FreeLoopbackPort();
  auto missing = MissingMigrations(
      "postgresql://nobody@127.0.0.1:" + std::to_string(port) + "/none", "schema_check", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
}

TEST(SchemaCheckTest, ServiceMainRefusesToServeOnAnOlderSchema) {
  testing::TestDatabase database;
  static const std::vector<Migration> kOwn = {{"0001_things", "CREATE TABLE things (id int)"},
                                              {"0002_more", "ALTER TABLE things ADD name text"}};
  ASSERT_TRUE(ApplyMigrations(database.url(), "schema_main", {kOwn[0]}).ok());
  auto definition = BareDefinition("schema_main");
  definition.migrations = []() -> const std::vector<Migration>& { return kOwn; };
  bool served = false;
  definition.make_services = [&served](Runtime&) {
    served = true;
    return std::vector<std::unique_ptr<grpc::Service>>{};
  };
  std::vector<std::string> args = {"accord-probe-test",
                                   "--pg-url=" + database.url(),
                                   "--redis-url=" + testing::SharedRedisUrl(),
                                   "--jwt-secret=schema-check-test-secret",
                                   "--page-token-secret=schema-check-test-secret",
                                   "--grpc-address=127.0.0.1:0",
                                   "--metrics-address=127.0.0.1:0"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  // ServiceMain blocks SIGTERM/SIGINT in its thread (to sigwait them): run it on its own.
  int exit_code = -1;
  std::thread main_thread(
      [&] { exit_code = ServiceMain(static_cast<int>(argv.size()), argv.data(), definition); });
  main_thread.join();
  EXPECT_EQ(exit_code, 3);
  EXPECT_FALSE(served) << "no service may start on an older schema";
}

}  // namespace
}  // namespace accord::common
