#include "customer_directory.h"

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"

namespace accord::quality {
namespace {

constexpr std::chrono::seconds kDownFor{1};
constexpr int kMaxMergeHops = 8;
constexpr size_t kMaxCachedSubjects = 10000;

int64_t SteadyNow() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

common::ServiceClientOptions Idempotent(common::ServiceClientOptions options,
                                        std::vector<std::string> methods) {
  options.idempotent_methods = std::move(methods);
  return options;
}

}  // namespace

std::vector<v1::SpecialNeed> NeedsFromAccessibility(const contact::v1::Accessibility& access) {
  std::vector<v1::SpecialNeed> needs;
  std::string disability;
  for (const auto& [flag, text] :
       {std::pair{access.hearing(), "hearing"}, std::pair{access.sight(), "sight"},
        std::pair{access.mobility(), "mobility"}}) {
    if (flag) disability += (disability.empty() ? "" : ", ") + std::string(text);
  }
  if (!disability.empty()) {
    v1::SpecialNeed need;
    need.set_kind(v1::SPECIAL_NEED_KIND_DISABILITY);
    need.set_note("from the contact: " + disability);
    needs.push_back(need);
  }
  if (access.language_assistance()) {
    v1::SpecialNeed need;
    need.set_kind(v1::SPECIAL_NEED_KIND_LANGUAGE);
    need.set_note("from the contact: language assistance");
    needs.push_back(need);
  }
  return needs;
}

absl::Status GrpcCustomerDirectory::Peer::Check() const {
  if (SteadyNow() < down_until.load()) {
    return common::Unavailable(
        reason, "the " + service + " service did not answer a moment ago; try again");
  }
  return absl::OkStatus();
}

absl::Status GrpcCustomerDirectory::Peer::Failure(const grpc::Status& status,
                                                  const std::string& what) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
      down_until.store(SteadyNow() + std::chrono::nanoseconds(kDownFor).count());
      return common::Unavailable(reason, "the " + service + " service cannot be reached to check " +
                                             what + " (" + status.error_message() + "); try again");
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return common::PermissionDenied(
          "PERMISSION_DENIED",
          "the " + service + " service refused to show " + what + ": " + status.error_message());
    default:
      return common::FromGrpcStatus(status);
  }
}

GrpcCustomerDirectory::GrpcCustomerDirectory(DirectoryOptions options)
    : options_(std::move(options)),
      account_client_(
          Idempotent(options_.account, {"accord.account.v1.AccountService/GetAccount",
                                        "accord.account.v1.AccountService/ListAccounts"})),
      contact_client_(
          Idempotent(options_.contact,
                     {"accord.contact.v1.ContactService/GetContact",
                      "accord.contact.v1.ContactAccountRelationService/ListAccountRelations"})),
      accounts_(account::v1::AccountService::NewStub(account_client_.channel())),
      contacts_(contact::v1::ContactService::NewStub(contact_client_.channel())),
      relations_(contact::v1::ContactAccountRelationService::NewStub(contact_client_.channel())) {}

absl::StatusOr<account::v1::Account> GrpcCustomerDirectory::LiveAccount(
    const common::CallIdentity& identity, const std::string& name, std::string* merged_from) {
  std::string current = name;
  for (int hop = 0; hop < kMaxMergeHops; ++hop) {
    ACCORD_RETURN_IF_ERROR(account_peer_.Check());
    account::v1::GetAccountRequest request;
    request.set_name(current);
    account::v1::Account account;
    auto context = account_client_.NewContext(identity);
    const grpc::Status status = accounts_->GetAccount(context.get(), request, &account);
    std::string survivor;
    if (status.ok()) {
      if (account.merged_into().empty()) {
        if (account.has_delete_time()) break;
        if (current != name) *merged_from = name;
        return account;
      }
      survivor = account.merged_into();
    } else if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      const absl::Status found = common::FromGrpcStatus(status);
      if (common::ReasonOf(found) != "ACCOUNT_MERGED") break;
      survivor = common::MetadataOf(found, "merged_into");
      if (survivor.empty()) break;
    } else {
      return account_peer_.Failure(status, current);
    }
    current = survivor;
  }
  return common::WithReason(common::NotFound(name), "ACCOUNT_NOT_FOUND", {{"account", name}});
}

absl::StatusOr<CaseParty> GrpcCustomerDirectory::ResolveParty(const common::CallIdentity& identity,
                                                              const std::string& account,
                                                              const std::string& contact) {
  CaseParty party;
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account live,
                          LiveAccount(identity, account, &party.merged_from));
  party.account = live.name();
  party.tier = live.tier();
  if (contact.empty()) return party;

  ACCORD_RETURN_IF_ERROR(contact_peer_.Check());
  contact::v1::GetContactRequest get;
  get.set_name(contact);
  contact::v1::Contact person;
  {
    auto context = contact_client_.NewContext(identity);
    const grpc::Status status = contacts_->GetContact(context.get(), get, &person);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return common::WithReason(common::NotFound(contact), "CONTACT_NOT_FOUND",
                                {{"contact", contact}});
    }
    if (!status.ok()) return contact_peer_.Failure(status, contact);
  }
  contact::v1::ListAccountRelationsRequest list;
  list.set_parent(contact);
  list.set_page_size(1);
  std::string filter = "account = " + Quoted(party.account);
  if (!party.merged_from.empty()) filter += " OR account = " + Quoted(party.merged_from);
  list.set_filter(filter);
  contact::v1::ListAccountRelationsResponse relations;
  {
    auto context = contact_client_.NewContext(identity);
    const grpc::Status status = relations_->ListAccountRelations(context.get(), list, &relations);
    if (!status.ok()) return contact_peer_.Failure(status, contact + "'s relations");
  }
  if (relations.account_relations_size() == 0) {
    return common::WithReason(
        common::FailedPrecondition(
            "CONTACT_NOT_RELATED",
            contact + " has no relation to " + party.account + "; relate the contact first"),
        "CONTACT_NOT_RELATED", {{"contact", contact}, {"account", party.account}});
  }
  party.language = person.preferred_language();
  party.needs = NeedsFromAccessibility(person.accessibility());
  return party;
}

absl::StatusOr<std::shared_ptr<const std::set<std::string>>> GrpcCustomerDirectory::ManagedAccounts(
    const common::CallIdentity& identity, const std::string& subject) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = managed_.find(subject);
    if (it != managed_.end() && it->second.second > now) return it->second.first;
  }
  auto accounts = std::make_shared<std::set<std::string>>();
  account::v1::ListAccountsRequest request;
  request.set_page_size(1000);
  request.set_filter("owner = " + Quoted(subject) + " OR team_member:" + Quoted(subject));
  do {
    ACCORD_RETURN_IF_ERROR(account_peer_.Check());
    account::v1::ListAccountsResponse page;
    auto context = account_client_.NewContext(identity);
    const grpc::Status status = accounts_->ListAccounts(context.get(), request, &page);
    if (!status.ok()) return account_peer_.Failure(status, "the accounts of " + subject);
    for (const auto& account : page.accounts()) accounts->insert(account.name());
    if (static_cast<int>(accounts->size()) > options_.max_managed_accounts) {
      return common::FailedPrecondition("TOO_MANY_MANAGED_ACCOUNTS",
                                        subject + " manages more than " +
                                            std::to_string(options_.max_managed_accounts) +
                                            " accounts; filter cases by account instead");
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  std::lock_guard lock(mutex_);
  if (managed_.size() >= kMaxCachedSubjects) managed_.clear();
  managed_[subject] = {accounts, now + options_.managed_ttl};
  return std::shared_ptr<const std::set<std::string>>(accounts);
}

}  // namespace accord::quality
