#include "accord/common/account_client.h"

#include "accord/common/errors.h"
#include "accord/common/filter.h"
#include "accord/common/grpc_status.h"

namespace accord::common {
namespace {

// Bounds the caches: past this many entries they start over.
constexpr size_t kMaxCachedAnswers = 100000;
constexpr size_t kMaxCachedSubjects = 10000;
constexpr int kMaxMergeHops = 8;

absl::Status Missing(const std::string& name) {
  return WithReason(NotFound(name), "ACCOUNT_NOT_FOUND", {{"account", name}});
}

absl::Status Merged(const std::string& name, const std::string& survivor) {
  return WithReason(FailedPrecondition("ACCOUNT_MERGED",
                                       name + " was merged into " + survivor + "; use " + survivor),
                    "ACCOUNT_MERGED", {{"account", name}, {"merged_into", survivor}});
}

// The survivor a NOT_FOUND answer names ("" when the account is simply missing).
std::string SurvivorOf(const grpc::Status& not_found) {
  const absl::Status status = FromGrpcStatus(not_found);
  if (ReasonOf(status) != "ACCOUNT_MERGED") return "";
  return MetadataOf(status, "merged_into");
}

ServiceClientOptions WithIdempotentMethods(ServiceClientOptions options) {
  options.idempotent_methods = AccountClient::IdempotentMethods();
  return options;
}

}  // namespace

AccountClient::AccountClient(AccountClientOptions options)
    : options_(std::move(options)),
      client_(WithIdempotentMethods(options_.service)),
      accounts_(account::v1::AccountService::NewStub(client_.channel())),
      teams_(account::v1::AccountTeamService::NewStub(client_.channel())) {}

std::vector<std::string> AccountClient::IdempotentMethods() {
  return {"accord.account.v1.AccountService/GetAccount",
          "accord.account.v1.AccountService/ListAccounts",
          "accord.account.v1.AccountTeamService/ListTeamMembers"};
}

absl::StatusOr<account::v1::Account> AccountClient::Fetch(const CallIdentity& identity,
                                                          const std::string& name,
                                                          grpc::Status* not_found) {
  ACCORD_RETURN_IF_ERROR(breaker_.Check(name));
  account::v1::GetAccountRequest request;
  request.set_name(name);
  account::v1::Account account;
  auto context = client_.NewContext(identity);
  const grpc::Status status = accounts_->GetAccount(context.get(), request, &account);
  if (status.ok()) return account;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    *not_found = status;
    return Missing(name);
  }
  return breaker_.Failure(status, name);
}

absl::StatusOr<account::v1::Account> AccountClient::Get(const CallIdentity& identity,
                                                        const std::string& name) {
  grpc::Status not_found;
  auto account = Fetch(identity, name, &not_found);
  if (!not_found.ok()) {
    const std::string survivor = SurvivorOf(not_found);
    if (!survivor.empty()) return Merged(name, survivor);
  }
  return account;
}

absl::Status AccountClient::CheckLive(const CallIdentity& identity, const std::string& name) {
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account account, Get(identity, name));
  // Should the account service answer with a tombstone rather than NOT_FOUND, it is not live.
  if (!account.merged_into().empty()) return Merged(name, account.merged_into());
  if (account.has_delete_time()) return Missing(name);
  return absl::OkStatus();
}

absl::StatusOr<account::v1::Account> AccountClient::FollowMerges(const CallIdentity& identity,
                                                                 const std::string& name,
                                                                 std::string* merged_from) {
  std::string current = name;
  for (int hop = 0; hop < kMaxMergeHops; ++hop) {
    grpc::Status not_found;
    auto account = Fetch(identity, current, &not_found);
    std::string survivor;
    if (account.ok()) {
      if (account->merged_into().empty()) {
        if (account->has_delete_time()) break;
        if (current != name) *merged_from = name;
        return account;
      }
      survivor = account->merged_into();
    } else if (!not_found.ok()) {
      survivor = SurvivorOf(not_found);
      if (survivor.empty()) break;
    } else {
      return account.status();
    }
    current = survivor;
  }
  return Missing(name);
}

absl::StatusOr<bool> AccountClient::Manages(const CallIdentity& identity,
                                            const std::string& subject, const std::string& name) {
  auto key = std::make_pair(subject, name);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = manages_.find(key);
    if (it != manages_.end() && it->second.second > now) return it->second.first;
  }
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account account, Get(identity, name));
  bool manages = account.owner() == subject;
  if (!manages) {
    account::v1::ListTeamMembersRequest request;
    request.set_parent(name);
    request.set_page_size(1);
    request.set_filter("member = " + filter::Quoted(subject) + " AND active = true");
    account::v1::ListTeamMembersResponse response;
    auto context = client_.NewContext(identity);
    const grpc::Status status = teams_->ListTeamMembers(context.get(), request, &response);
    if (!status.ok()) return breaker_.Failure(status, name);
    manages = response.team_members_size() > 0;
  }
  std::lock_guard lock(mutex_);
  if (manages_.size() >= kMaxCachedAnswers) manages_.clear();
  manages_[std::move(key)] = {manages, now + options_.access_ttl};
  return manages;
}

absl::StatusOr<std::shared_ptr<const std::set<std::string>>> AccountClient::ManagedAccounts(
    const CallIdentity& identity, const std::string& subject) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = managed_.find(subject);
    if (it != managed_.end() && it->second.second > now) return it->second.first;
  }
  auto accounts = std::make_shared<std::set<std::string>>();
  account::v1::ListAccountsRequest request;
  request.set_page_size(1000);
  request.set_filter("owner = " + filter::Quoted(subject) +
                     " OR team_member:" + filter::Quoted(subject));
  const std::string what = "the accounts of " + subject;
  do {
    ACCORD_RETURN_IF_ERROR(breaker_.Check(what));
    account::v1::ListAccountsResponse page;
    auto context = client_.NewContext(identity);
    const grpc::Status status = accounts_->ListAccounts(context.get(), request, &page);
    if (!status.ok()) return breaker_.Failure(status, what);
    for (const auto& account : page.accounts()) accounts->insert(account.name());
    if (static_cast<int>(accounts->size()) > options_.max_managed_accounts) {
      return FailedPrecondition("TOO_MANY_MANAGED_ACCOUNTS",
                                subject + " manages more than " +
                                    std::to_string(options_.max_managed_accounts) +
                                    " accounts; filter by account instead");
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  std::lock_guard lock(mutex_);
  if (managed_.size() >= kMaxCachedSubjects) managed_.clear();
  managed_[subject] = {accounts, now + options_.access_ttl};
  return std::shared_ptr<const std::set<std::string>>(accounts);
}

}  // namespace accord::common
