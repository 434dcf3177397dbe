// The contact service follows the account service's and pricing-terms' events over gRPC
// (common::PeerEventFeed): an account merge moves relations to the survivor (folding them into a
// relation the contact already has there), a deletion ends them, and sales naming a contact make
// it a repeat customer; each once, also when Redis lost everything in between (the cursors live
// in PostgreSQL).
#include "../pricing/pricing_fixture.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/contact/v1/engagement.grpc.pb.h"
#include "contact_fields.h"
#include "contact_fixture.h"
#include "support/eventually.h"

namespace accord::contact {
namespace {

using testing::Eventually;
using ::testing::UnorderedElementsAre;

class FollowedEventsTest : public pricing::PricingApiTest {
 protected:
  FollowedEventsTest()
      : PricingApiTest(Redis().url()),
        contact_(ContactServiceDefinition(Settings(account_service_.port(), harness_.port())),
                 database_.url(), Redis().url()),
        contacts_(v1::ContactService::NewStub(contact_.channel())),
        relations_(v1::ContactAccountRelationService::NewStub(contact_.channel())),
        engagement_(v1::ContactEngagementService::NewStub(contact_.channel())) {}

  static testing::ScopedRedisServer& Redis() {
    static testing::ScopedRedisServer* redis = new testing::ScopedRedisServer();
    return *redis;
  }

  static ContactSettings Settings(int account_port, int pricing_port) {
    ContactSettings settings = TestContactSettings("127.0.0.1:" + std::to_string(account_port));
    settings.account.service_token = testing::TokenFor("contact-sync", {Role::kIntegration});
    settings.pricing.service = "pricing-terms";
    settings.pricing.address = "127.0.0.1:" + std::to_string(pricing_port);
    settings.pricing.service_token = settings.account.service_token;
    return settings;
  }

  static auto AsAdmin() { return ContextAs("root", {Role::kAdmin}); }

  void LoseRedis() {
    Redis().Kill();
    Redis().Start();
  }

  v1::Contact NewContact(const std::string& given) {
    v1::CreateContactRequest request;
    request.mutable_contact()->set_given_name(given);
    request.mutable_contact()->set_family_name("Tester");
    v1::Contact created;
    auto status = contacts_->CreateContact(AsAdmin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Contact GetContact(const std::string& name) {
    v1::GetContactRequest request;
    request.set_name(name);
    v1::Contact contact;
    EXPECT_TRUE(contacts_->GetContact(AsAdmin().get(), request, &contact).ok());
    return contact;
  }

  v1::AccountRelation Relate(const std::string& contact, const std::string& account,
                             std::vector<v1::AccountRelationRole> roles, bool primary = false) {
    v1::CreateAccountRelationRequest request;
    request.set_parent(contact);
    request.mutable_account_relation()->set_account(account);
    for (auto role : roles) request.mutable_account_relation()->add_roles(role);
    request.mutable_account_relation()->set_is_primary(primary);
    v1::AccountRelation out;
    auto status = relations_->CreateAccountRelation(AsAdmin().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  grpc::Status GetRelation(const std::string& name, v1::AccountRelation* out) {
    v1::GetAccountRelationRequest request;
    request.set_name(name);
    return relations_->GetAccountRelation(AsAdmin().get(), request, out);
  }

  int Count(const std::string& sql) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction transaction(connection);
    return transaction.exec1(sql)[0].as<int>();
  }

  account::v1::Account ReadAccount(const std::string& name) {
    account::v1::GetAccountRequest get;
    get.set_name(name);
    account::v1::Account account;
    EXPECT_TRUE(accounts_->GetAccount(AsAdmin().get(), get, &account).ok());
    return account;
  }

  grpc::Status Sell(const std::string& contact) {
    pricing::v1::CreateSaleRequest request = DirectSale("DRILL-1", 1);
    request.mutable_sale()->set_contact(contact);
    pricing::v1::Sale sold;
    return quotes_->CreateSale(pricing::AsSales().get(), request, &sold);
  }

  testing::ServiceHarness contact_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
  std::unique_ptr<v1::ContactAccountRelationService::Stub> relations_;
  std::unique_ptr<v1::ContactEngagementService::Stub> engagement_;
};

TEST_F(FollowedEventsTest, AccountMergeMovesRelationsAndDeletionEndsThemOnce) {
  const v1::Contact ada = NewContact("Ada");
  const v1::Contact bob = NewContact("Bob");
  const account::v1::Account survivor = CreateAccount("amy", "Acme Tools (kept)");
  // Ada works with the duplicate only; Bob with both, with different roles.
  const v1::AccountRelation ada_there =
      Relate(ada.name(), account_, {v1::ACCOUNT_RELATION_ROLE_BUYER}, /*primary=*/true);
  const v1::AccountRelation bob_there =
      Relate(bob.name(), account_, {v1::ACCOUNT_RELATION_ROLE_BILLING}, /*primary=*/true);
  const v1::AccountRelation bob_kept =
      Relate(bob.name(), survivor.name(), {v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER});

  LoseRedis();
  auto status = Merge(ReadAccount(survivor.name()), ReadAccount(account_));
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::AccountRelation read;
  ASSERT_TRUE(Eventually([&] {
    return GetRelation(ada_there.name(), &read).ok() && read.account() == survivor.name();
  }));
  EXPECT_EQ(read.roles_size(), 1);
  EXPECT_TRUE(read.is_primary());
  ASSERT_TRUE(Eventually(
      [&] { return GetRelation(bob_there.name(), &read).error_code() == grpc::NOT_FOUND; }));
  ASSERT_TRUE(GetRelation(bob_kept.name(), &read).ok());
  EXPECT_THAT(read.roles(), UnorderedElementsAre(v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER,
                                                 v1::ACCOUNT_RELATION_ROLE_BILLING));
  EXPECT_TRUE(read.is_primary());
  EXPECT_TRUE(IsUnset(read.end_date()));

  // Deleting the survivor ends both relations there, on the day of the deletion.
  LoseRedis();
  account::v1::DeleteAccountRequest remove;
  remove.set_name(survivor.name());
  remove.set_etag(ReadAccount(survivor.name()).etag());
  account::v1::Account deleted;
  status = accounts_->DeleteAccount(AsAdmin().get(), remove, &deleted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Eventually(
      [&] { return GetRelation(ada_there.name(), &read).ok() && !IsUnset(read.end_date()); }));
  const std::string today = DateText(pricing::TodayUtc());
  EXPECT_EQ(DateText(read.end_date()), today);
  ASSERT_TRUE(Eventually(
      [&] { return GetRelation(bob_kept.name(), &read).ok() && !IsUnset(read.end_date()); }));
  EXPECT_EQ(DateText(read.end_date()), today);

  // Each change once: Ada's move, Bob's fold, two endings updated; Bob's duplicate removed.
  EXPECT_EQ(Count("SELECT count(*) FROM contact.outbox WHERE type = "
                  "'accord.contact.v1.AccountRelationUpdated'"),
            4);
  EXPECT_EQ(Count("SELECT count(*) FROM contact.outbox WHERE type = "
                  "'accord.contact.v1.AccountRelationDeleted'"),
            1);
}

TEST_F(FollowedEventsTest, SalesAndConversationsMakeRepeatCustomersOnce) {
  const v1::Contact ada = NewContact("Ada");
  const v1::Contact bob = NewContact("Bob");
  pricing::v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", pricing::Eur(100))});
  ActiveTerms(list.name(), pricing::MakeDate(2026, 1, 1));
  BackdateHistory();

  // A conversation counts; a call nobody answered does not.
  for (auto outcome : {v1::INTERACTION_OUTCOME_INTERESTED, v1::INTERACTION_OUTCOME_NO_ANSWER}) {
    v1::CreateInteractionRequest request;
    request.set_parent(ada.name());
    request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
    request.mutable_interaction()->set_outcome(outcome);
    request.mutable_interaction()->set_subject("Drills");
    v1::Interaction logged;
    auto status = engagement_->CreateInteraction(AsAdmin().get(), request, &logged);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_TRUE(Sell(ada.name()).ok());
  LoseRedis();
  ASSERT_TRUE(Sell(ada.name()).ok());
  ASSERT_TRUE(Sell(bob.name()).ok());
  // A sale naming someone who is not a contact here is skipped, not a blocked feed.
  ASSERT_TRUE(Sell("Jo from purchasing").ok());
  ASSERT_TRUE(Sell(bob.name()).ok());

  ASSERT_TRUE(Eventually([&] { return GetContact(bob.name()).purchase_count() == 2; }));
  const v1::Contact read = GetContact(ada.name());
  EXPECT_EQ(read.purchase_count(), 2);
  EXPECT_EQ(read.conversation_count(), 1);
  EXPECT_TRUE(read.repeat_customer());
  EXPECT_EQ(read.relationship_strength(), 2 * 20 + 4);
  EXPECT_EQ(Count("SELECT count(*) FROM contact.purchases"), 4);

  const v1::Contact carol = NewContact("Carol");
  v1::ListContactsRequest list_request;
  list_request.set_filter("repeat_customer = true AND relationship_strength >= 41");
  v1::ListContactsResponse listed;
  ASSERT_TRUE(contacts_->ListContacts(AsAdmin().get(), list_request, &listed).ok());
  ASSERT_EQ(listed.contacts_size(), 1);
  EXPECT_EQ(listed.contacts(0).name(), ada.name());
  list_request.set_filter("repeat_customer = false");
  ASSERT_TRUE(contacts_->ListContacts(AsAdmin().get(), list_request, &listed).ok());
  ASSERT_EQ(listed.contacts_size(), 1);
  EXPECT_EQ(listed.contacts(0).name(), carol.name());
}

}  // namespace
}  // namespace accord::contact
