// A stalled Redis (SIGSTOP, then SIGCONT) against the account service: what a client reads after
// an acknowledged write, and what a subscriber receives, once Redis runs again. A stalled Redis
// differs from a dead one: it keeps what it held, and it runs the commands it received while
// stopped, after their senders gave up on them.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/common/cache.h"
#include "accord/common/redis.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using common::Role;
using testing::ContextAs;

// The README's bound: after Redis answers again, no replica serves a version older than an
// acknowledged write for longer than this.
constexpr auto kStaleBound = 1s;

common::ServiceSettings StallSettings(const std::string& pg_url, const std::string& redis_url) {
  auto settings = testing::TestSettings(AccountServiceDefinition(), pg_url, redis_url);
  settings.redis.command_timeout = 100ms;
  settings.redis.connect_timeout = 100ms;
  return settings;
}

v1::Account CreateNamed(v1::AccountService::Stub& stub, const std::string& display_name) {
  v1::CreateAccountRequest request;
  request.mutable_account()->set_display_name(display_name);
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account created;
  auto status =
      stub.CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created;
}

grpc::Status Rename(v1::AccountService::Stub& stub, v1::Account* account,
                    const std::string& display_name) {
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(account->name());
  update.mutable_account()->set_display_name(display_name);
  update.mutable_update_mask()->add_paths("display_name");
  update.set_etag(account->etag());
  return stub.UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, account);
}

TEST(AccountRedisStallTest, AReplicaStartedAfterAStallServesTheAcknowledgedWriteWithinTheBound) {
  testing::ScopedRedisServer redis;
  testing::TestDatabase database;
  const auto settings = StallSettings(database.url(), redis.url());
  testing::ServiceHarness writer(AccountServiceDefinition(), settings);
  auto accounts = v1::AccountService::NewStub(writer.channel());

  v1::Account account = CreateNamed(*accounts, "Stalled");
  ASSERT_TRUE(Rename(*accounts, &account, "Stalled, v2").ok());
  const std::string old_etag = account.etag();
  // The writer's compare-and-set put v2 into Redis: the entry a stall can leave behind.
  common::RedisClient probe(*common::ParseRedisUrl(redis.url()));
  const std::string key = common::VersionedCache::RedisKeyFor("account", account.name());
  auto held = probe.Command({"GET", key});
  ASSERT_TRUE(held.ok() && held->type == common::RedisValue::Type::kString)
      << "precondition: Redis holds the account";

  redis.Pause();
  // Redis has been failing long enough for the writer's circuit breaker to open, so the write
  // below skips its compare-and-set (a timed-out one, whose command never reached Redis, is no
  // different).
  for (int i = 0; i < 3; ++i) (void)writer.runtime().redis().Command({"PING"});
  ASSERT_EQ(writer.runtime().redis().breaker_state(), common::CircuitBreaker::State::kOpen);
  ASSERT_TRUE(Rename(*accounts, &account, "Stalled, v3").ok()) << "acknowledged during the stall";
  const std::string new_etag = account.etag();
  ASSERT_NE(new_etag, old_etag);
  std::this_thread::sleep_for(300ms);
  redis.Resume();
  const auto resumed = Clock::now();

  // A replica without the in-process level, started now: what Redis holds is what it serves
  // (no event can drop a copy it does not keep).
  auto no_local = settings;
  no_local.cache_local_entries = 0;
  testing::ServiceHarness replica(AccountServiceDefinition(), no_local);
  auto replica_accounts = v1::AccountService::NewStub(replica.channel());
  v1::GetAccountRequest get;
  get.set_name(account.name());
  v1::Account served;
  int reads_after_bound = 0;
  while (Clock::now() < resumed + kStaleBound + 1s) {
    const auto started = Clock::now();
    auto status =
        replica_accounts->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &served);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (started >= resumed + kStaleBound) {
      ++reads_after_bound;
      ASSERT_EQ(served.etag(), new_etag)
          << "the replica still serves etag " << served.etag() << " "
          << std::chrono::duration_cast<std::chrono::milliseconds>(started - resumed).count()
          << " ms after Redis answered again";
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GT(reads_after_bound, 0);

  // A replica with both levels, started after the write's event went by: it never sees the event,
  // so only Redis can tell it.
  testing::ServiceHarness late(AccountServiceDefinition(), settings);
  auto late_accounts = v1::AccountService::NewStub(late.channel());
  ASSERT_TRUE(
      late_accounts->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &served)
          .ok());
  EXPECT_EQ(served.etag(), new_etag);
  // Read, then update with what was read: the client makes progress.
  EXPECT_TRUE(Rename(*late_accounts, &served, "Stalled, v4").ok());
}

// One subscriber on one cursor while Redis is stalled again and again under a steady write load:
// every committed change arrives, and none twice (a stalled XADD runs when Redis resumes, after
// the relay gave up on it).
TEST(AccountRedisStallTest, RepeatedRedisStallsDeliverEveryEventOnceToASubscriber) {
  testing::ScopedRedisServer redis;
  testing::TestDatabase database;
  testing::ServiceHarness service(AccountServiceDefinition(),
                                  StallSettings(database.url(), redis.url()));
  auto accounts = v1::AccountService::NewStub(service.channel());
  auto events = events::v1::EventService::NewStub(service.channel());

  std::mutex mutex;
  std::map<std::string, int> times_received;           // by event id
  std::set<std::pair<std::string, int64_t>> received;  // (subject, aggregate_version)
  std::map<std::string, int64_t> last_version;
  std::vector<std::string> out_of_order;
  grpc::ClientContext* current = nullptr;
  std::atomic<bool> done{false};
  std::thread subscriber([&] {
    std::string cursor;
    while (!done.load()) {
      auto context = ContextAs("sync", {Role::kIntegration});
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      events::v1::SubscribeRequest request;
      request.set_type_prefix("accord.account.v1.");
      // A client that loses its stream resumes from its cursor.
      if (cursor.empty()) {
        request.mutable_start_time()->set_seconds(std::time(nullptr) - 60);
      } else {
        request.set_cursor(cursor);
      }
      {
        std::lock_guard lock(mutex);
        if (done.load()) break;
        current = context.get();
      }
      auto reader = events->Subscribe(context.get(), request);
      events::v1::SubscribeResponse response;
      while (reader->Read(&response)) {
        const auto& event = response.event();
        std::lock_guard lock(mutex);
        ++times_received[event.id()];
        received.emplace(event.subject(), event.aggregate_version());
        if (event.aggregate_version() <= last_version[event.subject()]) {
          out_of_order.push_back(event.subject());
        }
        last_version[event.subject()] = event.aggregate_version();
        cursor = response.cursor();
      }
      {
        std::lock_guard lock(mutex);
        current = nullptr;
      }
      reader->Finish();
      if (!done.load()) std::this_thread::sleep_for(50ms);
    }
  });

  std::set<std::pair<std::string, int64_t>> committed;  // acknowledged writes
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    int n = 0;
    while (writing.load()) {
      v1::Account account = CreateNamed(*accounts, "Paced " + std::to_string(n++));
      if (account.name().empty()) continue;
      committed.emplace(account.name(), std::stoll(account.etag()));
      for (int u = 0; u < 3 && writing.load(); ++u) {
        std::this_thread::sleep_for(10ms);
        auto status =
            Rename(*accounts, &account, "Paced " + std::to_string(n) + "." + std::to_string(u));
        EXPECT_TRUE(status.ok()) << status.error_message();
        if (!status.ok()) break;
        committed.emplace(account.name(), std::stoll(account.etag()));
      }
      std::this_thread::sleep_for(10ms);
    }
  });

  constexpr int kStalls = 8;
  for (int i = 0; i < kStalls; ++i) {
    std::this_thread::sleep_for(400ms);
    redis.Pause();
    std::this_thread::sleep_for(500ms);  // longer than the command timeout: calls give up
    redis.Resume();
  }
  std::this_thread::sleep_for(300ms);
  writing.store(false);
  writer.join();

  // Wait for the subscriber to receive every committed change.
  const auto deadline = Clock::now() + 20s;
  for (;;) {
    {
      std::lock_guard lock(mutex);
      bool all = true;
      for (const auto& change : committed) all = all && received.count(change) > 0;
      if (all || Clock::now() >= deadline) {
        done.store(true);
        if (current != nullptr) current->TryCancel();
        break;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  subscriber.join();

  size_t missing = 0;
  for (const auto& change : committed) {
    if (received.count(change) == 0) {
      ++missing;
      ADD_FAILURE() << "never received " << change.first << " v" << change.second;
      if (missing > 5) break;
    }
  }
  int doubled = 0;
  for (const auto& [id, times] : times_received) {
    if (times > 1) ++doubled;
  }
  EXPECT_EQ(doubled, 0) << "events delivered more than once, of " << times_received.size();
  EXPECT_TRUE(out_of_order.empty())
      << out_of_order.size() << " events out of order, first for " << out_of_order.front();
  EXPECT_GT(committed.size(), 50u) << "the write load ran through the stalls";
}

}  // namespace
}  // namespace accord::account
