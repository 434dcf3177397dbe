// What service-quality needs to know about the customer of a case, asked over gRPC
// (common::ServiceClient) of the account service (the account, its tier, who manages it) and of
// the contact service (the contact, its relation to the account, its preferred language and
// accessibility needs). Calls carry the caller's own identity, so each service applies its own
// rules to the user. Behind an interface so the logic is unit-tested without a network.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/account_client.h"
#include "accord/common/service_client.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/quality/v1/case.pb.h"
#include "quality_model.h"

namespace accord::quality {

// The customer of a new case, as the account and contact services see it now.
struct CaseParty {
  // The live account: the one named, or the survivor it was merged into.
  std::string account;
  // The account named by the caller when it was merged away ("" otherwise).
  std::string merged_from;
  account::v1::AccountTier tier = account::v1::ACCOUNT_TIER_UNSPECIFIED;
  // The live account's version (its etag) as the account service answered; 0 when not asked.
  int64_t account_version = 0;
  // From the contact (empty without one): its BCP 47 preferred language, and the special needs
  // its accessibility flags imply (the free-text needs stay in the contact service).
  std::string language;
  std::vector<v1::SpecialNeed> needs;
};

class CustomerDirectory {
 public:
  virtual ~CustomerDirectory() = default;
  // `account` (accounts/{id}) must exist and be live, following merged_into to the survivor:
  // the party's account part. NOT_FOUND (ACCOUNT_NOT_FOUND), UNAVAILABLE
  // (ACCOUNT_SERVICE_UNAVAILABLE) when the account service cannot answer.
  virtual absl::StatusOr<CaseParty> ResolveAccount(const common::CallIdentity& identity,
                                                   const std::string& account) = 0;
  // `contact` (contacts/{id}) must exist and have a live relation to party.account (or to
  // party.merged_from): fills the party's language and needs. NOT_FOUND (CONTACT_NOT_FOUND),
  // FAILED_PRECONDITION (CONTACT_NOT_RELATED), UNAVAILABLE (CONTACT_SERVICE_UNAVAILABLE).
  virtual absl::Status AddContact(const common::CallIdentity& identity, const std::string& contact,
                                  CaseParty& party) = 0;
  // The accounts `subject` owns or is an active team member of (accounts/{id}). UNAVAILABLE
  // when the account service cannot answer.
  virtual absl::StatusOr<std::shared_ptr<const std::set<std::string>>> ManagedAccounts(
      const common::CallIdentity& identity, const std::string& subject) = 0;
};

struct DirectoryOptions {
  common::ServiceClientOptions account;
  common::ServiceClientOptions contact;
  // How long a ManagedAccounts answer is reused: an account manager taken off a team keeps
  // seeing the account's cases for at most this long.
  std::chrono::milliseconds managed_ttl{30000};
  // More managed accounts than this is refused (FAILED_PRECONDITION) rather than filtered on.
  int max_managed_accounts = 5000;
};

class GrpcCustomerDirectory final : public CustomerDirectory {
 public:
  explicit GrpcCustomerDirectory(DirectoryOptions options);

  absl::StatusOr<CaseParty> ResolveAccount(const common::CallIdentity& identity,
                                           const std::string& account) override;
  absl::Status AddContact(const common::CallIdentity& identity, const std::string& contact,
                          CaseParty& party) override;
  absl::StatusOr<std::shared_ptr<const std::set<std::string>>> ManagedAccounts(
      const common::CallIdentity& identity, const std::string& subject) override;

 private:
  // The account part: the one account client of services/common.
  common::AccountClient accounts_;
  common::ServiceClient contact_client_;
  std::unique_ptr<contact::v1::ContactService::Stub> contacts_;
  std::unique_ptr<contact::v1::ContactAccountRelationService::Stub> relations_;
  common::CalleeBreaker contact_breaker_{"contact", "CONTACT_SERVICE_UNAVAILABLE",
                                         "PERMISSION_DENIED"};
};

// The party's account part from what is known of accounts (`facts`, as the account events and
// earlier answers left them), following merges: the live account with its tier; NOT_FOUND
// (ACCOUNT_NOT_FOUND) for a deleted one; nullopt when something on the way is unknown (the
// account service must be asked). Pure.
using FactsLookup =
    std::function<absl::StatusOr<std::optional<AccountFacts>>(const std::string& account)>;
absl::StatusOr<std::optional<CaseParty>> PartyFromFacts(const std::string& account,
                                                        const FactsLookup& facts);

// Special needs implied by a contact's accessibility flags (hearing, sight, mobility:
// DISABILITY; language assistance: LANGUAGE), without its free text.
std::vector<v1::SpecialNeed> NeedsFromAccessibility(const contact::v1::Accessibility& access);

}  // namespace accord::quality
