// Hostile and sloppy clients against the shared runtime, over gRPC against the account service
// in-process on a fresh database (issue 18): property-level authorisation, control characters,
// role-less tokens, garbled bodies, bounded queue waits and oversized headers.
#include <gmock/gmock.h>
#include <google/protobuf/duration.pb.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/need.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/metrics.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "account_service.h"
#include "google/rpc/status.pb.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ReasonOf;
using testing::ViolatedFields;

using Clock = std::chrono::steady_clock;

double RefusedCount(const std::string& method, const std::string& reason) {
  return common::MetricsRegistry::Global()
      .GetCounter("accord_rpc_refused_requests_total", "", {{"method", method}, {"reason", reason}})
      .value();
}

// Whether the status details carry a google.rpc.RetryInfo with a positive delay.
bool HasRetryInfo(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return false;
  for (const auto& any : details.details()) {
    if (any.type_url() != "type.googleapis.com/google.rpc.RetryInfo") continue;
    google::protobuf::Duration delay;
    // RetryInfo { google.protobuf.Duration retry_delay = 1; }
    const std::string& value = any.value();
    if (value.size() < 2 || value[0] != 0x0a) return false;
    return delay.ParseFromString(value.substr(2)) && (delay.seconds() > 0 || delay.nanos() > 0);
  }
  return false;
}

// Sends `bytes` as the body of `method` through a generic stub, as a broken client would.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes, const std::string& token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

class HardeningTest : public ::testing::Test {
 protected:
  HardeningTest() : HardeningTest(nullptr) {}
  explicit HardeningTest(std::function<void(common::ServiceSettings&)> adjust)
      : harness_(MakeHarness(adjust)),
        accounts_(v1::AccountService::NewStub(harness_->channel())),
        teams_(v1::AccountTeamService::NewStub(harness_->channel())),
        needs_(v1::AccountNeedService::NewStub(harness_->channel())) {}

  std::unique_ptr<testing::ServiceHarness> MakeHarness(
      const std::function<void(common::ServiceSettings&)>& adjust) {
    auto definition = AccountServiceDefinition();
    auto settings = testing::TestSettings(definition, database_.url(), testing::SharedRedisUrl());
    if (adjust) adjust(settings);
    return std::make_unique<testing::ServiceHarness>(definition, settings);
  }

  v1::Account Create(const std::string& subject, const std::string& display_name,
                     Role role = Role::kAccountManager) {
    v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account account;
    auto status = accounts_->CreateAccount(ContextAs(subject, {role}).get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  grpc::Status SetOwner(const std::string& subject, Role role, const v1::Account& account,
                        const std::string& owner, v1::Account* out) {
    v1::UpdateAccountRequest update;
    update.mutable_account()->set_name(account.name());
    update.mutable_account()->set_owner(owner);
    update.mutable_update_mask()->add_paths("owner");
    update.set_etag(account.etag());
    return accounts_->UpdateAccount(ContextAs(subject, {role}).get(), update, out);
  }

  grpc::Status AddMember(const std::string& subject, const std::string& parent,
                         const std::string& member, v1::TeamRole role, v1::TeamMember* out) {
    v1::CreateTeamMemberRequest request;
    request.set_parent(parent);
    request.mutable_team_member()->set_member(member);
    request.mutable_team_member()->set_role(role);
    request.mutable_team_member()->set_start_date("2000-01-01");
    return teams_->CreateTeamMember(ContextAs(subject, {Role::kAccountManager}).get(), request,
                                    out);
  }

  testing::TestDatabase database_;
  std::unique_ptr<testing::ServiceHarness> harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountTeamService::Stub> teams_;
  std::unique_ptr<v1::AccountNeedService::Stub> needs_;
};

// Item 1: the owner grants delete; only admin and integration may change it.
TEST_F(HardeningTest, TeamMemberCannotTakeOwnershipAndOwnerCannotGiveItAway) {
  v1::Account account = Create("alice", "Initech");
  v1::TeamMember bob;
  ASSERT_TRUE(AddMember("alice", account.name(), "bob", v1::TEAM_ROLE_SALES, &bob).ok());

  v1::Account out;
  auto status = SetOwner("bob", Role::kAccountManager, account, "bob", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "OWNER_CHANGE");
  // Still alice's: bob may not delete it.
  v1::DeleteAccountRequest remove;
  remove.set_name(account.name());
  remove.set_etag(account.etag());
  status = accounts_->DeleteAccount(ContextAs("bob", {Role::kAccountManager}).get(), remove, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  status = SetOwner("alice", Role::kAccountManager, account, "somebody-else", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "OWNER_CHANGE");
  // Setting the owner to what it is changes nothing and is allowed.
  status = SetOwner("alice", Role::kAccountManager, account, "alice", &out);
  EXPECT_TRUE(status.ok()) << status.error_message();

  status = SetOwner("root", Role::kAdmin, out, "carol", &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.owner(), "carol");
}

// Item 1: memberships grant write access, so a member who does not own the account may neither
// touch its own membership nor the owner role.
TEST_F(HardeningTest, TeamMemberCannotWidenItsOwnAccessOrGrantTheOwnerRole) {
  v1::Account account = Create("alice", "Hooli");
  v1::TeamMember bob;
  ASSERT_TRUE(AddMember("alice", account.name(), "bob", v1::TEAM_ROLE_SALES, &bob).ok());

  v1::TeamMember out;
  auto status = AddMember("bob", account.name(), "carol", v1::TEAM_ROLE_OWNER, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "TEAM_OWNER_ROLE");
  status = AddMember("bob", account.name(), "bob", v1::TEAM_ROLE_TECHNICAL, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "TEAM_SELF_CHANGE");

  // bob may not extend his own membership.
  v1::UpdateTeamMemberRequest update;
  update.mutable_team_member()->set_name(bob.name());
  update.mutable_team_member()->set_end_date("2099-12-31");
  update.mutable_update_mask()->add_paths("end_date");
  update.set_etag(bob.etag());
  status = teams_->UpdateTeamMember(ContextAs("bob", {Role::kAccountManager}).get(), update, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "TEAM_SELF_CHANGE");

  // Colleagues in other roles: allowed, as documented.
  status = AddMember("bob", account.name(), "dave", v1::TEAM_ROLE_TECHNICAL, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The owner may do all of it.
  status = AddMember("alice", account.name(), "carol", v1::TEAM_ROLE_OWNER, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Item 6: NUL and other control characters are refused in every text field, naming it.
TEST_F(HardeningTest, ControlCharactersAreRefusedNamingTheField) {
  const std::string method = "accord.account.v1.AccountService/CreateAccount";
  const double before = RefusedCount(method, "CONTROL_CHARACTER");
  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name(std::string("Acme\0Evil", 9));
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account account;
  auto status =
      accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), create, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "CONTROL_CHARACTER");
  EXPECT_THAT(ViolatedFields(status), ElementsAre("account.display_name"));
  EXPECT_EQ(RefusedCount(method, "CONTROL_CHARACTER"), before + 1);

  // Nested, repeated and map fields; a line break in a one-line field; DEL.
  create.mutable_account()->set_display_name("Acme");
  create.mutable_account()->add_labels("ok");
  create.mutable_account()->add_labels("bad\tlabel");
  (*create.mutable_account()->mutable_external_ids())["erp"] = std::string("C-1\x7f", 4);
  create.mutable_account()->mutable_billing_address()->set_locality("Line\nbreak");
  status =
      accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), create, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::UnorderedElementsAre("account.labels[1]", "account.external_ids[erp]",
                                              "account.billing_address.locality"));

  // The lookup that used to find "X" for "X\0other".
  v1::LookupAccountByExternalIdRequest lookup;
  lookup.set_system("erp");
  lookup.set_external_id(std::string("X\0other", 7));
  status = accounts_->LookupAccountByExternalId(ContextAs("alice", {Role::kAccountManager}).get(),
                                                lookup, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("external_id"));

  // GetAccount is served on raw bytes and is checked too.
  v1::GetAccountRequest get;
  get.set_name(std::string("accounts/x\0y", 12));
  status = accounts_->GetAccount(ContextAs("alice", {Role::kAccountManager}).get(), get, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("name"));

  // Free text may span lines.
  v1::Account created = Create("alice", "Multi-line");
  v1::CreateNeedRequest need;
  need.set_parent(created.name());
  need.mutable_need()->set_title("SSO");
  need.mutable_need()->set_description("first line\nsecond line\r\n\tindented");
  v1::Need out;
  status = needs_->CreateNeed(ContextAs("alice", {Role::kAccountManager}).get(), need, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  need.mutable_need()->set_description(std::string("nul\0", 4));
  status = needs_->CreateNeed(ContextAs("alice", {Role::kAccountManager}).get(), need, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("need.description"));

  // Without a valid token the answer is only that.
  grpc::ClientContext anonymous;
  status = accounts_->CreateAccount(&anonymous, create, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// Items 6 and 8 for a server-streaming method: the guard answers before the stream starts.
TEST_F(HardeningTest, StreamingMethodsAreGuardedToo) {
  auto events = events::v1::EventService::NewStub(harness_->channel());
  events::v1::SubscribeRequest request;
  request.set_type_prefix(std::string("accord\0", 7));
  auto context = ContextAs("sync", {Role::kIntegration});
  auto reader = events->Subscribe(context.get(), request);
  events::v1::SubscribeResponse response;
  EXPECT_FALSE(reader->Read(&response));
  auto status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(ViolatedFields(status), ElementsAre("type_prefix"));

  const std::string method = "accord.events.v1.EventService/Subscribe";
  const double before = RefusedCount(method, "MALFORMED_REQUEST");
  grpc::GenericStub stub(harness_->channel());
  grpc::CompletionQueue queue;
  grpc::ClientContext raw_context;
  raw_context.AddMetadata("authorization",
                          "Bearer " + testing::TokenFor("sync", {Role::kIntegration}));
  auto call = stub.PrepareCall(&raw_context, "/" + method, &queue);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  grpc::Slice slice(std::string("\x0a\xff\xff\x01garbage"));
  grpc::ByteBuffer garbage(&slice, 1);
  call->WriteLast(garbage, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  grpc::Status raw_status;
  call->Finish(&raw_status, reinterpret_cast<void*>(3));
  while (queue.Next(&tag, &ok)) {
    if (tag == reinterpret_cast<void*>(3)) break;
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  EXPECT_EQ(raw_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << raw_status.error_message();
  EXPECT_EQ(RefusedCount(method, "MALFORMED_REQUEST"), before + 1);
}

// Item 7: a valid token with no known role gets nothing.
TEST_F(HardeningTest, TokenWithoutAKnownRoleIsDeniedEverywhere) {
  v1::Account account = Create("alice", "Roleless");
  auto context = [] { return ContextAs("nobody", {}); };
  v1::GetAccountRequest get;
  get.set_name(account.name());
  v1::Account out;
  auto status = accounts_->GetAccount(context().get(), get, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NO_KNOWN_ROLE");
  v1::ListAccountsRequest list;
  v1::ListAccountsResponse page;
  status = accounts_->ListAccounts(context().get(), list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListTeamMembersRequest team;
  team.set_parent(account.name());
  v1::ListTeamMembersResponse members;
  status = teams_->ListTeamMembers(context().get(), team, &members);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// Item 8: a body that does not parse is INVALID_ARGUMENT, counted and logged, for any method.
TEST_F(HardeningTest, GarbledBodiesAreInvalidArgumentAndCounted) {
  const std::string token = testing::TokenFor("alice", {Role::kAccountManager});
  for (const std::string method : {"accord.account.v1.AccountService/CreateAccount",
                                   "accord.account.v1.AccountService/ListAccounts",
                                   "accord.account.v1.AccountTeamService/CreateTeamMember",
                                   "accord.account.v1.AccountService/GetAccount"}) {
    SCOPED_TRACE(method);
    const double before = RefusedCount(method, "MALFORMED_REQUEST");
    // A truncated length-delimited field: not protobuf.
    auto status = RawCall(harness_->channel(), "/" + method, "\x0a\xff\xff\x01garbage", token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "MALFORMED_REQUEST");
    EXPECT_EQ(RefusedCount(method, "MALFORMED_REQUEST"), before + 1);
    // No token: refused for that first.
    status = RawCall(harness_->channel(), "/" + method, "\x0a\xff\xff\x01garbage", "");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Invalid UTF-8 in a proto3 string.
  v1::CreateAccountRequest create;
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  std::string bytes = create.SerializeAsString();
  v1::Account bad_text;
  bad_text.set_display_name("Caf\xc3");
  const std::string inner = bad_text.SerializePartialAsString();
  // account = 1 (length-delimited), merged after the valid part.
  bytes += std::string("\x0a", 1) + static_cast<char>(inner.size()) + inner;
  auto status =
      RawCall(harness_->channel(), "/accord.account.v1.AccountService/CreateAccount", bytes, token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "MALFORMED_REQUEST");

  // The server still serves the connection normally afterwards.
  Create("alice", "Still fine");
}

// Item 11: with every worker stuck behind a lock, queued calls end UNAVAILABLE with a retry hint
// within the configured wait, and a call whose deadline passed in the queue is never run.
class QueueBoundTest : public HardeningTest {
 protected:
  QueueBoundTest()
      : HardeningTest([](common::ServiceSettings& settings) {
          settings.pg.pool_size = 1;
          settings.worker_threads = 1;
          settings.pg.acquire_timeout = std::chrono::milliseconds(600);
        }) {}
};

TEST_F(QueueBoundTest, QueuedCallsAreBoundedAndLateOnesNeverRun) {
  v1::Account locked = Create("alice", "Locked");
  v1::Account other = Create("alice", "Other");
  const std::string locked_id = locked.name().substr(std::string("accounts/").size());

  pqxx::connection blocker(database_.url());
  pqxx::work lock(blocker);
  lock.exec_params("SELECT 1 FROM account.accounts WHERE id = $1::uuid FOR UPDATE", locked_id);

  // Takes the only worker and waits on the row lock.
  auto stuck = std::async(std::launch::async, [&] {
    v1::UpdateAccountRequest update;
    update.mutable_account()->set_name(locked.name());
    update.mutable_account()->set_legal_name("Locked Ltd");
    update.mutable_update_mask()->add_paths("legal_name");
    update.set_etag(locked.etag());
    v1::Account out;
    return accounts_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update,
                                    &out);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // A late call: its own deadline (300 ms) passes while it waits for the worker.
  auto late = std::async(std::launch::async, [&] {
    v1::UpdateAccountRequest update;
    update.mutable_account()->set_name(other.name());
    update.mutable_account()->set_display_name("Changed too late");
    update.mutable_update_mask()->add_paths("display_name");
    update.set_etag(other.etag());
    v1::Account out;
    auto context = ContextAs("alice", {Role::kAccountManager});
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    return accounts_->UpdateAccount(context.get(), update, &out);
  });

  std::vector<std::future<std::pair<grpc::Status, Clock::duration>>> queued;
  for (int i = 0; i < 4; ++i) {
    queued.push_back(std::async(std::launch::async, [&] {
      const auto start = Clock::now();
      v1::ListAccountsRequest list;
      v1::ListAccountsResponse page;
      auto status =
          accounts_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), list, &page);
      return std::make_pair(status, Clock::now() - start);
    }));
  }
  for (auto& call : queued) {
    auto [status, elapsed] = call.get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "WORKERS_BUSY");
    EXPECT_TRUE(HasRetryInfo(status));
    EXPECT_LT(elapsed, std::chrono::milliseconds(600 + 900));
  }
  EXPECT_EQ(late.get().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // Let the stuck call finish, then make sure the late one never ran.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  lock.commit();
  auto stuck_status = stuck.get();
  EXPECT_TRUE(stuck_status.ok()) << stuck_status.error_message();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  pqxx::connection reader(database_.url());
  pqxx::nontransaction read(reader);
  auto row = read.exec_params1("SELECT display_name FROM account.accounts WHERE id = $1::uuid",
                               other.name().substr(std::string("accounts/").size()));
  EXPECT_EQ(row[0].as<std::string>(), "Other");
}

// Item 10: a call with an oversized header fails alone; the calls beside it on the same
// connection succeed.
TEST_F(HardeningTest, OversizedHeaderFailsOnlyItsOwnCall) {
  v1::Account account = Create("alice", "Headers");
  // 12 KiB made most calls beside it fail (gRPC's default 8 KiB limit closed the connection);
  // 48 KiB is still under the server's 64 KiB limit.
  const std::vector<size_t> sizes = {12 * 1024, 48 * 1024, 12 * 1024, 48 * 1024};
  std::atomic<int> normal_failures{0};
  std::atomic<int> normal_calls{0};
  std::vector<std::thread> threads;
  std::vector<grpc::Status> huge_results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        v1::GetAccountRequest get;
        get.set_name(account.name());
        v1::Account out;
        auto status =
            accounts_->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &out);
        ++normal_calls;
        if (!status.ok()) ++normal_failures;
        if (i == 3) {
          grpc::ClientContext context;
          context.AddMetadata("authorization", "Bearer " + std::string(sizes[t], 'a'));
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          huge_results[t] = accounts_->GetAccount(&context, get, &out);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(normal_failures.load(), 0) << "of " << normal_calls.load();
  for (const auto& status : huge_results) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << status.error_code() << " " << status.error_message();
    EXPECT_EQ(ReasonOf(status), "TOKEN_TOO_LARGE");
  }
  // And afterwards too.
  v1::GetAccountRequest get;
  get.set_name(account.name());
  v1::Account out;
  EXPECT_TRUE(
      accounts_->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &out).ok());
}

}  // namespace
}  // namespace accord::account
