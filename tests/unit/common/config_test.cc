#include "accord/common/config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "accord/common/server.h"

namespace accord::common {
namespace {

TEST(ConfigTest, FlagOverridesEnvironment) {
  ConfigReader config({"--pg-pool-size=12"}, {{"ACCORD_PG_POOL_SIZE", "4"}});
  EXPECT_EQ(config.Int("ACCORD_PG_POOL_SIZE", 8, 1, 100, "pool"), 12);
  EXPECT_TRUE(config.Finish().ok());
}

TEST(ConfigTest, EnvironmentThenDefault) {
  ConfigReader config({}, {{"ACCORD_LOG_LEVEL", "debug"}});
  EXPECT_EQ(config.String("ACCORD_LOG_LEVEL", "info", "level"), "debug");
  EXPECT_EQ(config.String("ACCORD_OTHER", "fallback", "other"), "fallback");
  EXPECT_TRUE(config.Finish().ok());
}

TEST(ConfigTest, SpaceSeparatedFlagsAndPositionals) {
  ConfigReader config({"migrate", "--pg-url", "postgresql://x/y"}, {});
  EXPECT_EQ(config.RequiredString("ACCORD_PG_URL", "db"), "postgresql://x/y");
  ASSERT_EQ(config.positional().size(), 1u);
  EXPECT_EQ(config.positional()[0], "migrate");
}

TEST(ConfigTest, EveryProblemIsNamedAtOnce) {
  ConfigReader config({"--no-such-flag=1"}, {{"ACCORD_PG_POOL_SIZE", "many"},
                                             {"ACCORD_WORKER_THREADS", "0"},
                                             {"ACCORD_MIGRATE_ON_START", "perhaps"},
                                             {"ACCORD_LOG_LEVEL", "loud"}});
  config.RequiredString("ACCORD_PG_URL", "db");
  config.Int("ACCORD_PG_POOL_SIZE", 8, 1, 100, "pool");
  config.Int("ACCORD_WORKER_THREADS", 8, 1, 100, "threads");
  config.Bool("ACCORD_MIGRATE_ON_START", false, "migrate");
  config.Choice("ACCORD_LOG_LEVEL", "info", {"debug", "info"}, "level");
  absl::Status status = config.Finish();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  for (const char* name : {"ACCORD_PG_URL", "ACCORD_PG_POOL_SIZE", "ACCORD_WORKER_THREADS",
                           "ACCORD_MIGRATE_ON_START", "ACCORD_LOG_LEVEL", "--no-such-flag"}) {
    EXPECT_NE(message.find(name), std::string::npos) << name << " missing from: " << message;
  }
}

TEST(ConfigTest, FlagNames) {
  EXPECT_EQ(ConfigReader::FlagNameFor("ACCORD_PG_URL"), "--pg-url");
  EXPECT_EQ(ConfigReader::FlagNameFor("ACCORD_JWT_PUBLIC_KEYS_FILE"), "--jwt-public-keys-file");
}

TEST(ConfigTest, ServiceSettingsRequireSecretsAndValidateAlgorithm) {
  ConfigReader missing({}, {});
  ReadServiceSettings(missing, "account", 50051, 9091);
  absl::Status status = missing.Finish();
  ASSERT_FALSE(status.ok());
  const std::string message(status.message());
  EXPECT_NE(message.find("ACCORD_PG_URL"), std::string::npos);
  EXPECT_NE(message.find("ACCORD_JWT_SECRET"), std::string::npos);
  EXPECT_NE(message.find("ACCORD_PAGE_TOKEN_SECRET"), std::string::npos);

  ConfigReader wrong_algorithm({}, {{"ACCORD_PG_URL", "postgresql://db/accord"},
                                    {"ACCORD_JWT_ALGORITHM", "none"},
                                    {"ACCORD_PAGE_TOKEN_SECRET", "p"}});
  ReadServiceSettings(wrong_algorithm, "account", 50051, 9091);
  status = wrong_algorithm.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("ACCORD_JWT_ALGORITHM"), std::string::npos);

  ConfigReader rs256_without_keys({}, {{"ACCORD_PG_URL", "postgresql://db/accord"},
                                       {"ACCORD_JWT_ALGORITHM", "RS256"},
                                       {"ACCORD_PAGE_TOKEN_SECRET", "p"}});
  ReadServiceSettings(rs256_without_keys, "account", 50051, 9091);
  status = rs256_without_keys.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("ACCORD_JWT_PUBLIC_KEYS_FILE"), std::string::npos);

  ConfigReader good({}, {{"ACCORD_PG_URL", "postgresql://db/accord"},
                         {"ACCORD_JWT_SECRET", "s"},
                         {"ACCORD_PAGE_TOKEN_SECRET", "p"},
                         {"ACCORD_REDIS_URL", "redis://cache:6380"}});
  ServiceSettings settings = ReadServiceSettings(good, "account", 50051, 9091);
  EXPECT_TRUE(good.Finish().ok());
  EXPECT_EQ(settings.grpc_address, "0.0.0.0:50051");
  EXPECT_EQ(settings.redis.host, "cache");
  EXPECT_EQ(settings.redis.port, 6380);
}

TEST(ConfigTest, BadRedisUrlIsNamed) {
  ConfigReader config({}, {{"ACCORD_PG_URL", "postgresql://db/accord"},
                           {"ACCORD_JWT_SECRET", "s"},
                           {"ACCORD_PAGE_TOKEN_SECRET", "p"},
                           {"ACCORD_REDIS_URL", "redis://cache:notaport"}});
  ReadServiceSettings(config, "account", 50051, 9091);
  absl::Status status = config.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("ACCORD_REDIS_URL"), std::string::npos);
}

// The workers kept for point reads come on top of one worker per connection, so the other calls
// (writes) can still use every connection at once.
TEST(ConfigTest, WorkersAreOnePerConnectionPlusThoseKeptForPointReads) {
  const std::map<std::string, std::string> base = {{"ACCORD_PG_URL", "postgresql://db/accord"},
                                                   {"ACCORD_JWT_SECRET", "s"},
                                                   {"ACCORD_PAGE_TOKEN_SECRET", "p"},
                                                   {"ACCORD_PG_POOL_SIZE", "8"}};
  ConfigReader defaults({}, base);
  ServiceSettings settings = ReadServiceSettings(defaults, "account", 50051, 9091);
  ASSERT_TRUE(defaults.Finish().ok());
  EXPECT_EQ(settings.point_read_workers, 2);
  EXPECT_EQ(settings.worker_threads, 10);
  EXPECT_EQ(settings.max_expensive_calls, 4);

  auto explicit_settings = base;
  explicit_settings["ACCORD_WORKER_THREADS"] = "6";
  explicit_settings["ACCORD_POINT_READ_WORKERS"] = "1";
  ConfigReader chosen({}, explicit_settings);
  settings = ReadServiceSettings(chosen, "account", 50051, 9091);
  ASSERT_TRUE(chosen.Finish().ok());
  EXPECT_EQ(settings.worker_threads, 6);
  EXPECT_EQ(settings.point_read_workers, 1);
}

}  // namespace
}  // namespace accord::common
