#include "support/servers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace accord::testing {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Fails the calling test and aborts it: gtest reports the exception as a failure of the test body.
[[noreturn]] void FailTest(const std::string& message) {
  ADD_FAILURE() << message;
  throw std::runtime_error(message);
}

// scripts/ of this checkout: $ACCORD_SCRIPTS_DIR (set by scripts/test.sh), else found from this
// source file's location (tests/support/servers.cc).
fs::path ScriptsDir() {
  std::string from_env = Env("ACCORD_SCRIPTS_DIR");
  fs::path dir = !from_env.empty()
                     ? fs::path(from_env)
                     : fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts";
  if (!fs::exists(dir / "lib" / "pg-server.sh")) {
    FailTest("cannot find scripts/lib/pg-server.sh under " + dir.string() +
             "; run the tests through scripts/test.sh (it sets ACCORD_SCRIPTS_DIR)");
  }
  return dir;
}

// Runs `bash scripts/lib/<script> args...` and returns its exit status (its output goes to ours,
// which ctest shows for failing tests).
int RunScript(const std::string& script, const std::vector<std::string>& args) {
  std::string path = (ScriptsDir() / "lib" / script).string();
  std::vector<std::string> argv_strings = {"bash", path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, "bash", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) FailTest("cannot run bash " + path + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) FailTest("waitpid for " + path + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

void RunScriptOrFail(const std::string& script, const std::vector<std::string>& args) {
  int status = RunScript(script, args);
  if (status != 0) {
    FailTest("scripts/lib/" + script + " " + Join(args) + " exited with status " +
             std::to_string(status) + " (its output is above)");
  }
}

// A new directory under $ACCORD_TEST_TMPDIR (so scripts/test.sh cleans up after a crash), else
// $TMPDIR or /tmp. Mode 0711: when tests run as root, PostgreSQL runs as an unprivileged user
// that must be able to pass through it.
std::string MakeTempDir(const std::string& prefix) {
  std::string base = Env("ACCORD_TEST_TMPDIR");
  if (base.empty()) base = Env("TMPDIR");
  if (base.empty()) base = "/tmp";
  std::string pattern = base + "/" + prefix + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    FailTest("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  std::string dir(buffer.data());
  chmod(dir.c_str(), 0711);
  return dir;
}

void RemoveDirQuietly(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

std::mt19937_64& Rng() {
  static std::mt19937_64 rng{
      std::random_device{}() ^ (static_cast<uint64_t>(getpid()) << 32) ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
  return rng;
}

std::mutex& RngMutex() {
  static std::mutex mutex;
  return mutex;
}

bool CanBindLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// "postgresql://user@host:port/db?x=y" with the database replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    FailTest("expected a postgresql:// URL, got '" + url + "'");
  }
  size_t query = url.find('?', scheme + 3);
  size_t path = url.find('/', scheme + 3);
  if (path == std::string::npos || (query != std::string::npos && path > query)) {
    size_t insert_at = query == std::string::npos ? url.size() : query;
    return url.substr(0, insert_at) + "/" + database + url.substr(insert_at);
  }
  size_t end = query == std::string::npos ? url.size() : query;
  return url.substr(0, path + 1) + database + url.substr(end);
}

std::string UniqueDatabaseName() {
  static std::atomic<int> counter{0};
  uint64_t random;
  {
    std::lock_guard<std::mutex> lock(RngMutex());
    random = Rng()();
  }
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%06llx",
                static_cast<unsigned long long>(random & 0xffffffULL));
  return "t_" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" + suffix;
}

// True once `pid` has exited (a zombie counts: an orphaned daemon may never be reaped).
bool ProcessGone(int pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = content.rfind(')');
  return paren != std::string::npos && paren + 2 < content.size() &&
         (content[paren + 2] == 'Z' || content[paren + 2] == 'X');
}

void KillAndWait(int pid) {
  kill(pid, SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ProcessGone(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::string PostgresBinDir() {
  std::string from_env = Env("ACCORD_PG_BIN");
  if (!from_env.empty()) return from_env;
  std::error_code ec;
  int best_version = -1;
  std::string best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "pg_ctl")) continue;
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version) {
      best_version = version;
      best = bin.string();
    }
  }
  if (best.empty()) {
    FailTest("no PostgreSQL server binaries: set ACCORD_PG_BIN or run scripts/deps.sh");
  }
  return best;
}

int FreeLoopbackPort() {
  // 15000-32767: below Linux's default ephemeral range, so an outgoing connection cannot take the
  // port between this check and the server's bind. Ports handed out by this process are not
  // handed out again.
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(RngMutex());
  std::uniform_int_distribution<int> pick(15000, 32767);
  for (int attempt = 0; attempt < 500; ++attempt) {
    int port = pick(Rng());
    if (handed_out.count(port) != 0 || !CanBindLoopback(port)) continue;
    handed_out.insert(port);
    return port;
  }
  FailTest("no free port on 127.0.0.1");
}

std::string SharedPostgresUrl() {
  std::string url = Env("ACCORD_TEST_PG_URL");
  if (url.empty()) {
    FailTest(
        "ACCORD_TEST_PG_URL is not set: run the tests through scripts/test.sh, which starts "
        "PostgreSQL and Redis for them (e.g. scripts/test.sh -L integration)");
  }
  return url;
}

std::string SharedRedisUrl() {
  std::string url = Env("ACCORD_TEST_REDIS_URL");
  if (url.empty()) {
    FailTest(
        "ACCORD_TEST_REDIS_URL is not set: run the tests through scripts/test.sh, which starts "
        "PostgreSQL and Redis for them (e.g. scripts/test.sh -L integration)");
  }
  return url;
}

// --- TestDatabase ---------------------------------------------------------------------------

TestDatabase::TestDatabase() : TestDatabase(SharedPostgresUrl()) {}

TestDatabase::TestDatabase(const std::string& server_url)
    : server_url_(server_url), name_(UniqueDatabaseName()), url_(WithDatabase(server_url, name_)) {
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::connection connection{server_url_};
      pqxx::nontransaction work{connection};
      work.exec("CREATE DATABASE " + connection.quote_name(name_));
      return;
    } catch (const std::exception& e) {
      // "source database template1 is being accessed by other users" is transient.
      if (attempt < 5 && std::string(e.what()).find("being accessed") != std::string::npos) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
        continue;
      }
      FailTest("cannot create test database " + name_ + " on " + server_url_ + ": " + e.what());
    }
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection connection{server_url_};
    pqxx::nontransaction work{connection};
    work.exec("DROP DATABASE IF EXISTS " + connection.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: could not drop test database %s: %s\n", name_.c_str(), e.what());
  }
}

// --- ScopedPostgresServer -------------------------------------------------------------------

ScopedPostgresServer::ScopedPostgresServer() : data_dir_(MakeTempDir("accord-pg")) {
  try {
    // A port that was free can be taken before the server binds it: try a few.
    for (int attempt = 1; attempt <= 3; ++attempt) {
      port_ = FreeLoopbackPort();
      if (RunScript("pg-server.sh", {"start", "--ephemeral", data_dir_, std::to_string(port_)}) ==
          0) {
        running_ = true;
        return;
      }
    }
    RunScript("pg-server.sh", {"stop", "--immediate", data_dir_});
    FailTest("could not start a private PostgreSQL (output above)");
  } catch (...) {
    RemoveDirQuietly(data_dir_);
    throw;
  }
}

ScopedPostgresServer::~ScopedPostgresServer() {
  try {
    RunScript("pg-server.sh", {"stop", "--immediate", data_dir_});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: stopping PostgreSQL in %s: %s\n", data_dir_.c_str(), e.what());
  }
  RemoveDirQuietly(data_dir_);
}

void ScopedPostgresServer::Stop() {
  if (!running_) return;
  RunScriptOrFail("pg-server.sh", {"stop", data_dir_});
  running_ = false;
}

void ScopedPostgresServer::Start() {
  if (running_) return;
  RunScriptOrFail("pg-server.sh", {"start", "--ephemeral", data_dir_, std::to_string(port_)});
  running_ = true;
}

std::string ScopedPostgresServer::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

// --- ScopedRedisServer ----------------------------------------------------------------------

namespace {

int ReadRedisPid(const std::string& dir) {
  std::ifstream in(dir + "/redis.pid");
  int pid = -1;
  if (!(in >> pid) || pid <= 0) FailTest("no pid in " + dir + "/redis.pid");
  return pid;
}

// The private Redis servers this process runs, killed when it exits: some fixtures share one
// server among their tests through a static that is never destroyed, and ctest runs each test as a
// process of its own, so without this every such test left a Redis running after the suite.
std::mutex& LiveRedisMutex() {
  static std::mutex mutex;
  return mutex;
}
// pid -> its directory
std::map<int, std::string>& LiveRedis() {
  static auto* servers = new std::map<int, std::string>();  // never destroyed: read at exit
  return *servers;
}
void KillLiveRedis() {
  std::lock_guard lock(LiveRedisMutex());
  for (const auto& [pid, dir] : LiveRedis()) {
    KillAndWait(pid);
    RemoveDirQuietly(dir);
  }
  LiveRedis().clear();
}
void TrackRedis(int pid, const std::string& dir) {
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit(KillLiveRedis); });
  std::lock_guard lock(LiveRedisMutex());
  LiveRedis()[pid] = dir;
}
void UntrackRedis(int pid) {
  std::lock_guard lock(LiveRedisMutex());
  LiveRedis().erase(pid);
}

}  // namespace

ScopedRedisServer::ScopedRedisServer() : dir_(MakeTempDir("accord-redis")) {
  try {
    for (int attempt = 1; attempt <= 3; ++attempt) {
      port_ = FreeLoopbackPort();
      if (RunScript("redis-server.sh", {"start", dir_, std::to_string(port_)}) == 0) {
        pid_ = ReadRedisPid(dir_);
        TrackRedis(pid_, dir_);
        return;
      }
    }
    FailTest("could not start a private Redis (output above)");
  } catch (...) {
    if (pid_ > 0) {
      KillAndWait(pid_);
      UntrackRedis(pid_);
    }
    RemoveDirQuietly(dir_);
    throw;
  }
}

ScopedRedisServer::~ScopedRedisServer() {
  if (pid_ > 0) {
    KillAndWait(pid_);
    UntrackRedis(pid_);
  }
  RemoveDirQuietly(dir_);
}

void ScopedRedisServer::Kill() {
  if (pid_ <= 0) return;
  KillAndWait(pid_);
  if (!ProcessGone(pid_)) FailTest("Redis (pid " + std::to_string(pid_) + ") survived SIGKILL");
  UntrackRedis(pid_);
  pid_ = -1;
  std::error_code ignored;
  fs::remove(dir_ + "/redis.pid", ignored);
}

void ScopedRedisServer::Start() {
  if (pid_ > 0) return;
  RunScriptOrFail("redis-server.sh", {"start", dir_, std::to_string(port_)});
  pid_ = ReadRedisPid(dir_);
  TrackRedis(pid_, dir_);
}

void ScopedRedisServer::Pause() {
  if (pid_ <= 0 || kill(pid_, SIGSTOP) != 0) FailTest("cannot stop Redis");
}

void ScopedRedisServer::Resume() {
  if (pid_ <= 0 || kill(pid_, SIGCONT) != 0) FailTest("cannot resume Redis");
}

std::string ScopedRedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

}  // namespace accord::testing
