// The drain, outside Kubernetes: two replicas of a service binary behind one client (the kit's
// ServiceClient: round_robin over both, retrying UNAVAILABLE), a steady stream of calls, then
// SIGTERM to one replica. No call may fail, and the replica must exit cleanly within the grace
// period that the manifests give it, with the manifests' drain delay and shutdown deadline.
//
// Run by ctest (label deploy) with the service binaries as arguments:
//   deploy_drain_test --binary=account=/path/accord-account --binary=contact=... [gtest flags]
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/common/service_client.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/pricing/v1/price_list.grpc.pb.h"
#include "accord/quality/v1/case.grpc.pb.h"
#include "accord/webhooks/v1/webhooks.grpc.pb.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::testing {
namespace {

using Clock = std::chrono::steady_clock;

// As deploy/k8s/base/kustomization.yaml (accord-config) and the workload component's
// terminationGracePeriodSeconds set them.
constexpr int kDrainDelayMs = 5000;
constexpr int kShutdownDeadlineMs = 10000;
constexpr auto kGracePeriod = std::chrono::seconds(30);

std::map<std::string, std::string>& Binaries() {
  static std::map<std::string, std::string> binaries;
  return binaries;
}

// One call of a List method that needs only the database, as an admin.
using Call = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&)>;

template <typename Stub, typename Request, typename Response>
Call ListCall(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*)) {
  return [method](const std::shared_ptr<grpc::Channel>& channel) {
    Stub stub(channel);
    auto context = ContextAs("drain-test", {common::Role::kAdmin});
    Request request;
    Response response;
    return (stub.*method)(context.get(), request, &response);
  };
}

struct Target {
  std::string name;     // binary key: account, contact, ...
  std::string service;  // full gRPC service name, retried as a whole
  Call call;
};

class Replica {
 public:
  Replica(const std::string& binary, std::vector<std::string> env, const std::string& log_path)
      : port_(FreeLoopbackPort()) {
    env.push_back("ACCORD_GRPC_ADDRESS=127.0.0.1:" + std::to_string(port_));
    env.push_back("ACCORD_METRICS_ADDRESS=127.0.0.1:0");
    pid_ = Spawn(binary, {}, env, log_path);
  }
  ~Replica() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Waits for the process to exit (at most `limit`); its wait status, or -1 on timeout.
  int Wait(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  // fork + exec with exactly `env`, output appended to `log_path`.
  static pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
                     const std::vector<std::string>& env, const std::string& log_path) {
    std::vector<std::string> argv_strings = {binary};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = env;
    std::vector<char*> envp;
    for (auto& value : env_strings) envp.push_back(value.data());
    envp.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      FILE* log = std::fopen(log_path.c_str(), "a");
      if (log != nullptr) {
        dup2(fileno(log), STDOUT_FILENO);
        dup2(fileno(log), STDERR_FILENO);
      }
      execve(binary.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    return pid;
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

// Resident set (VmRSS) and peak (VmHWM) of `pid` in KiB, and its CPU time (utime + stime).
struct ProcessStats {
  long rss_kib = 0;
  long peak_kib = 0;
  std::chrono::microseconds cpu{0};
};
ProcessStats StatsOf(pid_t pid) {
  ProcessStats stats;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) stats.rss_kib = std::stol(line.substr(6));
    if (line.starts_with("VmHWM:")) stats.peak_kib = std::stol(line.substr(6));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::vector<std::string> fields((std::istream_iterator<std::string>(rest)),
                                  std::istream_iterator<std::string>());
  if (fields.size() > 12) {
    const long ticks = sysconf(_SC_CLK_TCK);
    const long long cpu_ticks = std::stoll(fields[11]) + std::stoll(fields[12]);
    stats.cpu = std::chrono::microseconds(cpu_ticks * 1000000 / ticks);
  }
  return stats;
}

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

class DrainTest : public ::testing::TestWithParam<Target> {};

TEST_P(DrainTest, SigtermUnderLoadFailsNoRetriedCallAndExitsWithinTheGracePeriod) {
  const Target& target = GetParam();
  auto found = Binaries().find(target.name);
  ASSERT_NE(found, Binaries().end()) << "pass --binary=" << target.name << "=<path>";
  const std::string& binary = found->second;
  TestDatabase database;
  const std::string log_path = ::testing::TempDir() + "drain-" + target.name + ".log";
  std::remove(log_path.c_str());

  std::vector<std::string> env = {
      "ACCORD_PG_URL=" + database.url(),
      "ACCORD_REDIS_URL=" + SharedRedisUrl(),
      std::string("ACCORD_JWT_SECRET=") + kTestJwtSecret,
      std::string("ACCORD_JWT_ISSUER=") + kTestIssuer,
      std::string("ACCORD_JWT_AUDIENCE=") + kTestAudience,
      "ACCORD_PAGE_TOKEN_SECRET=drain-test-page-token-secret",
      "ACCORD_LOG_LEVEL=warn",
      "ACCORD_HEALTH_INTERVAL_MS=200",
      "ACCORD_DRAIN_DELAY_MS=" + std::to_string(kDrainDelayMs),
      "ACCORD_SHUTDOWN_DEADLINE_MS=" + std::to_string(kShutdownDeadlineMs),
      // Contact's keys (throwaway) and a peer it does not need for these calls.
      "ACCORD_CONTACT_PII_KEYS=drain:R8GRNZMuZ1gJqW6jpJZwrXpWUm/wUmTE+y29zCqFA+o=",
      "ACCORD_CONTACT_BLIND_INDEX_KEY=GVL8i21QYHsql0Rbb+rd76eURGhde6TLzHe45kont1k=",
      "ACCORD_ACCOUNT_ADDRESS=dns:///127.0.0.1:" + std::to_string(FreeLoopbackPort()),
      // Webhooks' sealing key (throwaway), following only that absent account service.
      "ACCORD_WEBHOOKS_SECRET_KEY=7V3SH9NNGzQNgjQchXF9dkCauKXVfinhHuDeKGn+g08=",
      "ACCORD_WEBHOOKS_SOURCES=account",
  };
  pid_t migrate = Replica::Spawn(binary, {"migrate"}, env, log_path);
  int migrate_status = 0;
  waitpid(migrate, &migrate_status, 0);
  ASSERT_TRUE(WIFEXITED(migrate_status) && WEXITSTATUS(migrate_status) == 0) << LogTail(log_path);

  Replica first(binary, env, log_path);
  Replica second(binary, env, log_path);
  for (const Replica* replica : {&first, &second}) {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(replica->port()),
                                       grpc::InsecureChannelCredentials());
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (HealthStatus(channel) != 1 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(HealthStatus(channel), 1) << "replica never became ready\n" << LogTail(log_path);
  }

  common::ServiceClientOptions options;
  options.service = target.name;
  options.address = "ipv4:127.0.0.1:" + std::to_string(first.port()) +
                    ",127.0.0.1:" + std::to_string(second.port());
  options.deadline = std::chrono::milliseconds(5000);
  options.idempotent_methods = {target.service + "/"};
  options.max_attempts = 5;
  options.initial_backoff = std::chrono::milliseconds(50);
  options.max_backoff = std::chrono::milliseconds(500);
  // The kit's client, as it is, with one addition: it watches each replica's grpc.health.v1
  // readiness (client-side health checking), so round_robin stops picking a replica the moment it
  // starts draining instead of when its connection goes. Without it, a call that reaches the
  // server just as it stops listening can end CANCELLED, which no retry policy covers.
  auto config = nlohmann::json::parse(common::ServiceClient::ServiceConfigJson(options));
  config["healthCheckConfig"] = {{"serviceName", ""}};
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(config.dump());
  args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  auto channel =
      grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);

  std::atomic<bool> stop{false};
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> load;
  for (int i = 0; i < 4; ++i) {
    load.emplace_back([&] {
      while (!stop.load()) {
        grpc::Status status = target.call(channel);
        if (status.ok()) {
          succeeded.fetch_add(1);
        } else {
          failed.fetch_add(1);
          std::lock_guard lock(failures_mutex);
          if (failures.size() < 5) {
            failures.push_back(std::to_string(status.error_code()) + " " + status.error_message());
          }
        }
      }
    });
  }
  const ProcessStats idle = StatsOf(first.pid());
  const ProcessStats idle_second = StatsOf(second.pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int before = succeeded.load();
  // What the load cost: both replicas' CPU over the calls so far, the first one's memory.
  const ProcessStats loaded = StatsOf(first.pid());
  const ProcessStats loaded_second = StatsOf(second.pid());
  ASSERT_EQ(kill(first.pid(), SIGTERM), 0);
  const auto signalled = Clock::now();
  const int exit_status = first.Wait(kGracePeriod);
  const auto took = Clock::now() - signalled;
  // The survivor keeps answering once the first replica is gone.
  const int at_exit = succeeded.load();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (auto& thread : load) thread.join();

  ASSERT_NE(exit_status, -1) << "still running after the grace period\n" << LogTail(log_path);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
      << "wait status " << exit_status << "\n"
      << LogTail(log_path);
  // It stayed for the drain delay (serving what still came) before it stopped listening.
  EXPECT_GE(took, std::chrono::milliseconds(kDrainDelayMs));
  EXPECT_EQ(failed.load(), 0) << (failures.empty() ? "" : failures.front());
  EXPECT_GT(before, 0);
  EXPECT_GT(succeeded.load(), at_exit) << "no call succeeded after the replica exited";
  const auto cpu = (loaded.cpu - idle.cpu) + (loaded_second.cpu - idle_second.cpu);
  std::cout << target.name << ": idle RSS " << idle.rss_kib / 1024 << " MiB, under load RSS "
            << loaded.rss_kib / 1024 << " MiB (peak " << loaded.peak_kib / 1024 << " MiB), "
            << (before > 0 ? cpu.count() / before : 0) << " us CPU per call over " << before
            << " calls in 2 s; " << succeeded.load() << " calls in all, exit "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms after SIGTERM\n";
}

INSTANTIATE_TEST_SUITE_P(
    Services, DrainTest,
    ::testing::Values(Target{"account", "accord.account.v1.AccountService",
                             ListCall(&account::v1::AccountService::Stub::ListAccounts)},
                      Target{"contact", "accord.contact.v1.ContactService",
                             ListCall(&contact::v1::ContactService::Stub::ListContacts)},
                      Target{"pricing-terms", "accord.pricing.v1.PriceListService",
                             ListCall(&pricing::v1::PriceListService::Stub::ListPriceLists)},
                      Target{"service-quality", "accord.quality.v1.CaseService",
                             ListCall(&quality::v1::CaseService::Stub::ListCases)},
                      Target{"webhooks", "accord.webhooks.v1.WebhookService",
                             ListCall(&webhooks::v1::WebhookService::Stub::ListWebhooks)}),
    [](const ::testing::TestParamInfo<Target>& info) {
      std::string name = info.param.name;
      std::erase(name, '-');
      return name;
    });

}  // namespace
}  // namespace accord::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const std::string prefix = "--binary=";
    if (arg.rfind(prefix, 0) != 0) continue;
    auto eq = arg.find('=', prefix.size());
    if (eq == std::string::npos) continue;
    accord::testing::Binaries()[arg.substr(prefix.size(), eq - prefix.size())] = arg.substr(eq + 1);
  }
  return RUN_ALL_TESTS();
}
