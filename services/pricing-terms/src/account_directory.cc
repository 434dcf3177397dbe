#include "account_directory.h"

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "pricing_common.h"

namespace accord::pricing {
namespace {

constexpr size_t kMaxCachedAnswers = 100000;
constexpr std::chrono::seconds kQuietFor{1};

int64_t SteadyNanos() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

absl::Status Unreachable(const std::string& name, const std::string& why) {
  return common::Unavailable(
      "ACCOUNT_SERVICE_UNAVAILABLE",
      "the account service cannot be reached to check " + name + " (" + why + "); try again");
}

absl::Status Merged(const std::string& name, const std::string& survivor) {
  return common::WithReason(
      common::FailedPrecondition("ACCOUNT_MERGED",
                                 name + " was merged into " + survivor + "; use " + survivor),
      "ACCOUNT_MERGED", {{"account", name}, {"merged_into", survivor}});
}

absl::Status Missing(const std::string& name) {
  return common::WithReason(common::NotFound(name), "ACCOUNT_NOT_FOUND", {{"account", name}});
}

}  // namespace

GrpcAccountDirectory::GrpcAccountDirectory(common::ServiceClientOptions options,
                                           std::chrono::milliseconds ttl)
    : client_([&] {
        // Both calls are reads: safe to retry.
        options.idempotent_methods = {"accord.account.v1.AccountService/GetAccount",
                                      "accord.account.v1.AccountTeamService/ListTeamMembers"};
        return std::move(options);
      }()),
      accounts_(account::v1::AccountService::NewStub(client_.channel())),
      teams_(account::v1::AccountTeamService::NewStub(client_.channel())),
      ttl_(ttl) {}

absl::Status GrpcAccountDirectory::Failed(const grpc::Status& status, const std::string& name) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND: {
      const absl::Status found = common::FromGrpcStatus(status);
      if (common::ReasonOf(found) == "ACCOUNT_MERGED") {
        return Merged(name, common::MetadataOf(found, "merged_into"));
      }
      return Missing(name);
    }
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
      quiet_until_.store(SteadyNanos() + std::chrono::nanoseconds(kQuietFor).count());
      return Unreachable(name, status.error_message());
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return common::PermissionDenied("ACCOUNT_NOT_VISIBLE",
                                      "the account service refused to show " + name +
                                          " to the caller: " + status.error_message());
    default:
      return common::FromGrpcStatus(status);
  }
}

absl::StatusOr<account::v1::Account> GrpcAccountDirectory::Fetch(
    const common::CallIdentity& identity, const std::string& name) {
  if (SteadyNanos() < quiet_until_.load()) {
    return Unreachable(name, "it did not answer a moment ago");
  }
  account::v1::GetAccountRequest request;
  request.set_name(name);
  account::v1::Account account;
  auto context = client_.NewContext(identity);
  const grpc::Status status = accounts_->GetAccount(context.get(), request, &account);
  if (!status.ok()) return Failed(status, name);
  return account;
}

absl::Status GrpcAccountDirectory::CheckLive(const common::CallIdentity& identity,
                                             const std::string& account_id) {
  const std::string name = AccountName(account_id);
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account account, Fetch(identity, name));
  // Should the account service answer with a tombstone rather than NOT_FOUND, it is not live.
  if (!account.merged_into().empty()) return Merged(name, account.merged_into());
  if (account.has_delete_time()) return Missing(name);
  return absl::OkStatus();
}

absl::StatusOr<bool> GrpcAccountDirectory::Manages(const common::CallIdentity& identity,
                                                   const std::string& subject,
                                                   const std::string& account_id) {
  const auto key = std::make_pair(subject, account_id);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = manages_.find(key);
    if (it != manages_.end() && it->second.second > now) return it->second.first;
  }
  const std::string name = AccountName(account_id);
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account account, Fetch(identity, name));
  bool manages = account.owner() == subject;
  if (!manages) {
    account::v1::ListTeamMembersRequest request;
    request.set_parent(name);
    request.set_page_size(1);
    std::string quoted = "\"";
    for (char c : subject) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    request.set_filter("member = " + quoted + "\" AND active = true");
    account::v1::ListTeamMembersResponse response;
    auto context = client_.NewContext(identity);
    const grpc::Status status = teams_->ListTeamMembers(context.get(), request, &response);
    if (!status.ok()) return Failed(status, name);
    manages = response.team_members_size() > 0;
  }
  std::lock_guard lock(mutex_);
  if (manages_.size() >= kMaxCachedAnswers) manages_.clear();
  manages_[key] = {manages, now + ttl_};
  return manages;
}

}  // namespace accord::pricing
