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
                                     std::vector<PreparedStatement>{
                                         {"insert_item", "INSERT INTO items VALUES ($1, $2)"},
                                         {"count_items", "SELECT count(*) FROM items"},
                                         // True in the statement that opened its transaction:
                                         // the transaction began in this statement's message.
                                         {"began_here", "SELECT now() = statement_timestamp()"},
                                     });
    ASSERT_TRUE(pool_
                    ->Transact([](WriteTransaction& transaction) {
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

  int64_t CountItems() {
    int64_t count = -1;
    absl::Status status = pool_->Read(
        [&](pqxx::transaction_base& transaction) {
          count = transaction.exec1("SELECT count(*) FROM items")[0].as<int64_t>();
          return absl::OkStatus();
        },
        ReadScope::kOneStatement);
    EXPECT_TRUE(status.ok()) << status;
    return count;
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
                  ->Transact([](WriteTransaction& transaction) {
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
  absl::Status status = pool_->Transact([](WriteTransaction& transaction) {
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

TEST_F(PgPoolTest, AWriteSendsBeginInTheRoundTripOfItsFirstPreparedStatement) {
  bool began_with_first = false;
  bool began_with_second = true;
  ASSERT_TRUE(pool_
                  ->Transact([&](WriteTransaction& transaction) {
                    began_with_first = transaction.exec_prepared1("began_here")[0].as<bool>();
                    began_with_second = transaction.exec_prepared1("began_here")[0].as<bool>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_TRUE(began_with_first);
  EXPECT_FALSE(began_with_second);  // the same transaction, begun a round trip earlier
}

TEST_F(PgPoolTest, AWriteWhoseFirstStatementIsPlainSqlBeginsOnARoundTripOfItsOwn) {
  bool began_here = true;
  ASSERT_TRUE(pool_
                  ->Transact([&](WriteTransaction& transaction) {
                    began_here =
                        transaction.exec1("SELECT now() = statement_timestamp()")[0].as<bool>();
                    transaction.exec_prepared0("insert_item", 2, "two");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_FALSE(began_here);
  EXPECT_EQ(CountItems(), 2);
}

TEST_F(PgPoolTest, AStatementDeferredToCommitRunsOnlyWhenTheWriteCommits) {
  int64_t before_commit = -1;
  ASSERT_TRUE(pool_
                  ->Transact([&](WriteTransaction& transaction) {
                    transaction.exec_prepared0("insert_item", 2, "two");
                    transaction.exec_prepared_at_commit("insert_item", 3, "it's three");
                    before_commit = transaction.exec_prepared1("count_items")[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(before_commit, 2);
  EXPECT_EQ(CountItems(), 3);
  // Quoted as a literal, the value arrives intact.
  std::string label;
  ASSERT_TRUE(
      pool_
          ->Read(
              [&](pqxx::transaction_base& transaction) {
                label =
                    transaction.exec1("SELECT label FROM items WHERE id = 3")[0].as<std::string>();
                return absl::OkStatus();
              },
              ReadScope::kOneStatement)
          .ok());
  EXPECT_EQ(label, "it's three");
}

TEST_F(PgPoolTest, AWriteOfDeferredStatementsOnlyCommitsThem) {
  ASSERT_TRUE(pool_
                  ->Transact([](WriteTransaction& transaction) {
                    transaction.exec_prepared_at_commit("insert_item", 2, nullptr);
                    transaction.exec_prepared_at_commit("insert_item", 3, "three");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(CountItems(), 3);
}

TEST_F(PgPoolTest, ADeferredStatementThatFailsRollsTheWholeWriteBackAndTheConnectionStaysUsable) {
  absl::Status status = pool_->Transact([](WriteTransaction& transaction) {
    transaction.exec_prepared0("insert_item", 5, "five");
    transaction.exec_prepared_at_commit("insert_item", 1, "one again");  // duplicate key
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(CountItems(), 1);
  // The pool has one connection: the next write runs where the failed commit left it.
  EXPECT_TRUE(pool_
                  ->Transact([](WriteTransaction& transaction) {
                    transaction.exec_prepared0("insert_item", 6, "six");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(CountItems(), 2);
}

TEST_F(PgPoolTest, AFailedFirstStatementRollsBackAndTheConnectionStaysUsable) {
  absl::Status status = pool_->Transact([](WriteTransaction& transaction) {
    transaction.exec_prepared0("insert_item", 1, "one again");  // duplicate key, with BEGIN
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  bool began_here = false;
  ASSERT_TRUE(pool_
                  ->Transact([&](WriteTransaction& transaction) {
                    began_here = transaction.exec_prepared1("began_here")[0].as<bool>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_TRUE(began_here);  // not still inside the failed transaction
}

TEST_F(PgPoolTest, AConnectionLostWhileCommittingIsReportedAsUnknownAndNotRetried) {
  int calls = 0;
  absl::Status status = pool_->Transact([&](WriteTransaction& transaction) {
    ++calls;
    const auto pid = transaction.exec1("SELECT pg_backend_pid()")[0].as<int>();
    transaction.exec_prepared_at_commit("insert_item", 7, "seven");
    pqxx::connection admin(db_.url());
    pqxx::nontransaction terminate(admin);
    // Waits (up to 5 s) until the backend is gone, so COMMIT's round trip finds it closed.
    EXPECT_TRUE(terminate.exec1("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 5000)")[0]
                    .as<bool>());
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(status.message()).find("commit"), std::string::npos) << status;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(CountItems(), 1);  // the server rolled the write back, though the caller cannot know
}

}  // namespace
}  // namespace accord::common
