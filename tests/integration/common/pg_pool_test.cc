// PgPool against a real PostgreSQL: the two read scopes, and what an error leaves behind.
#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "accord/common/errors.h"
#include "accord/common/pg.h"
#include "support/servers.h"

namespace accord::common {
namespace {

class PgPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<PgPool>(PgOptions{.url = db_.url(), .pool_size = 1},
                                     std::vector<PreparedStatement>{});
    ASSERT_TRUE(pool_
                    ->Transact([](pqxx::work& transaction) {
                      transaction.exec0("CREATE TABLE items (id int PRIMARY KEY, label text)");
                      transaction.exec0("INSERT INTO items VALUES (1, 'one')");
                      return absl::OkStatus();
                    })
                    .ok());
  }

  // transaction_read_only as the read saw it: "on" inside a read-only transaction.
  std::string ReadOnlySetting(ReadScope scope) {
    std::string setting;
    absl::Status status = pool_->Read(
        [&](pqxx::transaction_base& transaction) {
          setting = transaction.exec1("SELECT current_setting('transaction_read_only')")[0]
                        .as<std::string>();
          return absl::OkStatus();
        },
        scope);
    EXPECT_TRUE(status.ok()) << status;
    return setting;
  }

  accord::testing::TestDatabase db_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(PgPoolTest, SessionsRunWithTheStatementTimeoutAndGenericPlans) {
  std::string timeout, plan_mode;
  absl::Status status = pool_->Read(
      [&](pqxx::transaction_base& transaction) {
        auto row = transaction.exec1(
            "SELECT (SELECT setting FROM pg_settings WHERE name = 'statement_timeout'), "  // ms
            "current_setting('plan_cache_mode')");
        timeout = row[0].as<std::string>();
        plan_mode = row[1].as<std::string>();
        return absl::OkStatus();
      },
      ReadScope::kOneStatement);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(timeout, std::to_string(PgOptions{}.statement_timeout.count()));
  EXPECT_EQ(plan_mode, "force_generic_plan");
}

TEST_F(PgPoolTest, SnapshotReadRunsInAReadOnlyTransactionAndOneStatementReadOutsideOne) {
  EXPECT_EQ(ReadOnlySetting(ReadScope::kSnapshot), "on");
  EXPECT_EQ(ReadOnlySetting(ReadScope::kOneStatement), "off");
}

TEST_F(PgPoolTest, OneStatementReadSeesCommittedRows) {
  ASSERT_TRUE(pool_
                  ->Transact([](pqxx::work& transaction) {
                    transaction.exec0("INSERT INTO items VALUES (2, 'two')");
                    return absl::OkStatus();
                  })
                  .ok());
  std::vector<std::string> labels;
  absl::Status status = pool_->Read(
      [&](pqxx::transaction_base& transaction) {
        for (const auto& row : transaction.exec("SELECT label FROM items ORDER BY id")) {
          labels.push_back(row[0].as<std::string>());
        }
        return absl::OkStatus();
      },
      ReadScope::kOneStatement);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(labels, (std::vector<std::string>{"one", "two"}));
}

TEST_F(PgPoolTest, AStatusFromTheReadIsReturnedAsIs) {
  absl::Status status = pool_->Read([](pqxx::transaction_base&) { return NotFound("items/9"); },
                                    ReadScope::kOneStatement);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

TEST_F(PgPoolTest, AFailedOneStatementReadLeavesTheConnectionUsable) {
  // The pool has one connection, so the second read runs on the connection the first broke.
  absl::Status failed = pool_->Read(
      [](pqxx::transaction_base& transaction) {
        transaction.exec("SELECT * FROM no_such_table");
        return absl::OkStatus();
      },
      ReadScope::kOneStatement);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(ReadOnlySetting(ReadScope::kOneStatement), "off");
  EXPECT_EQ(ReadOnlySetting(ReadScope::kSnapshot), "on");
}

TEST_F(PgPoolTest, ASnapshotReadCannotWrite) {
  absl::Status status = pool_->Read([](pqxx::transaction_base& transaction) {
    transaction.exec0("INSERT INTO items VALUES (3, 'three')");
    return absl::OkStatus();
  });
  EXPECT_FALSE(status.ok());
  int64_t count = 0;
  ASSERT_TRUE(pool_
                  ->Read(
                      [&](pqxx::transaction_base& transaction) {
                        count = transaction.exec1("SELECT count(*) FROM items")[0].as<int64_t>();
                        return absl::OkStatus();
                      },
                      ReadScope::kOneStatement)
                  .ok());
  EXPECT_EQ(count, 1);
}

TEST_F(PgPoolTest, AnErrorStatusRollsTheWriteBack) {
  absl::Status status = pool_->Transact([](pqxx::work& transaction) {
    transaction.exec0("INSERT INTO items VALUES (4, 'four')");
    return FailedPrecondition("TEST", "refused after writing");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  int64_t count = -1;
  ASSERT_TRUE(
      pool_
          ->Read(
              [&](pqxx::transaction_base& transaction) {
                count =
                    transaction.exec1("SELECT count(*) FROM items WHERE id = 4")[0].as<int64_t>();
                return absl::OkStatus();
              },
              ReadScope::kOneStatement)
          .ok());
  EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace accord::common
