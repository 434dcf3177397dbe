// common::PeerEventFeed following a real account service over gRPC into another database: every
// event applied exactly once across Redis losing its data, feed restarts and handler failures,
// and a Reset replays what the peer retains.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/common/migrations.h"
#include "accord/common/peer_events.h"
#include "accord/common/service_client.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

using testing::ContextAs;

constexpr char kSchema[] = "feedtest";
constexpr char kFeed[] = "account-events";

class PeerEventFeedTest : public ::testing::Test {
 protected:
  PeerEventFeedTest()
      : peer_(account::AccountServiceDefinition(), peer_db_.url(), redis_.url()),
        accounts_(account::v1::AccountService::NewStub(peer_.channel())) {
    auto migrated = ApplyMigrations(
        consumer_db_.url(), kSchema,
        {{"0001_seen",
          "CREATE TABLE feedtest.seen (seq bigserial PRIMARY KEY, event_id text NOT "
          "NULL, type text NOT NULL, subject text NOT NULL)"}});
    EXPECT_TRUE(migrated.ok()) << migrated.status();
    PgOptions pg;
    pg.url = consumer_db_.url();
    pg.pool_size = 2;
    pool_ = std::make_unique<PgPool>(pg, std::vector<PreparedStatement>{});
    ServiceClientOptions client;
    client.service = "account";
    client.address = "127.0.0.1:" + std::to_string(peer_.port());
    client.service_token = testing::TokenFor("insights-sync", {Role::kIntegration});
    peer_client_ = std::make_unique<ServiceClient>(client);
  }

  std::unique_ptr<PeerEventFeed> MakeFeed(PeerEventFeed::Handler handler = {}) {
    PeerFeedOptions options;
    options.name = kFeed;
    options.schema = kSchema;
    options.type_prefix = "accord.account.v1.Account";
    options.min_backoff = std::chrono::milliseconds(50);
    options.max_backoff = std::chrono::milliseconds(500);
    if (!handler) handler = Record;
    return std::make_unique<PeerEventFeed>(options, *pool_, *peer_client_, handler);
  }

  static absl::Status Record(WriteTransaction& transaction, const v1::EventEnvelope& event) {
    transaction.exec_params(
        "INSERT INTO feedtest.seen (event_id, type, subject) VALUES ($1, $2, $3)", event.id(),
        event.type(), event.subject());
    return absl::OkStatus();
  }

  void CreateAccounts(int count) {
    for (int i = 0; i < count; ++i) {
      account::v1::CreateAccountRequest request;
      request.mutable_account()->set_display_name("Feed " + std::to_string(created_++));
      request.mutable_account()->set_type(v1::ORGANIZATION_TYPE_COMMERCIAL);
      account::v1::Account account;
      auto status = accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(),
                                             request, &account);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  // (rows, distinct event ids) in the consumer's table.
  static std::pair<int64_t, int64_t> Seen(int64_t rows, int64_t distinct) {
    return {rows, distinct};
  }
  std::pair<int64_t, int64_t> SeenCounts() {
    std::pair<int64_t, int64_t> counts{-1, -1};
    auto status = pool_->Read([&](pqxx::transaction_base& transaction) {
      auto row = transaction.exec1("SELECT count(*), count(DISTINCT event_id) FROM feedtest.seen");
      counts = {row[0].as<int64_t>(), row[1].as<int64_t>()};
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return counts;
  }

  // Waits until the consumer holds `expected` rows (or 20 s pass).
  std::pair<int64_t, int64_t> WaitForSeen(int64_t expected) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto counts = SeenCounts();
    while (counts.first < expected && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      counts = SeenCounts();
    }
    return counts;
  }

  testing::TestDatabase peer_db_;
  testing::TestDatabase consumer_db_;
  testing::ScopedRedisServer redis_;
  testing::ServiceHarness peer_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<ServiceClient> peer_client_;
  int created_ = 0;
};

TEST_F(PeerEventFeedTest, AppliesEveryEventOnceAcrossRedisLossAndRestarts) {
  // Events from before the feed first started are replayed: a new feed starts at the oldest.
  CreateAccounts(4);
  auto feed = MakeFeed();
  feed->Start();
  EXPECT_EQ(WaitForSeen(4), Seen(4, 4));
  EXPECT_TRUE(feed->connected());

  // Redis loses everything; the peer keeps publishing and the feed loses nothing.
  redis_.Kill();
  CreateAccounts(3);
  redis_.Start();
  CreateAccounts(3);
  EXPECT_EQ(WaitForSeen(10), Seen(10, 10));

  // A restarted feed resumes after its stored cursor: what happened while it was away arrives,
  // nothing twice.
  feed->Stop();
  CreateAccounts(2);
  feed = MakeFeed();
  feed->Start();
  EXPECT_EQ(WaitForSeen(12), Seen(12, 12));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(SeenCounts(), Seen(12, 12));
  auto cursor = PeerEventFeed::StoredCursor(*pool_, kSchema, kFeed);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_FALSE(cursor->empty());
}

TEST_F(PeerEventFeedTest, AHandlerErrorRetriesTheSameEventAndKeepsTheOrder) {
  CreateAccounts(3);
  std::atomic<int> failures_left{3};
  auto feed = MakeFeed([&](WriteTransaction& transaction, const v1::EventEnvelope& event) {
    // The second event fails three times; nothing after it may be applied meanwhile.
    int64_t rows = transaction.exec1("SELECT count(*) FROM feedtest.seen")[0].as<int64_t>();
    if (rows == 1 && failures_left.fetch_sub(1) > 0) return absl::UnavailableError("not now");
    return Record(transaction, event);
  });
  feed->Start();
  EXPECT_EQ(WaitForSeen(3), Seen(3, 3));
  EXPECT_LE(failures_left.load(), 0);
  std::vector<std::string> subjects;
  ASSERT_TRUE(pool_
                  ->Read([&](pqxx::transaction_base& transaction) {
                    for (auto row :
                         transaction.exec("SELECT subject FROM feedtest.seen ORDER BY seq")) {
                      subjects.push_back(row[0].as<std::string>());
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  // Account names are UUIDv7 (time-ordered), so creation order is name order.
  std::vector<std::string> sorted = subjects;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(subjects, sorted);
}

TEST_F(PeerEventFeedTest, ResetReplaysEverythingThePeerRetains) {
  CreateAccounts(3);
  auto feed = MakeFeed();
  feed->Start();
  ASSERT_EQ(WaitForSeen(3).first, 3);
  feed->Stop();
  // Rebuild: the derived rows and the cursor go in one transaction.
  ASSERT_TRUE(pool_
                  ->Transact([&](WriteTransaction& transaction) {
                    transaction.exec("DELETE FROM feedtest.seen");
                    return PeerEventFeed::Reset(transaction, kSchema, kFeed);
                  })
                  .ok());
  EXPECT_EQ(SeenCounts().first, 0);
  feed = MakeFeed();
  feed->Start();
  EXPECT_EQ(WaitForSeen(3), Seen(3, 3));
}

TEST_F(PeerEventFeedTest, APeerThatGoesAwayLeavesTheFeedWaitingNotBroken) {
  CreateAccounts(2);
  auto feed = MakeFeed();
  feed->Start();
  ASSERT_EQ(WaitForSeen(2).first, 2);
  peer_.Stop();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (feed->connected() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(feed->connected());
  // Stop returns promptly while the feed is between attempts.
  feed->Stop();
  EXPECT_EQ(SeenCounts(), Seen(2, 2));
}

}  // namespace
}  // namespace accord::common
