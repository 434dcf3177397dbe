// The engagement domain: consent, flags, interactions and follow-ups. Names, validation,
// permissions, the current consent per channel and purpose, what an interaction's outcome does
// to the contact, and the follow-up life cycle. Pure logic over messages and a repository.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/page_token.h"
#include "contact_access.h"
#include "engagement_repository.h"
#include "resource_names.h"

namespace accord::contact {

inline constexpr size_t kMaxSourceLength = 200;
inline constexpr size_t kMaxSubjectLength = 200;
inline constexpr size_t kMaxSummaryLength = 4000;
inline constexpr int kMaxDurationSeconds = 86400;

// Who may write consent, flags, interactions and follow-ups of a contact: admin; the
// sales and service roles for any contact; account_manager for contacts it manages
// (`manages` says whether it owns the contact or manages a related account).
absl::Status CheckEngagementWrite(const common::Principal& caller, bool manages,
                                  std::string_view contact);
// Those roles (and account_manager for any contact) read them; integration and
// pricing_manager do not.
absl::Status CheckEngagementRead(const common::Principal& caller);

// Checks a consent entry; `now_micros` bounds decision_time.
void ValidateConsent(const ConsentRecord& record, int64_t now_micros, const std::string& prefix,
                     common::Violations& violations);
// The latest entry per channel and purpose (by decision_time, then record_time), ordered by
// channel then purpose. `ledger` in any order.
std::vector<ConsentRecord> CurrentConsents(const std::vector<ConsentRecord>& ledger);
// Whether the latest decision for channel and purpose is GRANTED.
bool HasConsent(const std::vector<ConsentRecord>& ledger, v1::ConsentChannel channel,
                v1::ConsentPurpose purpose);

void ValidateInteraction(const Interaction& interaction, int64_t now_micros,
                         const std::string& prefix, common::Violations& violations);
// What the outcome does to the contact: DO_NOT_CALL_REQUESTED sets do_not_call and withdraws
// phone consent for marketing and service (source naming the interaction); WRONG_NUMBER marks
// the phone unverified.
InteractionEffects EffectsOf(const Interaction& interaction, std::string_view interaction_name,
                             const google::protobuf::Timestamp& when);

void ValidateFollowUp(const FollowUp& follow_up, const std::string& prefix,
                      common::Violations& violations);
// OPEN may become anything; DONE and CANCELLED are final (FAILED_PRECONDITION naming it).
absl::Status CheckFollowUpTransition(const FollowUp& current, v1::FollowUpStatus next);

class EngagementLogic {
 public:
  EngagementLogic(EngagementRepository& repository, ContactAccess& access,
                  const common::PageTokenCodec& page_tokens);

  absl::StatusOr<ConsentRecord> RecordConsent(const Caller& caller,
                                              const v1::RecordConsentRequest& request,
                                              WriteMeta meta);
  absl::StatusOr<v1::ListConsentsResponse> ListConsents(const Caller& caller,
                                                        const v1::ListConsentsRequest& request);
  absl::StatusOr<v1::ConsentState> GetConsentState(const Caller& caller,
                                                   const v1::GetConsentStateRequest& request);
  absl::StatusOr<v1::ConsentState> UpdateContactFlags(const Caller& caller,
                                                      const v1::UpdateContactFlagsRequest& request,
                                                      WriteMeta meta);

  absl::StatusOr<Interaction> CreateInteraction(const Caller& caller,
                                                const v1::CreateInteractionRequest& request,
                                                WriteMeta meta);
  absl::StatusOr<Interaction> GetInteraction(const Caller& caller,
                                             const v1::GetInteractionRequest& request);
  absl::StatusOr<v1::ListInteractionsResponse> ListInteractions(
      const Caller& caller, const v1::ListInteractionsRequest& request);

  absl::StatusOr<FollowUp> CreateFollowUp(const Caller& caller,
                                          const v1::CreateFollowUpRequest& request, WriteMeta meta);
  absl::StatusOr<FollowUp> GetFollowUp(const Caller& caller, const v1::GetFollowUpRequest& request);
  absl::StatusOr<v1::ListFollowUpsResponse> ListFollowUps(const Caller& caller,
                                                          const v1::ListFollowUpsRequest& request);
  absl::StatusOr<FollowUp> UpdateFollowUp(const Caller& caller,
                                          const v1::UpdateFollowUpRequest& request, WriteMeta meta);
  absl::StatusOr<v1::ListDueFollowUpsResponse> ListDueFollowUps(
      const Caller& caller, const v1::ListDueFollowUpsRequest& request);

 private:
  // NOT_FOUND for a missing contact, then the write rule.
  absl::Status CheckWrite(const Caller& caller, const std::string& contact_id);
  absl::StatusOr<v1::ConsentState> StateOf(const std::string& contact_id,
                                           const ConsentSnapshot& snapshot);

  EngagementRepository& repository_;
  ContactAccess& access_;
  const common::PageTokenCodec& page_tokens_;
};

}  // namespace accord::contact
