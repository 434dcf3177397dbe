// The account slice end to end: a real gRPC channel to an in-process account service backed by a
// fresh database on the shared test Postgres.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/common/ids.h"
#include "accord/common/metrics.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using ::testing::Contains;
using testing::ContextAs;
using ::testing::ElementsAre;
using testing::ReasonOf;
using testing::ViolatedFields;

class AccountApiTest : public ::testing::Test {
 protected:
  AccountApiTest()
      : harness_(AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        stub_(v1::AccountService::NewStub(harness_.channel())) {}

  v1::Account CreateAs(const std::string& subject, const std::string& display_name,
                       Role role = Role::kAccountManager) {
    v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account account;
    auto status = stub_->CreateAccount(ContextAs(subject, {role}).get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> stub_;
};

TEST_F(AccountApiTest, CreateGetUpdateDeleteRoundTrip) {
  v1::Account created = CreateAs("alice", "Acme Wholesale");
  EXPECT_THAT(created.name(), ::testing::StartsWith("accounts/"));
  EXPECT_EQ(created.owner(), "alice");
  EXPECT_EQ(created.lifecycle_stage(), v1::LIFECYCLE_STAGE_PROSPECT);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_TRUE(created.has_create_time());

  v1::GetAccountRequest get;
  get.set_name(created.name());
  v1::Account fetched;
  ASSERT_TRUE(
      stub_->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());

  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(created.name());
  update.mutable_account()->set_display_name("Acme Wholesale Ltd");
  update.mutable_account()->set_lifecycle_stage(v1::LIFECYCLE_STAGE_ACTIVE);
  update.mutable_update_mask()->add_paths("display_name");
  update.mutable_update_mask()->add_paths("lifecycle_stage");
  update.set_etag(created.etag());
  v1::Account updated;
  auto status =
      stub_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.display_name(), "Acme Wholesale Ltd");
  EXPECT_EQ(updated.lifecycle_stage(), v1::LIFECYCLE_STAGE_ACTIVE);
  EXPECT_NE(updated.etag(), created.etag());

  v1::DeleteAccountRequest remove;
  remove.set_name(created.name());
  remove.set_etag(updated.etag());
  v1::Account deleted;
  status =
      stub_->DeleteAccount(ContextAs("alice", {Role::kAccountManager}).get(), remove, &deleted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(deleted.has_delete_time());

  status = stub_->GetAccount(ContextAs("alice", {Role::kAccountManager}).get(), get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "RESOURCE_NOT_FOUND");
}

TEST_F(AccountApiTest, StaleEtagIsAborted) {
  v1::Account created = CreateAs("alice", "Globex");
  v1::UpdateAccountRequest first;
  first.mutable_account()->set_name(created.name());
  first.mutable_account()->set_legal_name("Globex Corporation");
  first.mutable_update_mask()->add_paths("legal_name");
  first.set_etag(created.etag());
  v1::Account after_first;
  ASSERT_TRUE(
      stub_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), first, &after_first)
          .ok());

  v1::UpdateAccountRequest stale = first;
  stale.mutable_account()->set_legal_name("Globex Inc");
  v1::Account ignored;
  auto status =
      stub_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), stale, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(status), "ETAG_MISMATCH");

  v1::GetAccountRequest get;
  get.set_name(created.name());
  v1::Account now;
  ASSERT_TRUE(stub_->GetAccount(ContextAs("alice", {Role::kAdmin}).get(), get, &now).ok());
  EXPECT_EQ(now.legal_name(), "Globex Corporation");

  v1::DeleteAccountRequest remove;
  remove.set_name(created.name());
  remove.set_etag(created.etag());
  status =
      stub_->DeleteAccount(ContextAs("alice", {Role::kAccountManager}).get(), remove, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(AccountApiTest, IdempotentCreateUnderConcurrentRetries) {
  v1::CreateAccountRequest request;
  request.mutable_account()->set_display_name("Initech");
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  request.set_request_id(common::NewUuidV7());

  constexpr int kRetries = 8;
  std::vector<v1::Account> results(kRetries);
  std::vector<grpc::Status> statuses(kRetries);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRetries; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = stub_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), request,
                                         &results[i]);
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> names;
  for (int i = 0; i < kRetries; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    names.insert(results[i].name());
  }
  EXPECT_EQ(names.size(), 1u) << "every retry must return the first call's account";

  v1::ListAccountsRequest list;
  list.set_filter("display_name = \"Initech\"");
  v1::ListAccountsResponse page;
  ASSERT_TRUE(stub_->ListAccounts(ContextAs("alice", {Role::kAdmin}).get(), list, &page).ok());
  EXPECT_EQ(page.accounts_size(), 1);

  // The same request_id on a different request is refused, not silently answered.
  v1::CreateAccountRequest other = request;
  other.mutable_account()->set_display_name("Initrode");
  v1::Account ignored;
  auto status =
      stub_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), other, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("request_id"));
}

TEST_F(AccountApiTest, InvalidArgumentNamesTheField) {
  v1::CreateAccountRequest request;
  request.mutable_account()->set_display_name(std::string(201, 'x'));
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_GOVERNMENT);
  v1::Account ignored;
  auto status =
      stub_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("account.display_name"));

  request.mutable_account()->set_display_name("Ok");
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_UNSPECIFIED);
  request.set_request_id("not-a-uuid");
  status =
      stub_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("request_id"));

  v1::ListAccountsRequest list;
  list.set_page_size(-1);
  v1::ListAccountsResponse page;
  status = stub_->ListAccounts(ContextAs("alice", {Role::kAdmin}).get(), list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("page_size"));

  v1::GetAccountRequest get;
  get.set_name("accounts/'; DROP TABLE accounts; --");
  v1::Account fetched;
  status = stub_->GetAccount(ContextAs("alice", {Role::kAdmin}).get(), get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("name"));
}

TEST_F(AccountApiTest, GetAccountAnswersRawBytesAsTheSameAccountAndRefusesGarbage) {
  // GetAccount is served on raw bytes: a cached hit returns the stored encoding. Whatever the
  // path, the client reads the same Account the write returned.
  const v1::Account created = CreateAs("alice", "Raw Bytes Ltd");
  v1::GetAccountRequest get;
  get.set_name(created.name());
  for (int read = 0; read < 2; ++read) {  // the first may fill the cache, the second hits it
    v1::Account fetched;
    auto status = stub_->GetAccount(ContextAs("alice", {Role::kAdmin}).get(), get, &fetched);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());
  }

  // Bytes that are no GetAccountRequest at all (a truncated length-delimited field).
  grpc::GenericStub generic(harness_.channel());
  // Field 1 (name) announces 5 bytes and carries 2.
  const std::string garbage = {'\x0a', '\x05', 'a', 'b'};
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer reply;
  auto context = ContextAs("alice", {Role::kAdmin});
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(context.get(), "/accord.account.v1.AccountService/GetAccount",
                    grpc::StubOptions(), &request, &reply, [&](grpc::Status result) {
                      std::lock_guard lock(mutex);
                      status = result;
                      done = true;
                      done_cv.notify_all();
                    });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(done_cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("request"));
}

TEST_F(AccountApiTest, ConcurrentColdReadsOnAnotherReplicaEachAnswerTheirOwnAccount) {
  // A second replica starts with an empty local level, and Redis holds nothing for these new
  // accounts: every read below misses both levels and is gathered with the others into batched
  // Postgres reads. Each call must still get exactly its own answer.
  constexpr int kLive = 24;
  std::vector<v1::Account> live;
  for (int i = 0; i < kLive; ++i) live.push_back(CreateAs("alice", "Cold " + std::to_string(i)));
  const v1::Account deleted = CreateAs("alice", "Cold deleted");
  {
    v1::DeleteAccountRequest remove;
    remove.set_name(deleted.name());
    remove.set_etag(deleted.etag());
    v1::Account ignored;
    ASSERT_TRUE(
        stub_->DeleteAccount(ContextAs("alice", {Role::kAccountManager}).get(), remove, &ignored)
            .ok());
  }
  const v1::Account survivor = CreateAs("alice", "Cold survivor");
  const v1::Account duplicate = CreateAs("alice", "Cold duplicate");
  {
    v1::MergeAccountsRequest merge;
    merge.set_survivor(survivor.name());
    merge.set_survivor_etag(survivor.etag());
    merge.set_duplicate(duplicate.name());
    merge.set_duplicate_etag(duplicate.etag());
    v1::MergeAccountsResponse merged;
    auto status =
        stub_->MergeAccounts(ContextAs("alice", {Role::kAccountManager}).get(), merge, &merged);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const std::string missing = "accounts/" + common::NewUuidV7();

  testing::ServiceHarness replica(AccountServiceDefinition(), database_.url(),
                                  testing::SharedRedisUrl());
  auto replica_stub = v1::AccountService::NewStub(replica.channel());
  std::vector<std::string> names;
  for (const auto& account : live) names.push_back(account.name());
  names.push_back(deleted.name());
  names.push_back(duplicate.name());
  names.push_back(missing);

  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    v1::GetAccountRequest request;
    v1::Account response;
    grpc::Status status;
  };
  std::vector<Call> calls(names.size());
  std::mutex mutex;
  std::condition_variable all_done;
  size_t finished = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    calls[i].context = ContextAs("bob", {Role::kSalesAssistant});
    calls[i].request.set_name(names[i]);
    replica_stub->async()->GetAccount(calls[i].context.get(), &calls[i].request, &calls[i].response,
                                      [&, i](grpc::Status status) {
                                        std::lock_guard lock(mutex);
                                        calls[i].status = std::move(status);
                                        ++finished;
                                        all_done.notify_all();
                                      });
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(20),
                                  [&] { return finished == names.size(); }));
  }
  for (int i = 0; i < kLive; ++i) {
    ASSERT_TRUE(calls[i].status.ok()) << names[i] << ": " << calls[i].status.error_message();
    EXPECT_EQ(calls[i].response.SerializeAsString(), live[i].SerializeAsString()) << names[i];
  }
  EXPECT_EQ(calls[kLive].status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(calls[kLive].status), "RESOURCE_NOT_FOUND");
  EXPECT_EQ(calls[kLive + 1].status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(calls[kLive + 1].status), "ACCOUNT_MERGED");
  EXPECT_EQ(calls[kLive + 2].status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(calls[kLive + 2].status), "RESOURCE_NOT_FOUND");

  // The live accounts went to Redis on the way (in the background, so wait for it): a third
  // replica reads them without Postgres.
  common::RedisClient redis(*common::ParseRedisUrl(testing::SharedRedisUrl()));
  const auto filled_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto in_redis = [&] {
    auto reply = redis.Command({"EXISTS", "accord:cache:account:" + live[0].name()});
    return reply.ok() && reply->integer == 1;
  };
  while (!in_redis() && std::chrono::steady_clock::now() < filled_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(in_redis());
  testing::ServiceHarness third(AccountServiceDefinition(), database_.url(),
                                testing::SharedRedisUrl());
  auto third_stub = v1::AccountService::NewStub(third.channel());
  auto redis_hits = [] {
    return common::MetricsRegistry::Global()
        .GetCounter("accord_cache_requests_total", "",
                    {{"cache", "account"}, {"level", "redis"}, {"result", "hit"}})
        .value();
  };
  const double hits_before = redis_hits();
  v1::GetAccountRequest get;
  get.set_name(live[0].name());
  v1::Account fetched;
  ASSERT_TRUE(
      third_stub->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), live[0].SerializeAsString());
  EXPECT_EQ(redis_hits() - hits_before, 1);
}

TEST_F(AccountApiTest, UnauthenticatedWithoutAValidToken) {
  v1::GetAccountRequest get;
  get.set_name("accounts/" + common::NewUuidV7());
  v1::Account fetched;
  grpc::ClientContext no_token;
  auto status = stub_->GetAccount(&no_token, get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ReasonOf(status), "MISSING_TOKEN");

  grpc::ClientContext forged;
  std::string token = testing::TokenFor("mallory", {Role::kAdmin});
  token.back() = token.back() == 'A' ? 'B' : 'A';
  forged.AddMetadata("authorization", "Bearer " + token);
  status = stub_->GetAccount(&forged, get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccountApiTest, PermissionsFollowOwnershipAndRole) {
  v1::Account alices = CreateAs("alice", "Umbrella");

  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(alices.name());
  update.mutable_account()->set_display_name("Taken over");
  update.mutable_update_mask()->add_paths("display_name");
  update.set_etag(alices.etag());
  v1::Account ignored;
  auto status =
      stub_->UpdateAccount(ContextAs("bob", {Role::kAccountManager}).get(), update, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = stub_->UpdateAccount(ContextAs("sam", {Role::kSalesAssistant}).get(), update, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Not mine to make");
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  status = stub_->CreateAccount(ContextAs("sam", {Role::kServiceAgent}).get(), create, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  status = stub_->UpdateAccount(ContextAs("root", {Role::kAdmin}).get(), update, &ignored);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AccountApiTest, IllegalLifecycleChangeIsFailedPrecondition) {
  v1::Account created = CreateAs("alice", "Hooli");
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(created.name());
  update.mutable_account()->set_lifecycle_stage(v1::LIFECYCLE_STAGE_DORMANT);
  update.mutable_update_mask()->add_paths("lifecycle_stage");
  update.set_etag(created.etag());
  v1::Account ignored;
  auto status =
      stub_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "ILLEGAL_LIFECYCLE_TRANSITION");
}

TEST_F(AccountApiTest, ListPagesInOrderAndRejectsEditedTokens) {
  for (int i = 0; i < 7; ++i) CreateAs("alice", "Customer " + std::to_string(i));
  std::vector<std::string> seen;
  v1::ListAccountsRequest request;
  request.set_page_size(3);
  request.set_order_by("display_name desc");
  std::string first_token;
  do {
    v1::ListAccountsResponse page;
    auto status =
        stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& account : page.accounts()) seen.push_back(account.display_name());
    if (first_token.empty()) first_token = page.next_page_token();
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  ASSERT_EQ(seen.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(seen[i], "Customer " + std::to_string(6 - i));

  v1::ListAccountsRequest tampered;
  tampered.set_page_size(3);
  tampered.set_order_by("display_name desc");
  std::string token = first_token;
  token[token.size() / 2] = token[token.size() / 2] == 'a' ? 'b' : 'a';
  tampered.set_page_token(token);
  v1::ListAccountsResponse page;
  auto status =
      stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), tampered, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("page_token"));

  // A token is bound to its query: reusing it with another order is refused too.
  tampered.set_page_token(first_token);
  tampered.set_order_by("create_time");
  status = stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), tampered, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AccountApiTest, ListFiltersAndOrdersByCreateTime) {
  CreateAs("alice", "Alpha Trading");
  CreateAs("bob", "Beta Logistics");
  CreateAs("alice", "Gamma Trading");
  v1::ListAccountsRequest request;
  request.set_filter("owner = \"alice\" AND display_name:trading");
  request.set_order_by("create_time");
  v1::ListAccountsResponse page;
  auto status =
      stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(page.accounts_size(), 2);
  EXPECT_EQ(page.accounts(0).display_name(), "Alpha Trading");
  EXPECT_EQ(page.accounts(1).display_name(), "Gamma Trading");

  request.set_filter("no_such_field = 1");
  status = stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("filter"));
}

}  // namespace
}  // namespace accord::account
