// Health follows the database, and migrations are safe for replicas starting together.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <thread>

#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

constexpr int kServing = 1;
constexpr int kNotServing = 2;

// Polls until HealthStatus equals `want` or `timeout` passes; returns the last status seen.
int WaitForHealth(const std::shared_ptr<grpc::Channel>& channel, int want,
                  std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    status = testing::HealthStatus(channel);
    if (status == want) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

TEST(AccountHealthTest, NotServingWhilePostgresIsDownAndServingWhenBack) {
  testing::ScopedPostgresServer postgres;
  testing::TestDatabase database(postgres.url());
  testing::ServiceHarness harness(AccountServiceDefinition(), database.url(),
                                  testing::SharedRedisUrl());
  ASSERT_EQ(WaitForHealth(harness.channel(), kServing, std::chrono::seconds(10)), kServing);

  postgres.Stop();
  EXPECT_EQ(WaitForHealth(harness.channel(), kNotServing, std::chrono::seconds(15)), kNotServing);

  // Calls that need the database fail with UNAVAILABLE, not a crash or a hang.
  auto stub = v1::AccountService::NewStub(harness.channel());
  v1::ListAccountsRequest list;
  v1::ListAccountsResponse page;
  auto status =
      stub->ListAccounts(testing::ContextAs("alice", {common::Role::kAdmin}).get(), list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);

  postgres.Start();
  EXPECT_EQ(WaitForHealth(harness.channel(), kServing, std::chrono::seconds(15)), kServing);
  status =
      stub->ListAccounts(testing::ContextAs("alice", {common::Role::kAdmin}).get(), list, &page);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(AccountMigrationsTest, ParallelRunsApplyEachMigrationOnce) {
  testing::TestDatabase database;
  constexpr int kReplicas = 4;
  std::vector<absl::StatusOr<std::vector<std::string>>> results(kReplicas,
                                                                std::vector<std::string>{});
  std::vector<std::thread> threads;
  auto definition = AccountServiceDefinition();
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      results[i] = common::ApplyMigrations(database.url(), "account", definition.migrations());
    });
  }
  for (auto& thread : threads) thread.join();
  size_t total_applied = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    total_applied += result->size();
  }
  pqxx::connection connection(database.url());
  pqxx::read_transaction read(connection);
  auto recorded = read.exec1("SELECT count(*) FROM account.schema_migrations")[0].as<size_t>();
  EXPECT_EQ(total_applied, recorded) << "each migration applied by exactly one replica";
  EXPECT_GE(recorded, definition.migrations().size());

  // And once more, afterwards: nothing left to do.
  auto again = common::ApplyMigrations(database.url(), "account", definition.migrations());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

}  // namespace
}  // namespace accord::account
