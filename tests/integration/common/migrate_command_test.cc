// `<service> migrate` needs the PostgreSQL settings and nothing else: no token secret, no page
// token secret, no Redis.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "accord/common/server.h"
#include "support/servers.h"

namespace accord::common {
namespace {

ServiceDefinition WithOneMigration() {
  ServiceDefinition definition;
  definition.name = "migratetest";
  definition.schema = "migratetest";
  definition.migrations = []() -> const std::vector<Migration>& {
    static const std::vector<Migration> kOne = {
        {"0001_things", "CREATE TABLE migratetest.things (id int PRIMARY KEY)"}};
    return kOne;
  };
  return definition;
}

TEST(MigrateCommandTest, MigratesWithOnlyTheDatabaseUrl) {
  testing::TestDatabase database;
  ConfigReader config({"migrate"}, {{"ACCORD_PG_URL", database.url()}});
  ASSERT_EQ(MigrateCommand(config, WithOneMigration()), 0);
  pqxx::connection connection{database.url()};
  pqxx::nontransaction work{connection};
  EXPECT_EQ(work.exec1("SELECT count(*) FROM migratetest.things")[0].as<int>(), 0);
  // Again: nothing left to apply, still a success.
  ConfigReader again({"migrate"}, {{"ACCORD_PG_URL", database.url()}});
  EXPECT_EQ(MigrateCommand(again, WithOneMigration()), 0);
}

TEST(MigrateCommandTest, WithoutTheDatabaseUrlItIsAUsageError) {
  ConfigReader config({"migrate"}, {{"ACCORD_JWT_SECRET", "irrelevant"}});
  EXPECT_EQ(MigrateCommand(config, WithOneMigration()), 2);
  ConfigReader extra({"migrate", "now"}, {{"ACCORD_PG_URL", "postgresql://x/y"}});
  EXPECT_EQ(MigrateCommand(extra, WithOneMigration()), 2);
}

}  // namespace
}  // namespace accord::common
