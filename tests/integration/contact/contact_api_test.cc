// Contacts end to end over gRPC: create, get, list, update, delete, lookups, upserts by
// external id, bad input, idempotent retries and the events in the outbox.
#include <gmock/gmock.h>

#include "accord/common/ids.h"
#include "contact_fixture.h"

namespace accord::contact {
namespace {

using ::testing::Contains;
using testing::ReasonOf;
using ::testing::UnorderedElementsAre;
using testing::ViolatedFields;

class ContactApiTest : public ContactFixture {};

TEST_F(ContactApiTest, CreateNormalisesAndGetReturnsIt) {
  v1::Contact created = Create(Ada());
  EXPECT_THAT(created.name(), ::testing::StartsWith("contacts/"));
  EXPECT_EQ(created.emails(0).address(), "augusta.lovelace@analytical-engines.example");
  EXPECT_EQ(created.phones(0).number(), "+442071838750");
  EXPECT_EQ(created.owner(), "root");
  EXPECT_EQ(created.status(), v1::CONTACT_STATUS_ACTIVE);
  EXPECT_FALSE(created.personal_data_masked());
  EXPECT_EQ(created.etag(), "1");

  v1::Contact fetched;
  ASSERT_TRUE(Get(created.name(), "root", Role::kAdmin, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());
}

TEST_F(ContactApiTest, CreateRetriedWithItsRequestIdCreatesOnce) {
  const std::string request_id = common::NewUuidV7();
  v1::Contact first = Create(Ada(), "root", Role::kAdmin, request_id);
  v1::Contact again = Create(Ada(), "root", Role::kAdmin, request_id);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(RowsOf("contact.contacts").size(), 1u);

  // The same id for another request is refused, not replayed.
  v1::CreateContactRequest other;
  *other.mutable_contact() = Ada();
  other.mutable_contact()->set_family_name("Byron");
  other.set_request_id(request_id);
  v1::Contact out;
  auto status = contacts_->CreateContact(As("root", Role::kAdmin).get(), other, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RowsOf("contact.contacts").size(), 1u);
}

TEST_F(ContactApiTest, BadInputNamesEveryFieldAndWritesNothing) {
  v1::Contact contact = Ada();
  contact.mutable_emails(0)->set_address("not-an-email");
  contact.mutable_phones(0)->set_number("12");
  contact.set_time_zone("Europe/Atlantis");
  contact.set_preferred_language("english please");
  contact.add_labels("Bad Label");
  v1::CreateContactRequest request;
  *request.mutable_contact() = contact;
  request.set_request_id("not-a-uuid");
  v1::Contact created;
  auto status = contacts_->CreateContact(As("root", Role::kAdmin).get(), request, &created);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      ViolatedFields(status),
      UnorderedElementsAre("request_id", "contact.emails[0].address", "contact.phones[0].number",
                           "contact.time_zone", "contact.preferred_language", "contact.labels[1]"));
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("not-an-email"));
  EXPECT_TRUE(RowsOf("contact.contacts").empty());

  v1::Contact nameless = Ada();
  nameless.clear_given_name();
  nameless.clear_family_name();
  *request.mutable_contact() = nameless;
  request.clear_request_id();
  status = contacts_->CreateContact(As("root", Role::kAdmin).get(), request, &created);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("contact.family_name"));

  v1::GetContactRequest get;
  get.set_name("contacts/42");
  status = contacts_->GetContact(As("root", Role::kAdmin).get(), get, &created);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("name"));
}

TEST_F(ContactApiTest, ListFiltersAndPages) {
  for (int i = 0; i < 3; ++i) {
    v1::Contact contact = Ada();
    contact.set_customer_kind(i == 0 ? v1::CUSTOMER_KIND_LANDLORD : v1::CUSTOMER_KIND_BUYER);
    Create(contact);
  }
  v1::ListContactsRequest request;
  request.set_page_size(2);
  v1::ListContactsResponse page;
  ASSERT_TRUE(contacts_->ListContacts(As("root", Role::kAdmin).get(), request, &page).ok());
  EXPECT_EQ(page.contacts_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  v1::ListContactsResponse rest;
  ASSERT_TRUE(contacts_->ListContacts(As("root", Role::kAdmin).get(), request, &rest).ok());
  EXPECT_EQ(rest.contacts_size(), 1);
  EXPECT_TRUE(rest.next_page_token().empty());

  v1::ListContactsRequest filtered;
  filtered.set_filter("customer_kind = LANDLORD AND labels:vip");
  v1::ListContactsResponse landlords;
  ASSERT_TRUE(contacts_->ListContacts(As("root", Role::kAdmin).get(), filtered, &landlords).ok());
  ASSERT_EQ(landlords.contacts_size(), 1);
  EXPECT_EQ(landlords.contacts(0).customer_kind(), v1::CUSTOMER_KIND_LANDLORD);

  filtered.set_filter("family_name = \"Lovelace\"");
  auto status = contacts_->ListContacts(As("root", Role::kAdmin).get(), filtered, &landlords);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("filter"));
  filtered.set_filter("");
  filtered.set_order_by("given_name");
  status = contacts_->ListContacts(As("root", Role::kAdmin).get(), filtered, &landlords);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("order_by"));
}

TEST_F(ContactApiTest, UpdateNeedsTheCurrentEtagAndRetriesAreIdempotent) {
  v1::Contact created = Create(Ada());
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(created.name());
  update.mutable_contact()->add_phones()->set_number("+1 650 253 0000");
  update.mutable_contact()->set_status(v1::CONTACT_STATUS_LEFT_ORGANIZATION);
  update.mutable_update_mask()->add_paths("phones");
  update.mutable_update_mask()->add_paths("status");
  update.set_etag(created.etag());
  update.set_request_id(common::NewUuidV7());
  v1::Contact updated, retried;
  ASSERT_TRUE(contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &updated).ok());
  EXPECT_EQ(updated.phones(0).number(), "+16502530000");
  EXPECT_EQ(updated.status(), v1::CONTACT_STATUS_LEFT_ORGANIZATION);
  EXPECT_EQ(updated.given_name(), "Augusta");  // untouched by the mask
  EXPECT_EQ(updated.etag(), "2");
  ASSERT_TRUE(contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &retried).ok());
  EXPECT_EQ(retried.SerializeAsString(), updated.SerializeAsString());

  update.set_request_id("");
  auto status = contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &retried);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);

  update.set_etag(updated.etag());
  update.mutable_update_mask()->add_paths("etag");
  status = contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &retried);
  EXPECT_THAT(ViolatedFields(status), Contains("update_mask"));

  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("phones");
  update.mutable_contact()->mutable_phones(0)->set_number("0000");
  status = contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &retried);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("contact.phones[0].number"));
  v1::Contact unchanged;
  ASSERT_TRUE(Get(created.name(), "root", Role::kAdmin, &unchanged).ok());
  EXPECT_EQ(unchanged.etag(), "2");
}

TEST_F(ContactApiTest, DeleteHidesTheContactFromGetAndLookups) {
  v1::Contact created = Create(Ada());
  v1::DeleteContactRequest remove;
  remove.set_name(created.name());
  remove.set_etag("7");
  v1::Contact deleted;
  EXPECT_EQ(contacts_->DeleteContact(As("root", Role::kAdmin).get(), remove, &deleted).error_code(),
            grpc::StatusCode::ABORTED);
  remove.set_etag(created.etag());
  ASSERT_TRUE(contacts_->DeleteContact(As("root", Role::kAdmin).get(), remove, &deleted).ok());
  EXPECT_TRUE(deleted.has_delete_time());
  v1::Contact fetched;
  auto status = Get(created.name(), "root", Role::kAdmin, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr(created.name()));
  v1::LookupContactsRequest lookup;
  lookup.set_email("augusta.lovelace@analytical-engines.example");
  v1::LookupContactsResponse found;
  ASSERT_TRUE(contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &found).ok());
  EXPECT_EQ(found.contacts_size(), 0);
}

TEST_F(ContactApiTest, LookupByEmailOrPhoneInAnyNotation) {
  v1::Contact created = Create(Ada());
  Create([&] {
    v1::Contact other = Ada();
    other.mutable_emails(0)->set_address("someone.else@example.com");
    other.mutable_phones(0)->set_number("+44 20 7946 0123");
    return other;
  }());
  v1::LookupContactsRequest lookup;
  lookup.set_email("AUGUSTA.LOVELACE@analytical-engines.EXAMPLE");
  v1::LookupContactsResponse found;
  ASSERT_TRUE(contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &found).ok());
  ASSERT_EQ(found.contacts_size(), 1);
  EXPECT_EQ(found.contacts(0).name(), created.name());

  lookup.set_phone("+44 (0)20 7183 8750");
  auto status = contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &found);
  // "(0)" is not a valid way to write it for libphonenumber everywhere; the national form is.
  if (!status.ok()) {
    lookup.set_phone("020 7183 8750");
    status = contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &found);
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(found.contacts_size(), 1);
  EXPECT_EQ(found.contacts(0).name(), created.name());

  lookup.set_email("broken@");
  status = contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &found);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("email"));
  lookup.Clear();
  status = contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ContactApiTest, UpsertByExternalIdCreatesThenUpdatesAndIsMaskedForIntegration) {
  v1::UpsertContactByExternalIdRequest upsert;
  upsert.set_system("crm");
  upsert.set_external_id("C-77");
  *upsert.mutable_contact() = Ada("am-owner");
  v1::UpsertContactByExternalIdResponse first, second, third;
  ASSERT_TRUE(
      contacts_->UpsertContactByExternalId(As("sync", Role::kIntegration).get(), upsert, &first)
          .ok());
  EXPECT_TRUE(first.created());
  EXPECT_TRUE(first.contact().personal_data_masked());
  EXPECT_TRUE(first.contact().given_name().empty());
  EXPECT_EQ(first.contact().external_ids().at("crm"), "C-77");

  ASSERT_TRUE(
      contacts_->UpsertContactByExternalId(As("sync", Role::kIntegration).get(), upsert, &second)
          .ok());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(second.contact().name(), first.contact().name());
  EXPECT_EQ(second.contact().etag(), first.contact().etag());  // nothing changed

  upsert.mutable_contact()->set_job_title("CFO");
  ASSERT_TRUE(
      contacts_->UpsertContactByExternalId(As("sync", Role::kIntegration).get(), upsert, &third)
          .ok());
  EXPECT_FALSE(third.created());
  EXPECT_EQ(third.contact().job_title(), "CFO");
  EXPECT_EQ(third.contact().etag(), "2");

  v1::LookupContactByExternalIdRequest lookup;
  lookup.set_system("crm");
  lookup.set_external_id("C-77");
  v1::Contact found;
  ASSERT_TRUE(
      contacts_
          ->LookupContactByExternalId(As("am-owner", Role::kAccountManager).get(), lookup, &found)
          .ok());
  EXPECT_EQ(found.given_name(), "Augusta");  // the owner sees it
  lookup.set_external_id("C-78");
  EXPECT_EQ(contacts_->LookupContactByExternalId(As("root", Role::kAdmin).get(), lookup, &found)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // An external id belongs to one contact.
  v1::Contact taken = Ada();
  (*taken.mutable_external_ids())["crm"] = "C-77";
  v1::CreateContactRequest create;
  *create.mutable_contact() = taken;
  auto status = contacts_->CreateContact(As("root", Role::kAdmin).get(), create, &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ReasonOf(status), "EXTERNAL_ID_TAKEN");

  upsert.set_system("Bad System");
  status =
      contacts_->UpsertContactByExternalId(As("sync", Role::kIntegration).get(), upsert, &third);
  EXPECT_THAT(ViolatedFields(status), Contains("system"));
  upsert.set_system("crm");
  status =
      contacts_->UpsertContactByExternalId(As("am", Role::kAccountManager).get(), upsert, &third);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ContactApiTest, WhoMayWrite) {
  v1::Contact created = Create(Ada("am-owner"));
  v1::CreateContactRequest create;
  *create.mutable_contact() = Ada();
  v1::Contact out;
  for (Role role : {Role::kSalesAssistant, Role::kServiceAgent, Role::kIntegration}) {
    EXPECT_EQ(contacts_->CreateContact(As("x", role).get(), create, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(created.name());
  update.mutable_contact()->set_job_title("CEO");
  update.set_etag(created.etag());
  EXPECT_EQ(contacts_->UpdateContact(As("am-other", Role::kAccountManager).get(), update, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      contacts_->UpdateContact(As("sa", Role::kSalesAssistant).get(), update, &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      contacts_->UpdateContact(As("am-owner", Role::kAccountManager).get(), update, &out).ok());
  EXPECT_EQ(out.job_title(), "CEO");
  // An account manager creating a contact owns it.
  v1::Contact mine = Create(Ada(), "am-new", Role::kAccountManager);
  EXPECT_EQ(mine.owner(), "am-new");
  EXPECT_FALSE(mine.personal_data_masked());
}

TEST_F(ContactApiTest, EveryMutationAppendsOneEventWithoutPersonalData) {
  v1::Contact created = Create(Ada());
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(created.name());
  update.mutable_contact()->set_job_title("CEO");
  update.set_etag(created.etag());
  v1::Contact updated;
  ASSERT_TRUE(contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &updated).ok());
  v1::DeleteContactRequest remove;
  remove.set_name(created.name());
  remove.set_etag(updated.etag());
  ASSERT_TRUE(contacts_->DeleteContact(As("root", Role::kAdmin).get(), remove, &updated).ok());

  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  std::vector<std::string> types;
  for (const auto& row :
       work.exec("SELECT type, subject, envelope FROM contact.outbox ORDER BY seq")) {
    types.push_back(row[0].as<std::string>());
    EXPECT_EQ(row[1].as<std::string>(), created.name());
    const std::string envelope = pqxx::binarystring(row[2]).str();
    EXPECT_EQ(envelope.find("Lovelace"), std::string::npos);
    EXPECT_EQ(envelope.find("analytical-engines"), std::string::npos);
    EXPECT_EQ(envelope.find("+442071838750"), std::string::npos);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"accord.contact.v1.ContactCreated",
                                             "accord.contact.v1.ContactUpdated",
                                             "accord.contact.v1.ContactDeleted"}));
}

}  // namespace
}  // namespace accord::contact
