#include "account_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "fake_account_repository.h"

namespace accord::account {
namespace {

using common::Principal;
using common::Role;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

Principal As(std::string subject, std::vector<Role> roles) {
  Principal principal;
  principal.subject = std::move(subject);
  principal.roles = std::move(roles);
  return principal;
}

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& violation : common::FieldViolationsOf(status)) fields.push_back(violation.field);
  return fields;
}

class AccountLogicTest : public ::testing::Test {
 protected:
  absl::StatusOr<Account> Create(const Principal& who, const std::string& display_name,
                                 const std::string& request_id = "") {
    CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    request.set_request_id(request_id);
    return logic_.Create(who, request, {});
  }

  FakeAccountRepository repository_;
  common::PageTokenCodec tokens_{"unit-test-secret"};
  AccountLogic logic_{repository_, tokens_};
  Principal alice_ = As("alice", {Role::kAccountManager});
  Principal bob_ = As("bob", {Role::kAccountManager});
  Principal admin_ = As("root", {Role::kAdmin});
};

TEST(LifecycleTest, AllowedAndIllegalTransitions) {
  using enum v1::LifecycleStage;
  EXPECT_TRUE(IsAllowedTransition(LIFECYCLE_STAGE_PROSPECT, LIFECYCLE_STAGE_ACTIVE));
  EXPECT_TRUE(IsAllowedTransition(LIFECYCLE_STAGE_ACTIVE, LIFECYCLE_STAGE_AT_RISK));
  EXPECT_TRUE(IsAllowedTransition(LIFECYCLE_STAGE_AT_RISK, LIFECYCLE_STAGE_ACTIVE));
  EXPECT_TRUE(IsAllowedTransition(LIFECYCLE_STAGE_CHURNED, LIFECYCLE_STAGE_PROSPECT));
  EXPECT_TRUE(IsAllowedTransition(LIFECYCLE_STAGE_DORMANT, LIFECYCLE_STAGE_DORMANT));
  EXPECT_FALSE(IsAllowedTransition(LIFECYCLE_STAGE_PROSPECT, LIFECYCLE_STAGE_DORMANT));
  EXPECT_FALSE(IsAllowedTransition(LIFECYCLE_STAGE_PROSPECT, LIFECYCLE_STAGE_AT_RISK));
  EXPECT_FALSE(IsAllowedTransition(LIFECYCLE_STAGE_CHURNED, LIFECYCLE_STAGE_AT_RISK));
  EXPECT_FALSE(IsAllowedTransition(LIFECYCLE_STAGE_ACTIVE, LIFECYCLE_STAGE_PROSPECT));
  EXPECT_FALSE(IsAllowedTransition(LIFECYCLE_STAGE_ACTIVE, LIFECYCLE_STAGE_UNSPECIFIED));
}

TEST(AccountNameTest, ParsesOnlyCanonicalNames) {
  const std::string id = common::NewUuidV7();
  auto parsed = ParseAccountName("accounts/" + id, "name");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, id);
  const std::vector<std::string> bad_names = {"",
                                              "accounts/",
                                              "account/" + id,
                                              "accounts/" + id + "/x",
                                              "accounts/not-a-uuid",
                                              "accounts/' OR 1=1 --",
                                              id};
  for (const std::string& bad : bad_names) {
    auto result = ParseAccountName(bad, "name");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(Fields(result.status()), ElementsAre("name")) << bad;
  }
}

TEST_F(AccountLogicTest, CreateDefaultsOwnerAndStage) {
  auto created = Create(alice_, "Acme");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->owner(), "alice");
  EXPECT_EQ(created->lifecycle_stage(), v1::LIFECYCLE_STAGE_PROSPECT);
}

TEST_F(AccountLogicTest, CreateValidatesEveryField) {
  CreateAccountRequest request;
  request.mutable_account()->set_display_name("   ");
  request.mutable_account()->set_legal_name(std::string(301, 'l'));
  request.mutable_account()->set_type(static_cast<common::v1::OrganizationType>(42));
  request.mutable_account()->set_lifecycle_stage(static_cast<v1::LifecycleStage>(99));
  // Size limits are checked first, and alone.
  auto result = logic_.Create(alice_, request, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(common::ReasonOf(result.status()), "FIELD_LIMIT_EXCEEDED");
  EXPECT_THAT(Fields(result.status()), ElementsAre("account.legal_name"));
  request.mutable_account()->set_legal_name(std::string(300, 'l'));
  result = logic_.Create(alice_, request, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()), UnorderedElementsAre("account.display_name", "account.type",
                                                            "account.lifecycle_stage"));
  EXPECT_EQ(repository_.writes, 0);
}

TEST_F(AccountLogicTest, CreatePermissions) {
  EXPECT_EQ(Create(As("sam", {Role::kSalesAssistant}), "X").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Create(As("sue", {Role::kServiceSupervisor}), "X").status().code(),
            absl::StatusCode::kPermissionDenied);
  CreateAccountRequest for_someone_else;
  for_someone_else.mutable_account()->set_display_name("X");
  for_someone_else.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  for_someone_else.mutable_account()->set_owner("bob");
  EXPECT_EQ(logic_.Create(alice_, for_someone_else, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto by_admin = logic_.Create(admin_, for_someone_else, {});
  ASSERT_TRUE(by_admin.ok());
  EXPECT_EQ(by_admin->owner(), "bob");
}

TEST_F(AccountLogicTest, UpdateAppliesOnlyMaskedFields) {
  auto created = Create(alice_, "Acme");
  ASSERT_TRUE(created.ok());
  UpdateAccountRequest update;
  update.mutable_account()->set_name(created->name());
  update.mutable_account()->set_display_name("Acme Ltd");
  update.mutable_account()->set_legal_name("ignored: not in the mask");
  update.mutable_update_mask()->add_paths("display_name");
  update.set_etag(created->etag());
  auto updated = logic_.Update(alice_, update, {});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->display_name(), "Acme Ltd");
  EXPECT_EQ(updated->legal_name(), "");
}

TEST_F(AccountLogicTest, UpdateRejectsUnknownPathsStaleEtagsAndStrangers) {
  auto created = Create(alice_, "Acme");
  ASSERT_TRUE(created.ok());
  UpdateAccountRequest update;
  update.mutable_account()->set_name(created->name());
  update.mutable_account()->set_display_name("New");
  update.mutable_update_mask()->add_paths("create_time");
  update.set_etag(created->etag());
  auto result = logic_.Update(alice_, update, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()), ElementsAre("update_mask"));

  update.mutable_update_mask()->set_paths(0, "display_name");
  EXPECT_EQ(logic_.Update(bob_, update, {}).status().code(), absl::StatusCode::kPermissionDenied);

  update.set_etag("999");
  EXPECT_EQ(logic_.Update(alice_, update, {}).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(common::ReasonOf(logic_.Update(alice_, update, {}).status()), "ETAG_MISMATCH");

  update.clear_etag();
  result = logic_.Update(alice_, update, {});
  EXPECT_THAT(Fields(result.status()), ElementsAre("etag"));
}

TEST_F(AccountLogicTest, UpdateRefusesIllegalLifecycleChange) {
  auto created = Create(alice_, "Acme");
  ASSERT_TRUE(created.ok());
  UpdateAccountRequest update;
  update.mutable_account()->set_name(created->name());
  update.mutable_account()->set_lifecycle_stage(v1::LIFECYCLE_STAGE_AT_RISK);
  update.mutable_update_mask()->add_paths("lifecycle_stage");
  update.set_etag(created->etag());
  auto result = logic_.Update(alice_, update, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ReasonOf(result.status()), "ILLEGAL_LIFECYCLE_TRANSITION");
}

TEST_F(AccountLogicTest, DeleteHidesTheAccount) {
  auto created = Create(alice_, "Acme");
  ASSERT_TRUE(created.ok());
  DeleteAccountRequest remove;
  remove.set_name(created->name());
  remove.set_etag(created->etag());
  EXPECT_EQ(logic_.Delete(bob_, remove, {}).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(logic_.Delete(As("i", {Role::kIntegration}), remove, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(logic_.Delete(alice_, remove, {}).ok());
  GetAccountRequest get;
  get.set_name(created->name());
  EXPECT_EQ(logic_.Get(bob_, get).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AccountLogicTest, ListPagesWithoutGapsOrDuplicates) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Create(alice_, "Customer " + std::to_string(i)).ok());
  ListAccountsRequest request;
  request.set_page_size(4);
  std::vector<std::string> names;
  int pages = 0;
  do {
    auto page = logic_.List(bob_, request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& account : page->accounts()) names.push_back(account.display_name());
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(names.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(names[i], "Customer " + std::to_string(i));
}

TEST_F(AccountLogicTest, ListValidatesPagingAndOrder) {
  ListAccountsRequest request;
  request.set_page_size(-5);
  EXPECT_THAT(Fields(logic_.List(bob_, request).status()), ElementsAre("page_size"));
  request.set_page_size(10);
  request.set_order_by("owner");
  EXPECT_THAT(Fields(logic_.List(bob_, request).status()), ElementsAre("order_by"));
  request.set_order_by("display_name sideways");
  EXPECT_THAT(Fields(logic_.List(bob_, request).status()), ElementsAre("order_by"));
  request.set_order_by("");
  request.set_page_token("garbage");
  EXPECT_THAT(Fields(logic_.List(bob_, request).status()), ElementsAre("page_token"));
  request.clear_page_token();
  request.set_page_size(5000);  // capped, not refused
  EXPECT_TRUE(logic_.List(bob_, request).ok());
}

}  // namespace
}  // namespace accord::account

namespace accord::account {
namespace {

TEST(HierarchyTest, MoveUnderOwnDescendantIsACycle) {
  // Ancestry of the new parent, nearest first: branch -> region -> group.
  const std::vector<std::string> branch_ancestry = {"accounts/branch", "accounts/region",
                                                    "accounts/group"};
  EXPECT_TRUE(CheckMove("accounts/other", branch_ancestry).ok());
  for (const char* moving : {"accounts/group", "accounts/region", "accounts/branch"}) {
    auto status = CheckMove(moving, branch_ancestry);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << moving;
    EXPECT_EQ(common::ReasonOf(status), "HIERARCHY_CYCLE") << moving;
  }
  EXPECT_TRUE(CheckMove("accounts/group", {"accounts/top"}).ok());
}

TEST(HierarchyTest, AnAccountCannotBeItsOwnParent) {
  Account account;
  account.set_name("accounts/0190a5d8-7c3e-7abc-8def-0123456789ab");
  account.set_parent(account.name());
  account.set_display_name("Loop");
  account.set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  account.set_lifecycle_stage(v1::LIFECYCLE_STAGE_ACTIVE);
  account.set_tier(v1::ACCOUNT_TIER_KEY);
  account.set_owner("alice");
  common::Violations violations;
  ValidateAccountFields(account, "account.", violations);
  ASSERT_EQ(violations.items().size(), 1u);
  EXPECT_EQ(violations.items()[0].field, "account.parent");
}

}  // namespace
}  // namespace accord::account
