// The test servers themselves: databases are isolated and dropped, and private servers really
// stop and come back.
#include "support/servers.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "support/eventually.h"

namespace accord::testing {
namespace {

int CountRows(const std::string& url, const std::string& sql) {
  pqxx::connection connection{url};
  pqxx::nontransaction work{connection};
  return work.exec(sql)[0][0].as<int>();
}

void Exec(const std::string& url, const std::string& sql) {
  pqxx::connection connection{url};
  pqxx::nontransaction work{connection};
  work.exec(sql);
}

struct RedisDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using RedisConnection = std::unique_ptr<redisContext, RedisDeleter>;

// Connected, or null if the server cannot be reached.
RedisConnection ConnectRedis(int port) {
  timeval timeout{2, 0};
  RedisConnection context{redisConnectWithTimeout("127.0.0.1", port, timeout)};
  if (!context || context->err) return nullptr;
  return context;
}

// The reply as text: a string's value, "(nil)", or the error / status.
std::string Command(redisContext* context, const char* format, const char* arg = nullptr) {
  auto* reply = static_cast<redisReply*>(arg ? redisCommand(context, format, arg)
                                             : redisCommand(context, format));
  if (reply == nullptr) return "(connection error)";
  std::string text = reply->type == REDIS_REPLY_NIL ? "(nil)"
                     : reply->str != nullptr        ? std::string(reply->str, reply->len)
                                                    : std::to_string(reply->integer);
  freeReplyObject(reply);
  return text;
}

int PortOf(const std::string& redis_url) {
  return std::stoi(redis_url.substr(redis_url.rfind(':') + 1));
}

TEST(TestDatabaseTest, EachInstanceIsASeparateEmptyDatabase) {
  TestDatabase first;
  TestDatabase second;
  EXPECT_NE(first.name(), second.name());
  EXPECT_EQ(first.url().substr(first.url().size() - first.name().size()), first.name());

  Exec(first.url(), "CREATE TABLE things (id int); INSERT INTO things VALUES (1), (2)");
  EXPECT_EQ(CountRows(first.url(), "SELECT count(*) FROM things"), 2);
  EXPECT_EQ(CountRows(second.url(),
                      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'things'"),
            0);
  EXPECT_EQ(CountRows(first.url(), "SELECT count(*) FROM pg_database WHERE datname = '" +
                                       first.name() + "' AND datname = current_database()"),
            1);
}

TEST(TestDatabaseTest, IsDroppedEvenWithOpenConnections) {
  std::string name;
  auto database = std::make_unique<TestDatabase>();
  name = database->name();
  pqxx::connection still_open{database->url()};
  database.reset();  // DROP ... WITH (FORCE) ends `still_open`'s session
  EXPECT_EQ(CountRows(SharedPostgresUrl(),
                      "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"),
            0);
}

TEST(ScopedPostgresServerTest, StopRefusesConnectionsAndStartKeepsTheData) {
  ScopedPostgresServer server;
  ASSERT_GT(server.port(), 0);
  Exec(server.url(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");

  server.Stop();
  EXPECT_THROW(pqxx::connection{server.url()}, pqxx::broken_connection);

  server.Start();
  EXPECT_EQ(CountRows(server.url(), "SELECT count(*) FROM kept WHERE v = 'still here'"), 1);
}

TEST(ScopedRedisServerTest, KillLosesEverythingAndStartComesBackEmpty) {
  ScopedRedisServer server;
  EXPECT_EQ(server.url(), "redis://127.0.0.1:" + std::to_string(server.port()));
  auto before = ConnectRedis(server.port());
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(Command(before.get(), "SET k %s", "v"), "OK");
  EXPECT_EQ(Command(before.get(), "GET k"), "v");

  server.Kill();
  // The connection to the killed server is dead. (Checking that the port refuses connections
  // would race with other tests, which may be handed the freed port at once.)
  EXPECT_EQ(Command(before.get(), "GET k"), "(connection error)");

  server.Start();
  auto redis = ConnectRedis(server.port());
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(Command(redis.get(), "GET k"), "(nil)");
}

// The pid of the Redis server on `port`, from INFO; 0 if it cannot be asked.
int RedisPid(int port) {
  auto redis = ConnectRedis(port);
  if (redis == nullptr) return 0;
  std::string info = Command(redis.get(), "INFO server");
  size_t at = info.find("process_id:");
  return at == std::string::npos ? 0 : std::atoi(info.c_str() + at + 11);
}

// Gone, or a zombie nobody reaped yet.
bool ProcessEnded(int pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = content.rfind(')');
  return paren != std::string::npos && paren + 2 < content.size() && content[paren + 2] == 'Z';
}

// Fixtures that share one server among their tests keep it in a static that is never destroyed;
// ctest runs each test as a process of its own, so the server must still stop when that exits.
// (A server that outlives the child also holds the death test's pipe open: then the test fails
// by ctest's timeout.)
TEST(ScopedRedisServerTest, ANeverDestroyedServerStopsWhenTheProcessExits) {
  // The default death test style forks without exec: the child writes where this test reads.
  GTEST_FLAG_SET(death_test_style, "fast");
  const std::string pid_file =
      ::testing::TempDir() + "accord-leaked-redis-" + std::to_string(getpid()) + ".pid";
  std::remove(pid_file.c_str());
  EXPECT_EXIT(
      {
        auto* leaked = new ScopedRedisServer();
        std::ofstream(pid_file) << RedisPid(leaked->port()) << "\n";
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  int pid = 0;
  std::ifstream(pid_file) >> pid;
  std::remove(pid_file.c_str());
  ASSERT_GT(pid, 0) << "the child did not report its Redis";
  EXPECT_TRUE(Eventually([&] { return ProcessEnded(pid); }, std::chrono::seconds(10)))
      << "Redis (pid " << pid << ") outlived the process that started it";
  if (!ProcessEnded(pid)) kill(pid, SIGKILL);
}

TEST(SharedServersTest, SharedRedisAnswers) {
  auto redis = ConnectRedis(PortOf(SharedRedisUrl()));
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(Command(redis.get(), "PING"), "PONG");
}

TEST(FreeLoopbackPortTest, HandsOutDistinctPorts) {
  int a = FreeLoopbackPort();
  int b = FreeLoopbackPort();
  EXPECT_NE(a, b);
  EXPECT_GT(a, 1024);
  EXPECT_LT(a, 65536);
}

}  // namespace
}  // namespace accord::testing
