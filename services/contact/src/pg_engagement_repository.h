// EngagementRepository over PostgreSQL (schema `contact`).
#pragma once

#include "accord/common/pg.h"
#include "engagement_repository.h"
#include "pii_cipher.h"
#include "write_path.h"

namespace accord::contact {

inline constexpr char kConsentRecorded[] = "accord.contact.v1.ConsentRecorded";
inline constexpr char kContactFlagsUpdated[] = "accord.contact.v1.ContactFlagsUpdated";
inline constexpr char kInteractionLogged[] = "accord.contact.v1.InteractionLogged";
inline constexpr char kFollowUpCreated[] = "accord.contact.v1.FollowUpCreated";
inline constexpr char kFollowUpUpdated[] = "accord.contact.v1.FollowUpUpdated";

// The facts the access rules need of one live contact; NOT_FOUND naming it otherwise.
absl::StatusOr<ContactFacts> ReadContactFacts(common::PgPool& pool, const std::string& contact_id);

// Inserts an interaction (its name chosen by the caller) with its effects on the contact, in
// `transaction`; the contact must be locked live by the caller.
absl::StatusOr<Interaction> InsertInteraction(common::WriteTransaction& transaction,
                                              const PiiCipher& cipher,
                                              const std::string& contact_id,
                                              const Interaction& interaction,
                                              const InteractionEffects& effects);

// A contact's whole consent ledger, interactions (summaries opened) and follow-ups, oldest
// first; for its data export.
struct ContactHistory {
  std::vector<ConsentRecord> consents;
  std::vector<Interaction> interactions;
  std::vector<FollowUp> follow_ups;
};
absl::Status ReadContactHistory(pqxx::transaction_base& transaction, const PiiCipher& cipher,
                                const std::string& contact_id, ContactHistory& out);

class PgEngagementRepository final : public EngagementRepository {
 public:
  const common::filter::Schema& InteractionFilterSchema() const override;
  const common::filter::Schema& FollowUpFilterSchema() const override;
  PgEngagementRepository(common::PgPool& pool, const PiiCipher& cipher,
                         common::IdempotentWrite& writes);

  absl::StatusOr<ContactFacts> Facts(const std::string& contact_id) override;
  absl::StatusOr<ConsentRecord> AppendConsent(const std::string& contact_id,
                                              const ConsentRecord& record,
                                              const WriteMeta& meta) override;
  absl::StatusOr<ChildPage<ConsentRecord>> ListConsents(const ChildListQuery& query) override;
  absl::StatusOr<ConsentSnapshot> Consents(const std::string& contact_id) override;
  absl::StatusOr<ConsentSnapshot> UpdateFlags(const std::string& contact_id,
                                              const FlagsMutation& mutate,
                                              const WriteMeta& meta) override;
  absl::StatusOr<Interaction> CreateInteraction(const std::string& contact_id,
                                                const Interaction& interaction,
                                                const InteractionEffects& effects,
                                                const WriteMeta& meta) override;
  absl::StatusOr<Interaction> GetInteraction(const std::string& contact_id,
                                             const std::string& id) override;
  absl::StatusOr<ChildPage<Interaction>> ListInteractions(const ChildListQuery& query) override;
  absl::StatusOr<FollowUp> CreateFollowUp(const std::string& contact_id, const FollowUp& follow_up,
                                          const std::string& interaction_id,
                                          const WriteMeta& meta) override;
  absl::StatusOr<FollowUp> GetFollowUp(const std::string& contact_id,
                                       const std::string& id) override;
  absl::StatusOr<ChildPage<FollowUp>> ListFollowUps(const ChildListQuery& query) override;
  absl::StatusOr<FollowUp> UpdateFollowUp(const std::string& contact_id, const std::string& id,
                                          const FollowUpMutation& mutate,
                                          const WriteMeta& meta) override;
  absl::StatusOr<std::vector<FollowUp>> DueFollowUps(const std::string& owner,
                                                     int64_t due_before_micros, int limit) override;

 private:
  common::PgPool& pool_;
  const PiiCipher& cipher_;
  WritePath writes_;
};

}  // namespace accord::contact
