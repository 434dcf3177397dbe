// The LISTEN follower that in-memory caches trust only while it is fresh (pg_notices.h):
// committed notices arrive in order, rolled-back ones never do, and a lost connection turns it
// stale until it is back and its owner has caught up.
#include "accord/common/pg_notices.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "support/eventually.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using testing::Eventually;

constexpr char kChannel[] = "notices_test";
constexpr char kApplication[] = "accord-notices-test";

class PgNoticeListenerTest : public ::testing::Test {
 protected:
  PgNoticeListener::Options Options() {
    return {.pg_url = db_.url(),
            .channel = kChannel,
            .application_name = kApplication,
            .thread_name = "notices-test",
            .on_listening =
                [this](pqxx::nontransaction& read, int64_t now) {
                  // The catch-up may read on the listening connection.
                  EXPECT_EQ(
                      read.exec1("SELECT current_setting('application_name')")[0].as<std::string>(),
                      kApplication);
                  std::lock_guard lock(mutex_);
                  catch_ups_.push_back(now);
                },
            .on_notice =
                [this](const std::string& payload) {
                  std::lock_guard lock(mutex_);
                  payloads_.push_back(payload);
                },
            .on_probe =
                [this](int64_t now) {
                  std::lock_guard lock(mutex_);
                  probes_.push_back(now);
                }};
  }

  void Sql(const std::string& statement) {
    pqxx::connection connection(db_.url());
    pqxx::work work(connection);
    work.exec(statement);
    work.commit();
  }
  // Ends the listener's session the way a restart or a network cut would.
  int Terminate() {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    return query
        .exec_params1(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
            "datname = current_database() AND application_name = $1",
            kApplication)[0]
        .as<int>();
  }
  std::vector<std::string> Payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }
  size_t CatchUps() {
    std::lock_guard lock(mutex_);
    return catch_ups_.size();
  }
  size_t Probes() {
    std::lock_guard lock(mutex_);
    return probes_.size();
  }

  testing::TestDatabase db_;
  std::mutex mutex_;
  std::vector<std::string> payloads_;
  std::vector<int64_t> catch_ups_;
  std::vector<int64_t> probes_;
};

TEST_F(PgNoticeListenerTest, CommittedNoticesArriveInCommitOrderAndRolledBackOnesNever) {
  PgNoticeListener listener(Options());
  EXPECT_FALSE(listener.fresh());
  listener.Start();
  ASSERT_TRUE(Eventually([&] { return listener.fresh(); }));
  EXPECT_EQ(CatchUps(), 1u);
  {
    pqxx::connection connection(db_.url());
    pqxx::work rolled_back(connection);
    rolled_back.exec("SELECT pg_notify('notices_test', 'never')");
    rolled_back.abort();
  }
  Sql("SELECT pg_notify('notices_test', 'first')");
  Sql("SELECT pg_notify('notices_test', 'second')");
  Sql("SELECT pg_notify('other_channel', 'elsewhere')");
  ASSERT_TRUE(Eventually([&] { return Payloads().size() >= 2; }));
  EXPECT_EQ(Payloads(), (std::vector<std::string>{"first", "second"}));
  // A quiet connection is still probed, and the owner told PostgreSQL's clock each time.
  ASSERT_TRUE(Eventually([&] { return Probes() >= 2; }));
  {
    std::lock_guard lock(mutex_);
    EXPECT_LE(catch_ups_[0], probes_[0]);
    EXPECT_LE(probes_[0], probes_[1]);
  }
  EXPECT_TRUE(listener.fresh());
  listener.Stop();
  EXPECT_FALSE(listener.fresh());
  // Started after Stop: nothing runs.
  listener.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(listener.fresh());
  EXPECT_EQ(CatchUps(), 1u);
}

TEST_F(PgNoticeListenerTest, ALostConnectionIsStaleUntilBackAndCaughtUp) {
  PgNoticeListener listener(Options());
  listener.Start();
  ASSERT_TRUE(Eventually([&] { return listener.fresh(); }));
  ASSERT_EQ(Terminate(), 1);
  // Seen lost at the next probe at the latest (about a second), and stale from then.
  ASSERT_TRUE(Eventually([&] { return !listener.fresh(); }, std::chrono::seconds(5)));
  // Back: fresh again only after a second catch-up, through which a notice missed meanwhile
  // would have been read.
  ASSERT_TRUE(Eventually([&] { return listener.fresh(); }));
  EXPECT_EQ(CatchUps(), 2u);
  Sql("SELECT pg_notify('notices_test', 'after')");
  ASSERT_TRUE(Eventually([&] { return !Payloads().empty(); }));
  EXPECT_EQ(Payloads().back(), "after");
}

TEST_F(PgNoticeListenerTest, ACatchUpThatFailsIsRetriedBeforeTheListenerTurnsFresh) {
  std::atomic<int> attempts{0};
  PgNoticeListener::Options options = Options();
  options.on_listening = [&](pqxx::nontransaction&, int64_t) {
    if (attempts.fetch_add(1) == 0) throw std::runtime_error("catch-up failed");
  };
  PgNoticeListener listener(std::move(options));
  listener.Start();
  ASSERT_TRUE(Eventually([&] { return listener.fresh(); }));
  EXPECT_EQ(attempts.load(), 2);
}

TEST_F(PgNoticeListenerTest, AnUnreachableServerLeavesItStaleAndStopsPromptly) {
  PgNoticeListener::Options options = Options();
  options.pg_url = "postgresql://accord@127.0.0.1:1/nowhere?connect_timeout=1";
  PgNoticeListener listener(std::move(options));
  listener.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(listener.fresh());
  EXPECT_EQ(CatchUps(), 0u);
  const auto before = std::chrono::steady_clock::now();
  listener.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
}

}  // namespace
}  // namespace accord::common
