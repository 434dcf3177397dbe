// Consent ledger, contact flags, interactions and follow-ups over gRPC with real PostgreSQL.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>

#include "accord/common/ids.h"
#include "contact_fixture.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using testing::ViolatedFields;

class EngagementTest : public ContactFixture {
 protected:
  grpc::Status Consent(const std::string& contact, v1::ConsentChannel channel,
                       v1::ConsentPurpose purpose, v1::ConsentDecision decision,
                       v1::ConsentRecord* out, const std::string& subject = "root",
                       Role role = Role::kAdmin) {
    v1::RecordConsentRequest request;
    request.set_parent(contact);
    request.mutable_consent()->set_channel(channel);
    request.mutable_consent()->set_purpose(purpose);
    request.mutable_consent()->set_decision(decision);
    request.mutable_consent()->set_source("web form");
    return engagement_->RecordConsent(As(subject, role).get(), request, out);
  }

  v1::ConsentState State(const std::string& contact) {
    v1::GetConsentStateRequest request;
    request.set_contact(contact);
    v1::ConsentState state;
    auto status = engagement_->GetConsentState(As("root", Role::kAdmin).get(), request, &state);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return state;
  }

  grpc::Status Log(const std::string& contact, v1::InteractionOutcome outcome, v1::Interaction* out,
                   const std::string& subject = "sa-1", Role role = Role::kSalesAssistant,
                   const std::string& request_id = "") {
    v1::CreateInteractionRequest request;
    request.set_parent(contact);
    request.set_request_id(request_id);
    auto* interaction = request.mutable_interaction();
    interaction->set_channel(v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
    interaction->set_duration_seconds(95);
    interaction->set_subject("Spring offer");
    interaction->set_summary("Augusta asked about the analytical engine lease");
    interaction->set_outcome(outcome);
    return engagement_->CreateInteraction(As(subject, role).get(), request, out);
  }
};

TEST_F(EngagementTest, ConsentLedgerKeepsEveryDecisionAndDerivesTheCurrentOne) {
  v1::Contact ada = Create(Ada());
  v1::ConsentRecord granted, withdrawn, service;
  ASSERT_TRUE(Consent(ada.name(), v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING,
                      v1::CONSENT_DECISION_GRANTED, &granted)
                  .ok());
  EXPECT_THAT(granted.name(), ::testing::StartsWith(ada.name() + "/consents/"));
  EXPECT_EQ(granted.recorded_by(), "root");
  EXPECT_TRUE(granted.has_decision_time());
  auto status = Consent(ada.name(), v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING,
                        v1::CONSENT_DECISION_WITHDRAWN, &withdrawn, "agent-1", Role::kServiceAgent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Consent(ada.name(), v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_SERVICE,
                      v1::CONSENT_DECISION_GRANTED, &service)
                  .ok());

  v1::ListConsentsRequest list;
  list.set_parent(ada.name());
  list.set_page_size(2);
  v1::ListConsentsResponse page;
  ASSERT_TRUE(engagement_->ListConsents(As("sa", Role::kSalesAssistant).get(), list, &page).ok());
  ASSERT_EQ(page.consents_size(), 2);
  EXPECT_EQ(page.consents(0).name(), service.name());  // newest first
  EXPECT_EQ(page.consents(1).name(), withdrawn.name());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(engagement_->ListConsents(As("sa", Role::kSalesAssistant).get(), list, &page).ok());
  ASSERT_EQ(page.consents_size(), 1);
  EXPECT_EQ(page.consents(0).name(), granted.name());
  EXPECT_TRUE(page.next_page_token().empty());

  v1::ConsentState state = State(ada.name());
  ASSERT_EQ(state.current_size(), 2);
  EXPECT_EQ(state.current(0).name(), withdrawn.name());  // phone/marketing: the latest wins
  EXPECT_EQ(state.current(0).decision(), v1::CONSENT_DECISION_WITHDRAWN);
  EXPECT_EQ(state.current(1).name(), service.name());
  EXPECT_FALSE(state.do_not_call());
}

TEST_F(EngagementTest, ConsentIsValidatedAndPermitted) {
  v1::Contact ada = Create(Ada("am-owner"));
  v1::RecordConsentRequest request;
  request.set_parent(ada.name());
  request.mutable_consent()->set_channel(static_cast<v1::ConsentChannel>(42));
  *request.mutable_consent()->mutable_decision_time() =
      TimeUtil::SecondsToTimestamp(TimeUtil::GetCurrentTime().seconds() + 86400);
  v1::ConsentRecord out;
  auto status = engagement_->RecordConsent(As("root", Role::kAdmin).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              UnorderedElementsAre("consent.channel", "consent.purpose", "consent.decision",
                                   "consent.source", "consent.decision_time"));

  const std::string missing = "contacts/" + common::NewUuidV7();
  status = Consent(missing, v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_MARKETING,
                   v1::CONSENT_DECISION_GRANTED, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));

  // The owner may; another account manager, integration and pricing may not.
  EXPECT_TRUE(Consent(ada.name(), v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_MARKETING,
                      v1::CONSENT_DECISION_GRANTED, &out, "am-owner", Role::kAccountManager)
                  .ok());
  for (auto [subject, role] :
       std::vector<std::pair<std::string, Role>>{{"am-other", Role::kAccountManager},
                                                 {"sync", Role::kIntegration},
                                                 {"prices", Role::kPricingManager}}) {
    EXPECT_EQ(Consent(ada.name(), v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_MARKETING,
                      v1::CONSENT_DECISION_GRANTED, &out, subject, role)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << subject;
  }
}

TEST_F(EngagementTest, ConsentLedgerRefusesUpdateAndDeleteInTheDatabase) {
  v1::Contact ada = Create(Ada());
  v1::ConsentRecord granted;
  ASSERT_TRUE(Consent(ada.name(), v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING,
                      v1::CONSENT_DECISION_GRANTED, &granted)
                  .ok());
  pqxx::connection connection(database_.url());
  for (const std::string statement :
       {"UPDATE contact.consent_ledger SET decision = 2", "DELETE FROM contact.consent_ledger",
        "TRUNCATE contact.consent_ledger"}) {
    pqxx::work work(connection);
    EXPECT_THROW(work.exec(statement), pqxx::sql_error) << statement;
  }
  EXPECT_EQ(RowsOf("contact.consent_ledger").size(), 1u);
}

TEST_F(EngagementTest, FlagsChangeWithTheirEtag) {
  v1::Contact ada = Create(Ada());
  v1::ConsentState state = State(ada.name());
  EXPECT_FALSE(state.do_not_email());
  v1::UpdateContactFlagsRequest request;
  request.set_contact(ada.name());
  request.set_do_not_email(true);
  request.set_etag(state.etag());
  v1::ConsentState updated;
  ASSERT_TRUE(
      engagement_->UpdateContactFlags(As("root", Role::kAdmin).get(), request, &updated).ok());
  EXPECT_TRUE(updated.do_not_email());
  EXPECT_FALSE(updated.do_not_call());
  EXPECT_NE(updated.etag(), state.etag());
  EXPECT_TRUE(State(ada.name()).do_not_email());
  // The etag read before is stale now.
  EXPECT_EQ(engagement_->UpdateContactFlags(As("root", Role::kAdmin).get(), request, &updated)
                .error_code(),
            grpc::StatusCode::ABORTED);
  request.clear_do_not_email();
  request.set_etag(updated.etag());
  EXPECT_THAT(ViolatedFields(engagement_->UpdateContactFlags(As("root", Role::kAdmin).get(),
                                                             request, &updated)),
              UnorderedElementsAre("do_not_call"));
}

TEST_F(EngagementTest, DoNotCallRequestedSetsTheFlagAndWithdrawsPhoneConsent) {
  v1::Contact ada = Create(Ada());
  v1::ConsentRecord granted;
  ASSERT_TRUE(Consent(ada.name(), v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING,
                      v1::CONSENT_DECISION_GRANTED, &granted)
                  .ok());
  v1::Interaction logged;
  auto status = Log(ada.name(), v1::INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED, &logged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ConsentState state = State(ada.name());
  EXPECT_TRUE(state.do_not_call());
  EXPECT_FALSE(state.phone_unverified());
  ASSERT_EQ(state.current_size(), 2);
  for (const auto& current : state.current()) {
    EXPECT_EQ(current.channel(), v1::CONSENT_CHANNEL_PHONE);
    EXPECT_EQ(current.decision(), v1::CONSENT_DECISION_WITHDRAWN);
    EXPECT_EQ(current.source(), "interaction:" + logged.name());
    EXPECT_EQ(current.recorded_by(), "sa-1");
  }

  v1::Contact other = Create(Ada());
  ASSERT_TRUE(Log(other.name(), v1::INTERACTION_OUTCOME_WRONG_NUMBER, &logged).ok());
  state = State(other.name());
  EXPECT_TRUE(state.phone_unverified());
  EXPECT_FALSE(state.do_not_call());
}

TEST_F(EngagementTest, AFailedInteractionChangesNothing) {
  v1::Contact ada = Create(Ada());
  v1::Interaction logged;
  // Reusing a request id for another request fails inside the transaction: no flag is set.
  const std::string request_id = common::NewUuidV7();
  ASSERT_TRUE(Log(ada.name(), v1::INTERACTION_OUTCOME_NO_ANSWER, &logged, "sa-1",
                  Role::kSalesAssistant, request_id)
                  .ok());
  EXPECT_FALSE(Log(ada.name(), v1::INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED, &logged, "sa-1",
                   Role::kSalesAssistant, request_id)
                   .ok());
  EXPECT_FALSE(State(ada.name()).do_not_call());
  EXPECT_EQ(RowsOf("contact.interactions").size(), 1u);
  EXPECT_TRUE(RowsOf("contact.consent_ledger").empty());
}

TEST_F(EngagementTest, InteractionsAreSealedListedAndIdempotent) {
  account::v1::Account acme = CreateAccount("am-acme", "Acme");
  v1::Contact ada = Create(Ada());
  v1::Contact bob = Create(Ada());
  const std::string campaign = "campaigns/" + common::NewUuidV7();
  const std::string request_id = common::NewUuidV7();

  v1::CreateInteractionRequest request;
  request.set_parent(ada.name());
  request.set_request_id(request_id);
  auto* interaction = request.mutable_interaction();
  interaction->set_channel(v1::INTERACTION_CHANNEL_MEETING);
  interaction->set_summary("Confidential: budget of 40k approved");
  interaction->set_campaign(campaign);
  interaction->set_account(acme.name());
  interaction->set_outcome(v1::INTERACTION_OUTCOME_INTERESTED);
  v1::Interaction first, again;
  ASSERT_TRUE(
      engagement_->CreateInteraction(As("agent-1", Role::kServiceAgent).get(), request, &first)
          .ok());
  EXPECT_EQ(first.owner(), "agent-1");
  EXPECT_EQ(first.summary(), "Confidential: budget of 40k approved");
  EXPECT_TRUE(first.has_interaction_time());
  ASSERT_TRUE(
      engagement_->CreateInteraction(As("agent-1", Role::kServiceAgent).get(), request, &again)
          .ok());
  EXPECT_EQ(again.name(), first.name());  // a retry creates once
  for (const auto& row : RowsOf("contact.interactions")) {
    EXPECT_THAT(row, ::testing::Not(HasSubstr("budget")));
  }
  v1::Interaction other;
  ASSERT_TRUE(Log(bob.name(), v1::INTERACTION_OUTCOME_NO_ANSWER, &other).ok());

  v1::GetInteractionRequest get;
  get.set_name(first.name());
  v1::Interaction fetched;
  ASSERT_TRUE(
      engagement_->GetInteraction(As("sa", Role::kSalesAssistant).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(
      engagement_->GetInteraction(As("sync", Role::kIntegration).get(), get, &fetched).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  get.set_name(ada.name() + "/interactions/" + common::NewUuidV7());
  auto status = engagement_->GetInteraction(As("root", Role::kAdmin).get(), get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(get.name()));

  const auto list = [&](const std::string& parent, const std::string& filter) {
    v1::ListInteractionsRequest list_request;
    list_request.set_parent(parent);
    list_request.set_filter(filter);
    v1::ListInteractionsResponse page;
    auto list_status =
        engagement_->ListInteractions(As("root", Role::kAdmin).get(), list_request, &page);
    EXPECT_TRUE(list_status.ok()) << list_status.error_message();
    std::vector<std::string> names;
    for (const auto& item : page.interactions()) names.push_back(item.name());
    return names;
  };
  EXPECT_THAT(list("contacts/-", ""), UnorderedElementsAre(first.name(), other.name()));
  EXPECT_THAT(list(ada.name(), ""), UnorderedElementsAre(first.name()));
  EXPECT_THAT(list("contacts/-", "campaign = \"" + campaign + "\""),
              UnorderedElementsAre(first.name()));
  EXPECT_THAT(list("contacts/-", "account = \"" + acme.name() + "\""),
              UnorderedElementsAre(first.name()));
  EXPECT_THAT(list("contacts/-", "owner = \"sa-1\" AND outcome = NO_ANSWER"),
              UnorderedElementsAre(other.name()));
  EXPECT_THAT(list("contacts/-", "interaction_time > 2999-01-01T00:00:00Z"), ::testing::IsEmpty());
}

TEST_F(EngagementTest, InteractionsAreValidated) {
  v1::Contact ada = Create(Ada("am-owner"));
  v1::CreateInteractionRequest request;
  request.set_parent(ada.name());
  request.mutable_interaction()->set_duration_seconds(-1);
  request.mutable_interaction()->set_campaign("campaign-7");
  request.mutable_interaction()->set_outcome(static_cast<v1::InteractionOutcome>(99));
  v1::Interaction out;
  auto status = engagement_->CreateInteraction(As("root", Role::kAdmin).get(), request, &out);
  EXPECT_THAT(ViolatedFields(status),
              UnorderedElementsAre("interaction.channel", "interaction.duration_seconds",
                                   "interaction.campaign", "interaction.outcome"));
  // A field past its size limit is refused by the runtime before the rules run, on its own.
  request.mutable_interaction()->set_subject(std::string(201, 'x'));
  status = engagement_->CreateInteraction(As("root", Role::kAdmin).get(), request, &out);
  EXPECT_THAT(ViolatedFields(status), UnorderedElementsAre("interaction.subject"));
  v1::Interaction logged;
  EXPECT_EQ(
      Log(ada.name(), v1::INTERACTION_OUTCOME_SALE, &logged, "am-other", Role::kAccountManager)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      Log(ada.name(), v1::INTERACTION_OUTCOME_SALE, &logged, "am-owner", Role::kAccountManager)
          .ok());
  EXPECT_EQ(
      Log("contacts/" + common::NewUuidV7(), v1::INTERACTION_OUTCOME_SALE, &logged).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(EngagementTest, FollowUpsAreDueClosedOnceAndLinkedToTheirInteraction) {
  v1::Contact ada = Create(Ada());
  v1::Contact bob = Create(Ada());
  v1::Interaction call, bobs_call;
  ASSERT_TRUE(Log(ada.name(), v1::INTERACTION_OUTCOME_CALL_BACK, &call).ok());
  ASSERT_TRUE(Log(bob.name(), v1::INTERACTION_OUTCOME_CALL_BACK, &bobs_call).ok());
  const int64_t now = TimeUtil::GetCurrentTime().seconds();

  const auto create = [&](const std::string& contact, int64_t due, const std::string& link,
                          v1::FollowUp* out) {
    v1::CreateFollowUpRequest request;
    request.set_parent(contact);
    *request.mutable_follow_up()->mutable_due_time() = TimeUtil::SecondsToTimestamp(due);
    request.mutable_follow_up()->set_subject("Send the lease terms");
    request.mutable_follow_up()->set_interaction(link);
    return engagement_->CreateFollowUp(As("sa-1", Role::kSalesAssistant).get(), request, out);
  };
  v1::FollowUp overdue, later, bad;
  ASSERT_TRUE(create(ada.name(), now - 3600, call.name(), &overdue).ok());
  EXPECT_EQ(overdue.status(), v1::FOLLOW_UP_STATUS_OPEN);
  EXPECT_EQ(overdue.owner(), "sa-1");
  EXPECT_EQ(overdue.interaction(), call.name());
  ASSERT_TRUE(create(ada.name(), now + 86400, "", &later).ok());
  // Another contact's interaction is refused; a missing one is NOT_FOUND naming it.
  EXPECT_THAT(ViolatedFields(create(ada.name(), now, bobs_call.name(), &bad)),
              UnorderedElementsAre("follow_up.interaction"));
  const std::string missing = ada.name() + "/interactions/" + common::NewUuidV7();
  auto status = create(ada.name(), now, missing, &bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));
  EXPECT_THAT(ViolatedFields(create(ada.name(), 0, "", &bad)), ::testing::IsEmpty());

  v1::ListDueFollowUpsRequest due;
  v1::ListDueFollowUpsResponse due_page;
  ASSERT_TRUE(
      engagement_->ListDueFollowUps(As("sa-1", Role::kSalesAssistant).get(), due, &due_page).ok());
  std::vector<std::string> names;
  for (const auto& item : due_page.follow_ups()) names.push_back(item.name());
  EXPECT_THAT(names, ::testing::Contains(overdue.name()));
  EXPECT_THAT(names, ::testing::Not(::testing::Contains(later.name())));
  due.set_owner("sa-1");
  EXPECT_EQ(engagement_->ListDueFollowUps(As("sa-2", Role::kSalesAssistant).get(), due, &due_page)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      engagement_->ListDueFollowUps(As("boss", Role::kServiceSupervisor).get(), due, &due_page)
          .ok());

  v1::UpdateFollowUpRequest update;
  update.mutable_follow_up()->set_name(overdue.name());
  update.mutable_follow_up()->set_status(v1::FOLLOW_UP_STATUS_DONE);
  update.mutable_update_mask()->add_paths("status");
  update.set_etag(overdue.etag());
  v1::FollowUp done;
  ASSERT_TRUE(
      engagement_->UpdateFollowUp(As("sa-1", Role::kSalesAssistant).get(), update, &done).ok());
  EXPECT_EQ(done.status(), v1::FOLLOW_UP_STATUS_DONE);
  // Stale etag: ABORTED. Reopening a done follow-up: FAILED_PRECONDITION.
  EXPECT_EQ(engagement_->UpdateFollowUp(As("sa-1", Role::kSalesAssistant).get(), update, &done)
                .error_code(),
            grpc::StatusCode::ABORTED);
  update.set_etag(done.etag());
  update.mutable_follow_up()->set_status(v1::FOLLOW_UP_STATUS_OPEN);
  EXPECT_EQ(engagement_->UpdateFollowUp(As("sa-1", Role::kSalesAssistant).get(), update, &done)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  update.mutable_update_mask()->add_paths("etag");
  EXPECT_THAT(ViolatedFields(engagement_->UpdateFollowUp(As("sa-1", Role::kSalesAssistant).get(),
                                                         update, &done)),
              UnorderedElementsAre("update_mask"));

  ASSERT_TRUE(
      engagement_->ListDueFollowUps(As("sa-1", Role::kSalesAssistant).get(), due, &due_page).ok());
  for (const auto& item : due_page.follow_ups()) EXPECT_NE(item.name(), overdue.name());

  v1::ListFollowUpsRequest list;
  list.set_parent(ada.name());
  list.set_filter("status = OPEN");
  v1::ListFollowUpsResponse page;
  ASSERT_TRUE(engagement_->ListFollowUps(As("root", Role::kAdmin).get(), list, &page).ok());
  EXPECT_EQ(page.follow_ups_size(), 2);  // `later` and the one due at the epoch
  v1::GetFollowUpRequest get;
  get.set_name(done.name());
  v1::FollowUp fetched;
  ASSERT_TRUE(engagement_->GetFollowUp(As("root", Role::kAdmin).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.status(), v1::FOLLOW_UP_STATUS_DONE);
}

}  // namespace
}  // namespace accord::contact
