// Field size limits over gRPC: a request with a field past its `(accord.common.v1.limits)` is
// INVALID_ARGUMENT naming the field's path and the limit, and nothing is stored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/need.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "account_service.h"
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

class FieldLimitsApiTest : public ::testing::Test {
 protected:
  FieldLimitsApiTest()
      : harness_(AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(harness_.channel())) {}

  size_t AccountCount() {
    v1::ListAccountsRequest request;
    request.set_page_size(1000);
    v1::ListAccountsResponse response;
    EXPECT_TRUE(
        accounts_->ListAccounts(ContextAs("root", {Role::kAdmin}).get(), request, &response).ok());
    return static_cast<size_t>(response.accounts_size());
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
};

TEST_F(FieldLimitsApiTest, AMebibyteLocalityIsRefusedNamingTheField) {
  v1::CreateAccountRequest request;
  request.mutable_account()->set_display_name("Acme");
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  request.mutable_account()->mutable_billing_address()->set_locality(std::string(1 << 20, 'x'));
  v1::Account created;
  const grpc::Status status = accounts_->CreateAccount(
      ContextAs("alice", {Role::kAccountManager}).get(), request, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "FIELD_LIMIT_EXCEEDED");
  EXPECT_THAT(ViolatedFields(status), ElementsAre("account.billing_address.locality"));
  EXPECT_THAT(status.error_message(), HasSubstr("at most 100 characters"));
  EXPECT_EQ(AccountCount(), 0u);
}

TEST_F(FieldLimitsApiTest, UpdateAndSyncAreCheckedToo) {
  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Acme");
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account account;
  ASSERT_TRUE(
      accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), create, &account)
          .ok());

  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(account.name());
  update.mutable_account()->mutable_shipping_address()->set_administrative_area(
      std::string(101, 'a'));
  update.mutable_update_mask()->add_paths("shipping_address");
  update.set_etag(account.etag());
  v1::Account updated;
  grpc::Status status =
      accounts_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("account.shipping_address.administrative_area"));

  v1::UpsertAccountByExternalIdRequest upsert;
  upsert.set_system("erp");
  upsert.set_external_id("C-1");
  upsert.mutable_account()->set_display_name("Synced");
  upsert.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  upsert.mutable_account()->mutable_billing_address()->set_postal_code(std::string(21, '9'));
  v1::UpsertAccountByExternalIdResponse upserted;
  status = accounts_->UpsertAccountByExternalId(ContextAs("erp-sync", {Role::kIntegration}).get(),
                                                upsert, &upserted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("account.billing_address.postal_code"));
  EXPECT_EQ(AccountCount(), 1u);
}

TEST_F(FieldLimitsApiTest, TeamAndNeedRequestsAreChecked) {
  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Acme");
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account account;
  ASSERT_TRUE(
      accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), create, &account)
          .ok());

  auto needs = v1::AccountNeedService::NewStub(harness_.channel());
  v1::CreateNeedRequest need;
  need.set_parent(account.name());
  need.mutable_need()->set_title("Faster delivery");
  need.mutable_need()->set_due_date(std::string(4096, '2'));
  v1::Need created_need;
  grpc::Status status =
      needs->CreateNeed(ContextAs("alice", {Role::kAccountManager}).get(), need, &created_need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "FIELD_LIMIT_EXCEEDED");
  EXPECT_THAT(ViolatedFields(status), ElementsAre("need.due_date"));

  auto teams = v1::AccountTeamService::NewStub(harness_.channel());
  v1::ListTeamMembersRequest list;
  list.set_parent(account.name());
  list.set_order_by(std::string(65, ' '));
  v1::ListTeamMembersResponse members;
  status = teams->ListTeamMembers(ContextAs("bob", {Role::kSalesAssistant}).get(), list, &members);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "FIELD_LIMIT_EXCEEDED");
  EXPECT_THAT(ViolatedFields(status), ElementsAre("order_by"));
}

}  // namespace
}  // namespace accord::account
