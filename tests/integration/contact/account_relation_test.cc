// Relations of contacts to accounts, checked against the account service over gRPC.
#include <gmock/gmock.h>

#include "accord/common/ids.h"
#include "contact_fixture.h"

namespace accord::contact {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ReasonOf;
using ::testing::UnorderedElementsAre;
using testing::ViolatedFields;

class AccountRelationTest : public ContactFixture {};

TEST_F(AccountRelationTest, CreateGetListUpdateDelete) {
  account::v1::Account acme = CreateAccount("am-acme", "Acme");
  v1::Contact ada = Create(Ada());
  v1::AccountRelation created;
  auto status = Relate(ada.name(), acme.name(),
                       {v1::ACCOUNT_RELATION_ROLE_BUYER, v1::ACCOUNT_RELATION_ROLE_BILLING},
                       &created, "am-acme", Role::kAccountManager, true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(created.name(), ::testing::StartsWith(ada.name() + "/accountRelations/"));
  EXPECT_EQ(created.account(), acme.name());
  EXPECT_TRUE(created.is_primary());

  // One live relation per contact and account.
  v1::AccountRelation again;
  status = Relate(ada.name(), acme.name(), {}, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  v1::GetAccountRelationRequest get;
  get.set_name(created.name());
  v1::AccountRelation fetched;
  ASSERT_TRUE(
      relations_->GetAccountRelation(As("sa", Role::kSalesAssistant).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());

  v1::ListAccountRelationsRequest list;
  list.set_parent("contacts/-");
  list.set_filter("account = \"" + acme.name() + "\"");
  v1::ListAccountRelationsResponse page;
  ASSERT_TRUE(relations_->ListAccountRelations(As("root", Role::kAdmin).get(), list, &page).ok());
  ASSERT_EQ(page.account_relations_size(), 1);
  list.set_parent(ada.name());
  list.clear_filter();
  ASSERT_TRUE(relations_->ListAccountRelations(As("root", Role::kAdmin).get(), list, &page).ok());
  ASSERT_EQ(page.account_relations_size(), 1);

  v1::UpdateAccountRelationRequest update;
  update.mutable_account_relation()->set_name(created.name());
  auto* end = update.mutable_account_relation()->mutable_end_date();
  end->set_year(2099);
  end->set_month(12);
  end->set_day(31);
  update.mutable_update_mask()->add_paths("end_date");
  update.set_etag(created.etag());
  v1::AccountRelation updated;
  ASSERT_TRUE(
      relations_->UpdateAccountRelation(As("root", Role::kAdmin).get(), update, &updated).ok());
  EXPECT_EQ(updated.end_date().year(), 2099);
  EXPECT_EQ(updated.etag(), "2");
  end->set_month(13);
  update.set_etag(updated.etag());
  status = relations_->UpdateAccountRelation(As("root", Role::kAdmin).get(), update, &updated);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("account_relation.end_date"));

  // An account manager of another account may not touch it.
  v1::DeleteAccountRelationRequest remove;
  remove.set_name(created.name());
  remove.set_etag(updated.etag());
  v1::AccountRelation deleted;
  EXPECT_EQ(
      relations_->DeleteAccountRelation(As("am-x", Role::kAccountManager).get(), remove, &deleted)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      relations_
          ->DeleteAccountRelation(As("am-acme", Role::kAccountManager).get(), remove, &deleted)
          .ok());
  EXPECT_TRUE(deleted.has_delete_time());
  EXPECT_EQ(
      relations_->GetAccountRelation(As("root", Role::kAdmin).get(), get, &fetched).error_code(),
      grpc::StatusCode::NOT_FOUND);

  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  auto types = work.exec("SELECT type FROM contact.outbox WHERE subject = '" + created.name() +
                         "' ORDER BY seq");
  ASSERT_EQ(types.size(), 3u);
  EXPECT_EQ(types[0][0].as<std::string>(), "accord.contact.v1.AccountRelationCreated");
  EXPECT_EQ(types[2][0].as<std::string>(), "accord.contact.v1.AccountRelationDeleted");
}

TEST_F(AccountRelationTest, MissingMergedOrForeignAccountsAreRefused) {
  v1::Contact ada = Create(Ada());
  v1::AccountRelation relation;
  const std::string missing = "accounts/" + common::NewUuidV7();
  auto status = Relate(ada.name(), missing, {v1::ACCOUNT_RELATION_ROLE_BUYER}, &relation);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));

  account::v1::Account survivor = CreateAccount("am-acme", "Acme");
  account::v1::Account duplicate = CreateAccount("am-acme", "Acme (dup)");
  account::v1::MergeAccountsRequest merge;
  merge.set_survivor(survivor.name());
  merge.set_survivor_etag(survivor.etag());
  merge.set_duplicate(duplicate.name());
  merge.set_duplicate_etag(duplicate.etag());
  account::v1::MergeAccountsResponse merged;
  ASSERT_TRUE(accounts_->MergeAccounts(As("root", Role::kAdmin).get(), merge, &merged).ok());
  status = Relate(ada.name(), duplicate.name(), {v1::ACCOUNT_RELATION_ROLE_BUYER}, &relation);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_MERGED");
  EXPECT_THAT(status.error_message(), HasSubstr(duplicate.name()));
  EXPECT_THAT(status.error_message(), HasSubstr(survivor.name()));

  // Not this account manager's account.
  status = Relate(ada.name(), survivor.name(), {}, &relation, "am-x", Role::kAccountManager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = Relate(ada.name(), survivor.name(), {}, &relation, "sa", Role::kSalesAssistant);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A contact that does not exist.
  status = Relate("contacts/" + common::NewUuidV7(), survivor.name(), {}, &relation);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // Bad input is named, and nothing is written.
  v1::CreateAccountRelationRequest bad;
  bad.set_parent("contacts/x");
  bad.mutable_account_relation()->set_account("acme");
  bad.mutable_account_relation()->add_roles(static_cast<v1::AccountRelationRole>(99));
  status = relations_->CreateAccountRelation(As("root", Role::kAdmin).get(), bad, &relation);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("parent", "account_relation.account",
                                                           "account_relation.roles[0]"));
  EXPECT_TRUE(RowsOf("contact.account_relations").empty());
}

TEST_F(AccountRelationTest, KeyContactsComeOrderedByRole) {
  account::v1::Account acme = CreateAccount("am-acme", "Acme");
  auto make = [&](const std::string& family, std::vector<v1::AccountRelationRole> roles,
                  bool primary = false) {
    v1::Contact contact = Ada();
    contact.set_family_name(family);
    contact.clear_emails();
    contact.clear_phones();
    v1::Contact created = Create(contact);
    v1::AccountRelation relation;
    auto status =
        Relate(created.name(), acme.name(), roles, &relation, "root", Role::kAdmin, primary);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  };
  make("User", {v1::ACCOUNT_RELATION_ROLE_END_USER});
  make("Buyer", {v1::ACCOUNT_RELATION_ROLE_BUYER});
  make("Sponsor",
       {v1::ACCOUNT_RELATION_ROLE_TECHNICAL, v1::ACCOUNT_RELATION_ROLE_EXECUTIVE_SPONSOR});
  make("NoRole", {});
  make("PrimaryBuyer", {v1::ACCOUNT_RELATION_ROLE_BUYER}, true);
  make("Decider", {v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER});

  v1::ListKeyContactsRequest request;
  request.set_account(acme.name());
  v1::ListKeyContactsResponse response;
  ASSERT_TRUE(
      relations_->ListKeyContacts(As("am-acme", Role::kAccountManager).get(), request, &response)
          .ok());
  std::vector<std::string> families;
  for (const auto& key : response.key_contacts()) families.push_back(key.contact().family_name());
  EXPECT_THAT(families, ElementsAre("Sponsor", "Decider", "PrimaryBuyer", "Buyer", "User"));
  EXPECT_EQ(response.key_contacts(0).role(), v1::ACCOUNT_RELATION_ROLE_EXECUTIVE_SPONSOR);

  // A deleted contact is no key contact.
  v1::DeleteContactRequest remove;
  remove.set_name(response.key_contacts(4).contact().name());
  remove.set_etag(response.key_contacts(4).contact().etag());
  v1::Contact deleted;
  ASSERT_TRUE(contacts_->DeleteContact(As("root", Role::kAdmin).get(), remove, &deleted).ok());
  ASSERT_TRUE(
      relations_->ListKeyContacts(As("am-acme", Role::kAccountManager).get(), request, &response)
          .ok());
  EXPECT_EQ(response.key_contacts_size(), 4);

  // Someone else sees the same list, masked.
  ASSERT_TRUE(
      relations_->ListKeyContacts(As("sa", Role::kSalesAssistant).get(), request, &response).ok());
  ASSERT_EQ(response.key_contacts_size(), 4);
  EXPECT_TRUE(response.key_contacts(0).contact().personal_data_masked());
}

TEST_F(AccountRelationTest, AccountServiceDownFailsOnlyCallsThatNeedIt) {
  account::v1::Account acme = CreateAccount("am-acme", "Acme");
  v1::Contact ada = Create(Ada());
  v1::AccountRelation relation;
  ASSERT_TRUE(Relate(ada.name(), acme.name(), {v1::ACCOUNT_RELATION_ROLE_BUYER}, &relation).ok());
  account::v1::Account other = CreateAccount("am-acme", "Other");

  account_.Stop();

  auto status = Relate(ada.name(), other.name(), {v1::ACCOUNT_RELATION_ROLE_BUYER}, &relation);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");

  // Reads go on: admins as ever, others masked (no one can confirm their teams now).
  v1::Contact read;
  ASSERT_TRUE(Get(ada.name(), "root", Role::kAdmin, &read).ok());
  EXPECT_EQ(read.family_name(), "Lovelace");
  ASSERT_TRUE(Get(ada.name(), "am-team", Role::kAccountManager, &read).ok());
  EXPECT_TRUE(read.personal_data_masked());
  v1::ListContactsRequest list;
  v1::ListContactsResponse page;
  ASSERT_TRUE(contacts_->ListContacts(As("sa", Role::kSalesAssistant).get(), list, &page).ok());
  EXPECT_EQ(page.contacts_size(), 1);
  v1::ListKeyContactsRequest keys;
  keys.set_account(acme.name());
  v1::ListKeyContactsResponse key_contacts;
  ASSERT_TRUE(
      relations_->ListKeyContacts(As("root", Role::kAdmin).get(), keys, &key_contacts).ok());
  EXPECT_EQ(key_contacts.key_contacts_size(), 1);
  // Writes that do not need the account service go on too.
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(ada.name());
  update.mutable_contact()->set_job_title("CTO");
  update.set_etag(ada.etag());
  v1::Contact updated;
  EXPECT_TRUE(contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &updated).ok());
}

}  // namespace
}  // namespace accord::contact
