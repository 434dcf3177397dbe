// Storage of consent, contact flags, interactions and follow-ups, behind an interface for the
// logic's tests. It seals and opens interaction summaries itself (it holds the PiiCipher), so
// nothing above it sees ciphertext; it decides nothing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/contact/v1/engagement.pb.h"
#include "contact_access.h"
#include "write_path.h"

namespace accord::contact {

using v1::ConsentRecord;
using v1::FollowUp;
using v1::Interaction;

struct ContactFlags {
  bool do_not_call = false;
  bool do_not_email = false;
  bool phone_unverified = false;
  int64_t version = 1;
};

// A contact's flags and its whole ledger, oldest first.
struct ConsentSnapshot {
  ContactFlags flags;
  std::vector<ConsentRecord> ledger;
};

// What logging an interaction does to the contact, in the same transaction.
struct InteractionEffects {
  bool set_do_not_call = false;
  bool mark_phone_unverified = false;
  // Ledger entries appended with the interaction (their source names it).
  std::vector<ConsentRecord> consents;
};

// A List over one contact's children or (contact_id nullopt) every contact's.
struct ChildListQuery {
  std::optional<std::string> contact_id;
  int limit = 50;
  bool descending = false;
  std::string filter_sql;  // over the row alias `t`, $N numbered from 1
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;
};

template <typename T>
struct ChildPage {
  std::vector<T> items;
  std::vector<std::vector<std::string>> keys;
};

class EngagementRepository {
 public:
  virtual ~EngagementRepository() = default;

  // How ListInteractions' and ListFollowUps' filters map onto the tables (pg_filter_schemas.h).
  virtual const common::filter::Schema& InteractionFilterSchema() const = 0;
  virtual const common::filter::Schema& FollowUpFilterSchema() const = 0;

  // The facts the access rules need; NOT_FOUND naming the contact when missing or deleted.
  virtual absl::StatusOr<ContactFacts> Facts(const std::string& contact_id) = 0;

  virtual absl::StatusOr<ConsentRecord> AppendConsent(const std::string& contact_id,
                                                      const ConsentRecord& record,
                                                      const WriteMeta& meta) = 0;
  // Newest first.
  virtual absl::StatusOr<ChildPage<ConsentRecord>> ListConsents(const ChildListQuery& query) = 0;
  virtual absl::StatusOr<ConsentSnapshot> Consents(const std::string& contact_id) = 0;
  // Locks the flags, passes them to `mutate`, stores what it returns (version + 1).
  using FlagsMutation = std::function<absl::StatusOr<ContactFlags>(const ContactFlags& current)>;
  virtual absl::StatusOr<ConsentSnapshot> UpdateFlags(const std::string& contact_id,
                                                      const FlagsMutation& mutate,
                                                      const WriteMeta& meta) = 0;

  virtual absl::StatusOr<Interaction> CreateInteraction(const std::string& contact_id,
                                                        const Interaction& interaction,
                                                        const InteractionEffects& effects,
                                                        const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Interaction> GetInteraction(const std::string& contact_id,
                                                     const std::string& id) = 0;
  virtual absl::StatusOr<ChildPage<Interaction>> ListInteractions(const ChildListQuery& query) = 0;

  // NOT_FOUND naming the interaction when `interaction_id` is set and not the contact's.
  virtual absl::StatusOr<FollowUp> CreateFollowUp(const std::string& contact_id,
                                                  const FollowUp& follow_up,
                                                  const std::string& interaction_id,
                                                  const WriteMeta& meta) = 0;
  virtual absl::StatusOr<FollowUp> GetFollowUp(const std::string& contact_id,
                                               const std::string& id) = 0;
  virtual absl::StatusOr<ChildPage<FollowUp>> ListFollowUps(const ChildListQuery& query) = 0;
  using FollowUpMutation = std::function<absl::StatusOr<FollowUp>(const FollowUp& current)>;
  virtual absl::StatusOr<FollowUp> UpdateFollowUp(const std::string& contact_id,
                                                  const std::string& id,
                                                  const FollowUpMutation& mutate,
                                                  const WriteMeta& meta) = 0;
  // `owner`'s open follow-ups due at or before `due_before_micros`, earliest first.
  virtual absl::StatusOr<std::vector<FollowUp>> DueFollowUps(const std::string& owner,
                                                             int64_t due_before_micros,
                                                             int limit) = 0;
};

}  // namespace accord::contact
