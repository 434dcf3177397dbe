// Real PostgreSQL and Redis servers for integration tests.
//
// scripts/test.sh starts one shared Postgres and one shared Redis on free loopback ports and
// exports ACCORD_TEST_PG_URL (a superuser URL to the `postgres` database) and
// ACCORD_TEST_REDIS_URL. Tests that need isolation create their own database on the shared server
// (TestDatabase). Tests that stop or kill a server start a private one (ScopedPostgresServer,
// ScopedRedisServer) on a free port with a throwaway data directory, so they never disturb tests
// running beside them.
#pragma once

#include <string>

namespace accord::testing {

// Finds the PostgreSQL server binaries (pg_ctl, initdb, postgres): $ACCORD_PG_BIN, else
// /usr/lib/postgresql/<newest>/bin.
std::string PostgresBinDir();
// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// The shared server's URL; fails the calling test (ADD_FAILURE + abort of the test) if unset.
std::string SharedPostgresUrl();
std::string SharedRedisUrl();

// A fresh, uniquely named database on the shared Postgres, dropped when this goes out of scope.
class TestDatabase {
 public:
  TestDatabase();
  explicit TestDatabase(const std::string& server_url);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// A private Postgres: initdb into a temporary directory, started on a free port; Stop() and
// Start() may be called repeatedly (the data directory and port are kept); destroyed with it.
class ScopedPostgresServer {
 public:
  ScopedPostgresServer();
  ~ScopedPostgresServer();
  void Stop();              // fast shutdown, waits until stopped
  void Start();             // waits until it accepts connections
  std::string url() const;  // superuser URL to database `postgres`
  int port() const { return port_; }

 private:
  std::string data_dir_;
  int port_ = 0;
  bool running_ = false;
};

// A private Redis without persistence on a free port; Kill() loses all its data, as a crash of
// a non-persistent Redis does; Start() brings up an empty one on the same port.
class ScopedRedisServer {
 public:
  ScopedRedisServer();
  ~ScopedRedisServer();
  void Kill();
  void Start();
  // SIGSTOP / SIGCONT: a stalled Redis keeps its connections and data, and runs what it received
  // meanwhile once resumed.
  void Pause();
  void Resume();
  std::string url() const;  // redis://127.0.0.1:port
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  int pid_ = -1;
};

}  // namespace accord::testing
