// Young tables get statistics before autovacuum's first ANALYZE, so the generic plans every
// session caches while a table is new are replaced once it has grown (table_statistics.h).
#include "accord/common/table_statistics.h"

#include <gtest/gtest.h>

#include "accord/common/migrations.h"
#include "accord/common/pg.h"
#include "support/servers.h"

namespace accord::common {
namespace {

constexpr char kSchema[] = "young";

std::string Plan(pqxx::connection& connection, const std::string& statement) {
  pqxx::nontransaction query(connection);
  std::string plan;
  for (const auto& row : query.exec("EXPLAIN " + statement))
    plan += row[0].as<std::string>() + "\n";
  return plan;
}

void InsertIdempotencyKeys(const std::string& url, int rows) {
  pqxx::connection connection(url);
  pqxx::work insert(connection);
  insert.exec0(
      "INSERT INTO young.idempotency_keys (request_id, method, fingerprint) SELECT "
      "gen_random_uuid()::text, 'm', 'f' FROM generate_series(1, " +
      std::to_string(rows) + ")");
  // Statistics reach the shared counters when this session reports them; now, not in a second.
  insert.exec("SELECT pg_stat_force_next_flush()");
  insert.commit();
}

class TableStatisticsTest : public ::testing::Test {
 protected:
  TableStatisticsTest() {
    auto migrated = ApplyMigrations(db_.url(), kSchema, {});
    EXPECT_TRUE(migrated.ok()) << migrated.status();
  }
  testing::TestDatabase db_;
};

TEST_F(TableStatisticsTest, APlanMadeOnASmallTableIsReplacedOnceTheTableHasGrown) {
  // Autovacuum analyzes a new table after its first 50 changes, while it is one page; a
  // service's session then plans its statements (generic plans) for that size.
  InsertIdempotencyKeys(db_.url(), 60);
  {
    pqxx::connection autovacuum(db_.url());
    pqxx::nontransaction(autovacuum).exec("ANALYZE young.idempotency_keys");
  }
  pqxx::connection session(db_.url());
  pqxx::nontransaction(session).exec(SessionSettingsSql(std::chrono::milliseconds(5000)));
  pqxx::nontransaction(session).exec(
      "PREPARE store(text, bytea) AS UPDATE young.idempotency_keys SET response = $2 WHERE "
      "request_id = $1");
  const std::string execute = "EXECUTE store('0190a5d8-7c3e-7abc-8def-0123456789ab', 'x')";
  Plan(session, execute);

  InsertIdempotencyKeys(db_.url(), 50000);
  // The cached plan was made for a small table: it scans all 50 060 rows on every update.
  EXPECT_NE(Plan(session, execute).find("Seq Scan"), std::string::npos) << Plan(session, execute);

  pqxx::connection relay(db_.url());
  const auto analyzed = AnalyzeGrowingTables(relay, kSchema);
  EXPECT_EQ(analyzed, std::vector<std::string>{"young.idempotency_keys"});
  const std::string plan = Plan(session, execute);
  EXPECT_NE(plan.find("Index Scan using idempotency_keys_pkey"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
}

TEST_F(TableStatisticsTest, ATableIsAnalyzedAgainOnlyWhenItHasChangedMoreThanItsSize) {
  pqxx::connection relay(db_.url());
  InsertIdempotencyKeys(db_.url(), 500);
  EXPECT_TRUE(AnalyzeGrowingTables(relay, kSchema).empty()) << "fewer rows than the minimum";
  InsertIdempotencyKeys(db_.url(), 2000);
  EXPECT_EQ(AnalyzeGrowingTables(relay, kSchema).size(), 1u);
  EXPECT_TRUE(AnalyzeGrowingTables(relay, kSchema).empty()) << "just analyzed";
  InsertIdempotencyKeys(db_.url(), 1500);
  EXPECT_TRUE(AnalyzeGrowingTables(relay, kSchema).empty()) << "1 500 changes to 2 500 rows";
  InsertIdempotencyKeys(db_.url(), 1500);
  EXPECT_EQ(AnalyzeGrowingTables(relay, kSchema),
            std::vector<std::string>{"young.idempotency_keys"});
}

}  // namespace
}  // namespace accord::common
