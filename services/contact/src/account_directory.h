// What the contact service needs to know about accounts, asked of the account service over gRPC
// (common::ServiceClient) with the caller's own identity, so the account service applies its own
// rules to the user. Behind an interface so the logic is unit-tested without a network.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
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

// The account service's answers. Manages() answers are cached per (subject, account) for `ttl`:
// an account manager taken off a team keeps its access to the account's contacts for at most
// that long (default 30 s, ACCORD_CONTACT_ACCESS_CACHE_TTL). CheckRelatable is never cached: a
// relation is written only to an account that exists at that moment.
class GrpcAccountDirectory final : public AccountDirectory {
 public:
  GrpcAccountDirectory(common::ServiceClientOptions options, std::chrono::milliseconds ttl);

  absl::Status CheckRelatable(const common::CallIdentity& identity,
                              const std::string& account_id) override;
  absl::StatusOr<bool> Manages(const common::CallIdentity& identity, const std::string& subject,
                               const std::string& account_id) override;

  // The gRPC methods this directory calls; all are reads, so all may be retried.
  static std::vector<std::string> IdempotentMethods();

 private:
  absl::StatusOr<account::v1::Account> GetAccount(const common::CallIdentity& identity,
                                                  const std::string& account_id);

  // After the account service failed to answer, calls fail at once until this time (steady
  // clock, ns) instead of each waiting out its deadline: a page of contacts whose masking needs
  // the account service must not take a deadline per row while it is down.
  std::atomic<int64_t> down_until_{0};
  absl::Status NoteFailure(absl::Status status);
  common::ServiceClient client_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<account::v1::AccountTeamService::Stub> teams_;
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>,
           std::pair<bool, std::chrono::steady_clock::time_point>>
      manages_;
};

}  // namespace accord::contact
