// Telemarketing campaigns over gRPC with real PostgreSQL: the call list's exclusions, NextCall
// under concurrent agents, leases and RecordCallOutcome.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>

#include <mutex>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "accord/common/ids.h"
#include "accord/common/money.h"
#include "campaign_fixture.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using testing::ReasonOf;
using ::testing::UnorderedElementsAre;
using testing::ViolatedFields;

using CampaignTest = CampaignFixture;

TEST_F(CampaignTest, TheCallListCountsEveryExclusionByReason) {
  v1::Contact ok = Callable();
  // do-not-call
  v1::Contact dnc = Callable();
  {
    v1::GetConsentStateRequest get;
    get.set_contact(dnc.name());
    v1::ConsentState state;
    ASSERT_TRUE(engagement_->GetConsentState(As("root", Role::kAdmin).get(), get, &state).ok());
    v1::UpdateContactFlagsRequest flags;
    flags.set_contact(dnc.name());
    flags.set_do_not_call(true);
    flags.set_etag(state.etag());
    ASSERT_TRUE(
        engagement_->UpdateContactFlags(As("root", Role::kAdmin).get(), flags, &state).ok());
  }
  // no consent: none recorded, and one withdrawn after a grant
  Create(Ada());
  v1::Contact withdrawn = Callable();
  Consent(withdrawn.name(), v1::CONSENT_DECISION_WITHDRAWN);
  // left the organisation
  v1::Contact left = Ada();
  left.set_status(v1::CONTACT_STATUS_LEFT_ORGANIZATION);
  Consent(Create(left).name(), v1::CONSENT_DECISION_GRANTED);
  // no phone
  v1::Contact phoneless = Ada();
  phoneless.clear_phones();
  Consent(Create(phoneless).name(), v1::CONSENT_DECISION_GRANTED);
  // called yesterday (cool-off 7 days)
  v1::Contact called = Callable();
  {
    v1::CreateInteractionRequest log;
    log.set_parent(called.name());
    log.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
    *log.mutable_interaction()->mutable_interaction_time() =
        TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()) - 86400);
    v1::Interaction out;
    ASSERT_TRUE(engagement_->CreateInteraction(As("root", Role::kAdmin).get(), log, &out).ok());
  }
  // outside its local calling hours now
  v1::Contact far = Ada();
  far.set_time_zone("Asia/Kolkata");
  Consent(Create(far).name(), v1::CONSENT_DECISION_GRANTED);
  // not in the campaign's labels at all
  v1::Contact other = Ada();
  other.clear_labels();
  Consent(Create(other).name(), v1::CONSENT_DECISION_GRANTED);

  v1::Campaign campaign = Active();
  v1::BuildCallListResponse built = Build(campaign);
  EXPECT_EQ(built.added(), 1);
  EXPECT_EQ(built.on_list(), 1);
  EXPECT_EQ(built.excluded_do_not_call(), 1);
  EXPECT_EQ(built.excluded_no_consent(), 2);
  EXPECT_EQ(built.excluded_left_organization(), 1);
  EXPECT_EQ(built.excluded_no_valid_phone(), 1);
  EXPECT_EQ(built.excluded_cool_off(), 1);
  EXPECT_EQ(built.excluded_outside_calling_hours(), 1);
  // Building again adds nobody twice.
  built = Build(campaign);
  EXPECT_EQ(built.added(), 0);
  EXPECT_EQ(built.on_list(), 1);

  v1::CallAssignment assignment;
  ASSERT_TRUE(Next(campaign, "sa-1", &assignment).ok());
  EXPECT_EQ(assignment.contact(), ok.name());
  EXPECT_THAT(assignment.phones(), UnorderedElementsAre("+442071838750"));
  EXPECT_EQ(assignment.call_guide(), "Introduce the spring offer.");
  auto status = Next(campaign, "sa-2", &assignment);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "CALL_LIST_EMPTY");
  // The phone the agent saw is in the access log.
  bool logged = false;
  for (const auto& row : RowsOf("contact.access_log")) {
    if (row.find("sa-1") != std::string::npos && row.find("NextCall") != std::string::npos) {
      logged = true;
    }
  }
  EXPECT_TRUE(logged);
  {
    // Logged by the hand-out's own transaction (one commit): the lease and the row share its id.
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    auto same = work.exec1(
        "SELECT a.xmin::text = l.xmin::text FROM contact.access_log a JOIN contact.call_list l "
        "ON l.contact_id = a.contact_id WHERE a.method = 'NextCall' AND a.actor = 'sa-1'");
    EXPECT_TRUE(same[0].as<bool>());
  }
}

TEST_F(CampaignTest, ConcurrentAgentsNeverGetTheSameContact) {
  constexpr int kContacts = 24;
  for (int i = 0; i < kContacts; ++i) Callable();
  v1::Campaign campaign = Active();
  ASSERT_EQ(Build(campaign).added(), kContacts);

  std::mutex mutex;
  std::vector<std::string> handed;
  std::vector<std::string> errors;
  std::vector<std::thread> agents;
  for (int a = 0; a < 8; ++a) {
    agents.emplace_back([&, a] {
      for (;;) {
        v1::CallAssignment assignment;
        auto status = Next(campaign, "agent-" + std::to_string(a), &assignment);
        std::lock_guard<std::mutex> lock(mutex);
        if (!status.ok()) {
          if (status.error_code() != grpc::StatusCode::NOT_FOUND) {
            errors.push_back(status.error_message());
          }
          return;
        }
        handed.push_back(assignment.contact());
      }
    });
  }
  for (auto& agent : agents) agent.join();
  EXPECT_THAT(errors, ::testing::IsEmpty());
  EXPECT_EQ(handed.size(), static_cast<size_t>(kContacts));
  EXPECT_EQ(std::set<std::string>(handed.begin(), handed.end()).size(), handed.size())
      << "a contact was handed out twice";
}

TEST_F(CampaignTest, OutcomesCloseTheLeaseLogTheCallAndApplyDoNotCall) {
  v1::Contact first = Callable();
  v1::Contact second = Callable();
  v1::Campaign campaign = Active();
  ASSERT_EQ(Build(campaign).added(), 2);

  v1::CallAssignment a, b;
  ASSERT_TRUE(Next(campaign, "sa-1", &a).ok());
  ASSERT_TRUE(Next(campaign, "sa-2", &b).ok());
  EXPECT_NE(a.contact(), b.contact());
  v1::Interaction logged;
  // Only the agent holding the lease records the outcome.
  auto status = Outcome(campaign, a.contact(), "sa-2", v1::INTERACTION_OUTCOME_SALE, &logged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "NOT_YOUR_CALL");
  EXPECT_THAT(ViolatedFields(Outcome(campaign, a.contact(), "sa-1",
                                     v1::INTERACTION_OUTCOME_UNSPECIFIED, &logged)),
              UnorderedElementsAre("outcome"));

  status = Outcome(campaign, a.contact(), "sa-1", v1::INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED,
                   &logged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(logged.campaign(), campaign.name());
  EXPECT_EQ(logged.owner(), "sa-1");
  EXPECT_EQ(logged.channel(), v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
  v1::GetConsentStateRequest get;
  get.set_contact(a.contact());
  v1::ConsentState state;
  ASSERT_TRUE(engagement_->GetConsentState(As("root", Role::kAdmin).get(), get, &state).ok());
  EXPECT_TRUE(state.do_not_call());
  // Closed: a second outcome for the same call is refused.
  EXPECT_EQ(
      Outcome(campaign, a.contact(), "sa-1", v1::INTERACTION_OUTCOME_SALE, &logged).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);

  // No answer puts the contact back on the list, for anyone.
  ASSERT_TRUE(
      Outcome(campaign, b.contact(), "sa-2", v1::INTERACTION_OUTCOME_NO_ANSWER, &logged).ok());
  v1::CallAssignment again;
  ASSERT_TRUE(Next(campaign, "sa-3", &again).ok());
  EXPECT_EQ(again.contact(), b.contact());

  // A lease that ran out returns the contact to the list.
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec(
        "UPDATE contact.call_list SET lease_until = now() - interval '1 second' "
        "WHERE agent = 'sa-3'");
    work.commit();
  }
  v1::CallAssignment expired;
  ASSERT_TRUE(Next(campaign, "sa-4", &expired).ok());
  EXPECT_EQ(expired.contact(), b.contact());
  EXPECT_EQ(
      Outcome(campaign, b.contact(), "sa-3", v1::INTERACTION_OUTCOME_SALE, &logged).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Outcome(campaign, b.contact(), "sa-4", v1::INTERACTION_OUTCOME_SALE, &logged).ok());
}

TEST_F(CampaignTest, NextCallSkipsContactsThatBecameUncallableSinceTheBuild) {
  v1::Contact flagged = Callable();
  v1::Contact withdrawn = Callable();
  v1::Contact moved = Callable();
  v1::Contact fine = Callable();
  v1::Campaign campaign = Active();
  ASSERT_EQ(Build(campaign).added(), 4);
  // One withdraws phone/marketing consent after the build.
  Consent(withdrawn.name(), v1::CONSENT_DECISION_WITHDRAWN);

  // After the build: one asks not to be called, one moves 5.5 hours away.
  v1::GetConsentStateRequest get;
  get.set_contact(flagged.name());
  v1::ConsentState state;
  ASSERT_TRUE(engagement_->GetConsentState(As("root", Role::kAdmin).get(), get, &state).ok());
  v1::UpdateContactFlagsRequest flags;
  flags.set_contact(flagged.name());
  flags.set_do_not_call(true);
  flags.set_etag(state.etag());
  ASSERT_TRUE(engagement_->UpdateContactFlags(As("root", Role::kAdmin).get(), flags, &state).ok());
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(moved.name());
  update.mutable_contact()->set_time_zone("Asia/Kolkata");
  update.mutable_update_mask()->add_paths("time_zone");
  update.set_etag(moved.etag());
  v1::Contact updated;
  ASSERT_TRUE(contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &updated).ok());

  v1::CallAssignment assignment;
  ASSERT_TRUE(Next(campaign, "sa-1", &assignment).ok());
  EXPECT_EQ(assignment.contact(), fine.name());
  EXPECT_EQ(Next(campaign, "sa-2", &assignment).error_code(), grpc::StatusCode::NOT_FOUND);
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  // The do-not-call contact is off the list; the one outside its hours waits, unleased.
  EXPECT_EQ(work.exec_params1("SELECT state FROM contact.call_list WHERE contact_id = $1::uuid",
                              flagged.name().substr(9))[0]
                .as<int>(),
            2);
  EXPECT_EQ(work.exec_params1("SELECT state FROM contact.call_list WHERE contact_id = $1::uuid",
                              withdrawn.name().substr(9))[0]
                .as<int>(),
            2);
  auto waiting = work.exec_params1(
      "SELECT state, agent IS NULL, lease_until > now() FROM contact.call_list WHERE "
      "contact_id = $1::uuid",
      moved.name().substr(9));
  EXPECT_EQ(waiting[0].as<int>(), 0);
  EXPECT_TRUE(waiting[1].as<bool>());
  EXPECT_TRUE(waiting[2].as<bool>());
}

TEST_F(CampaignTest, StatusRulesValidationAndPermissions) {
  v1::Campaign campaign = Active();
  v1::UpdateCampaignRequest update;
  update.mutable_campaign()->set_name(campaign.name());
  update.mutable_campaign()->set_status(v1::CAMPAIGN_STATUS_PAUSED);
  update.mutable_update_mask()->add_paths("status");
  update.set_etag(campaign.etag());
  v1::Campaign paused;
  ASSERT_TRUE(
      campaigns_->UpdateCampaign(As("am-1", Role::kAccountManager).get(), update, &paused).ok());
  EXPECT_EQ(paused.status(), v1::CAMPAIGN_STATUS_PAUSED);
  v1::CallAssignment assignment;
  auto status = Next(campaign, "sa-1", &assignment);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "CAMPAIGN_NOT_ACTIVE");
  // Stale etag; PAUSED -> DRAFT is no transition.
  EXPECT_EQ(campaigns_->UpdateCampaign(As("am-1", Role::kAccountManager).get(), update, &paused)
                .error_code(),
            grpc::StatusCode::ABORTED);
  update.set_etag(paused.etag());
  update.mutable_campaign()->set_status(v1::CAMPAIGN_STATUS_DRAFT);
  EXPECT_EQ(campaigns_->UpdateCampaign(As("am-1", Role::kAccountManager).get(), update, &paused)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(campaigns_->UpdateCampaign(As("sa-1", Role::kSalesAssistant).get(), update, &paused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::CreateCampaignRequest bad;
  bad.mutable_campaign()->mutable_calling_hours()->set_start_minute(1000);
  bad.mutable_campaign()->mutable_calling_hours()->set_end_minute(900);
  bad.mutable_campaign()->add_labels("Not A Label");
  v1::Campaign out;
  EXPECT_THAT(
      ViolatedFields(campaigns_->CreateCampaign(As("root", Role::kAdmin).get(), bad, &out)),
      UnorderedElementsAre("campaign.display_name", "campaign.start_time", "campaign.end_time",
                           "campaign.calling_hours", "campaign.labels[0]"));
  v1::GetCampaignRequest get;
  get.set_name("campaigns/" + common::NewUuidV7());
  status = campaigns_->GetCampaign(As("root", Role::kAdmin).get(), get, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(get.name()));
  EXPECT_EQ(campaigns_->GetCampaign(As("sync", Role::kIntegration).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CampaignTest, StatisticsCountCallsReachConversionAndRevenueAgainstTargets) {
  Callable();
  Callable();
  Callable();
  v1::Campaign campaign = Active();
  ASSERT_EQ(Build(campaign).added(), 3);
  {
    v1::UpdateCampaignRequest update;
    update.mutable_campaign()->set_name(campaign.name());
    update.mutable_campaign()->add_products("LEASE-SPRING");
    auto* targets = update.mutable_campaign()->mutable_targets();
    targets->set_calls(10);
    targets->set_conversations(4);
    targets->set_sales(2);
    *targets->mutable_revenue() = common::MakeMoney("EUR", 1000);
    update.mutable_update_mask()->add_paths("products");
    update.mutable_update_mask()->add_paths("targets");
    update.set_etag(campaign.etag());
    auto status =
        campaigns_->UpdateCampaign(As("am-1", Role::kAccountManager).get(), update, &campaign);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(campaign.products(0), "LEASE-SPRING");
    update.mutable_campaign()->mutable_targets()->set_calls(-1);
    update.set_etag(campaign.etag());
    v1::Campaign refused;
    EXPECT_THAT(ViolatedFields(campaigns_->UpdateCampaign(As("am-1", Role::kAccountManager).get(),
                                                          update, &refused)),
                UnorderedElementsAre("campaign.targets.calls"));
  }
  // sa-1 sells; sa-2 gets no answer once and a conversation once.
  v1::CallAssignment sold, unanswered, talked;
  v1::Interaction logged;
  ASSERT_TRUE(Next(campaign, "sa-1", &sold).ok());
  ASSERT_TRUE(
      Outcome(campaign, sold.contact(), "sa-1", v1::INTERACTION_OUTCOME_SALE, &logged).ok());
  ASSERT_TRUE(Next(campaign, "sa-2", &unanswered).ok());
  ASSERT_TRUE(
      Outcome(campaign, unanswered.contact(), "sa-2", v1::INTERACTION_OUTCOME_NO_ANSWER, &logged)
          .ok());
  ASSERT_TRUE(Next(campaign, "sa-2", &talked).ok());
  ASSERT_TRUE(
      Outcome(campaign, talked.contact(), "sa-2", v1::INTERACTION_OUTCOME_INTERESTED, &logged)
          .ok());
  // Sales of pricing-terms (as its feed stores them): the one after sa-1's SALE call counts, in
  // EUR; one in USD is counted apart; one of a contact with no SALE call does not count.
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    const auto id = [](const std::string& name) { return name.substr(name.find('/') + 1); };
    work.exec_params0(
        "INSERT INTO contact.purchases (sale, contact_id, currency, total_nanos, sale_time) "
        "VALUES ('sales/1', $1::uuid, 'EUR', 250000000000, now()), "
        "('sales/2', $1::uuid, 'USD', 90000000000, now()), "
        "('sales/3', $2::uuid, 'EUR', 999000000000, now())",
        id(sold.contact()), id(talked.contact()));
    work.commit();
  }

  v1::GetCampaignStatisticsRequest request;
  request.set_name(campaign.name() + "/statistics");
  v1::CampaignStatistics statistics;
  auto status = campaigns_->GetCampaignStatistics(As("sa-1", Role::kSalesAssistant).get(), request,
                                                  &statistics);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(statistics.name(), campaign.name() + "/statistics");
  EXPECT_EQ(statistics.total().calls(), 3);
  EXPECT_EQ(statistics.total().conversations(), 2);
  EXPECT_EQ(statistics.total().sales(), 1);
  EXPECT_DOUBLE_EQ(statistics.total().reach_rate(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(statistics.total().conversion_rate(), 0.5);
  EXPECT_EQ(statistics.total().revenue().currency_code(), "EUR");
  EXPECT_EQ(statistics.total().revenue().units(), 250);
  EXPECT_EQ(statistics.sales_in_other_currencies(), 1);
  EXPECT_DOUBLE_EQ(statistics.attainment().calls(), 0.3);
  EXPECT_DOUBLE_EQ(statistics.attainment().conversations(), 0.5);
  EXPECT_DOUBLE_EQ(statistics.attainment().sales(), 0.5);
  EXPECT_DOUBLE_EQ(statistics.attainment().revenue(), 0.25);
  ASSERT_EQ(statistics.agents_size(), 2);
  EXPECT_EQ(statistics.agents(0).agent(), "sa-1");
  EXPECT_EQ(statistics.agents(0).figures().sales(), 1);
  EXPECT_EQ(statistics.agents(0).figures().revenue().units(), 250);
  EXPECT_EQ(statistics.agents(1).agent(), "sa-2");
  EXPECT_EQ(statistics.agents(1).figures().calls(), 2);
  EXPECT_EQ(statistics.agents(1).figures().revenue().units(), 0);
  ASSERT_EQ(statistics.days_size(), 1);
  EXPECT_EQ(statistics.days(0).figures().calls(), 3);

  // Failure paths: who may not, a bad name, a missing campaign.
  EXPECT_EQ(
      campaigns_->GetCampaignStatistics(As("sv-1", Role::kServiceAgent).get(), request, &statistics)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  request.set_name(campaign.name());
  EXPECT_EQ(
      campaigns_
          ->GetCampaignStatistics(As("sa-1", Role::kSalesAssistant).get(), request, &statistics)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  request.set_name("campaigns/" + common::NewUuidV7() + "/statistics");
  EXPECT_EQ(
      campaigns_
          ->GetCampaignStatistics(As("sa-1", Role::kSalesAssistant).get(), request, &statistics)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(CampaignTest, ListCampaignsPagesFiltersAndOrders) {
  v1::Campaign first = Active();
  v1::Campaign second = Active();
  v1::Campaign draft;
  {
    v1::CreateCampaignRequest request;
    request.mutable_campaign()->set_display_name("Autumn");
    *request.mutable_campaign()->mutable_start_time() = TimeUtil::SecondsToTimestamp(0);
    *request.mutable_campaign()->mutable_end_time() = TimeUtil::SecondsToTimestamp(4000000000LL);
    ASSERT_TRUE(
        campaigns_->CreateCampaign(As("am-1", Role::kAccountManager).get(), request, &draft).ok());
  }
  v1::ListCampaignsRequest request;
  v1::ListCampaignsResponse page;
  ASSERT_TRUE(
      campaigns_->ListCampaigns(As("sa-1", Role::kSalesAssistant).get(), request, &page).ok());
  ASSERT_EQ(page.campaigns_size(), 3);
  EXPECT_EQ(page.campaigns(0).name(), draft.name());  // newest first
  EXPECT_EQ(page.campaigns(2).name(), first.name());

  request.set_filter("status = ACTIVE");
  request.set_order_by("create_time");
  request.set_page_size(1);
  ASSERT_TRUE(
      campaigns_->ListCampaigns(As("sa-1", Role::kSalesAssistant).get(), request, &page).ok());
  ASSERT_EQ(page.campaigns_size(), 1);
  EXPECT_EQ(page.campaigns(0).name(), first.name());
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  ASSERT_TRUE(
      campaigns_->ListCampaigns(As("sa-1", Role::kSalesAssistant).get(), request, &page).ok());
  ASSERT_EQ(page.campaigns_size(), 1);
  EXPECT_EQ(page.campaigns(0).name(), second.name());
  EXPECT_TRUE(page.next_page_token().empty());

  // A token is bound to its filter; unknown fields and roles are refused.
  request.set_filter("status = DRAFT");
  EXPECT_EQ(campaigns_->ListCampaigns(As("sa-1", Role::kSalesAssistant).get(), request, &page)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_page_token();
  request.set_filter("display_name = x");
  EXPECT_EQ(campaigns_->ListCampaigns(As("sa-1", Role::kSalesAssistant).get(), request, &page)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_filter();
  EXPECT_EQ(
      campaigns_->ListCampaigns(As("sv-1", Role::kServiceAgent).get(), request, &page).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace accord::contact
