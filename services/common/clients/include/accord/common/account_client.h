// The account service as the other services ask it: whether an account exists and is live,
// where a merged account went, who manages it. One implementation for every service that names
// accounts (contact, pricing-terms, service-quality), over common::ServiceClient: each call
// carries the caller's identity, so the account service applies its own rules to the user.
// A library of its own (accord_account_client), so accord_common does not need the account
// protos.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/service_client.h"

namespace accord::common {

struct AccountClientOptions {
  ServiceClientOptions service;  // ReadServiceClientOptions(config, "account", ...)
  // How long a Manages or ManagedAccounts answer is reused: an account manager taken off a team
  // keeps what it gave for at most this long.
  std::chrono::milliseconds access_ttl{30000};
  // ManagedAccounts refuses (FAILED_PRECONDITION, TOO_MANY_MANAGED_ACCOUNTS) rather than answer
  // with more accounts than this.
  int max_managed_accounts = 5000;
};

// Errors, for the account `name` (accounts/{id}):
//   NOT_FOUND, reason ACCOUNT_NOT_FOUND (metadata account): missing or deleted
//   FAILED_PRECONDITION, reason ACCOUNT_MERGED (metadata account, merged_into): merged away
//   PERMISSION_DENIED, reason ACCOUNT_NOT_VISIBLE: the account service refused the caller
//   UNAVAILABLE, reason ACCOUNT_SERVICE_UNAVAILABLE: it cannot answer (and for a second after,
//   without asking; CalleeBreaker)
class AccountClient {
 public:
  explicit AccountClient(AccountClientOptions options);

  // The methods called; all are reads, so gRPC may retry them.
  static std::vector<std::string> IdempotentMethods();

  // The account as the account service shows it to `identity`.
  absl::StatusOr<account::v1::Account> Get(const CallIdentity& identity, const std::string& name);
  // OK when the account exists and is live. Never cached: a write that names an account is
  // made only while it is live.
  absl::Status CheckLive(const CallIdentity& identity, const std::string& name);
  // The live account `name` or the survivor it was merged into (following at most 8 merges);
  // `merged_from` is set to `name` when that differs from the answer. NOT_FOUND when neither.
  absl::StatusOr<account::v1::Account> FollowMerges(const CallIdentity& identity,
                                                    const std::string& name,
                                                    std::string* merged_from);
  // Whether `subject` owns the live account or is an active member of its team; cached per
  // (subject, account) for access_ttl.
  absl::StatusOr<bool> Manages(const CallIdentity& identity, const std::string& subject,
                               const std::string& name);
  // Every account `subject` owns or is an active team member of; cached per subject for
  // access_ttl.
  absl::StatusOr<std::shared_ptr<const std::set<std::string>>> ManagedAccounts(
      const CallIdentity& identity, const std::string& subject);

 private:
  // The raw answer: OK with the account, or the callee's status when it is NOT_FOUND (so
  // FollowMerges can read merged_into), or this service's error otherwise.
  absl::StatusOr<account::v1::Account> Fetch(const CallIdentity& identity, const std::string& name,
                                             grpc::Status* not_found);

  AccountClientOptions options_;
  ServiceClient client_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<account::v1::AccountTeamService::Stub> teams_;
  CalleeBreaker breaker_{"account", "ACCOUNT_SERVICE_UNAVAILABLE", "ACCOUNT_NOT_VISIBLE"};

  using Deadline = std::chrono::steady_clock::time_point;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::pair<bool, Deadline>> manages_;
  std::map<std::string, std::pair<std::shared_ptr<const std::set<std::string>>, Deadline>> managed_;
};

}  // namespace accord::common
