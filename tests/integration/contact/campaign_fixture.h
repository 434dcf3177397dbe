// Campaign tests' helpers over ContactFixture: callable contacts, an active campaign whose calling
// hours hold London's time now, and the calls of the campaign service.
#pragma once

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <string>

#include "absl/time/clock.h"
#include "contact_fixture.h"

namespace accord::contact {

class CampaignFixture : public ContactFixture {
 protected:
  // A callable contact: a phone, London time, phone/marketing consent granted.
  v1::Contact Callable() {
    v1::Contact contact = Create(Ada());
    Consent(contact.name(), v1::CONSENT_DECISION_GRANTED);
    return contact;
  }

  void Consent(const std::string& contact, v1::ConsentDecision decision) {
    v1::RecordConsentRequest request;
    request.set_parent(contact);
    request.mutable_consent()->set_channel(v1::CONSENT_CHANNEL_PHONE);
    request.mutable_consent()->set_purpose(v1::CONSENT_PURPOSE_MARKETING);
    request.mutable_consent()->set_decision(decision);
    request.mutable_consent()->set_source("web form");
    v1::ConsentRecord out;
    auto status = engagement_->RecordConsent(As("root", Role::kAdmin).get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // An active campaign over "vip" contacts whose calling hours hold London's time now (90
  // minutes either side), so a contact 5.5 hours away is always outside them.
  v1::Campaign Active(int lease_seconds = 600) {
    const int64_t now_minute = (absl::ToUnixSeconds(absl::Now()) / 60) % 1440;  // London = UTC
    v1::CreateCampaignRequest request;
    auto* campaign = request.mutable_campaign();
    campaign->set_display_name("Spring leases");
    campaign->set_call_guide("Introduce the spring offer.");
    *campaign->mutable_start_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(0);
    *campaign->mutable_end_time() =
        google::protobuf::util::TimeUtil::SecondsToTimestamp(4000000000LL);
    campaign->mutable_calling_hours()->set_start_minute(
        static_cast<int32_t>(std::max<int64_t>(0, now_minute - 90)));
    campaign->mutable_calling_hours()->set_end_minute(
        static_cast<int32_t>(std::min<int64_t>(1440, now_minute + 90)));
    campaign->add_labels("vip");
    campaign->set_status(v1::CAMPAIGN_STATUS_ACTIVE);
    campaign->set_lease_seconds(lease_seconds);
    v1::Campaign out;
    auto status =
        campaigns_->CreateCampaign(As("am-1", Role::kAccountManager).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  v1::BuildCallListResponse Build(const v1::Campaign& campaign) {
    v1::BuildCallListRequest request;
    request.set_campaign(campaign.name());
    v1::BuildCallListResponse out;
    auto status = campaigns_->BuildCallList(As("am-1", Role::kAccountManager).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  grpc::Status Next(const v1::Campaign& campaign, const std::string& agent,
                    v1::CallAssignment* out) {
    v1::NextCallRequest request;
    request.set_campaign(campaign.name());
    return campaigns_->NextCall(As(agent, Role::kSalesAssistant).get(), request, out);
  }

  grpc::Status Outcome(const v1::Campaign& campaign, const std::string& contact,
                       const std::string& agent, v1::InteractionOutcome outcome,
                       v1::Interaction* out) {
    v1::RecordCallOutcomeRequest request;
    request.set_campaign(campaign.name());
    request.set_contact(contact);
    request.set_outcome(outcome);
    request.set_duration_seconds(40);
    request.set_summary("Talked about the spring offer");
    return campaigns_->RecordCallOutcome(As(agent, Role::kSalesAssistant).get(), request, out);
  }
};

}  // namespace accord::contact
