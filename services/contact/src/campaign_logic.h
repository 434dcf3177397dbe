// The campaigns domain: validation, the status life cycle, who may be called (the call list's
// exclusions, each contact's local calling hours) and permissions. Pure logic over messages and
// repositories.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "access_log.h"
#include "accord/common/auth.h"
#include "accord/common/page_token.h"
#include "campaign_repository.h"
#include "contact_repository.h"

namespace accord::contact {

enum class Exclusion {
  kNone,
  kDoNotCall,
  kLeftOrganization,
  kNoValidPhone,
  kNoConsent,
  kCoolOff,
  kOutsideCallingHours,
};

std::string CampaignName(std::string_view id);
// Fills defaults (status DRAFT, hours 09:00-18:00, cool-off 7 days, lease 600 s).
void ApplyCampaignDefaults(Campaign& campaign);
void ValidateCampaign(const Campaign& campaign, const std::string& prefix,
                      common::Violations& violations);
// DRAFT -> ACTIVE; ACTIVE <-> PAUSED; ACTIVE, PAUSED -> FINISHED. Staying is fine.
absl::Status CheckCampaignTransition(const Campaign& current, v1::CampaignStatus next);
// Minutes after local midnight in `time_zone` (UTC when empty or unknown) at `now_micros`.
int LocalMinuteOfDay(std::string_view time_zone, int64_t now_micros);
// The first reason that keeps the contact off the call list now, in the order: do-not-call,
// left the organisation, no valid phone, no phone/marketing consent, called within the cool-off,
// outside its local calling hours. The rule for one contact: BuildCallList applies it to all at
// once through CallListRulesFor, in the same order (PgCampaignRepository::BuildCallList).
Exclusion ExcludedBy(const CallCandidate& candidate, const Campaign& campaign, int64_t now_micros);
// ExcludedBy for a whole build, as data the repository applies set-based: the campaign's labels,
// the cool-off's start and which of `zones` (the candidates' time zones, "" for none) are inside
// the calling hours at `now_micros`.
CallListRules CallListRulesFor(const Campaign& campaign, const std::vector<std::string>& zones,
                               int64_t now_micros);
// At hand-out: drop a contact that became uncallable since the build (do-not-call, deleted, left,
// phone found wrong, phone/marketing consent withdrawn), defer one outside its local calling
// hours now, else call it.
HandOut HandOutNow(const CallCandidate& candidate, const Campaign& campaign, int64_t now_micros);
// NO_ANSWER and CALL_BACK put the contact back on the list.
bool BackOnList(v1::InteractionOutcome outcome);

// The statistics from the campaign's tallies: totals, per agent, per day, against its targets.
// Revenue counts sales in the revenue target's currency (without one, the currency of most
// attributed sales); the others are counted in sales_in_other_currencies.
absl::StatusOr<v1::CampaignStatistics> StatisticsOf(const Campaign& campaign,
                                                    const CampaignTallies& tallies);

absl::Status CheckCampaignManage(const common::Principal& caller);
absl::Status CheckCampaignWork(const common::Principal& caller);

class CampaignLogic {
 public:
  CampaignLogic(CampaignRepository& repository, ContactRepository& contacts, AccessLog& log,
                const common::PageTokenCodec& page_tokens);

  absl::StatusOr<Campaign> Create(const Caller& caller, const v1::CreateCampaignRequest& request,
                                  WriteMeta meta);
  absl::StatusOr<Campaign> Get(const Caller& caller, const v1::GetCampaignRequest& request);
  absl::StatusOr<v1::ListCampaignsResponse> List(const Caller& caller,
                                                 const v1::ListCampaignsRequest& request);
  absl::StatusOr<v1::CampaignStatistics> Statistics(
      const Caller& caller, const v1::GetCampaignStatisticsRequest& request);
  absl::StatusOr<Campaign> Update(const Caller& caller, const v1::UpdateCampaignRequest& request,
                                  WriteMeta meta);
  absl::StatusOr<v1::BuildCallListResponse> BuildCallList(const Caller& caller,
                                                          const v1::BuildCallListRequest& request,
                                                          WriteMeta meta);
  absl::StatusOr<v1::CallAssignment> NextCall(const Caller& caller,
                                              const v1::NextCallRequest& request, WriteMeta meta);
  absl::StatusOr<Interaction> RecordCallOutcome(const Caller& caller,
                                                const v1::RecordCallOutcomeRequest& request,
                                                WriteMeta meta);

 private:
  CampaignRepository& repository_;
  ContactRepository& contacts_;
  AccessLog& log_;
  const common::PageTokenCodec& page_tokens_;
};

}  // namespace accord::contact
