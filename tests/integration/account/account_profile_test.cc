// The full account resource: profile fields and filters, batch reads, external-id sync,
// hierarchy with cycle prevention, trees and merges, over gRPC against real Postgres.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/ids.h"
#include "accord/common/v1/event.pb.h"
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

class AccountProfileTest : public ::testing::Test {
 protected:
  AccountProfileTest()
      : harness_(AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        stub_(v1::AccountService::NewStub(harness_.channel())) {}

  v1::Account Create(v1::Account account, const std::string& subject = "alice") {
    if (account.type() == 0) account.set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::CreateAccountRequest request;
    *request.mutable_account() = account;
    v1::Account created;
    auto status =
        stub_->CreateAccount(ContextAs(subject, {Role::kAccountManager}).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Account Named(const std::string& display_name, const std::string& parent = "") {
    v1::Account account;
    account.set_display_name(display_name);
    account.set_parent(parent);
    return Create(account);
  }

  grpc::Status SetParent(const v1::Account& account, const std::string& parent, v1::Account* out) {
    v1::UpdateAccountRequest update;
    update.mutable_account()->set_name(account.name());
    update.mutable_account()->set_parent(parent);
    update.mutable_update_mask()->add_paths("parent");
    update.set_etag(account.etag());
    return stub_->UpdateAccount(ContextAs("root", {Role::kAdmin}).get(), update, out);
  }

  v1::Account Fetch(const std::string& name) {
    v1::GetAccountRequest get;
    get.set_name(name);
    v1::Account account;
    EXPECT_TRUE(stub_->GetAccount(ContextAs("root", {Role::kAdmin}).get(), get, &account).ok());
    return account;
  }

  std::vector<std::string> ListNames(const std::string& filter) {
    v1::ListAccountsRequest request;
    request.set_filter(filter);
    request.set_page_size(1000);
    v1::ListAccountsResponse page;
    auto status =
        stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
    EXPECT_TRUE(status.ok()) << filter << ": " << status.error_message();
    std::vector<std::string> names;
    for (const auto& account : page.accounts()) names.push_back(account.display_name());
    return names;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> stub_;
};

TEST_F(AccountProfileTest, ProfileRoundTripsAndFilters) {
  v1::Account rich;
  rich.set_display_name("Formosa Foods");
  rich.set_tax_id("12345678");
  rich.set_tier(v1::ACCOUNT_TIER_STRATEGIC);
  rich.set_industry("food wholesale");
  rich.set_size_band(v1::SIZE_BAND_LARGE);
  rich.mutable_annual_revenue()->set_currency_code("TWD");
  rich.mutable_annual_revenue()->set_units(1500000000);
  rich.set_website("https://formosa.example");
  rich.mutable_billing_address()->add_address_lines("No. 1, Section 5, Xinyi Rd");
  rich.mutable_billing_address()->set_locality("Taipei");
  rich.mutable_billing_address()->set_region_code("TW");
  rich.set_territory("tw-north");
  rich.add_labels("vip");
  rich.add_labels("repeat-customer");
  (*rich.mutable_external_ids())["erp"] = "C-100";
  v1::Account created = Create(rich);
  EXPECT_EQ(created.tier(), v1::ACCOUNT_TIER_STRATEGIC);
  EXPECT_EQ(created.annual_revenue().units(), 1500000000);
  EXPECT_EQ(created.billing_address().locality(), "Taipei");
  EXPECT_THAT(created.labels(), ElementsAre("vip", "repeat-customer"));
  EXPECT_EQ(created.external_ids().at("erp"), "C-100");

  v1::Account plain;
  plain.set_display_name("Plain Trading");
  plain.set_territory("tw-south");
  Create(plain, "bob");

  EXPECT_THAT(ListNames("tier = STRATEGIC"), ElementsAre("Formosa Foods"));
  EXPECT_THAT(ListNames("tier = STANDARD"), ElementsAre("Plain Trading"));
  EXPECT_THAT(ListNames("labels:vip"), ElementsAre("Formosa Foods"));
  EXPECT_THAT(ListNames("territory = \"tw-south\""), ElementsAre("Plain Trading"));
  EXPECT_THAT(ListNames("external_ids.erp = \"C-100\""), ElementsAre("Formosa Foods"));
  EXPECT_THAT(ListNames("owner = bob OR labels:vip"),
              ElementsAre("Formosa Foods", "Plain Trading"));
  EXPECT_THAT(ListNames("NOT labels:vip"), ElementsAre("Plain Trading"));
  EXPECT_THAT(ListNames("formosa"), ElementsAre("Formosa Foods"));
  EXPECT_THAT(ListNames("update_time > \"2000-01-01T00:00:00Z\" AND lifecycle_stage = PROSPECT"),
              ElementsAre("Formosa Foods", "Plain Trading"));
  // Hostile input reaches the database only as a parameter.
  EXPECT_TRUE(ListNames("display_name = \"x'; DROP TABLE account.accounts; --\"").empty());
  EXPECT_EQ(ListNames("").size(), 2u);

  v1::Account bad;
  bad.set_display_name("Bad");
  bad.set_website("ftp://nope");
  bad.add_labels("Not A Label");
  bad.mutable_annual_revenue()->set_currency_code("usd");
  v1::CreateAccountRequest request;
  *request.mutable_account() = bad;
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account ignored;
  auto status =
      stub_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("account.website"));
  EXPECT_THAT(ViolatedFields(status), Contains("account.labels"));
}

TEST_F(AccountProfileTest, PagingSeesNoDuplicatesOrGapsWhileOthersInsert) {
  std::set<std::string> existing;
  for (int i = 0; i < 40; ++i) {
    existing.insert(Named("Existing " + std::to_string(100 + i)).name());
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int n = 0;
    while (!stop.load()) Named("Concurrent " + std::to_string(n++));
  });
  std::vector<std::string> seen;
  v1::ListAccountsRequest request;
  request.set_page_size(7);
  request.set_order_by("create_time");
  do {
    v1::ListAccountsResponse page;
    auto status =
        stub_->ListAccounts(ContextAs("bob", {Role::kSalesAssistant}).get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& account : page.accounts()) seen.push_back(account.name());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  stop = true;
  writer.join();
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "no account twice";
  for (const auto& name : existing) EXPECT_TRUE(unique.count(name)) << name << " was skipped";
}

TEST_F(AccountProfileTest, BatchGetAndExternalIdLookup) {
  v1::Account a = Named("A");
  v1::Account b = Named("B");
  v1::BatchGetAccountsRequest batch;
  batch.add_names(b.name());
  batch.add_names(a.name());
  v1::BatchGetAccountsResponse found;
  ASSERT_TRUE(
      stub_->BatchGetAccounts(ContextAs("bob", {Role::kServiceAgent}).get(), batch, &found).ok());
  ASSERT_EQ(found.accounts_size(), 2);
  EXPECT_EQ(found.accounts(0).name(), b.name());
  EXPECT_EQ(found.accounts(1).name(), a.name());

  batch.add_names("accounts/" + common::NewUuidV7());
  auto status =
      stub_->BatchGetAccounts(ContextAs("bob", {Role::kServiceAgent}).get(), batch, &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  batch.add_names("bogus");
  status = stub_->BatchGetAccounts(ContextAs("bob", {Role::kServiceAgent}).get(), batch, &found);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("names[3]"));

  v1::LookupAccountByExternalIdRequest lookup;
  lookup.set_system("erp");
  lookup.set_external_id("missing");
  v1::Account account;
  status = stub_->LookupAccountByExternalId(ContextAs("bob", {Role::kServiceAgent}).get(), lookup,
                                            &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AccountProfileTest, IntegrationUpsertsByExternalIdButCannotDelete) {
  v1::UpsertAccountByExternalIdRequest upsert;
  upsert.set_system("erp");
  upsert.set_external_id("C-7");
  upsert.mutable_account()->set_display_name("Synced Ltd");
  upsert.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  upsert.mutable_account()->set_owner("alice");
  v1::UpsertAccountByExternalIdResponse first;
  auto status = stub_->UpsertAccountByExternalId(ContextAs("erp-sync", {Role::kIntegration}).get(),
                                                 upsert, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(first.created());
  EXPECT_EQ(first.account().external_ids().at("erp"), "C-7");

  upsert.mutable_account()->set_display_name("Synced Limited");
  v1::UpsertAccountByExternalIdResponse second;
  ASSERT_TRUE(stub_
                  ->UpsertAccountByExternalId(ContextAs("erp-sync", {Role::kIntegration}).get(),
                                              upsert, &second)
                  .ok());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(second.account().name(), first.account().name());
  EXPECT_EQ(second.account().display_name(), "Synced Limited");
  EXPECT_EQ(second.account().owner(), "alice") << "owner is not a sync-owned field";

  // Concurrent upserts of one new external id create exactly one account.
  v1::UpsertAccountByExternalIdRequest racing = upsert;
  racing.set_external_id("C-8");
  std::vector<std::thread> threads;
  std::vector<v1::UpsertAccountByExternalIdResponse> results(6);
  std::vector<grpc::Status> statuses(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = stub_->UpsertAccountByExternalId(
          ContextAs("erp-sync", {Role::kIntegration}).get(), racing, &results[i]);
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> names;
  int created = 0;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    names.insert(results[i].account().name());
    created += results[i].created() ? 1 : 0;
  }
  EXPECT_EQ(names.size(), 1u);
  EXPECT_EQ(created, 1);

  v1::DeleteAccountRequest remove;
  remove.set_name(second.account().name());
  remove.set_etag(second.account().etag());
  v1::Account ignored;
  status =
      stub_->DeleteAccount(ContextAs("erp-sync", {Role::kIntegration}).get(), remove, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = stub_->UpsertAccountByExternalId(ContextAs("alice", {Role::kAccountManager}).get(),
                                            upsert, &second);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::LookupAccountByExternalIdRequest lookup;
  lookup.set_system("erp");
  lookup.set_external_id("C-7");
  v1::Account looked_up;
  ASSERT_TRUE(stub_
                  ->LookupAccountByExternalId(ContextAs("bob", {Role::kServiceAgent}).get(), lookup,
                                              &looked_up)
                  .ok());
  EXPECT_EQ(looked_up.name(), first.account().name());
}

TEST_F(AccountProfileTest, BatchUpsertReportsEachItem) {
  v1::BatchUpsertAccountsByExternalIdRequest batch;
  for (int i = 0; i < 3; ++i) {
    auto* item = batch.add_requests();
    item->set_system("erp");
    item->set_external_id("B-" + std::to_string(i));
    item->mutable_account()->set_display_name("Batch " + std::to_string(i));
    item->mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  }
  batch.mutable_requests(1)->mutable_account()->set_display_name("");  // the bad row
  v1::BatchUpsertAccountsByExternalIdResponse response;
  auto status = stub_->BatchUpsertAccountsByExternalId(
      ContextAs("erp-sync", {Role::kIntegration}).get(), batch, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 3);
  EXPECT_EQ(response.results(0).code(), 0);
  EXPECT_TRUE(response.results(0).response().created());
  EXPECT_EQ(response.results(1).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(response.results(1).violated_fields(),
              ElementsAre("requests[1].account.display_name"));
  EXPECT_EQ(response.results(2).code(), 0);
  EXPECT_EQ(ListNames("display_name:batch").size(), 2u);
}

TEST_F(AccountProfileTest, HierarchyRefusesCyclesAndRollsUp) {
  v1::Account group = Named("Group");
  v1::Account region = Named("Region", group.name());
  v1::Account branch = Named("Branch", region.name());
  EXPECT_EQ(branch.parent(), region.name());

  v1::Account moved;
  auto status = SetParent(Fetch(group.name()), branch.name(), &moved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "HIERARCHY_CYCLE");
  status = SetParent(Fetch(group.name()), group.name(), &moved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetAccountTreeRequest tree_request;
  tree_request.set_name(group.name());
  v1::AccountTree tree;
  ASSERT_TRUE(
      stub_->GetAccountTree(ContextAs("bob", {Role::kServiceSupervisor}).get(), tree_request, &tree)
          .ok());
  EXPECT_EQ(tree.descendant_count(), 2);
  ASSERT_EQ(tree.descendants_size(), 2);
  EXPECT_EQ(tree.descendants(0).account().display_name(), "Region");
  EXPECT_EQ(tree.descendants(0).depth(), 1);
  EXPECT_EQ(tree.descendants(1).depth(), 2);
  EXPECT_EQ(tree.descendants_by_lifecycle_stage().at("LIFECYCLE_STAGE_PROSPECT"), 2);
  EXPECT_EQ(tree.descendants_by_tier().at("ACCOUNT_TIER_STANDARD"), 2);
}

TEST_F(AccountProfileTest, RacingMovesCannotBuildACycle) {
  for (int round = 0; round < 5; ++round) {
    v1::Account a = Named("Left " + std::to_string(round));
    v1::Account b = Named("Right " + std::to_string(round));
    grpc::Status first_status;
    grpc::Status second_status;
    v1::Account out_a;
    v1::Account out_b;
    std::thread one([&] { first_status = SetParent(a, b.name(), &out_a); });
    std::thread two([&] { second_status = SetParent(b, a.name(), &out_b); });
    one.join();
    two.join();
    EXPECT_NE(first_status.ok(), second_status.ok()) << "exactly one move may win";
    const grpc::Status& loser = first_status.ok() ? second_status : first_status;
    EXPECT_EQ(loser.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
}

TEST_F(AccountProfileTest, MergeMovesEverythingAndLeavesATombstone) {
  v1::Account survivor_in = Named("Acme");
  v1::Account duplicate_in;
  duplicate_in.set_display_name("ACME Inc (duplicate)");
  (*duplicate_in.mutable_external_ids())["crm"] = "X-1";
  v1::Account duplicate = Create(duplicate_in);
  v1::Account child = Named("Acme Branch", duplicate.name());

  v1::MergeAccountsRequest merge;
  merge.set_survivor(survivor_in.name());
  merge.set_survivor_etag(survivor_in.etag());
  merge.set_duplicate(duplicate.name());
  merge.set_duplicate_etag("999");
  v1::MergeAccountsResponse merged;
  auto status =
      stub_->MergeAccounts(ContextAs("alice", {Role::kAccountManager}).get(), merge, &merged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  merge.set_duplicate_etag(duplicate.etag());
  status = stub_->MergeAccounts(ContextAs("bob", {Role::kAccountManager}).get(), merge, &merged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = stub_->MergeAccounts(ContextAs("alice", {Role::kAccountManager}).get(), merge, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(merged.survivor().external_ids().at("crm"), "X-1");
  EXPECT_EQ(merged.duplicate().merged_into(), survivor_in.name());
  EXPECT_TRUE(merged.duplicate().has_delete_time());
  EXPECT_EQ(Fetch(child.name()).parent(), survivor_in.name());

  v1::GetAccountRequest get;
  get.set_name(duplicate.name());
  v1::Account gone;
  status = stub_->GetAccount(ContextAs("bob", {Role::kSalesAssistant}).get(), get, &gone);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_MERGED");
  EXPECT_EQ(common::MetadataOf(common::FromGrpcStatus(status), "merged_into"), survivor_in.name());

  // The merge left its event in the outbox, for the other services.
  pqxx::connection connection(database_.url());
  pqxx::read_transaction read(connection);
  auto rows = read.exec_params(
      "SELECT envelope FROM account.outbox WHERE type = 'accord.account.v1.AccountMerged' AND "
      "subject = $1",
      duplicate.name());
  ASSERT_EQ(rows.size(), 1u);
  common::v1::EventEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(pqxx::binarystring(rows[0][0]).str()));
  v1::AccountMerged payload;
  ASSERT_TRUE(envelope.payload().UnpackTo(&payload));
  EXPECT_EQ(payload.survivor(), survivor_in.name());
  EXPECT_EQ(envelope.actor(), "alice");
}

TEST_F(AccountProfileTest, MergeKeepsOneMembershipWhereTeamsOverlap) {
  auto teams = v1::AccountTeamService::NewStub(harness_.channel());
  v1::Account survivor = Named("Keeper");
  v1::Account duplicate = Named("Keeper (dup)");
  for (const auto& account : {survivor, duplicate}) {
    v1::CreateTeamMemberRequest create;
    create.set_parent(account.name());
    create.mutable_team_member()->set_member("carol");
    create.mutable_team_member()->set_role(v1::TEAM_ROLE_SALES);
    v1::TeamMember member;
    auto status = teams->CreateTeamMember(ContextAs("root", {Role::kAdmin}).get(), create, &member);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::MergeAccountsRequest merge;
  merge.set_survivor(survivor.name());
  merge.set_survivor_etag(Fetch(survivor.name()).etag());
  merge.set_duplicate(duplicate.name());
  merge.set_duplicate_etag(Fetch(duplicate.name()).etag());
  v1::MergeAccountsResponse merged;
  auto status = stub_->MergeAccounts(ContextAs("root", {Role::kAdmin}).get(), merge, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ListTeamMembersRequest list;
  list.set_parent(survivor.name());
  v1::ListTeamMembersResponse members;
  ASSERT_TRUE(teams->ListTeamMembers(ContextAs("root", {Role::kAdmin}).get(), list, &members).ok());
  EXPECT_EQ(members.team_members_size(), 1) << "carol holds the sales role once";
}

TEST_F(AccountProfileTest, EveryMutationLeavesOneEventInVersionOrder) {
  v1::Account account = Named("Evented");
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(account.name());
  update.mutable_account()->set_lifecycle_stage(v1::LIFECYCLE_STAGE_ACTIVE);
  update.mutable_update_mask()->add_paths("lifecycle_stage");
  update.set_etag(account.etag());
  v1::Account updated;
  ASSERT_TRUE(
      stub_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated)
          .ok());
  v1::DeleteAccountRequest remove;
  remove.set_name(account.name());
  remove.set_etag(updated.etag());
  v1::Account deleted;
  ASSERT_TRUE(
      stub_->DeleteAccount(ContextAs("alice", {Role::kAccountManager}).get(), remove, &deleted)
          .ok());

  pqxx::connection connection(database_.url());
  pqxx::read_transaction read(connection);
  auto rows = read.exec_params(
      "SELECT type, aggregate_version, envelope FROM account.outbox WHERE subject = $1 ORDER BY "
      "seq",
      account.name());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "accord.account.v1.AccountCreated");
  EXPECT_EQ(rows[1][0].as<std::string>(), "accord.account.v1.AccountUpdated");
  EXPECT_EQ(rows[2][0].as<std::string>(), "accord.account.v1.AccountDeleted");
  EXPECT_LT(rows[0][1].as<int64_t>(), rows[1][1].as<int64_t>());
  EXPECT_LT(rows[1][1].as<int64_t>(), rows[2][1].as<int64_t>());
  common::v1::EventEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(pqxx::binarystring(rows[1][2]).str()));
  EXPECT_THAT(envelope.changed_fields().paths(), ElementsAre("lifecycle_stage"));
}

}  // namespace
}  // namespace accord::account
