#include "account_logic.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "accord/common/catalog.h"
#include "accord/common/errors.h"
#include "accord/common/field_limits.h"
#include "accord/common/fields.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/list_query.h"
#include "accord/common/money.h"
#include "accord/common/paging.h"
#include "accord/common/resource_name.h"
#include "account_access.h"
#include "team_repository.h"

namespace accord::account {
namespace {

using common::Role;
namespace filter = common::filter;

constexpr size_t kMaxDisplayName = 200;
constexpr size_t kMaxLegalName = 300;
constexpr size_t kMaxOwner = 200;

using common::CodePoints;
using common::FilterEnumValues;
using common::IsBlank;
using common::MergeViolations;

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> kPaths = {"display_name",
                                               "legal_name",
                                               "type",
                                               "lifecycle_stage",
                                               "owner",
                                               "tax_id",
                                               "tier",
                                               "industry",
                                               "size_band",
                                               "annual_revenue",
                                               "website",
                                               "billing_address",
                                               "shipping_address",
                                               "territory",
                                               "labels",
                                               "parent",
                                               "external_ids"};
  return kPaths;
}

// What a sync (UpsertAccountByExternalId) owns when it sends no mask.
const std::vector<std::string>& SyncOwnedPaths() {
  static const std::vector<std::string> kPaths = {
      "display_name", "legal_name",     "type",    "tax_id",          "industry",
      "size_band",    "annual_revenue", "website", "billing_address", "shipping_address"};
  return kPaths;
}

void CopyPath(const std::string& path, const Account& from, Account& to) {
  if (path == "display_name") to.set_display_name(from.display_name());
  if (path == "legal_name") to.set_legal_name(from.legal_name());
  if (path == "type") to.set_type(from.type());
  if (path == "lifecycle_stage") to.set_lifecycle_stage(from.lifecycle_stage());
  if (path == "owner") to.set_owner(from.owner());
  if (path == "tax_id") to.set_tax_id(from.tax_id());
  if (path == "tier") to.set_tier(from.tier());
  if (path == "industry") to.set_industry(from.industry());
  if (path == "size_band") to.set_size_band(from.size_band());
  if (path == "annual_revenue") {
    if (from.has_annual_revenue()) {
      *to.mutable_annual_revenue() = from.annual_revenue();
    } else {
      to.clear_annual_revenue();
    }
  }
  if (path == "website") to.set_website(from.website());
  if (path == "billing_address") {
    if (from.has_billing_address()) {
      *to.mutable_billing_address() = from.billing_address();
    } else {
      to.clear_billing_address();
    }
  }
  if (path == "shipping_address") {
    if (from.has_shipping_address()) {
      *to.mutable_shipping_address() = from.shipping_address();
    } else {
      to.clear_shipping_address();
    }
  }
  if (path == "territory") to.set_territory(from.territory());
  if (path == "labels") *to.mutable_labels() = from.labels();
  if (path == "parent") to.set_parent(from.parent());
  if (path == "external_ids") *to.mutable_external_ids() = from.external_ids();
}

struct Order {
  AccountOrder field = AccountOrder::kDisplayName;
  bool descending = false;
  std::string canonical;  // for the page token's query fingerprint
};

absl::StatusOr<Order> ParseOrderBy(const std::string& order_by) {
  ACCORD_ASSIGN_OR_RETURN(
      common::OrderBy parsed,
      common::ParseOrderBy(order_by, {"display_name", "create_time", "update_time"}));
  Order order;
  order.field = parsed.field == "create_time"   ? AccountOrder::kCreateTime
                : parsed.field == "update_time" ? AccountOrder::kUpdateTime
                                                : AccountOrder::kDisplayName;
  order.descending = parsed.descending;
  order.canonical = parsed.canonical;
  return order;
}

absl::Status ValidateUpdateMask(const google::protobuf::FieldMask& mask) {
  common::Violations violations;
  for (const auto& path : mask.paths()) {
    if (!UpdatablePaths().count(path)) {
      violations.Add("update_mask", "`" + path + "` cannot be updated");
    }
  }
  return violations.ToStatus();
}

// AIP-134: without a mask, every updatable field the client set (non-default) is replaced.
std::vector<std::string> EffectivePaths(const UpdateAccountRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  // Every updatable field the client set; name, etag and times are ignored.
  std::vector<const google::protobuf::FieldDescriptor*> set_fields;
  request.account().GetReflection()->ListFields(request.account(), &set_fields);
  std::vector<std::string> paths;
  for (const auto* field : set_fields) {
    if (UpdatablePaths().count(field->name())) paths.push_back(field->name());
  }
  return paths;
}

absl::Status IllegalTransition(const Account& current, const Account& next) {
  return common::FailedPrecondition("ILLEGAL_LIFECYCLE_TRANSITION",
                                    "an account cannot move from " +
                                        v1::LifecycleStage_Name(current.lifecycle_stage()) +
                                        " to " + v1::LifecycleStage_Name(next.lifecycle_stage()));
}

// `current` with `paths` copied from `patch`, validated as a whole.
absl::StatusOr<Account> ApplyPaths(const Account& current, const Account& patch,
                                   const std::vector<std::string>& paths,
                                   const std::string& prefix) {
  Account next = current;
  for (const auto& path : paths) CopyPath(path, patch, next);
  common::Violations violations;
  ValidateAccountFields(next, prefix, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  if (!IsAllowedTransition(current.lifecycle_stage(), next.lifecycle_stage())) {
    return IllegalTransition(current, next);
  }
  return next;
}

using common::CheckEtag;

absl::Status Denied(const common::Principal& caller, std::string_view action) {
  return common::PermissionDenied("NOT_ALLOWED",
                                  std::string(caller.subject) + " may not " + std::string(action));
}

}  // namespace

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
  if (CodePoints(account.tax_id()) > 64) violations.Add(prefix + "tax_id", "at most 64 characters");
  if (!v1::AccountTier_IsValid(account.tier()) || account.tier() == v1::ACCOUNT_TIER_UNSPECIFIED) {
    violations.Add(prefix + "tier", "must be STRATEGIC, KEY or STANDARD");
  }
  if (CodePoints(account.industry()) > 100) {
    violations.Add(prefix + "industry", "at most 100 characters");
  }
  if (!v1::SizeBand_IsValid(account.size_band())) {
    violations.Add(prefix + "size_band", "unknown size band");
  }
  if (account.has_annual_revenue()) {
    if (auto status = common::ValidateMoney(account.annual_revenue(), prefix + "annual_revenue");
        !status.ok()) {
      for (auto& violation : common::FieldViolationsOf(status)) {
        violations.Add(violation.field, violation.description);
      }
    } else if (account.annual_revenue().units() < 0 || account.annual_revenue().nanos() < 0) {
      violations.Add(prefix + "annual_revenue", "must not be negative");
    }
  }
  if (!account.website().empty() && account.website().rfind("https://", 0) != 0 &&
      account.website().rfind("http://", 0) != 0) {
    violations.Add(prefix + "website", "must start with https:// or http://");
  } else if (account.website().size() > 300) {
    violations.Add(prefix + "website", "at most 300 characters");
  }
  for (const char* which : {"billing_address", "shipping_address"}) {
    const auto& address = std::string(which) == "billing_address" ? account.billing_address()
                                                                  : account.shipping_address();
    const std::string path = prefix + which;
    if (address.address_lines_size() > 5)
      violations.Add(path + ".address_lines", "at most 5 lines");
    for (const auto& line : address.address_lines()) {
      if (CodePoints(line) > 200)
        violations.Add(path + ".address_lines", "each at most 200 characters");
    }
    const auto& region = address.region_code();
    if (!region.empty() &&
        (region.size() != 2 || !std::isupper(static_cast<unsigned char>(region[0])) ||
         !std::isupper(static_cast<unsigned char>(region[1])))) {
      violations.Add(path + ".region_code", "a two-letter upper-case CLDR region code, e.g. TW");
    }
  }
  if (CodePoints(account.territory()) > 100) {
    violations.Add(prefix + "territory", "at most 100 characters");
  }
  if (account.labels_size() > 50) violations.Add(prefix + "labels", "at most 50 labels");
  std::set<std::string> seen_labels;
  for (const auto& label : account.labels()) {
    bool ok =
        !label.empty() && label.size() <= 63 &&
        std::all_of(label.begin(), label.end(), [](unsigned char c) {
          return std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == ':' || c == '.';
        });
    if (!ok) {
      violations.Add(prefix + "labels", "`" + label.substr(0, 63) +
                                            "`: lower-case letters, digits and -_:. only, 1-63");
    } else if (!seen_labels.insert(label).second) {
      violations.Add(prefix + "labels", "`" + label + "` appears twice");
    }
  }
  if (!account.parent().empty()) {
    auto parent = ParseAccountName(account.parent(), prefix + "parent");
    if (!parent.ok()) {
      violations.Add(prefix + "parent", "must look like accounts/{id}");
    } else if (!account.name().empty() && account.parent() == account.name()) {
      violations.Add(prefix + "parent", "an account cannot be its own parent");
    }
  }
  if (account.external_ids_size() > 20) {
    violations.Add(prefix + "external_ids", "at most 20 source systems");
  }
  for (const auto& [system, id] : account.external_ids()) {
    bool system_ok =
        !system.empty() && system.size() <= 64 &&
        std::all_of(system.begin(), system.end(), [](unsigned char c) {
          return std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == '.';
        });
    if (!system_ok) {
      violations.Add(prefix + "external_ids", "system `" + system.substr(0, 64) +
                                                  "`: lower-case letters, digits and -_. only");
    }
    if (id.empty() || id.size() > 200) {
      violations.Add(prefix + "external_ids[" + system.substr(0, 64) + "]", "1 to 200 characters");
    }
  }
}

bool CanCreate(const common::Principal& principal) {
  return principal.HasAny({Role::kAccountManager, Role::kAdmin, Role::kIntegration});
}

bool CanModify(const common::Principal& principal, const Account& account,
               const AccountFacts& facts) {
  // The one rule for everything written to an account (see account_access.h).
  return CheckAccountWriteAccess(principal, {account.name(), account.owner(), facts.actor_on_team})
      .ok();
}

bool CanSync(const common::Principal& principal) {
  return principal.HasAny({Role::kIntegration, Role::kAdmin});
}

bool CanDelete(const common::Principal& principal, const Account& account) {
  if (principal.Has(Role::kAdmin)) return true;
  return principal.Has(Role::kAccountManager) && account.owner() == principal.subject;
}

AccountLogic::AccountLogic(AccountRepository& repository, const common::PageTokenCodec& page_tokens,
                           size_t response_budget_bytes)
    : repository_(repository),
      page_tokens_(page_tokens),
      response_budget_bytes_(response_budget_bytes) {}

absl::StatusOr<Account> AccountLogic::Create(const common::Principal& caller,
                                             const CreateAccountRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  if (!CanCreate(caller)) return Denied(caller, "create accounts");
  ACCORD_RETURN_IF_ERROR(common::IdempotencyKeys::Validate(request.request_id()));
  Account account = request.account();
  account.clear_name();
  account.clear_etag();
  account.clear_create_time();
  account.clear_update_time();
  account.clear_delete_time();
  account.clear_merged_into();
  if (account.lifecycle_stage() == v1::LIFECYCLE_STAGE_UNSPECIFIED) {
    account.set_lifecycle_stage(v1::LIFECYCLE_STAGE_PROSPECT);
  }
  if (account.tier() == v1::ACCOUNT_TIER_UNSPECIFIED) account.set_tier(v1::ACCOUNT_TIER_STANDARD);
  if (account.owner().empty()) account.set_owner(caller.subject);
  // An account manager creates accounts it owns; only admins and sync assign other owners.
  if (!CheckOwnerChange(caller, "", caller.subject, account.owner()).ok()) {
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
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseAccountName(request.name(), "name"));
  return repository_.Get(id);
}

void AccountLogic::GetEncodedAsync(const common::Principal&, const GetAccountRequest& request,
                                   AccountRepository::GetEncodedCallback done) {
  if (auto limits = common::CheckFieldLimits(request); !limits.ok()) {
    done(std::move(limits));
    return;
  }
  auto id = ParseAccountName(request.name(), "name");
  if (!id.ok()) {
    done(id.status());
    return;
  }
  repository_.GetEncodedAsync(*id, std::move(done));
}

std::optional<absl::StatusOr<std::string>> AccountLogic::GetEncodedWithoutIo(
    const common::Principal&, const GetAccountRequest& request) {
  if (auto limits = common::CheckFieldLimits(request); !limits.ok()) {
    return absl::StatusOr<std::string>(std::move(limits));
  }
  auto id = ParseAccountName(request.name(), "name");
  if (!id.ok()) return absl::StatusOr<std::string>(id.status());
  if (auto bytes = repository_.PeekLocalEncoded(*id)) {
    return absl::StatusOr<std::string>(std::move(*bytes));
  }
  return std::nullopt;
}

absl::StatusOr<ListAccountsResponse> AccountLogic::List(const common::Principal&,
                                                        const ListAccountsRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_ASSIGN_OR_RETURN(Order order, ParseOrderBy(request.order_by()));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                                            request.filter() + "\n" + order.canonical));
  AccountListQuery query;
  query.limit = start.limit;
  query.after = start.after;
  query.order = order.field;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  query.filter_matches_pairs = compiled.matches_pairs;
  query.filter_matches_elements = compiled.matches_elements;
  ACCORD_ASSIGN_OR_RETURN(AccountPage page, repository_.List(query));

  ListAccountsResponse response;
  const size_t returned =
      common::RowsWithinBudget(start, common::EntryBytes(page.accounts), response_budget_bytes_);
  for (size_t i = 0; i < returned; ++i) *response.add_accounts() = std::move(page.accounts[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.accounts.size(), page.keys));
  return response;
}

absl::StatusOr<Account> AccountLogic::Update(const common::Principal& caller,
                                             const UpdateAccountRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto id = ParseAccountName(request.account().name(), "account.name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the account as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(ValidateUpdateMask(request.update_mask()));
  const std::vector<std::string> paths = EffectivePaths(request);
  if (paths.empty()) {
    return common::InvalidArgument("update_mask", "names no field to change");
  }
  meta.request_id = request.request_id();
  meta.may_move = std::find(paths.begin(), paths.end(), "parent") != paths.end();
  return repository_.Update(
      *id,
      [&](const Account& current, const AccountFacts& facts) -> absl::StatusOr<Account> {
        if (!CanModify(caller, current, facts)) return Denied(caller, "change " + current.name());
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        ACCORD_ASSIGN_OR_RETURN(Account next,
                                ApplyPaths(current, request.account(), paths, "account."));
        // Field rules, against the row as locked (see account.proto): the owner grants delete.
        ACCORD_RETURN_IF_ERROR(
            CheckOwnerChange(caller, current.name(), current.owner(), next.owner()));
        return next;
      },
      meta);
}

absl::StatusOr<Account> AccountLogic::Delete(const common::Principal& caller,
                                             const DeleteAccountRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto id = ParseAccountName(request.name(), "name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the account as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Delete(
      *id,
      [&](const Account& current, const AccountFacts&) -> absl::StatusOr<Account> {
        if (!CanDelete(caller, current)) return Denied(caller, "delete " + current.name());
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        return current;
      },
      meta);
}

absl::StatusOr<BatchGetAccountsResponse> AccountLogic::BatchGet(
    const common::Principal&, const BatchGetAccountsRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  if (request.names_size() == 0) violations.Add("names", "name at least one account");
  if (request.names_size() > kMaxBatch) violations.Add("names", "at most 1000 names");
  std::vector<std::string> ids;
  for (int i = 0; i < request.names_size() && i < kMaxBatch; ++i) {
    auto id = ParseAccountName(request.names(i), "names[" + std::to_string(i) + "]");
    if (id.ok()) {
      ids.push_back(*id);
    } else {
      MergeViolations(id.status(), violations);
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(std::vector<Account> accounts, repository_.BatchGet(ids));
  // A batch cannot end early like a page: the caller asked for these names, in this order.
  ACCORD_RETURN_IF_ERROR(common::CheckResponseBudget(common::EntryBytes(accounts),
                                                     response_budget_bytes_, "accounts"));
  BatchGetAccountsResponse response;
  for (auto& account : accounts) *response.add_accounts() = std::move(account);
  return response;
}

namespace {

void ValidateExternalKey(const std::string& system, const std::string& external_id,
                         const std::string& prefix, common::Violations& violations) {
  if (system.empty()) violations.Add(prefix + "system", "required, e.g. erp");
  if (system.size() > 64) violations.Add(prefix + "system", "at most 64 characters");
  if (external_id.empty()) violations.Add(prefix + "external_id", "required");
  if (external_id.size() > 200) violations.Add(prefix + "external_id", "at most 200 characters");
}

}  // namespace

absl::StatusOr<Account> AccountLogic::LookupByExternalId(
    const common::Principal&, const LookupAccountByExternalIdRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  ValidateExternalKey(request.system(), request.external_id(), "", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.GetByExternalId(request.system(), request.external_id());
}

absl::StatusOr<UpsertAccountByExternalIdResponse> AccountLogic::UpsertByExternalId(
    const common::Principal& caller, const UpsertAccountByExternalIdRequest& request,
    WriteMeta meta, const std::string& field_prefix) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  if (!CanSync(caller)) return Denied(caller, "sync accounts through external ids");
  common::Violations violations;
  ValidateExternalKey(request.system(), request.external_id(), field_prefix, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  for (const auto& path : request.update_mask().paths()) {
    if (!UpdatablePaths().count(path) || path == "external_ids") {
      violations.Add(field_prefix + "update_mask", "`" + path + "` cannot be synced");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  std::vector<std::string> paths(request.update_mask().paths().begin(),
                                 request.update_mask().paths().end());
  if (paths.empty()) paths = SyncOwnedPaths();
  meta.may_move = std::find(paths.begin(), paths.end(), "parent") != paths.end();

  Account create = request.account();
  create.clear_name();
  create.clear_etag();
  create.clear_merged_into();
  create.clear_create_time();
  create.clear_update_time();
  create.clear_delete_time();
  if (create.lifecycle_stage() == v1::LIFECYCLE_STAGE_UNSPECIFIED) {
    create.set_lifecycle_stage(v1::LIFECYCLE_STAGE_PROSPECT);
  }
  if (create.tier() == v1::ACCOUNT_TIER_UNSPECIFIED) create.set_tier(v1::ACCOUNT_TIER_STANDARD);
  if (create.owner().empty()) create.set_owner(caller.subject);
  (*create.mutable_external_ids())[request.system()] = request.external_id();
  ValidateAccountFields(create, field_prefix + "account.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());

  auto result = repository_.UpsertByExternalId(
      request.system(), request.external_id(), create,
      [&](const Account& current, const AccountFacts&) -> absl::StatusOr<Account> {
        return ApplyPaths(current, request.account(), paths, field_prefix + "account.");
      },
      meta);
  if (!result.ok()) return result.status();
  UpsertAccountByExternalIdResponse response;
  *response.mutable_account() = std::move(result->first);
  response.set_created(result->second);
  return response;
}

absl::StatusOr<BatchUpsertAccountsByExternalIdResponse> AccountLogic::BatchUpsertByExternalId(
    const common::Principal& caller, const BatchUpsertAccountsByExternalIdRequest& request,
    WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  if (!CanSync(caller)) return Denied(caller, "sync accounts through external ids");
  if (request.requests_size() == 0 || request.requests_size() > kMaxBatch) {
    return common::InvalidArgument("requests", "send 1 to 1000 items");
  }
  BatchUpsertAccountsByExternalIdResponse response;
  for (int i = 0; i < request.requests_size(); ++i) {
    auto* result = response.add_results();
    // Each item is its own transaction: one bad row does not fail the rest.
    auto item = UpsertByExternalId(caller, request.requests(i), meta,
                                   "requests[" + std::to_string(i) + "].");
    if (item.ok()) {
      *result->mutable_response() = std::move(*item);
      continue;
    }
    result->set_code(static_cast<int>(item.status().code()));
    result->set_message(std::string(item.status().message()));
    for (const auto& violation : common::FieldViolationsOf(item.status())) {
      result->add_violated_fields(violation.field);
    }
  }
  return response;
}

absl::StatusOr<AccountTree> AccountLogic::GetTree(const common::Principal&,
                                                  const GetAccountTreeRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseAccountName(request.name(), "name"));
  if (request.max_depth() < 0) return common::InvalidArgument("max_depth", "must not be negative");
  const int depth =
      request.max_depth() == 0 ? kMaxTreeDepth : std::min(request.max_depth(), kMaxTreeDepth);
  ACCORD_ASSIGN_OR_RETURN(Account root, repository_.Get(id));
  ACCORD_ASSIGN_OR_RETURN(std::vector<TreeRow> rows, repository_.Subtree(id, depth));
  AccountTree tree;
  *tree.mutable_root() = std::move(root);
  for (auto& row : rows) {
    auto& by_stage = (*tree.mutable_descendants_by_lifecycle_stage())[v1::LifecycleStage_Name(
        row.account.lifecycle_stage())];
    ++by_stage;
    ++(*tree.mutable_descendants_by_tier())[v1::AccountTier_Name(row.account.tier())];
    auto* node = tree.add_descendants();
    *node->mutable_account() = std::move(row.account);
    node->set_depth(row.depth);
  }
  tree.set_descendant_count(tree.descendants_size());
  // A tree is not paged: one too large for a response is refused with the limit, not cut.
  if (const size_t bytes = tree.ByteSizeLong(); bytes > response_budget_bytes_) {
    return common::WithReason(
        absl::ResourceExhaustedError(absl::StrCat(
            "the tree of ", tree.descendant_count(), " descendants adds up to ", bytes,
            " bytes, more than the ", response_budget_bytes_,
            " bytes one response may carry (set by ACCORD_MAX_MESSAGE_BYTES); ask for a smaller "
            "max_depth, or list the children with the filter parent = \"",
            tree.root().name(), "\"")),
        common::ReasonName(common::v1::RESPONSE_TOO_LARGE),
        {{"max_response_bytes", std::to_string(response_budget_bytes_)}});
  }
  return tree;
}

absl::StatusOr<MergeAccountsResponse> AccountLogic::Merge(const common::Principal& caller,
                                                          const MergeAccountsRequest& request,
                                                          WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto survivor_id = ParseAccountName(request.survivor(), "survivor");
  auto duplicate_id = ParseAccountName(request.duplicate(), "duplicate");
  MergeViolations(survivor_id.status(), violations);
  MergeViolations(duplicate_id.status(), violations);
  if (request.survivor_etag().empty()) violations.Add("survivor_etag", "required");
  if (request.duplicate_etag().empty()) violations.Add("duplicate_etag", "required");
  if (survivor_id.ok() && duplicate_id.ok() && *survivor_id == *duplicate_id) {
    violations.Add("duplicate", "must differ from survivor");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  auto merged = repository_.Merge(
      *survivor_id, *duplicate_id,
      [&](const Account& survivor, const Account& duplicate, const AccountFacts& survivor_facts,
          const AccountFacts&) -> absl::Status {
        if (!CanModify(caller, survivor, survivor_facts) || !CanDelete(caller, duplicate)) {
          return Denied(caller, "merge " + duplicate.name() + " into " + survivor.name());
        }
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.survivor_etag(), survivor));
        return CheckEtag(request.duplicate_etag(), duplicate);
      },
      meta);
  if (!merged.ok()) return merged.status();
  MergeAccountsResponse response;
  *response.mutable_survivor() = std::move(merged->survivor);
  *response.mutable_duplicate() = std::move(merged->duplicate);
  return response;
}

}  // namespace accord::account
