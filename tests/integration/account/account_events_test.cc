// Events and caching as the account service's users see them: the public event stream carries
// every committed change once and in order, Redis outages cost neither reads nor writes nor
// events, and repeated reads do not touch Postgres.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/common/event_stream.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;

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

// Reads `count` events from a subscription, or fewer if `timeout` passes.
std::vector<events::v1::SubscribeResponse> ReadEvents(
    events::v1::EventService::Stub& stub, const events::v1::SubscribeRequest& request, size_t count,
    std::chrono::seconds timeout, const std::function<void()>& after_subscribe = {}) {
  auto context = ContextAs("sync", {Role::kIntegration});
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  auto reader = stub.Subscribe(context.get(), request);
  std::vector<events::v1::SubscribeResponse> received;
  if (after_subscribe) {
    // The first Read blocks; run the writes beside it.
    std::thread writes(after_subscribe);
    events::v1::SubscribeResponse response;
    while (received.size() < count && reader->Read(&response)) received.push_back(response);
    writes.join();
  } else {
    events::v1::SubscribeResponse response;
    while (received.size() < count && reader->Read(&response)) received.push_back(response);
  }
  context->TryCancel();
  reader->Finish();
  return received;
}

// The stream is the deployment's (accord.events.account): other tests' account services write
// theirs to the shared Redis, so a test that counts every event of the stream has a Redis of its
// own.
TEST(AccountEventsTest, EveryCommittedMutationIsStreamedOnceInOrderPerResource) {
  testing::TestDatabase database;
  testing::ScopedRedisServer redis;
  testing::ServiceHarness harness(AccountServiceDefinition(), database.url(), redis.url());
  auto accounts = v1::AccountService::NewStub(harness.channel());
  auto events = events::v1::EventService::NewStub(harness.channel());

  // Start from the beginning of the retention window, so no event can slip past.
  events::v1::SubscribeRequest request;
  request.mutable_start_time()->set_seconds(std::time(nullptr) - 60);
  request.set_type_prefix("accord.account.v1.");
  constexpr int kAccounts = 5;
  constexpr int kUpdatesEach = 4;
  auto received =
      ReadEvents(*events, request, kAccounts * (1 + kUpdatesEach), std::chrono::seconds(30), [&] {
        std::vector<std::thread> writers;
        for (int a = 0; a < kAccounts; ++a) {
          writers.emplace_back([&, a] {
            v1::Account account = CreateNamed(*accounts, "Streamed " + std::to_string(a));
            for (int u = 0; u < kUpdatesEach; ++u) {
              EXPECT_TRUE(Rename(*accounts, &account,
                                 "Streamed " + std::to_string(a) + "." + std::to_string(u))
                              .ok());
            }
          });
        }
        for (auto& writer : writers) writer.join();
      });
  ASSERT_EQ(received.size(), static_cast<size_t>(kAccounts * (1 + kUpdatesEach)));
  std::map<std::string, int64_t> last_version;
  std::set<std::string> ids;
  for (const auto& item : received) {
    const auto& event = item.event();
    EXPECT_TRUE(ids.insert(event.id()).second) << "event delivered twice: " << event.id();
    EXPECT_GT(event.aggregate_version(), last_version[event.subject()])
        << "out of order for " << event.subject();
    last_version[event.subject()] = event.aggregate_version();
    EXPECT_FALSE(item.cursor().empty());
  }
  EXPECT_EQ(last_version.size(), static_cast<size_t>(kAccounts));
  for (const auto& [subject, version] : last_version) EXPECT_EQ(version, 1 + kUpdatesEach);

  // Resuming from the cursor of the 10th event yields exactly the events after it.
  events::v1::SubscribeRequest resume;
  resume.set_cursor(received[9].cursor());
  resume.set_type_prefix("accord.account.v1.");
  auto rest = ReadEvents(*events, resume, received.size() - 10, std::chrono::seconds(20));
  ASSERT_EQ(rest.size(), received.size() - 10);
  for (size_t i = 0; i < rest.size(); ++i)
    EXPECT_EQ(rest[i].event().id(), received[10 + i].event().id());
}

// An account manager's console follows account events live, as every role may; it is told which
// account changed and reads it through GetAccount. What any change held (the account, who made
// it, which fields) reaches only integration and admin.
TEST(AccountEventsTest, AnAccountManagerIsNotifiedOfChangesAndReadsThemThroughGet) {
  testing::TestDatabase database;
  testing::ScopedRedisServer redis;  // its own stream, as above
  testing::ServiceHarness harness(AccountServiceDefinition(), database.url(), redis.url());
  auto accounts = v1::AccountService::NewStub(harness.channel());
  auto events = events::v1::EventService::NewStub(harness.channel());

  v1::Account own = CreateNamed(*accounts, "Alice's Own");
  v1::CreateAccountRequest other_request;
  other_request.mutable_account()->set_display_name("Bob's Secret Plans");
  other_request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  other_request.mutable_account()->set_owner("bob");
  v1::Account other;
  ASSERT_TRUE(
      accounts->CreateAccount(ContextAs("admin", {Role::kAdmin}).get(), other_request, &other)
          .ok());

  events::v1::SubscribeRequest request;
  request.mutable_start_time()->set_seconds(std::time(nullptr) - 60);
  request.set_type_prefix("accord.account.v1.Account");
  auto context = ContextAs("alice", {Role::kAccountManager});
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = events->Subscribe(context.get(), request);
  std::vector<common::v1::EventEnvelope> received;
  events::v1::SubscribeResponse response;
  // Two creates replayed, then the rename of its own account arrives live.
  while (received.size() < 2 && reader->Read(&response)) received.push_back(response.event());
  ASSERT_EQ(received.size(), 2u);
  ASSERT_TRUE(Rename(*accounts, &own, "Alice's Own, renamed").ok());
  ASSERT_TRUE(reader->Read(&response));
  received.push_back(response.event());
  context->TryCancel();
  reader->Finish();

  EXPECT_EQ(received[2].subject(), own.name());
  EXPECT_EQ(received[2].type(), "accord.account.v1.AccountUpdated");
  EXPECT_EQ(received[2].aggregate_version(), 2);
  for (const auto& event : received) {
    EXPECT_FALSE(event.has_payload()) << event.type() << " " << event.subject();
    EXPECT_TRUE(event.actor().empty());
    EXPECT_FALSE(event.has_changed_fields());
    EXPECT_EQ(event.SerializeAsString().find("Secret"), std::string::npos);
  }
  // What changed is read through Get, under the account service's rule for the caller.
  v1::GetAccountRequest get;
  get.set_name(received[2].subject());
  v1::Account read;
  ASSERT_TRUE(
      accounts->GetAccount(ContextAs("alice", {Role::kAccountManager}).get(), get, &read).ok());
  EXPECT_EQ(read.display_name(), "Alice's Own, renamed");
}

TEST(AccountEventsTest, RedisDownCostsNeitherReadsNorWritesNorEvents) {
  testing::ScopedRedisServer redis;
  testing::TestDatabase database;
  auto settings = testing::TestSettings(AccountServiceDefinition(), database.url(), redis.url());
  settings.redis.command_timeout = std::chrono::milliseconds(100);
  settings.redis.connect_timeout = std::chrono::milliseconds(100);
  testing::ServiceHarness harness(AccountServiceDefinition(), settings);
  auto accounts = v1::AccountService::NewStub(harness.channel());
  auto events = events::v1::EventService::NewStub(harness.channel());

  v1::Account before = CreateNamed(*accounts, "Before outage");
  redis.Kill();
  const auto outage_start = std::chrono::steady_clock::now();
  v1::Account during = CreateNamed(*accounts, "During outage");
  ASSERT_FALSE(during.name().empty());
  ASSERT_TRUE(Rename(*accounts, &during, "During outage, renamed").ok());
  for (const auto& name : {before.name(), during.name()}) {
    v1::GetAccountRequest get;
    get.set_name(name);
    v1::Account fetched;
    auto status =
        accounts->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &fetched);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - outage_start, std::chrono::seconds(5))
      << "calls must not wait on a dead Redis";

  redis.Start();
  events::v1::SubscribeRequest request;
  request.mutable_start_time()->set_seconds(std::time(nullptr) - 60);
  auto received = ReadEvents(*events, request, 3, std::chrono::seconds(30));
  ASSERT_EQ(received.size(), 3u) << "events written during the outage flow once Redis is back";
  EXPECT_EQ(received[0].event().subject(), before.name());
  EXPECT_EQ(received[1].event().subject(), during.name());
  EXPECT_EQ(received[2].event().type(), "accord.account.v1.AccountUpdated");
}

TEST(AccountEventsTest, RepeatedReadsAreServedWithoutPostgres) {
  testing::ScopedPostgresServer postgres;
  testing::TestDatabase database(postgres.url());
  testing::ServiceHarness harness(AccountServiceDefinition(), database.url(),
                                  testing::SharedRedisUrl());
  auto accounts = v1::AccountService::NewStub(harness.channel());
  v1::Account created = CreateNamed(*accounts, "Hot account");
  // The tail must be following the stream for the local level to count as fresh.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!harness.runtime().event_tail().healthy() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(harness.runtime().event_tail().healthy());

  postgres.Stop();
  v1::GetAccountRequest get;
  get.set_name(created.name());
  for (int i = 0; i < 100; ++i) {
    v1::Account fetched;
    auto status =
        accounts->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &fetched);
    ASSERT_TRUE(status.ok()) << "read " << i << ": " << status.error_message();
    ASSERT_EQ(fetched.etag(), created.etag());
  }
  // Anything not cached needs the database, which is down.
  v1::ListAccountsRequest list;
  v1::ListAccountsResponse page;
  EXPECT_EQ(accounts->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), list, &page)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  postgres.Start();
}

}  // namespace
}  // namespace accord::account
