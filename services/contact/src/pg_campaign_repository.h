// CampaignRepository over PostgreSQL (schema `contact`).
#pragma once

#include <string>
#include <vector>

#include "accord/common/pg.h"
#include "campaign_repository.h"
#include "contact_settings.h"
#include "pii_cipher.h"
#include "write_path.h"

namespace accord::contact {

inline constexpr char kCampaignCreated[] = "accord.contact.v1.CampaignCreated";
inline constexpr char kCampaignUpdated[] = "accord.contact.v1.CampaignUpdated";
inline constexpr char kCallListBuilt[] = "accord.contact.v1.CallListBuilt";
inline constexpr char kCallHandedOut[] = "accord.contact.v1.CallHandedOut";

// The statements whose plans tests/integration/contact/call_list_scale_test.cc checks: one batch
// of BuildCallList ($1 campaign, $2/$3 the last contact's create_time and id, $4 labels as a
// JSON array, $5 batch size, $6 cool-off start in microseconds, $7 zones in hours as a JSON
// array) and NextCall's two reads ($1 campaign), in the order they run.
std::string CallListBatchStatement();
std::vector<std::string> NextCallReads();
// GetCampaign's read and NextCall's statements, prepared on every connection of the pool
// (ContactServiceDefinition): NextCall runs them for every hand-out, so they are planned once.
std::vector<common::PreparedStatement> CampaignStatements();
inline constexpr char kGetCampaign[] = "contact_campaign_get";
inline constexpr char kNextCallExpired[] = "contact_next_call_expired";
inline constexpr char kNextCallWaiting[] = "contact_next_call_waiting";
inline constexpr char kNextCallLease[] = "contact_next_call_lease";

class PgCampaignRepository final : public CampaignRepository {
 public:
  PgCampaignRepository(common::PgPool& pool, const PiiCipher& cipher,
                       common::IdempotentWrite& writes, CallListBuildLimits limits = {});

  absl::StatusOr<Campaign> Create(const Campaign& campaign, const WriteMeta& meta) override;
  absl::StatusOr<Campaign> Get(const std::string& id) override;
  const common::filter::Schema& FilterSchema() const override;
  absl::StatusOr<CampaignPage> List(const CampaignListQuery& query) override;
  absl::StatusOr<CampaignTallies> Tallies(const std::string& id) override;
  absl::StatusOr<Campaign> Update(const std::string& id, const Mutation& mutate,
                                  const WriteMeta& meta) override;
  absl::StatusOr<std::vector<std::string>> CandidateTimeZones(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<v1::BuildCallListResponse> BuildCallList(const std::string& campaign_id,
                                                          const CallListRules& rules,
                                                          const WriteMeta& meta) override;
  absl::StatusOr<std::optional<Lease>> NextCall(const std::string& campaign_id, const Caller& agent,
                                                int lease_seconds, const Decide& decide,
                                                const WriteMeta& meta) override;
  absl::StatusOr<Interaction> RecordOutcome(const std::string& campaign_id,
                                            const std::string& contact_id, const std::string& agent,
                                            const Interaction& interaction,
                                            const InteractionEffects& effects, bool back_on_list,
                                            const WriteMeta& meta) override;

 private:
  common::PgPool& pool_;
  const PiiCipher& cipher_;
  WritePath writes_;
  CallListBuildLimits limits_;
};

}  // namespace accord::contact
