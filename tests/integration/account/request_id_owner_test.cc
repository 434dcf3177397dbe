// A request id belongs to the caller who used it first: a stored response answers only that
// caller's retries, and anyone else resending the same request with the same id is refused
// instead of being told OK with a result of a change it may not make.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/need.grpc.pb.h"
#include "accord/common/ids.h"
#include "account_service.h"
#include "support/accounts.h"
#include "support/servers.h"
#include "support/service_harness.h"
#include "team_need_services.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;
using ::testing::ElementsAre;
using testing::ViolatedFields;

common::ServiceDefinition AccountWithNeeds() {
  common::ServiceDefinition definition = AccountServiceDefinition();
  const bool registered = std::any_of(definition.statements.begin(), definition.statements.end(),
                                      [](const common::PreparedStatement& statement) {
                                        return std::string(statement.name) == "need_insert";
                                      });
  if (registered) return definition;
  AddTeamAndNeedStatements(definition.statements);
  definition.make_services = [make_accounts = definition.make_services](common::Runtime& runtime) {
    auto services = make_accounts(runtime);
    AddTeamAndNeedServices(runtime, services);
    return services;
  };
  return definition;
}

class RequestIdOwnerTest : public ::testing::Test {
 protected:
  RequestIdOwnerTest()
      : harness_(AccountWithNeeds(), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(harness_.channel())),
        needs_(v1::AccountNeedService::NewStub(harness_.channel())) {}

  v1::Account CreateAccount(const std::string& owner, const std::string& display_name) {
    return testing::CreateAccountAs(*accounts_, owner, display_name);
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountNeedService::Stub> needs_;
};

TEST_F(RequestIdOwnerTest, UpdateReplayedByAnotherCallerIsRefused) {
  const v1::Account account = CreateAccount("alice", "Acme");
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(account.name());
  update.mutable_account()->set_display_name("Acme Holdings");
  update.mutable_update_mask()->add_paths("display_name");
  update.set_etag(account.etag());
  update.set_request_id(common::NewUuidV7());
  v1::Account updated;
  auto status =
      accounts_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Bob may not change Alice's account...
  v1::UpdateAccountRequest own = update;
  own.set_etag(updated.etag());
  own.clear_request_id();
  v1::Account ignored;
  status = accounts_->UpdateAccount(ContextAs("bob", {Role::kAccountManager}).get(), own, &ignored);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  // ...nor learn the result of her change by resending her request with her request id.
  v1::Account replayed;
  status =
      accounts_->UpdateAccount(ContextAs("bob", {Role::kAccountManager}).get(), update, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(ViolatedFields(status), ElementsAre("request_id"));
  EXPECT_TRUE(replayed.name().empty());
  // Not even an admin, who may change the account, gets another caller's stored response.
  status = accounts_->UpdateAccount(ContextAs("root", {Role::kAdmin}).get(), update, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  // Alice's own retry is still answered with her first result.
  v1::Account retried;
  status =
      accounts_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.SerializeAsString(), updated.SerializeAsString());
}

TEST_F(RequestIdOwnerTest, CreateReplayedByAnotherCallerIsRefused) {
  const v1::Account account = CreateAccount("alice", "Globex");
  v1::CreateNeedRequest create;
  create.set_parent(account.name());
  create.mutable_need()->set_title("Next-day delivery");
  create.mutable_need()->set_source(v1::NEED_SOURCE_MEETING);
  create.set_request_id(common::NewUuidV7());
  v1::Need created;
  auto status =
      needs_->CreateNeed(ContextAs("alice", {Role::kAccountManager}).get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::Need replayed;
  status = needs_->CreateNeed(ContextAs("bob", {Role::kAccountManager}).get(), create, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(ViolatedFields(status), ElementsAre("request_id"));
  EXPECT_TRUE(replayed.name().empty());

  v1::Need retried;
  status = needs_->CreateNeed(ContextAs("alice", {Role::kAccountManager}).get(), create, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.name(), created.name());
}

}  // namespace
}  // namespace accord::account
