#include "relation_logic.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/paging.h"
#include "contact_fields.h"

namespace accord::contact {
namespace {

namespace filter = common::filter;
using v1::AccountRelationRole;

const std::vector<std::string>& UpdatablePaths() {
  static const std::vector<std::string> kPaths = {"roles", "start_date", "end_date", "is_primary"};
  return kPaths;
}

bool DateBefore(const common::v1::Date& a, const common::v1::Date& b) {
  return std::make_tuple(a.year(), a.month(), a.day()) <
         std::make_tuple(b.year(), b.month(), b.day());
}

}  // namespace

int RoleRank(AccountRelationRole role) {
  switch (role) {
    case v1::ACCOUNT_RELATION_ROLE_EXECUTIVE_SPONSOR:
      return 0;
    case v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER:
      return 1;
    case v1::ACCOUNT_RELATION_ROLE_KEY_CONTACT:
      return 2;
    case v1::ACCOUNT_RELATION_ROLE_BUYER:
      return 3;
    case v1::ACCOUNT_RELATION_ROLE_TECHNICAL:
      return 4;
    case v1::ACCOUNT_RELATION_ROLE_BILLING:
      return 5;
    case v1::ACCOUNT_RELATION_ROLE_END_USER:
      return 6;
    default:
      return 7;
  }
}

AccountRelationRole TopRole(const AccountRelation& relation) {
  AccountRelationRole best = v1::ACCOUNT_RELATION_ROLE_UNSPECIFIED;
  for (int role : relation.roles()) {
    const auto value = static_cast<AccountRelationRole>(role);
    if (RoleRank(value) < RoleRank(best)) best = value;
  }
  return best;
}

void ValidateRelationFields(const AccountRelation& relation, const std::string& prefix,
                            common::Violations& violations) {
  if (relation.roles_size() > 7) violations.Add(prefix + "roles", "at most 7 roles");
  std::set<int> seen;
  for (int i = 0; i < relation.roles_size(); ++i) {
    const int role = relation.roles(i);
    const std::string field = prefix + "roles[" + std::to_string(i) + "]";
    if (role == 0 || !v1::AccountRelationRole_IsValid(role)) {
      violations.Add(field, "unknown role " + std::to_string(role));
    } else if (!seen.insert(role).second) {
      violations.Add(field, v1::AccountRelationRole_Name(role) + " is listed twice");
    }
  }
  if (!IsValidDate(relation.start_date())) {
    violations.Add(prefix + "start_date", "not a calendar date (year 1-9999, month, day)");
  }
  if (!IsValidDate(relation.end_date())) {
    violations.Add(prefix + "end_date", "not a calendar date (year 1-9999, month, day)");
  }
  if (!IsUnset(relation.start_date()) && !IsUnset(relation.end_date()) &&
      DateBefore(relation.end_date(), relation.start_date())) {
    violations.Add(prefix + "end_date", "is before start_date");
  }
}

RelationLogic::RelationLogic(RelationRepository& repository, ContactAccess& access,
                             ContactPresenter& presenter, const common::PageTokenCodec& page_tokens)
    : repository_(repository), access_(access), presenter_(presenter), page_tokens_(page_tokens) {}

absl::StatusOr<AccountRelation> RelationLogic::Create(
    const Caller& caller, const v1::CreateAccountRelationRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto contact_id = ParseContactName(request.parent(), "parent");
  MergeViolations(contact_id.status(), violations);
  auto account_id =
      ParseAccountName(request.account_relation().account(), "account_relation.account");
  MergeViolations(account_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  ValidateRelationFields(request.account_relation(), "account_relation.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  // The account must exist now (asked with the caller's identity); then the caller must be
  // entitled to it.
  ACCORD_RETURN_IF_ERROR(access_.accounts().CheckRelatable(caller.identity, *account_id));
  ACCORD_RETURN_IF_ERROR(access_.CheckRelationChange(caller, *account_id));
  AccountRelation relation = request.account_relation();
  relation.set_account(AccountName(*account_id));
  return repository_.Create(*contact_id, relation, meta);
}

absl::StatusOr<AccountRelation> RelationLogic::Get(const Caller&,
                                                   const v1::GetAccountRelationRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(RelationId name, ParseRelationName(request.name(), "name"));
  return repository_.Get(name.contact_id, name.id);
}

absl::StatusOr<v1::ListAccountRelationsResponse> RelationLogic::List(
    const Caller&, const v1::ListAccountRelationsRequest& request) {
  RelationListQuery query;
  if (request.parent() != "contacts/-") {
    ACCORD_ASSIGN_OR_RETURN(query.contact_id, ParseContactName(request.parent(), "parent"));
  }
  if (request.page_size() < 0) return common::InvalidArgument("page_size", "must not be negative");
  ACCORD_ASSIGN_OR_RETURN(OrderBy order, ParseOrderBy(request.order_by(), {"create_time"}));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(
      common::PageStart start,
      common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                        request.parent() + "\n" + request.filter() + "\n" + order.canonical));
  query.limit = start.limit;
  query.after = start.after;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(RelationPage page, repository_.List(query));
  v1::ListAccountRelationsResponse response;
  const size_t returned = common::PageRows(start, page.relations);
  for (size_t i = 0; i < returned; ++i) {
    *response.add_account_relations() = std::move(page.relations[i]);
  }
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.relations.size(), page.keys));
  return response;
}

absl::StatusOr<AccountRelation> RelationLogic::Update(
    const Caller& caller, const v1::UpdateAccountRelationRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto name = ParseRelationName(request.account_relation().name(), "account_relation.name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the relation as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  for (const auto& path : request.update_mask().paths()) {
    if (std::find(UpdatablePaths().begin(), UpdatablePaths().end(), path) ==
        UpdatablePaths().end()) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: roles, "
                                        "start_date, end_date, is_primary");
    }
  }
  if (request.update_mask().paths_size() == 0) {
    violations.Add("update_mask", "required: name the fields to change");
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(AccountRelation current, repository_.Get(name->contact_id, name->id));
  ACCORD_ASSIGN_OR_RETURN(std::string account_id, ParseAccountName(current.account(), "account"));
  ACCORD_RETURN_IF_ERROR(access_.CheckRelationChange(caller, account_id));
  return repository_.Update(
      name->contact_id, name->id,
      [&](const AccountRelation& locked) -> absl::StatusOr<AccountRelation> {
        if (request.etag() != locked.etag()) return common::EtagMismatch(locked.name());
        AccountRelation next = locked;
        const AccountRelation& patch = request.account_relation();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "roles") *next.mutable_roles() = patch.roles();
          if (path == "start_date") *next.mutable_start_date() = patch.start_date();
          if (path == "end_date") *next.mutable_end_date() = patch.end_date();
          if (path == "is_primary") next.set_is_primary(patch.is_primary());
        }
        common::Violations field_violations;
        ValidateRelationFields(next, "account_relation.", field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        return next;
      },
      meta);
}

absl::StatusOr<AccountRelation> RelationLogic::Delete(
    const Caller& caller, const v1::DeleteAccountRelationRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto name = ParseRelationName(request.name(), "name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the relation as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(AccountRelation current, repository_.Get(name->contact_id, name->id));
  ACCORD_ASSIGN_OR_RETURN(std::string account_id, ParseAccountName(current.account(), "account"));
  ACCORD_RETURN_IF_ERROR(access_.CheckRelationChange(caller, account_id));
  return repository_.Delete(
      name->contact_id, name->id,
      [&](const AccountRelation& locked) -> absl::StatusOr<AccountRelation> {
        if (request.etag() != locked.etag()) return common::EtagMismatch(locked.name());
        return locked;
      },
      meta);
}

absl::StatusOr<v1::ListKeyContactsResponse> RelationLogic::ListKeyContacts(
    const Caller& caller, const v1::ListKeyContactsRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string account_id, ParseAccountName(request.account(), "account"));
  ACCORD_ASSIGN_OR_RETURN(auto rows, repository_.KeyContacts(account_id));
  std::stable_sort(rows.begin(), rows.end(), [](const KeyContactRow& a, const KeyContactRow& b) {
    const int rank_a = RoleRank(TopRole(a.relation)), rank_b = RoleRank(TopRole(b.relation));
    if (rank_a != rank_b) return rank_a < rank_b;
    return a.relation.is_primary() && !b.relation.is_primary();
  });
  std::vector<ContactRecord> records;
  records.reserve(rows.size());
  for (auto& row : rows) records.push_back(std::move(row.contact));
  ACCORD_ASSIGN_OR_RETURN(auto contacts, presenter_.Present(caller, std::move(records)));
  v1::ListKeyContactsResponse response;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto* item = response.add_key_contacts();
    *item->mutable_contact() = std::move(contacts[i]);
    item->set_role(TopRole(rows[i].relation));
    *item->mutable_relation() = std::move(rows[i].relation);
  }
  return response;
}

}  // namespace accord::contact
