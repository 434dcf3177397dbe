// Storage of campaigns and their call lists, behind an interface for the logic's tests.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/common/v1/money.pb.h"
#include "accord/contact/v1/campaign.pb.h"
#include "accord/contact/v1/contact.pb.h"
#include "contact_access.h"
#include "engagement_repository.h"
#include "write_path.h"

namespace accord::contact {

using v1::Campaign;

// What the call list rules need to know of a contact (ExcludedBy, HandOutNow).
struct CallCandidate {
  std::string contact_id;
  bool do_not_call = false;
  v1::ContactStatus status = v1::CONTACT_STATUS_ACTIVE;
  bool has_phone = false;
  bool phone_unverified = false;
  // The latest phone/marketing decision (UNSPECIFIED when none was recorded).
  v1::ConsentDecision phone_marketing = v1::CONSENT_DECISION_UNSPECIFIED;
  std::optional<int64_t> last_outbound_call_micros;
  std::string time_zone;
};

// What the logic decided for one build of a call list (CallListRulesFor in campaign_logic.h).
struct CallListRules {
  std::vector<std::string> labels;  // contacts carrying one of them; any contact when empty
  // An outbound call after this keeps the contact off (the campaign's cool-off).
  int64_t called_after_micros = 0;
  // The time zones ("" for none) whose local time is inside the calling hours now; a contact in
  // any other zone is outside them.
  std::vector<std::string> zones_in_hours;
};

// What NextCall does with a waiting contact, decided by the logic when it is taken.
enum class HandOut {
  kCall,   // lease it to the agent
  kLater,  // leave it on the list, out of reach for a while (outside its calling hours now)
  kDrop,   // take it off the list (do-not-call, gone, left, phone found wrong since the build)
};

struct Lease {
  std::string contact_id;
  int64_t lease_until_micros = 0;
  // The contact's phones, opened in the hand-out's transaction, where the agent's read of them
  // was appended to the access log (when there were any). nullopt when a retried call was
  // answered from its kept response: nothing was read or logged.
  std::optional<std::vector<std::string>> phones;
};

struct CampaignListQuery {
  int limit = 50;
  bool by_update_time = false;
  bool descending = true;
  std::string filter_sql;  // over the campaigns row alias `t`, $N numbered from 1
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;
};

struct CampaignPage {
  std::vector<Campaign> campaigns;
  std::vector<std::vector<std::string>> keys;
};

// A campaign's calls of one agent on one UTC day ("YYYY-MM-DD").
struct CallTally {
  std::string agent;
  std::string day;
  int64_t calls = 0;
  int64_t conversations = 0;
  int64_t sales = 0;
};

// Sales of pricing-terms attributed to the campaign, credited to the agent and day of the SALE
// call they follow, in one currency.
struct RevenueTally {
  std::string agent;
  std::string day;
  common::v1::Money total;
  int64_t purchases = 0;
};

struct CampaignTallies {
  std::vector<CallTally> calls;
  std::vector<RevenueTally> revenue;
};

class CampaignRepository {
 public:
  virtual ~CampaignRepository() = default;

  virtual absl::StatusOr<Campaign> Create(const Campaign& campaign, const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Campaign> Get(const std::string& id) = 0;
  // How List's filter maps to this storage (CampaignListQuery::filter_sql is compiled with it).
  virtual const common::filter::Schema& FilterSchema() const = 0;
  virtual absl::StatusOr<CampaignPage> List(const CampaignListQuery& query) = 0;
  // NOT_FOUND naming the campaign when it does not exist.
  virtual absl::StatusOr<CampaignTallies> Tallies(const std::string& id) = 0;
  using Mutation = std::function<absl::StatusOr<Campaign>(const Campaign& current)>;
  virtual absl::StatusOr<Campaign> Update(const std::string& id, const Mutation& mutate,
                                          const WriteMeta& meta) = 0;

  // The distinct time zones ("" for none) of the live contacts carrying one of `labels` (any
  // contact when empty): what the logic needs to say which of them are inside calling hours now.
  virtual absl::StatusOr<std::vector<std::string>> CandidateTimeZones(
      const std::vector<std::string>& labels) = 0;
  // Appends the live contacts that `rules` allow to the list, in the order they were created,
  // and counts the others by their first exclusion (the order of ExcludedBy in campaign_logic.h).
  // Contacts already on the list are neither added nor counted, so building again adds only
  // what is new. Set-based, over the contacts in keyset batches, each batch its own transaction
  // that stores the build's keyset and counts: a call goes on for a bounded time and answers
  // BUILDING, and the next call (after a restart, on another replica) goes on from there with
  // the rules the build started with (`rules` start a build only when none is BUILDING). The
  // batch that ends the build makes it READY and appends one CallListBuilt event. NOT_FOUND
  // naming the campaign when it does not exist.
  virtual absl::StatusOr<v1::BuildCallListResponse> BuildCallList(const std::string& campaign_id,
                                                                  const CallListRules& rules,
                                                                  const WriteMeta& meta) = 0;
  // Takes the first waiting contacts whose lease is free (skipping rows other transactions
  // hold): those whose lease ran out first, by expiry, then those never leased or put back, by
  // position. Asks `decide` about each in order and leases the first it calls to `agent` (its
  // subject), applying its other verdicts on the way; nullopt when none was called. Candidates
  // carry the contact's current do_not_call, status, phone_unverified, phone_marketing and
  // time_zone (has_phone: not deleted). The leased contact's phones come back with the lease,
  // their read by `agent` appended to the access log in the same transaction (one commit).
  using Decide = std::function<HandOut(const CallCandidate& candidate)>;
  virtual absl::StatusOr<std::optional<Lease>> NextCall(const std::string& campaign_id,
                                                        const Caller& agent, int lease_seconds,
                                                        const Decide& decide,
                                                        const WriteMeta& meta) = 0;
  // Closes `agent`'s lease on the contact and logs the interaction, in one transaction.
  // FAILED_PRECONDITION unless the contact was handed to `agent` and is still waiting.
  virtual absl::StatusOr<Interaction> RecordOutcome(const std::string& campaign_id,
                                                    const std::string& contact_id,
                                                    const std::string& agent,
                                                    const Interaction& interaction,
                                                    const InteractionEffects& effects,
                                                    bool back_on_list, const WriteMeta& meta) = 0;
};

}  // namespace accord::contact
