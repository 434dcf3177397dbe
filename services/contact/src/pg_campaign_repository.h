// CampaignRepository over PostgreSQL (schema `contact`).
#pragma once

#include "accord/common/pg.h"
#include "campaign_repository.h"
#include "pii_cipher.h"
#include "write_path.h"

namespace accord::contact {

inline constexpr char kCampaignCreated[] = "accord.contact.v1.CampaignCreated";
inline constexpr char kCampaignUpdated[] = "accord.contact.v1.CampaignUpdated";
inline constexpr char kCallListBuilt[] = "accord.contact.v1.CallListBuilt";
inline constexpr char kCallHandedOut[] = "accord.contact.v1.CallHandedOut";

class PgCampaignRepository final : public CampaignRepository {
 public:
  PgCampaignRepository(common::PgPool& pool, const PiiCipher& cipher,
                       common::IdempotentWrite& writes);

  absl::StatusOr<Campaign> Create(const Campaign& campaign, const WriteMeta& meta) override;
  absl::StatusOr<Campaign> Get(const std::string& id) override;
  absl::StatusOr<CampaignPage> List(const CampaignListQuery& query) override;
  absl::StatusOr<CampaignTallies> Tallies(const std::string& id) override;
  absl::StatusOr<Campaign> Update(const std::string& id, const Mutation& mutate,
                                  const WriteMeta& meta) override;
  absl::StatusOr<std::vector<CallCandidate>> Candidates(const std::string& campaign_id,
                                                        const std::vector<std::string>& labels,
                                                        int64_t* on_list) override;
  absl::StatusOr<int64_t> AddToCallList(const std::string& campaign_id,
                                        const std::vector<std::string>& contact_ids,
                                        const WriteMeta& meta) override;
  absl::StatusOr<std::optional<Lease>> NextCall(const std::string& campaign_id,
                                                const std::string& agent, int lease_seconds,
                                                const Decide& decide,
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
};

}  // namespace accord::contact
