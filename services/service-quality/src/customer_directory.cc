#include "customer_directory.h"

#include "absl/strings/numbers.h"
#include "accord/common/errors.h"
#include "accord/common/filter.h"
#include "accord/common/grpc_status.h"

namespace accord::quality {
namespace {

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

GrpcCustomerDirectory::GrpcCustomerDirectory(DirectoryOptions options)
    : accounts_({.service = std::move(options.account),
                 .access_ttl = options.managed_ttl,
                 .max_managed_accounts = options.max_managed_accounts}),
      contact_client_(
          Idempotent(std::move(options.contact),
                     {"accord.contact.v1.ContactService/GetContact",
                      "accord.contact.v1.ContactAccountRelationService/ListAccountRelations"})),
      contacts_(contact::v1::ContactService::NewStub(contact_client_.channel())),
      relations_(contact::v1::ContactAccountRelationService::NewStub(contact_client_.channel())) {}

absl::StatusOr<std::optional<CaseParty>> PartyFromFacts(const std::string& account,
                                                        const FactsLookup& facts) {
  constexpr int kMaxMergeHops = 8;  // as common::AccountClient::FollowMerges
  std::string current = account;
  for (int hop = 0; hop < kMaxMergeHops; ++hop) {
    ACCORD_ASSIGN_OR_RETURN(std::optional<AccountFacts> known, facts(current));
    if (!known) return std::nullopt;
    if (known->deleted) break;
    if (known->merged_into.empty()) {
      CaseParty party;
      party.account = current;
      if (current != account) party.merged_from = account;
      party.tier = static_cast<account::v1::AccountTier>(known->tier);
      party.account_version = known->version;
      return std::optional<CaseParty>(std::move(party));
    }
    current = known->merged_into;
  }
  return common::WithReason(common::NotFound(account), "ACCOUNT_NOT_FOUND", {{"account", account}});
}

absl::StatusOr<CaseParty> GrpcCustomerDirectory::ResolveAccount(
    const common::CallIdentity& identity, const std::string& account) {
  CaseParty party;
  ACCORD_ASSIGN_OR_RETURN(account::v1::Account live,
                          accounts_.FollowMerges(identity, account, &party.merged_from));
  party.account = live.name();
  party.tier = live.tier();
  int64_t version = 0;
  if (absl::SimpleAtoi(live.etag(), &version)) party.account_version = version;
  return party;
}

absl::Status GrpcCustomerDirectory::AddContact(const common::CallIdentity& identity,
                                               const std::string& contact, CaseParty& party) {
  ACCORD_RETURN_IF_ERROR(contact_breaker_.Check(contact));
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
    if (!status.ok()) return contact_breaker_.Failure(status, contact);
  }
  contact::v1::ListAccountRelationsRequest list;
  list.set_parent(contact);
  list.set_page_size(1);
  std::string filter = "account = " + common::filter::Quoted(party.account);
  if (!party.merged_from.empty())
    filter += " OR account = " + common::filter::Quoted(party.merged_from);
  list.set_filter(filter);
  contact::v1::ListAccountRelationsResponse relations;
  {
    auto context = contact_client_.NewContext(identity);
    const grpc::Status status = relations_->ListAccountRelations(context.get(), list, &relations);
    if (!status.ok()) return contact_breaker_.Failure(status, contact + "'s relations");
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
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const std::set<std::string>>> GrpcCustomerDirectory::ManagedAccounts(
    const common::CallIdentity& identity, const std::string& subject) {
  return accounts_.ManagedAccounts(identity, subject);
}

}  // namespace accord::quality
