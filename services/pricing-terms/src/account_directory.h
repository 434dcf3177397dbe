// What pricing needs to know about the accounts its terms, quotes and sales name, asked of the
// account service over gRPC (common::ServiceClient) with the caller's own identity, so the
// account service applies its own visibility rules to the user. Behind an interface so the
// logic is unit-tested without a network.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/account_client.h"
#include "accord/common/service_client.h"

namespace accord::pricing {

class AccountDirectory {
 public:
  virtual ~AccountDirectory() = default;
  // OK when `accounts/{account_id}` exists and is live. NOT_FOUND (reason ACCOUNT_NOT_FOUND)
  // when missing or deleted; FAILED_PRECONDITION (reason ACCOUNT_MERGED, metadata merged_into
  // naming the survivor) when merged away; UNAVAILABLE (ACCOUNT_SERVICE_UNAVAILABLE) when the
  // account service cannot answer.
  virtual absl::Status CheckLive(const common::CallIdentity& identity,
                                 const std::string& account_id) = 0;
  // Whether `subject` owns the account or is an active member of its team; UNAVAILABLE as above.
  virtual absl::StatusOr<bool> Manages(const common::CallIdentity& identity,
                                       const std::string& subject,
                                       const std::string& account_id) = 0;
};

// The account service's answers, through the one account client of services/common.
// Manages() answers are cached per (subject, account) for `ttl` (ACCORD_PRICING_ACCESS_CACHE_TTL,
// default 30 s): an account manager taken off a team may still draft terms for the account for
// that long. CheckLive is never cached: terms, quotes and sales are written only for an account
// that is live at that moment.
class GrpcAccountDirectory final : public AccountDirectory {
 public:
  GrpcAccountDirectory(common::ServiceClientOptions options, std::chrono::milliseconds ttl);

  absl::Status CheckLive(const common::CallIdentity& identity,
                         const std::string& account_id) override;
  absl::StatusOr<bool> Manages(const common::CallIdentity& identity, const std::string& subject,
                               const std::string& account_id) override;

 private:
  common::AccountClient client_;
};

}  // namespace accord::pricing
