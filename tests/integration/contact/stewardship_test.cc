// Duplicates, merges, exports and erasure over gRPC, against the account service and a fresh
// database.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>

#include <map>

#include "accord/common/ids.h"
#include "accord/contact/v1/stewardship.grpc.pb.h"
#include "contact_fixture.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReasonOf;
using ::testing::UnorderedElementsAre;
using testing::ViolatedFields;

class StewardshipTest : public ContactFixture {
 protected:
  StewardshipTest() : stewardship_(v1::ContactStewardshipService::NewStub(contact_.channel())) {}

  v1::Contact Person(const std::string& given, const std::string& family, const std::string& email,
                     const std::string& phone) {
    v1::Contact contact;
    contact.set_given_name(given);
    contact.set_family_name(family);
    if (!email.empty()) contact.add_emails()->set_address(email);
    if (!phone.empty()) contact.add_phones()->set_number(phone);
    contact.set_owner("am-owner");
    return contact;
  }

  void RelateOk(const std::string& contact, const std::string& account,
                v1::AccountRelationRole role) {
    v1::AccountRelation relation;
    auto status = Relate(contact, account, {role}, &relation);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Find(v1::FindDuplicateContactsRequest request,
                    v1::FindDuplicateContactsResponse* out, const std::string& subject = "root",
                    Role role = Role::kAdmin) {
    return stewardship_->FindDuplicateContacts(As(subject, role).get(), request, out);
  }

  grpc::Status Merge(const v1::Contact& survivor, const v1::Contact& duplicate,
                     v1::MergeContactsResponse* out, const std::string& request_id = "",
                     const std::string& subject = "root", Role role = Role::kAdmin) {
    v1::MergeContactsRequest request;
    request.set_survivor(survivor.name());
    request.set_survivor_etag(survivor.etag());
    request.set_duplicate(duplicate.name());
    request.set_duplicate_etag(duplicate.etag());
    request.set_request_id(request_id);
    return stewardship_->MergeContacts(As(subject, role).get(), request, out);
  }

  v1::Interaction LogCall(const std::string& contact, const std::string& summary) {
    v1::CreateInteractionRequest request;
    request.set_parent(contact);
    request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
    request.mutable_interaction()->set_subject("Spring offer");
    request.mutable_interaction()->set_summary(summary);
    request.mutable_interaction()->set_outcome(v1::INTERACTION_OUTCOME_INTERESTED);
    v1::Interaction out;
    auto status = engagement_->CreateInteraction(As("root", Role::kAdmin).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  void ConsentTo(const std::string& contact, v1::ConsentDecision decision, int64_t when) {
    v1::RecordConsentRequest request;
    request.set_parent(contact);
    request.mutable_consent()->set_channel(v1::CONSENT_CHANNEL_PHONE);
    request.mutable_consent()->set_purpose(v1::CONSENT_PURPOSE_MARKETING);
    request.mutable_consent()->set_decision(decision);
    *request.mutable_consent()->mutable_decision_time() = TimeUtil::SecondsToTimestamp(when);
    request.mutable_consent()->set_source("web form");
    v1::ConsentRecord out;
    auto status = engagement_->RecordConsent(As("root", Role::kAdmin).get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::vector<std::string> OutboxTypes(const std::string& subject) {
    std::vector<std::string> types;
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    for (const auto& row : work.exec_params(
             "SELECT type FROM contact.outbox WHERE subject = $1 ORDER BY seq", subject)) {
      types.push_back(row[0].as<std::string>());
    }
    return types;
  }

  // The reason GetContact gives for a contact that is gone (NOT_FOUND), or a note of what it did.
  std::string GoneReason(const std::string& name) {
    v1::Contact read;
    auto status = Get(name, "root", Role::kAdmin, &read);
    if (status.error_code() != grpc::StatusCode::NOT_FOUND) return "not NOT_FOUND";
    return ReasonOf(status);
  }

  std::vector<std::string> Found(const v1::LookupContactsRequest& lookup) {
    v1::LookupContactsResponse looked;
    auto status = contacts_->LookupContacts(As("root", Role::kAdmin).get(), lookup, &looked);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& contact : looked.contacts()) names.push_back(contact.name());
    return names;
  }

  std::unique_ptr<v1::ContactStewardshipService::Stub> stewardship_;
};

TEST_F(StewardshipTest, FindsTheSameEmailOrPhoneAnywhereAndSimilarNamesAtASharedAccount) {
  account::v1::Account acme = CreateAccount("am-owner", "Acme");
  v1::Contact ada = Create(Person("Augusta", "Lovelace", "ada@engines.example", "020 7183 8750"));
  RelateOk(ada.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_BUYER);
  v1::Contact typo = Create(Person("Augusta", "Lovelase", "al@elsewhere.example", ""));
  RelateOk(typo.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER);
  v1::Contact same_phone = Create(Person("Ada", "Byron", "", "+44 20 7183 8750"));
  v1::Contact other_at_acme = Create(Person("Charles", "Babbage", "cb@engines.example", ""));
  RelateOk(other_at_acme.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_TECHNICAL);
  // The same name, but at no shared account and with nothing else in common: not reported.
  Create(Person("Augusta", "Lovelace", "someone@else.example", ""));

  v1::FindDuplicateContactsRequest request;
  request.set_name(ada.name());
  v1::FindDuplicateContactsResponse found;
  auto status = Find(request, &found);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(found.duplicates_size(), 2);
  // The shared phone (0.8) ranks above the similar name (0.5 similarity).
  EXPECT_EQ(found.duplicates(0).contact().name(), same_phone.name());
  EXPECT_NEAR(found.duplicates(0).score(), 0.8, 1e-6);
  ASSERT_EQ(found.duplicates(0).reasons_size(), 1);
  EXPECT_EQ(found.duplicates(0).reasons(0).kind(), v1::DuplicateReason::KIND_SAME_PHONE);
  const auto& named = found.duplicates(1);
  EXPECT_EQ(named.contact().name(), typo.name());
  ASSERT_EQ(named.reasons_size(), 1);
  EXPECT_EQ(named.reasons(0).kind(), v1::DuplicateReason::KIND_SIMILAR_NAME);
  EXPECT_EQ(named.reasons(0).account(), acme.name());

  // The similarity is pg_trgm's, computed here on the hashed trigrams.
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  work.exec0("CREATE EXTENSION IF NOT EXISTS pg_trgm");
  const float expected =
      work.exec1("SELECT similarity('Augusta Lovelace', 'Augusta Lovelase')")[0].as<float>();
  EXPECT_FLOAT_EQ(named.reasons(0).similarity(), expected);
  EXPECT_NEAR(named.score(), expected, 1e-6);
  work.abort();

  // A stricter threshold drops the name; max_results cuts the list.
  request.set_min_name_similarity(0.9f);
  ASSERT_TRUE(Find(request, &found).ok());
  EXPECT_EQ(found.duplicates_size(), 1);
  request.set_min_name_similarity(0);
  request.set_max_results(1);
  ASSERT_TRUE(Find(request, &found).ok());
  EXPECT_EQ(found.duplicates_size(), 1);

  // A draft, before it is created: its email finds Ada anywhere.
  v1::FindDuplicateContactsRequest draft;
  *draft.mutable_draft() = Person("A.", "King", "ADA@engines.example", "");
  ASSERT_TRUE(Find(draft, &found).ok());
  ASSERT_EQ(found.duplicates_size(), 1);
  EXPECT_EQ(found.duplicates(0).contact().name(), ada.name());
  EXPECT_EQ(found.duplicates(0).reasons(0).kind(), v1::DuplicateReason::KIND_SAME_EMAIL);
  EXPECT_EQ(found.duplicates(0).contact().family_name(), "Lovelace");

  // Masked for roles that may not see personal data.
  ASSERT_TRUE(Find(draft, &found, "int-1", Role::kIntegration).ok());
  ASSERT_EQ(found.duplicates_size(), 1);
  EXPECT_TRUE(found.duplicates(0).contact().personal_data_masked());
  EXPECT_EQ(found.duplicates(0).contact().family_name(), "");
}

// Names are compared from the copy of each contact's trigrams on its relations (migration
// 0012): a rename, a relation moved by a merge and a relation added later carry the contact's
// own, or a similar name would be missed.
TEST_F(StewardshipTest, TheRelationsCopyOfANamesTrigramsFollowsRenamesAndMerges) {
  account::v1::Account acme = CreateAccount("am-owner", "Acme");
  account::v1::Account beta = CreateAccount("am-owner", "Beta");
  v1::Contact ada = Create(Person("Augusta", "Lovelace", "ada@engines.example", ""));
  RelateOk(ada.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_BUYER);
  v1::Contact renamed = Create(Person("Zeno", "Quorn", "zq@engines.example", ""));
  RelateOk(renamed.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_TECHNICAL);
  v1::Contact survivor = Create(Person("Augusta", "Lovelase", "al@elsewhere.example", ""));
  RelateOk(survivor.name(), beta.name(), v1::ACCOUNT_RELATION_ROLE_BUYER);
  v1::Contact moved = Create(Person("Charles", "Babbage", "cb@engines.example", ""));
  RelateOk(moved.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_BILLING);
  // Every live relation's copy is its contact's trigrams, and there are some to compare.
  const auto copies_differ = [&] {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    EXPECT_GT(work.exec1("SELECT count(*) FROM contact.account_relations WHERE delete_time IS "
                         "NULL AND cardinality(name_trigrams) > 0")[0]
                  .as<int>(),
              0);
    return work
        .exec1(
            "SELECT count(*) FROM contact.account_relations r JOIN contact.contacts c ON "
            "c.id = r.contact_id WHERE r.delete_time IS NULL AND r.name_trigrams <> "
            "c.name_trigrams")[0]
        .as<int>();
  };
  const auto similar_to_ada = [&] {
    v1::FindDuplicateContactsRequest request;
    request.set_name(ada.name());
    v1::FindDuplicateContactsResponse found;
    const auto status = Find(request, &found);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& duplicate : found.duplicates()) names.push_back(duplicate.contact().name());
    return names;
  };
  EXPECT_EQ(copies_differ(), 0);
  EXPECT_THAT(similar_to_ada(), ::testing::IsEmpty());

  v1::UpdateContactRequest rename;
  ASSERT_TRUE(Get(renamed.name(), "root", Role::kAdmin, &renamed).ok());
  rename.mutable_contact()->set_name(renamed.name());
  rename.mutable_contact()->set_given_name("Augusta");
  rename.mutable_contact()->set_family_name("Lovelac");
  rename.mutable_update_mask()->add_paths("given_name");
  rename.mutable_update_mask()->add_paths("family_name");
  rename.set_etag(renamed.etag());
  auto status = contacts_->UpdateContact(As("root", Role::kAdmin).get(), rename, &renamed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(copies_differ(), 0);
  EXPECT_THAT(similar_to_ada(), ElementsAre(renamed.name()));

  // The merge moves Babbage's relation at Acme to the survivor, whose name is Ada's but for a
  // letter: found at Acme now.
  ASSERT_TRUE(Get(survivor.name(), "root", Role::kAdmin, &survivor).ok());
  ASSERT_TRUE(Get(moved.name(), "root", Role::kAdmin, &moved).ok());
  v1::MergeContactsResponse merged;
  status = Merge(survivor, moved, &merged, common::NewUuidV7());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(merged.moved().relations_moved(), 1);
  EXPECT_EQ(copies_differ(), 0);
  EXPECT_THAT(similar_to_ada(), UnorderedElementsAre(renamed.name(), survivor.name()));
}

TEST_F(StewardshipTest, FindDuplicatesRefusesBadInput) {
  v1::FindDuplicateContactsResponse found;
  v1::FindDuplicateContactsRequest none;
  auto status = Find(none, &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("name"));

  v1::FindDuplicateContactsRequest bad;
  *bad.mutable_draft() = Person("Ada", "", "not-an-email", "");
  bad.add_accounts("accounts/nope");
  bad.set_min_name_similarity(1.5f);
  bad.set_max_results(1000);
  status = Find(bad, &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("draft.emails[0].address", "accounts[0]",
                                                           "min_name_similarity", "max_results"));

  v1::FindDuplicateContactsRequest missing;
  missing.set_name("contacts/" + common::NewUuidV7());
  EXPECT_EQ(Find(missing, &found).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(StewardshipTest, MergeMovesTheHistoryToTheSurvivorAndLeavesATombstone) {
  account::v1::Account acme = CreateAccount("am-owner", "Acme");
  account::v1::Account beta = CreateAccount("am-owner", "Beta");
  v1::Contact survivor = Create(Person("Augusta", "Lovelace", "ada@engines.example", ""));
  RelateOk(survivor.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_BUYER);
  v1::Contact duplicate =
      Create(Person("Augusta", "Lovelase", "al@elsewhere.example", "020 7183 8750"));
  RelateOk(duplicate.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER);
  RelateOk(duplicate.name(), beta.name(), v1::ACCOUNT_RELATION_ROLE_BILLING);
  v1::Interaction call = LogCall(duplicate.name(), "Asked for the lease terms");
  ConsentTo(survivor.name(), v1::CONSENT_DECISION_WITHDRAWN, 1700000000);
  ConsentTo(duplicate.name(), v1::CONSENT_DECISION_GRANTED, 1710000000);  // the later decision
  v1::CreateFollowUpRequest follow_up;
  follow_up.set_parent(duplicate.name());
  *follow_up.mutable_follow_up()->mutable_due_time() = TimeUtil::SecondsToTimestamp(2000000000);
  follow_up.mutable_follow_up()->set_subject("Send the terms");
  follow_up.mutable_follow_up()->set_interaction(call.name());
  v1::FollowUp created_follow_up;
  ASSERT_TRUE(
      engagement_->CreateFollowUp(As("root", Role::kAdmin).get(), follow_up, &created_follow_up)
          .ok());
  v1::CreateAppointmentRequest booking;
  auto* appointment = booking.mutable_appointment();
  *appointment->mutable_start_time() = TimeUtil::SecondsToTimestamp(2000000000);
  *appointment->mutable_end_time() = TimeUtil::SecondsToTimestamp(2000003600);
  appointment->set_place("12 St James's Square");
  appointment->add_contacts(duplicate.name());
  appointment->add_staff("am-owner");
  v1::Appointment booked;
  ASSERT_TRUE(
      appointments_->CreateAppointment(As("root", Role::kAdmin).get(), booking, &booked).ok());
  // Relations changed the contacts' etags? Read them fresh.
  ASSERT_TRUE(Get(survivor.name(), "root", Role::kAdmin, &survivor).ok());
  ASSERT_TRUE(Get(duplicate.name(), "root", Role::kAdmin, &duplicate).ok());

  // Refusals first: nothing half-done.
  v1::MergeContactsResponse merged;
  v1::Contact stale = duplicate;
  stale.set_etag("999");
  EXPECT_EQ(Merge(survivor, stale, &merged).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Merge(survivor, survivor, &merged).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      Merge(survivor, duplicate, &merged, "", "am-stranger", Role::kAccountManager).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Merge(survivor, duplicate, &merged, "", "sa-1", Role::kSalesAssistant).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  const std::string request_id = common::NewUuidV7();
  auto status = Merge(survivor, duplicate, &merged, request_id, "am-owner", Role::kAccountManager);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(merged.moved().relations_combined(), 1);
  EXPECT_EQ(merged.moved().relations_moved(), 1);
  EXPECT_EQ(merged.moved().interactions_moved(), 1);
  EXPECT_EQ(merged.moved().follow_ups_moved(), 1);
  EXPECT_EQ(merged.moved().appointments_changed(), 1);
  EXPECT_EQ(merged.moved().consents_copied(), 1);
  EXPECT_EQ(merged.duplicate().merged_into(), survivor.name());
  EXPECT_TRUE(merged.duplicate().has_delete_time());
  // The survivor keeps its values and gains the duplicate's email and phone.
  EXPECT_EQ(merged.survivor().family_name(), "Lovelace");
  ASSERT_EQ(merged.survivor().emails_size(), 2);
  EXPECT_EQ(merged.survivor().emails(1).address(), "al@elsewhere.example");
  ASSERT_EQ(merged.survivor().phones_size(), 1);

  // A retry with the request id answers the same; without one, the duplicate is gone.
  v1::MergeContactsResponse again;
  ASSERT_TRUE(
      Merge(survivor, duplicate, &again, request_id, "am-owner", Role::kAccountManager).ok());
  EXPECT_EQ(again.survivor().etag(), merged.survivor().etag());
  status = Merge(merged.survivor(), duplicate, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "CONTACT_MERGED");

  // The tombstone: Get says where it went; lookups find only the survivor.
  EXPECT_EQ(GoneReason(duplicate.name()), "CONTACT_MERGED");
  v1::LookupContactsRequest lookup;
  lookup.set_phone("020 7183 8750");
  EXPECT_THAT(Found(lookup), ElementsAre(survivor.name()));

  // Relations: Acme's combined (both roles), Beta's moved under the survivor.
  v1::ListAccountRelationsRequest list_relations;
  list_relations.set_parent(survivor.name());
  v1::ListAccountRelationsResponse relations;
  ASSERT_TRUE(
      relations_->ListAccountRelations(As("root", Role::kAdmin).get(), list_relations, &relations)
          .ok());
  ASSERT_EQ(relations.account_relations_size(), 2);
  for (const auto& relation : relations.account_relations()) {
    EXPECT_THAT(relation.name(), ::testing::StartsWith(survivor.name() + "/"));
    if (relation.account() == acme.name()) {
      EXPECT_THAT(relation.roles(), UnorderedElementsAre(v1::ACCOUNT_RELATION_ROLE_BUYER,
                                                         v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER));
    } else {
      EXPECT_EQ(relation.account(), beta.name());
    }
  }
  // The interaction moved, its sealed summary still opens under its new name.
  v1::ListInteractionsRequest list_interactions;
  list_interactions.set_parent(survivor.name());
  v1::ListInteractionsResponse interactions;
  ASSERT_TRUE(
      engagement_
          ->ListInteractions(As("root", Role::kAdmin).get(), list_interactions, &interactions)
          .ok());
  ASSERT_EQ(interactions.interactions_size(), 1);
  EXPECT_EQ(interactions.interactions(0).summary(), "Asked for the lease terms");
  // Consent: the later decision (the duplicate's grant) now holds for the survivor.
  v1::GetConsentStateRequest state_request;
  state_request.set_contact(survivor.name());
  v1::ConsentState state;
  ASSERT_TRUE(
      engagement_->GetConsentState(As("root", Role::kAdmin).get(), state_request, &state).ok());
  bool granted = false;
  for (const auto& entry : state.current()) {
    if (entry.channel() == v1::CONSENT_CHANNEL_PHONE &&
        entry.purpose() == v1::CONSENT_PURPOSE_MARKETING) {
      granted = entry.decision() == v1::CONSENT_DECISION_GRANTED;
    }
  }
  EXPECT_TRUE(granted);
  v1::GetAppointmentRequest get_appointment;
  get_appointment.set_name(booked.name());
  v1::Appointment moved_appointment;
  ASSERT_TRUE(
      appointments_
          ->GetAppointment(As("root", Role::kAdmin).get(), get_appointment, &moved_appointment)
          .ok());
  EXPECT_THAT(moved_appointment.contacts(), ElementsAre(survivor.name()));

  EXPECT_THAT(OutboxTypes(duplicate.name()),
              ::testing::Contains("accord.contact.v1.ContactsMerged"));
  EXPECT_THAT(OutboxTypes(survivor.name()),
              ::testing::Contains("accord.contact.v1.ContactUpdated"));
}

TEST_F(StewardshipTest, ExportIsAdminsAndLogged) {
  v1::Contact ada = Create(Ada("am-owner"));
  LogCall(ada.name(), "Asked for the lease terms");
  v1::ExportContactDataRequest request;
  request.set_name(ada.name());
  v1::ContactDataExport data;
  for (Role role : {Role::kAccountManager, Role::kSalesAssistant, Role::kIntegration}) {
    auto status = stewardship_->ExportContactData(As("am-owner", role).get(), request, &data);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  auto status = stewardship_->ExportContactData(
      As("dpo", Role::kAdmin, "subject access request 17").get(), request, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(data.contact().family_name(), "Lovelace");
  EXPECT_EQ(data.contact().notes(), "Met at the Difference Engine expo");
  ASSERT_EQ(data.interactions_size(), 1);
  EXPECT_EQ(data.interactions(0).summary(), "Asked for the lease terms");
  EXPECT_TRUE(data.has_export_time());

  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  auto logged = work.exec_params1(
      "SELECT reason, array_to_string(fields, ',') FROM contact.access_log WHERE actor = 'dpo' "
      "AND method = 'ExportContactData'");
  EXPECT_EQ(logged[0].as<std::string>(), "subject access request 17");
  EXPECT_THAT(logged[1].as<std::string>(), HasSubstr("interactions.summary"));

  request.set_name("contacts/" + common::NewUuidV7());
  EXPECT_EQ(
      stewardship_->ExportContactData(As("dpo", Role::kAdmin).get(), request, &data).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(StewardshipTest, ErasureScrubsPersonalDataAndKeepsTheCounts) {
  v1::Contact ada = Create(Ada("am-owner"));
  (void)LogCall(ada.name(), "Augusta asked about the analytical engine lease");
  ConsentTo(ada.name(), v1::CONSENT_DECISION_GRANTED, 1700000000);
  ASSERT_TRUE(Get(ada.name(), "root", Role::kAdmin, &ada).ok());

  v1::EraseContactRequest request;
  request.set_name(ada.name());
  request.set_etag(ada.etag());
  v1::EraseContactResponse erased;
  auto status = stewardship_->EraseContact(As("dpo", Role::kAdmin).get(), request, &erased);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  EXPECT_THAT(ViolatedFields(status), ElementsAre("reason"));
  request.set_reason("erasure request 2024-117");
  EXPECT_EQ(
      stewardship_->EraseContact(As("am-owner", Role::kAccountManager).get(), request, &erased)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  request.set_etag("999");
  EXPECT_EQ(
      stewardship_->EraseContact(As("dpo", Role::kAdmin).get(), request, &erased).error_code(),
      grpc::StatusCode::ABORTED);
  request.set_etag(ada.etag());
  status = stewardship_->EraseContact(As("dpo", Role::kAdmin).get(), request, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.interactions_kept(), 1);
  EXPECT_EQ(erased.consents_kept(), 1);
  EXPECT_EQ(erased.erased_by(), "dpo");
  EXPECT_TRUE(erased.contact().has_erase_time());
  EXPECT_EQ(erased.contact().family_name(), "");
  EXPECT_EQ(erased.contact().emails_size(), 0);
  EXPECT_EQ(erased.contact().customer_kind(), v1::CUSTOMER_KIND_BUYER);  // kept for statistics

  EXPECT_EQ(GoneReason(ada.name()), "CONTACT_ERASED");
  v1::LookupContactsRequest lookup;
  lookup.set_email("augusta.lovelace@analytical-engines.example");
  EXPECT_THAT(Found(lookup), ::testing::IsEmpty());
  EXPECT_EQ(
      stewardship_->EraseContact(As("dpo", Role::kAdmin).get(), request, &erased).error_code(),
      grpc::StatusCode::NOT_FOUND);

  // The rows that stay say nothing about her, even to the service: the sealed value opens to an
  // empty contact, and the interaction keeps no summary.
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  const std::string id = ada.name().substr(ada.name().find('/') + 1);
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM contact.interactions WHERE contact_id = "
                              "$1::uuid AND summary IS NULL",
                              id)[0]
                .as<int>(),
            1);
  EXPECT_EQ(work.exec_params1("SELECT cardinality(name_trigrams) FROM contact.contacts "
                              "WHERE id = $1::uuid",
                              id)[0]
                .as<int>(),
            0);
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM contact.contact_lookup WHERE contact_id = "
                              "$1::uuid",
                              id)[0]
                .as<int>(),
            0);
  for (const auto& row : work.exec_params("SELECT attributes FROM contact.contacts WHERE id = "
                                          "$1::uuid",
                                          id)) {
    v1::Contact attributes;
    ASSERT_TRUE(attributes.ParseFromString(pqxx::binarystring(row[0]).str()));
    EXPECT_EQ(attributes.job_title(), "");
    EXPECT_FALSE(attributes.has_address());
  }
  work.abort();
  EXPECT_THAT(OutboxTypes(ada.name()), ::testing::Contains("accord.contact.v1.ContactErased"));
}

v1::ImportContactRow ImportRow(const std::string& key, const std::string& id,
                               const std::string& family, const std::string& email) {
  v1::ImportContactRow row;
  row.set_key(key);
  row.set_system("crm");
  row.set_external_id(id);
  row.mutable_contact()->set_given_name("Ada");
  row.mutable_contact()->set_family_name(family);
  row.mutable_contact()->add_emails()->set_address(email);
  return row;
}

TEST_F(StewardshipTest, ImportAppliesGoodRowsReportsBadOnesAndIsIdempotent) {
  const std::string import_id = common::NewUuidV7();
  auto run = [&](const std::vector<std::vector<v1::ImportContactRow>>& messages,
                 v1::ImportContactsResponse* response, Role role = Role::kIntegration) {
    auto context = As("sync", role);
    auto writer = stewardship_->ImportContacts(context.get(), response);
    bool first = true;
    for (const auto& rows : messages) {
      v1::ImportContactsRequest message;
      if (first) message.set_import_id(import_id);
      first = false;
      for (const auto& row : rows) *message.add_rows() = row;
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  };
  const std::vector<std::vector<v1::ImportContactRow>> messages = {
      {ImportRow("1", "C-1", "Lovelace", "ada@engines.example"),
       ImportRow("2", "C-2", "Byron", "not-an-email")},
      {ImportRow("3", "C-3", "Babbage", "cb@engines.example")}};
  v1::ImportContactsResponse response;
  auto status = run(messages, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.import_id(), import_id);
  EXPECT_EQ(response.rows(), 3);
  EXPECT_EQ(response.created(), 2);
  EXPECT_EQ(response.failed(), 1);
  ASSERT_EQ(response.results_size(), 3);
  EXPECT_EQ(response.results(1).key(), "2");
  EXPECT_EQ(response.results(1).outcome(), v1::ImportRowResult::OUTCOME_FAILED);
  EXPECT_THAT(response.results(1).fields(), ElementsAre("contact.emails[0].address"));
  // The rows are there, found by their external ids.
  v1::LookupContactByExternalIdRequest lookup;
  lookup.set_system("crm");
  lookup.set_external_id("C-3");
  v1::Contact found;
  ASSERT_TRUE(
      contacts_->LookupContactByExternalId(As("root", Role::kAdmin).get(), lookup, &found).ok());
  EXPECT_EQ(found.name(), response.results(2).contact());

  // Run again, with one row changed: nothing else is written twice.
  auto changed = messages;
  changed[1][0] = ImportRow("3", "C-3", "Babbage", "charles@engines.example");
  v1::ImportContactsResponse again;
  ASSERT_TRUE(run(changed, &again).ok());
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.unchanged(), 1);
  EXPECT_EQ(again.updated(), 1);
  EXPECT_EQ(again.failed(), 1);
  EXPECT_EQ(again.results(0).contact(), response.results(0).contact());

  // Only admin and integration import; an empty stream names no import.
  EXPECT_EQ(run(messages, &again, Role::kAccountManager).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(run({}, &again).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(StewardshipTest, DataQualityReportCountsWhatNeedsCorrecting) {
  account::v1::Account acme = CreateAccount("am-q", "Acme");
  // Clean: email, phone, a role at Acme, consent.
  v1::Contact clean = Create(Person("Ada", "Lovelace", "ada@engines.example", "020 7183 8750"));
  RelateOk(clean.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_BUYER);
  ConsentTo(clean.name(), v1::CONSENT_DECISION_GRANTED, 1700000000);
  // No email; shares the clean one's phone; stale.
  v1::Contact phone_only = Create(Person("Ada", "Byron", "", "+44 20 7183 8750"));
  RelateOk(phone_only.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_TECHNICAL);
  // Left the organisation but still Acme's primary contact.
  v1::Contact left = Person("Charles", "Babbage", "cb@engines.example", "");
  left.set_status(v1::CONTACT_STATUS_LEFT_ORGANIZATION);
  left = Create(left);
  v1::AccountRelation primary;
  ASSERT_TRUE(Relate(left.name(), acme.name(), {v1::ACCOUNT_RELATION_ROLE_BILLING}, &primary,
                     "root", Role::kAdmin, true)
                  .ok());
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec_params0(
        "UPDATE contact.contacts SET update_time = now() - interval '400 days' "
        "WHERE id = $1::uuid",
        phone_only.name().substr(9));
    work.commit();
  }

  v1::GetDataQualityReportRequest request;
  request.set_account(acme.name());
  v1::DataQualityReport report;
  auto status =
      stewardship_->GetDataQualityReport(As("am-q", Role::kAccountManager).get(), request, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(report.contacts(), 3);
  std::map<int, std::vector<std::string>> issues;
  for (const auto& issue : report.issues()) {
    EXPECT_EQ(issue.count(), issue.contacts_size());
    issues[issue.kind()] = {issue.contacts().begin(), issue.contacts().end()};
  }
  using Kind = v1::DataQualityIssue;
  EXPECT_THAT(issues[Kind::KIND_NO_EMAIL], ElementsAre(phone_only.name()));
  EXPECT_THAT(issues[Kind::KIND_NO_PHONE], ElementsAre(left.name()));
  EXPECT_THAT(issues[Kind::KIND_NO_REACHABLE_CHANNEL], ::testing::IsEmpty());
  EXPECT_THAT(issues[Kind::KIND_NO_CONSENT_RECORDED], ElementsAre(phone_only.name(), left.name()));
  EXPECT_THAT(issues[Kind::KIND_LEFT_BUT_PRIMARY], ElementsAre(left.name()));
  EXPECT_THAT(issues[Kind::KIND_STALE], ElementsAre(phone_only.name()));
  EXPECT_THAT(issues[Kind::KIND_SUSPECTED_DUPLICATE], ElementsAre(clean.name(), phone_only.name()));
  EXPECT_THAT(issues[Kind::KIND_NO_ROLE], ::testing::IsEmpty());

  // By owner, every contact of "am-owner" (Person's owner), all three without a role elsewhere.
  v1::GetDataQualityReportRequest by_owner;
  by_owner.set_owner("am-owner");
  ASSERT_TRUE(
      stewardship_
          ->GetDataQualityReport(As("am-owner", Role::kAccountManager).get(), by_owner, &report)
          .ok());
  EXPECT_EQ(report.contacts(), 3);

  // Who may ask, and bad input.
  EXPECT_EQ(
      stewardship_
          ->GetDataQualityReport(As("am-other", Role::kAccountManager).get(), request, &report)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stewardship_->GetDataQualityReport(As("sa-1", Role::kSalesAssistant).get(), by_owner, &report)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::GetDataQualityReportRequest everything;
  EXPECT_EQ(
      stewardship_
          ->GetDataQualityReport(As("am-owner", Role::kAccountManager).get(), everything, &report)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      stewardship_->GetDataQualityReport(As("root", Role::kAdmin).get(), everything, &report).ok());
  EXPECT_EQ(report.contacts(), 3);
  everything.set_stale_after_days(-1);
  auto bad =
      stewardship_->GetDataQualityReport(As("root", Role::kAdmin).get(), everything, &report);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(bad), ElementsAre("stale_after_days"));
}

TEST_F(StewardshipTest, KeyRotationResealsEverythingOnlineAndResumably) {
  v1::Contact ada = Create(Ada("am-owner"));
  v1::Contact babbage = Create(Person("Charles", "Babbage", "cb@engines.example", ""));
  LogCall(ada.name(), "Asked for the lease terms");
  // The service restarted with a new key in front; the old one still opens older rows.
  ContactSettings rotated = TestContactSettings("127.0.0.1:" + std::to_string(account_.port()));
  rotated.keys = *ParsePiiKeys(
      "test-k2:dGVzdC1yb3RhdGlvbi1rZXktMi1vZi0zMi1ieXRlcyE=,test-k1:"
      "dGVzdC1waWkta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0=",
      "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0=");
  testing::ServiceHarness after(ContactServiceDefinition(rotated), database_.url(),
                                testing::SharedRedisUrl());
  auto stub = v1::ContactStewardshipService::NewStub(after.channel());
  v1::RotateContactKeysRequest request;
  request.set_batch_size(1);
  v1::RotateContactKeysResponse response;
  EXPECT_EQ(stub->RotateContactKeys(As("am-owner", Role::kAccountManager).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // One row of each kind per call: resumable, call until nothing remains.
  ASSERT_TRUE(stub->RotateContactKeys(As("root", Role::kAdmin).get(), request, &response).ok());
  EXPECT_EQ(response.active_key_id(), "test-k2");
  EXPECT_EQ(response.contacts_resealed(), 1);
  EXPECT_EQ(response.interactions_resealed(), 1);
  EXPECT_EQ(response.remaining(), 1);
  ASSERT_TRUE(stub->RotateContactKeys(As("root", Role::kAdmin).get(), request, &response).ok());
  EXPECT_EQ(response.remaining(), 0);
  ASSERT_TRUE(stub->RotateContactKeys(As("root", Role::kAdmin).get(), request, &response).ok());
  EXPECT_EQ(response.contacts_resealed(), 0);

  // Every row is under the new key; etags did not move; a service without the old key reads all.
  EXPECT_THAT(RowsOf("contact.contacts"), ::testing::Each(HasSubstr("test-k2")));
  rotated.keys = *ParsePiiKeys("test-k2:dGVzdC1yb3RhdGlvbi1rZXktMi1vZi0zMi1ieXRlcyE=",
                               "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0=");
  testing::ServiceHarness only_new(ContactServiceDefinition(rotated), database_.url(),
                                   testing::SharedRedisUrl());
  auto contacts = v1::ContactService::NewStub(only_new.channel());
  v1::GetContactRequest get;
  get.set_name(ada.name());
  v1::Contact read;
  ASSERT_TRUE(contacts->GetContact(As("root", Role::kAdmin).get(), get, &read).ok());
  EXPECT_EQ(read.family_name(), "Lovelace");
  EXPECT_EQ(read.etag(), ada.etag());
  v1::ExportContactDataRequest export_request;
  export_request.set_name(ada.name());
  v1::ContactDataExport data;
  ASSERT_TRUE(v1::ContactStewardshipService::NewStub(only_new.channel())
                  ->ExportContactData(As("root", Role::kAdmin).get(), export_request, &data)
                  .ok());
  ASSERT_EQ(data.interactions_size(), 1);
  EXPECT_EQ(data.interactions(0).summary(), "Asked for the lease terms");
  // Name search still works: the trigrams were rewritten with the rows (same blind-index key).
  v1::FindDuplicateContactsRequest find;
  *find.mutable_draft() = Person("Charles", "Babbage", "cb@engines.example", "");
  v1::FindDuplicateContactsResponse found;
  ASSERT_TRUE(v1::ContactStewardshipService::NewStub(only_new.channel())
                  ->FindDuplicateContacts(As("root", Role::kAdmin).get(), find, &found)
                  .ok());
  ASSERT_EQ(found.duplicates_size(), 1);
  EXPECT_EQ(found.duplicates(0).contact().name(), babbage.name());
}

TEST_F(StewardshipTest, KeyRotationBuildsNameTrigramsOfContactsStoredBeforeThem) {
  account::v1::Account acme = CreateAccount("am-owner", "Acme");
  v1::Contact ada = Create(Person("Augusta", "Lovelace", "ada@engines.example", ""));
  RelateOk(ada.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_BUYER);
  v1::Contact typo = Create(Person("Augusta", "Lovelase", "al@elsewhere.example", ""));
  RelateOk(typo.name(), acme.name(), v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER);
  // The typo's row as it was before name trigrams existed (migration 0007 marks such rows).
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec_params0(
        "UPDATE contact.contacts SET name_trigrams = '{}', name_trigrams_built = false "
        "WHERE id = $1::uuid",
        typo.name().substr(std::string("contacts/").size()));
    work.commit();
  }
  v1::FindDuplicateContactsRequest request;
  request.set_name(ada.name());
  v1::FindDuplicateContactsResponse found;
  ASSERT_TRUE(Find(request, &found).ok());
  EXPECT_EQ(found.duplicates_size(), 0);

  // Every key is current, yet the rotation has the one unbuilt row to do.
  v1::RotateContactKeysRequest rotate;
  v1::RotateContactKeysResponse rotated;
  ASSERT_TRUE(
      stewardship_->RotateContactKeys(As("root", Role::kAdmin).get(), rotate, &rotated).ok());
  EXPECT_EQ(rotated.contacts_resealed(), 1);
  EXPECT_EQ(rotated.remaining(), 0);
  ASSERT_TRUE(Find(request, &found).ok());
  ASSERT_EQ(found.duplicates_size(), 1);
  EXPECT_EQ(found.duplicates(0).contact().name(), typo.name());
  EXPECT_EQ(found.duplicates(0).reasons(0).kind(), v1::DuplicateReason::KIND_SIMILAR_NAME);
  // Nothing left to build: the next call does nothing.
  ASSERT_TRUE(
      stewardship_->RotateContactKeys(As("root", Role::kAdmin).get(), rotate, &rotated).ok());
  EXPECT_EQ(rotated.contacts_resealed(), 0);
}

}  // namespace
}  // namespace accord::contact
