#include "account_directory.h"

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/log.h"
#include "contact_fields.h"

namespace accord::contact {
namespace {

constexpr size_t kMaxCachedAnswers = 100000;
constexpr std::chrono::seconds kDownFor{1};

int64_t Now() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

// Why the account service did not answer, as this service's error.
absl::Status CalleeFailure(const grpc::Status& status, const std::string& account) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
      return common::Unavailable("ACCOUNT_SERVICE_UNAVAILABLE",
                                 "the account service cannot be reached to check " + account +
                                     " (" + status.error_message() + "); try again");
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return common::PermissionDenied("ACCOUNT_NOT_VISIBLE",
                                      "the account service refused to show " + account +
                                          " to the caller: " + status.error_message());
    default:
      return common::FromGrpcStatus(status);
  }
}

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

GrpcAccountDirectory::GrpcAccountDirectory(common::ServiceClientOptions options,
                                           std::chrono::milliseconds ttl)
    : client_([&] {
        options.idempotent_methods = IdempotentMethods();
        return std::move(options);
      }()),
      accounts_(account::v1::AccountService::NewStub(client_.channel())),
      teams_(account::v1::AccountTeamService::NewStub(client_.channel())),
      ttl_(ttl) {}

std::vector<std::string> GrpcAccountDirectory::IdempotentMethods() {
  return {"accord.account.v1.AccountService/GetAccount",
          "accord.account.v1.AccountTeamService/ListTeamMembers"};
}

absl::Status GrpcAccountDirectory::NoteFailure(absl::Status status) {
  if (absl::IsUnavailable(status)) {
    down_until_.store(Now() + std::chrono::nanoseconds(kDownFor).count());
  }
  return status;
}

absl::StatusOr<account::v1::Account> GrpcAccountDirectory::GetAccount(
    const common::CallIdentity& identity, const std::string& account_id) {
  const std::string name = AccountName(account_id);
  if (Now() < down_until_.load()) {
    return common::Unavailable("ACCOUNT_SERVICE_UNAVAILABLE",
                               "the account service did not answer a moment ago; cannot check " +
                                   name + " now, try again");
  }
  account::v1::GetAccountRequest request;
  request.set_name(name);
  account::v1::Account account;
  auto context = client_.NewContext(identity);
  const grpc::Status status = accounts_->GetAccount(context.get(), request, &account);
  if (status.ok()) return account;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    const absl::Status found = common::FromGrpcStatus(status);
    if (common::ReasonOf(found) == "ACCOUNT_MERGED") {
      const std::string survivor = common::MetadataOf(found, "merged_into");
      return common::WithReason(
          common::FailedPrecondition("ACCOUNT_MERGED",
                                     name + " was merged into " + survivor + "; use " + survivor),
          "ACCOUNT_MERGED", {{"account", name}, {"merged_into", survivor}});
    }
    return common::WithReason(common::NotFound(name), "ACCOUNT_NOT_FOUND", {{"account", name}});
  }
  return NoteFailure(CalleeFailure(status, name));
}

absl::Status GrpcAccountDirectory::CheckRelatable(const common::CallIdentity& identity,
                                                  const std::string& account_id) {
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account account, GetAccount(identity, account_id));
  if (!account.merged_into().empty()) {
    return common::WithReason(
        common::FailedPrecondition("ACCOUNT_MERGED",
                                   account.name() + " was merged into " + account.merged_into()),
        "ACCOUNT_MERGED", {{"account", account.name()}, {"merged_into", account.merged_into()}});
  }
  if (account.has_delete_time()) {
    return common::WithReason(common::NotFound(account.name()), "ACCOUNT_NOT_FOUND",
                              {{"account", account.name()}});
  }
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
  bool manages = false;
  auto account = GetAccount(identity, account_id);
  if (!account.ok()) {
    // A missing, deleted or merged account is managed by nobody.
    if (absl::IsNotFound(account.status()) || absl::IsFailedPrecondition(account.status())) {
      manages = false;
    } else {
      return account.status();
    }
  } else if (account->owner() == subject) {
    manages = true;
  } else {
    account::v1::ListTeamMembersRequest request;
    request.set_parent(AccountName(account_id));
    request.set_page_size(1);
    request.set_filter("member = " + Quoted(subject) + " AND active = true");
    account::v1::ListTeamMembersResponse response;
    auto context = client_.NewContext(identity);
    const grpc::Status status = teams_->ListTeamMembers(context.get(), request, &response);
    if (!status.ok()) return NoteFailure(CalleeFailure(status, AccountName(account_id)));
    manages = response.team_members_size() > 0;
  }
  std::lock_guard lock(mutex_);
  if (manages_.size() >= kMaxCachedAnswers) manages_.clear();
  manages_[key] = {manages, now + ttl_};
  return manages;
}

}  // namespace accord::contact
