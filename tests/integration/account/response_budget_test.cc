// Responses stay under the message limit: a page of large rows ends early with a next_page_token
// (every row still returned exactly once across pages), and a BatchGet whose rows would not fit is
// refused with an error naming the limit, instead of gRPC failing the call with RESOURCE_EXHAUSTED.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
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
using testing::ReasonOf;

std::string Repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

std::string Padded(std::string text, size_t size, char pad) {
  text.resize(size, pad);
  return text;
}

// An account with every field near its limit: about 19 KB encoded.
v1::Account LargeAccount(int index) {
  const std::string han = "\xE5\x8F\xB0";  // one character, three bytes
  const std::string tag = std::to_string(1000 + index);
  v1::Account account;
  account.set_display_name("Account " + tag + " " + Repeat(han, 180));
  account.set_legal_name(Repeat(han, 300));
  account.set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  account.set_owner("alice");
  account.set_tax_id(Padded("TAX-" + tag, 64, '0'));
  account.set_industry(Repeat(han, 100));
  account.set_website(Padded("https://example.com/" + tag + "/", 300, 'p'));
  account.set_territory(Repeat(han, 100));
  for (int i = 0; i < 50; ++i)
    account.add_labels(Padded("l" + std::to_string(100 + i) + "-", 63, 'x'));
  for (int i = 0; i < 20; ++i) {
    (*account.mutable_external_ids())[Padded("system-" + std::to_string(100 + i) + "-", 64, 's')] =
        Padded("id-" + tag + "-", 200, '7');
  }
  for (auto* address : {account.mutable_billing_address(), account.mutable_shipping_address()}) {
    for (int i = 0; i < 5; ++i) address->add_address_lines(Repeat(han, 200));
    address->set_locality(Repeat(han, 100));
    address->set_administrative_area(Repeat(han, 100));
    address->set_postal_code(Padded("", 20, '1'));
    address->set_region_code("TW");
  }
  return account;
}

class ResponseBudgetTest : public ::testing::Test {
 protected:
  ResponseBudgetTest()
      : harness_(AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(harness_.channel())) {}

  // 250 accounts of about 19 KB: 4.7 MB, more than the default 4 MiB message limit.
  std::vector<std::string> CreateLargeAccounts(int count) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      v1::CreateAccountRequest request;
      *request.mutable_account() = LargeAccount(i);
      v1::Account created;
      const grpc::Status status =
          accounts_->CreateAccount(ContextAs("root", {Role::kAdmin}).get(), request, &created);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (i == 0) {
        EXPECT_GT(created.ByteSizeLong(), 18000u);
        EXPECT_LT(created.ByteSizeLong(), 20000u);
      }
      names.push_back(created.name());
    }
    return names;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
};

TEST_F(ResponseBudgetTest, ListAccountsPagesLargeAccountsAndReturnsEachOnce) {
  const std::vector<std::string> names = CreateLargeAccounts(250);
  for (const std::string order_by : {"", "create_time desc"}) {
    std::map<std::string, int> seen;
    std::string token;
    int pages = 0;
    do {
      v1::ListAccountsRequest request;
      request.set_page_size(1000);
      request.set_order_by(order_by);
      request.set_page_token(token);
      v1::ListAccountsResponse page;
      const grpc::Status status =
          accounts_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
      ASSERT_TRUE(status.ok()) << order_by << ": " << status.error_message();
      ASSERT_GT(page.accounts_size(), 0);
      EXPECT_LE(page.ByteSizeLong(),
                common::ResponseBudget(common::kDefaultMaxMessageBytes) + 8192);
      for (const auto& account : page.accounts()) ++seen[account.name()];
      token = page.next_page_token();
      ASSERT_LT(++pages, 10);
    } while (!token.empty());
    EXPECT_GE(pages, 2) << order_by;
    EXPECT_EQ(seen.size(), names.size()) << order_by;
    for (const auto& name : names) EXPECT_EQ(seen[name], 1) << order_by << " " << name;
  }

  // BatchGet cannot end early: it refuses, naming the limit and how many names would fit.
  v1::BatchGetAccountsRequest batch;
  for (const auto& name : names) batch.add_names(name);
  v1::BatchGetAccountsResponse response;
  grpc::Status status = accounts_->BatchGetAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(),
                                                    batch, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "RESPONSE_TOO_LARGE");
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("ACCORD_MAX_MESSAGE_BYTES"));
  const std::string fit = common::MetadataOf(common::FromGrpcStatus(status), "items_that_fit");
  ASSERT_FALSE(fit.empty());
  const int fitting = std::stoi(fit);
  EXPECT_GT(fitting, 100);
  EXPECT_LT(fitting, 250);

  batch.mutable_names()->DeleteSubrange(fitting, batch.names_size() - fitting);
  status = accounts_->BatchGetAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), batch,
                                       &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accounts_size(), fitting);
}

// Team and need lists and account trees keep to the budget of the configured message limit.
TEST(ResponseBudgetSettingsTest, TeamAndNeedListsKeepToTheConfiguredMessageLimit) {
  testing::TestDatabase database;
  common::ServiceSettings settings =
      testing::TestSettings(AccountServiceDefinition(), database.url(), testing::SharedRedisUrl());
  settings.max_message_bytes = 128 * 1024;
  testing::ServiceHarness harness(AccountServiceDefinition(), settings);
  auto accounts = v1::AccountService::NewStub(harness.channel());
  auto teams = v1::AccountTeamService::NewStub(harness.channel());
  auto needs = v1::AccountNeedService::NewStub(harness.channel());

  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Acme");
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account account;
  ASSERT_TRUE(
      accounts->CreateAccount(ContextAs("root", {Role::kAdmin}).get(), create, &account).ok());

  // 40 rows of about 6 KB (team) and 12 KB (need): far more than 128 KiB each.
  const std::string han = "\xE5\x8F\xB0";
  for (int i = 0; i < 40; ++i) {
    v1::CreateTeamMemberRequest member;
    member.set_parent(account.name());
    member.mutable_team_member()->set_member("person-" + std::to_string(i));
    member.mutable_team_member()->set_role(v1::TEAM_ROLE_SALES);
    member.mutable_team_member()->set_note(Repeat(han, 2000));
    v1::TeamMember created_member;
    ASSERT_TRUE(
        teams->CreateTeamMember(ContextAs("root", {Role::kAdmin}).get(), member, &created_member)
            .ok());
    v1::CreateNeedRequest need;
    need.set_parent(account.name());
    need.mutable_need()->set_title("Need " + std::to_string(i));
    need.mutable_need()->set_description(Repeat(han, 4000));
    v1::Need created_need;
    ASSERT_TRUE(
        needs->CreateNeed(ContextAs("root", {Role::kAdmin}).get(), need, &created_need).ok());
  }

  std::map<std::string, int> members_seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListTeamMembersRequest request;
    request.set_parent(account.name());
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::ListTeamMembersResponse page;
    const grpc::Status status =
        teams->ListTeamMembers(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& member : page.team_members()) ++members_seen[member.name()];
    token = page.next_page_token();
    ASSERT_LT(++pages, 20);
  } while (!token.empty());
  EXPECT_GE(pages, 2);
  EXPECT_EQ(members_seen.size(), 40u);
  for (const auto& [name, times] : members_seen) EXPECT_EQ(times, 1) << name;

  // A tree cannot be paged: one larger than the budget is refused, naming the limit.
  for (int i = 0; i < 8; ++i) {
    v1::CreateAccountRequest child;
    *child.mutable_account() = LargeAccount(i);
    child.mutable_account()->set_parent(account.name());
    v1::Account created;
    ASSERT_TRUE(
        accounts->CreateAccount(ContextAs("root", {Role::kAdmin}).get(), child, &created).ok());
  }
  v1::GetAccountTreeRequest tree_request;
  tree_request.set_name(account.name());
  v1::AccountTree tree;
  const grpc::Status tree_status = accounts->GetAccountTree(
      ContextAs("bob", {Role::kSalesAssistant}).get(), tree_request, &tree);
  EXPECT_EQ(tree_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(tree_status), "RESPONSE_TOO_LARGE");
  EXPECT_THAT(tree_status.error_message(), ::testing::HasSubstr("max_depth"));

  std::map<std::string, int> needs_seen;
  pages = 0;
  do {
    v1::ListNeedsRequest request;
    request.set_parent("accounts/-");
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::ListNeedsResponse page;
    const grpc::Status status =
        needs->ListNeeds(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& need : page.needs()) ++needs_seen[need.name()];
    token = page.next_page_token();
    ASSERT_LT(++pages, 20);
  } while (!token.empty());
  EXPECT_GE(pages, 4);
  EXPECT_EQ(needs_seen.size(), 40u);
  for (const auto& [name, times] : needs_seen) EXPECT_EQ(times, 1) << name;
}

}  // namespace
}  // namespace accord::account
