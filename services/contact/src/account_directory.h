// What the contact service needs to know about accounts, asked of the account service over gRPC
// (common::ServiceClient) with the caller's own identity, so the account service applies its own
// rules to the user. Behind an interface so the logic is unit-tested without a network.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/account_client.h"
#include "accord/common/service_client.h"

namespace accord::contact {

class AccountDirectory {
 public:
  virtual ~AccountDirectory() = default;
  // OK when `accounts/{account_id}` exists and is live. NOT_FOUND naming it when missing or
  // deleted; FAILED_PRECONDITION (reason ACCOUNT_MERGED, metadata merged_into) when merged;
  // UNAVAILABLE when the account service cannot answer.
  virtual absl::Status CheckRelatable(const common::CallIdentity& identity,
                                      const std::string& account_id) = 0;
  // Whether `subject` owns the account or is an active member of its team. UNAVAILABLE when the
  // account service cannot answer.
  virtual absl::StatusOr<bool> Manages(const common::CallIdentity& identity,
                                       const std::string& subject,
                                       const std::string& account_id) = 0;
};

// The account service's answers, through the one account client of services/common.
// Manages() answers are cached per (subject, account) for `ttl`: an account manager taken off a
// team keeps its access to the account's contacts for at most that long (default 30 s,
// ACCORD_CONTACT_ACCESS_CACHE_TTL). CheckRelatable is never cached: a relation is written only
// to an account that exists at that moment.
class GrpcAccountDirectory final : public AccountDirectory {
 public:
  GrpcAccountDirectory(common::ServiceClientOptions options, std::chrono::milliseconds ttl);

  absl::Status CheckRelatable(const common::CallIdentity& identity,
                              const std::string& account_id) override;
  absl::StatusOr<bool> Manages(const common::CallIdentity& identity, const std::string& subject,
                               const std::string& account_id) override;

 private:
  common::AccountClient client_;
};

}  // namespace accord::contact
