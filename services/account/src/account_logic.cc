#include "account_logic.h"

#include <algorithm>
#include <set>

#include "accord/common/errors.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"

namespace accord::account {
namespace {

using common::Role;
namespace filter = common::filter;

constexpr std::string_view kNamePrefix = "accounts/";
constexpr size_t kMaxDisplayName = 200;
constexpr size_t kMaxLegalName = 300;
constexpr size_t kMaxOwner = 200;

size_t CodePoints(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool IsBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> kPaths = {"display_name", "legal_name", "type",
                                               "lifecycle_stage", "owner"};
  return kPaths;
}

std::map<std::string, std::string> EnumValues(const google::protobuf::EnumDescriptor* descriptor,
                                              const std::string& prefix) {
  std::map<std::string, std::string> values;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto* value = descriptor->value(i);
    if (value->number() == 0) continue;
    values[value->name()] = std::to_string(value->number());
    values[value->name().substr(prefix.size())] = std::to_string(value->number());
  }
  return values;
}

// Filterable fields of an account, over the row alias `a` used by the repository's List query.
const filter::Schema& AccountFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"display_name", "a.display_name", filter::FieldType::kString, {}, {}},
        {"legal_name", "a.legal_name", filter::FieldType::kString, {}, {}},
        {"owner", "a.owner", filter::FieldType::kString, {}, {}},
        {"type", "a.type", filter::FieldType::kEnum,
         EnumValues(common::v1::OrganizationType_descriptor(), "ORGANIZATION_TYPE_"), {}},
        {"lifecycle_stage", "a.lifecycle_stage", filter::FieldType::kEnum,
         EnumValues(v1::LifecycleStage_descriptor(), "LIFECYCLE_STAGE_"), {}},
        {"create_time", "a.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "a.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    schema.text_search_sql = "a.display_name ILIKE {} OR a.legal_name ILIKE {}";
    return schema;
  }();
  return kSchema;
}

struct Order {
  AccountOrder field = AccountOrder::kDisplayName;
  bool descending = false;
  std::string canonical;  // for the page token's query fingerprint
};

absl::StatusOr<Order> ParseOrderBy(const std::string& order_by) {
  std::string text = order_by;
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string> words;
  size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && text[at] == ' ') ++at;
    size_t end = text.find(' ', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end;
  }
  Order order;
  if (words.empty()) {
    order.canonical = "display_name";
    return order;
  }
  if (words.size() > 2 || (words.size() == 2 && words[1] != "desc" && words[1] != "asc")) {
    return common::InvalidArgument(
        "order_by", "expected `display_name` or `create_time`, optionally followed by ` desc`");
  }
  if (words[0] == "display_name") {
    order.field = AccountOrder::kDisplayName;
  } else if (words[0] == "create_time") {
    order.field = AccountOrder::kCreateTime;
  } else {
    return common::InvalidArgument("order_by", "cannot order by `" + words[0] +
                                                   "`; use display_name or create_time");
  }
  order.descending = words.size() == 2 && words[1] == "desc";
  order.canonical = words[0] + (order.descending ? " desc" : "");
  return order;
}

absl::Status ValidateUpdateMask(const google::protobuf::FieldMask& mask) {
  common::Violations violations;
  for (const auto& path : mask.paths()) {
    if (!UpdatablePaths().count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: display_name, "
                                        "legal_name, type, lifecycle_stage, owner");
    }
  }
  return violations.ToStatus();
}

// AIP-134: without a mask, every updatable field the client set (non-default) is replaced.
std::vector<std::string> EffectivePaths(const UpdateAccountRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  const Account& patch = request.account();
  std::vector<std::string> paths;
  if (!patch.display_name().empty()) paths.push_back("display_name");
  if (!patch.legal_name().empty()) paths.push_back("legal_name");
  if (patch.type() != 0) paths.push_back("type");
  if (patch.lifecycle_stage() != 0) paths.push_back("lifecycle_stage");
  if (!patch.owner().empty()) paths.push_back("owner");
  return paths;
}

absl::Status CheckEtag(const std::string& supplied, const Account& current) {
  if (supplied != current.etag()) return common::EtagMismatch(current.name());
  return absl::OkStatus();
}

// Collects the field violations of `status` (from a parse helper) into `violations`.
void Merge(const absl::Status& status, common::Violations& violations) {
  for (auto& violation : common::FieldViolationsOf(status)) {
    violations.Add(violation.field, violation.description);
  }
}

absl::Status Denied(const common::Principal& caller, std::string_view action) {
  return common::PermissionDenied(
      "NOT_ALLOWED", std::string(caller.subject) + " may not " + std::string(action));
}

}  // namespace

absl::StatusOr<std::string> ParseAccountName(std::string_view name, const std::string& field) {
  if (name.empty()) return common::InvalidArgument(field, "required, e.g. accounts/{id}");
  if (name.substr(0, kNamePrefix.size()) != kNamePrefix) {
    return common::InvalidArgument(field, "must look like accounts/{id}");
  }
  std::string id(name.substr(kNamePrefix.size()));
  std::transform(id.begin(), id.end(), id.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!common::IsUuid(id)) {
    return common::InvalidArgument(field, "the id after accounts/ must be a UUID");
  }
  return id;
}

std::string AccountName(std::string_view id) { return std::string(kNamePrefix) + std::string(id); }

bool IsAllowedTransition(LifecycleStage from, LifecycleStage to) {
  using enum v1::LifecycleStage;
  if (from == to) return true;
  switch (from) {
    case LIFECYCLE_STAGE_PROSPECT:
      return to == LIFECYCLE_STAGE_ACTIVE || to == LIFECYCLE_STAGE_CHURNED;
    case LIFECYCLE_STAGE_ACTIVE:
      return to == LIFECYCLE_STAGE_AT_RISK || to == LIFECYCLE_STAGE_DORMANT ||
             to == LIFECYCLE_STAGE_CHURNED;
    case LIFECYCLE_STAGE_AT_RISK:
      return to == LIFECYCLE_STAGE_ACTIVE || to == LIFECYCLE_STAGE_DORMANT ||
             to == LIFECYCLE_STAGE_CHURNED;
    case LIFECYCLE_STAGE_DORMANT:
      return to == LIFECYCLE_STAGE_ACTIVE || to == LIFECYCLE_STAGE_AT_RISK ||
             to == LIFECYCLE_STAGE_CHURNED;
    case LIFECYCLE_STAGE_CHURNED:
      // Win-back: a lost customer is courted again, or simply buys again.
      return to == LIFECYCLE_STAGE_PROSPECT || to == LIFECYCLE_STAGE_ACTIVE;
    default:
      return false;
  }
}

void ValidateAccountFields(const Account& account, const std::string& prefix,
                           common::Violations& violations) {
  if (account.display_name().empty() || IsBlank(account.display_name())) {
    violations.Add(prefix + "display_name", "required");
  } else if (CodePoints(account.display_name()) > kMaxDisplayName) {
    violations.Add(prefix + "display_name", "at most 200 characters");
  }
  if (CodePoints(account.legal_name()) > kMaxLegalName) {
    violations.Add(prefix + "legal_name", "at most 300 characters");
  }
  if (account.type() == common::v1::ORGANIZATION_TYPE_UNSPECIFIED) {
    violations.Add(prefix + "type",
                   "required: COMMERCIAL, NON_PROFIT, GOVERNMENT, INTERNAL_UNIT or "
                   "PUBLIC_INSTITUTION");
  } else if (!common::v1::OrganizationType_IsValid(account.type())) {
    violations.Add(prefix + "type", "unknown organization type " + std::to_string(account.type()));
  }
  if (!v1::LifecycleStage_IsValid(account.lifecycle_stage()) ||
      account.lifecycle_stage() == v1::LIFECYCLE_STAGE_UNSPECIFIED) {
    violations.Add(prefix + "lifecycle_stage", "must be a known lifecycle stage");
  }
  if (account.owner().empty()) {
    violations.Add(prefix + "owner", "required");
  } else if (CodePoints(account.owner()) > kMaxOwner) {
    violations.Add(prefix + "owner", "at most 200 characters");
  }
}

bool CanCreate(const common::Principal& principal) {
  return principal.HasAny({Role::kAccountManager, Role::kAdmin, Role::kIntegration});
}

bool CanModify(const common::Principal& principal, const Account& account) {
  if (principal.HasAny({Role::kAdmin, Role::kIntegration})) return true;
  return principal.Has(Role::kAccountManager) && account.owner() == principal.subject;
}

bool CanDelete(const common::Principal& principal, const Account& account) {
  if (principal.Has(Role::kAdmin)) return true;
  return principal.Has(Role::kAccountManager) && account.owner() == principal.subject;
}

AccountLogic::AccountLogic(AccountRepository& repository,
                           const common::PageTokenCodec& page_tokens)
    : repository_(repository), page_tokens_(page_tokens) {}

absl::StatusOr<Account> AccountLogic::Create(const common::Principal& caller,
                                             const CreateAccountRequest& request,
                                             WriteMeta meta) {
  if (!CanCreate(caller)) return Denied(caller, "create accounts");
  ACCORD_RETURN_IF_ERROR(common::IdempotencyKeys::Validate(request.request_id()));
  Account account = request.account();
  account.clear_name();
  account.clear_etag();
  account.clear_create_time();
  account.clear_update_time();
  account.clear_delete_time();
  if (account.lifecycle_stage() == v1::LIFECYCLE_STAGE_UNSPECIFIED) {
    account.set_lifecycle_stage(v1::LIFECYCLE_STAGE_PROSPECT);
  }
  if (account.owner().empty()) account.set_owner(caller.subject);
  // An account manager creates accounts it owns; only admins and sync assign other owners.
  if (!caller.HasAny({Role::kAdmin, Role::kIntegration}) && account.owner() != caller.subject) {
    return Denied(caller, "create an account owned by someone else");
  }
  common::Violations violations;
  ValidateAccountFields(account, "account.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Create(account, meta);
}

absl::StatusOr<Account> AccountLogic::Get(const common::Principal&,
                                          const GetAccountRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseAccountName(request.name(), "name"));
  return repository_.Get(id);
}

absl::StatusOr<ListAccountsResponse> AccountLogic::List(const common::Principal&,
                                                        const ListAccountsRequest& request) {
  common::Violations violations;
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(Order order, ParseOrderBy(request.order_by()));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), AccountFilterSchema()));

  AccountListQuery query;
  query.limit = request.page_size() == 0 ? kDefaultPageSize
                                         : std::min(request.page_size(), kMaxPageSize);
  query.order = order.field;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  const std::string fingerprint = request.filter() + "\n" + order.canonical;
  if (!request.page_token().empty()) {
    ACCORD_ASSIGN_OR_RETURN(common::PageCursor cursor,
                            page_tokens_.Decode(request.page_token(), fingerprint));
    if (cursor.last_key.size() != 2) {
      return common::InvalidArgument("page_token", "not a token for this list");
    }
    query.after = cursor.last_key;
  }
  ACCORD_ASSIGN_OR_RETURN(AccountPage page, repository_.List(query));

  ListAccountsResponse response;
  const size_t returned = std::min(page.accounts.size(), static_cast<size_t>(query.limit));
  for (size_t i = 0; i < returned; ++i) *response.add_accounts() = std::move(page.accounts[i]);
  if (page.accounts.size() > returned && returned > 0) {
    response.set_next_page_token(page_tokens_.Encode({fingerprint, page.keys[returned - 1]}));
  }
  return response;
}

absl::StatusOr<Account> AccountLogic::Update(const common::Principal& caller,
                                             const UpdateAccountRequest& request,
                                             WriteMeta meta) {
  common::Violations violations;
  auto id = ParseAccountName(request.account().name(), "account.name");
  Merge(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the account as you last read it");
  }
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(ValidateUpdateMask(request.update_mask()));
  const std::vector<std::string> paths = EffectivePaths(request);
  if (paths.empty()) {
    return common::InvalidArgument("update_mask", "names no field to change");
  }
  meta.request_id = request.request_id();
  return repository_.Update(
      *id,
      [&](const Account& current) -> absl::StatusOr<Account> {
        if (!CanModify(caller, current)) return Denied(caller, "change " + current.name());
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        Account next = current;
        const Account& patch = request.account();
        for (const auto& path : paths) {
          if (path == "display_name") next.set_display_name(patch.display_name());
          if (path == "legal_name") next.set_legal_name(patch.legal_name());
          if (path == "type") next.set_type(patch.type());
          if (path == "lifecycle_stage") next.set_lifecycle_stage(patch.lifecycle_stage());
          if (path == "owner") next.set_owner(patch.owner());
        }
        common::Violations field_violations;
        ValidateAccountFields(next, "account.", field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        if (!IsAllowedTransition(current.lifecycle_stage(), next.lifecycle_stage())) {
          return common::FailedPrecondition(
              "ILLEGAL_LIFECYCLE_TRANSITION",
              "an account cannot move from " + v1::LifecycleStage_Name(current.lifecycle_stage()) +
                  " to " + v1::LifecycleStage_Name(next.lifecycle_stage()));
        }
        return next;
      },
      meta);
}

absl::StatusOr<Account> AccountLogic::Delete(const common::Principal& caller,
                                             const DeleteAccountRequest& request,
                                             WriteMeta meta) {
  common::Violations violations;
  auto id = ParseAccountName(request.name(), "name");
  Merge(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the account as you last read it");
  }
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Delete(
      *id,
      [&](const Account& current) -> absl::StatusOr<Account> {
        if (!CanDelete(caller, current)) return Denied(caller, "delete " + current.name());
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        return current;
      },
      meta);
}

}  // namespace accord::account
