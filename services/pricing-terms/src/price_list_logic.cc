#include <google/protobuf/any.pb.h>

#include <set>

#include "absl/strings/cord.h"
#include "accord/common/idempotency.h"
#include "list_support.h"
#include "pricing_logic.h"

namespace accord::pricing {
namespace {

using common::Role;

constexpr int kMaxBatch = 1000;
constexpr int kMaxChainDepth = 4;  // a list and at most three bases above it

absl::Status Denied(const common::Principal& caller, const std::string& what) {
  return common::PermissionDenied("NOT_ALLOWED", caller.subject + " may not " + what);
}

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> kPaths = {"display_name", "valid_from",     "valid_until",
                                               "status",       "adjustment_bps", "rounding_step"};
  return kPaths;
}

std::vector<std::string> EffectivePaths(const v1::UpdatePriceListRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  const PriceList& patch = request.price_list();
  std::vector<std::string> paths;
  if (!patch.display_name().empty()) paths.push_back("display_name");
  if (patch.has_valid_from()) paths.push_back("valid_from");
  if (patch.has_valid_until()) paths.push_back("valid_until");
  if (patch.status() != 0) paths.push_back("status");
  if (patch.adjustment_bps() != 0) paths.push_back("adjustment_bps");
  if (patch.has_rounding_step()) paths.push_back("rounding_step");
  return paths;
}

}  // namespace

absl::Status CheckManagesPriceLists(const common::Principal& caller) {
  if (caller.HasAny({Role::kPricingManager, Role::kAdmin})) return absl::OkStatus();
  return Denied(caller, "manage price lists (pricing_manager or admin)");
}

absl::Status CheckUpsertsItems(const common::Principal& caller) {
  if (caller.HasAny({Role::kPricingManager, Role::kAdmin, Role::kIntegration})) {
    return absl::OkStatus();
  }
  return Denied(caller, "change price list items (pricing_manager, integration or admin)");
}

absl::Status CheckDraftsTerms(const common::Principal& caller) {
  if (caller.HasAny({Role::kAccountManager, Role::kPricingManager, Role::kAdmin})) {
    return absl::OkStatus();
  }
  return Denied(caller, "draft trading terms (account_manager, pricing_manager or admin)");
}

absl::Status CheckApprovesTerms(const common::Principal& caller) {
  if (caller.HasAny({Role::kPricingManager, Role::kAdmin})) return absl::OkStatus();
  return Denied(caller, "approve, reject or expire trading terms (pricing_manager or admin)");
}

absl::Status CheckWritesQuotes(const common::Principal& caller) {
  if (caller.HasAny(
          {Role::kAccountManager, Role::kSalesAssistant, Role::kPricingManager, Role::kAdmin})) {
    return absl::OkStatus();
  }
  return Denied(caller,
                "create or change quotes (account_manager, sales_assistant, pricing_manager or "
                "admin)");
}

absl::Status CheckRecordsSales(const common::Principal& caller) {
  if (caller.HasAny({Role::kSalesAssistant, Role::kAccountManager, Role::kAdmin})) {
    return absl::OkStatus();
  }
  return Denied(caller, "record sales (sales_assistant, account_manager or admin)");
}

absl::Status CheckAccountWrite(AccountDirectory& accounts, const Caller& caller,
                               const std::string& account_id,
                               std::initializer_list<common::Role> broad_roles, bool check_live) {
  if (check_live) ACCORD_RETURN_IF_ERROR(accounts.CheckLive(caller.identity, account_id));
  if (caller.HasAny(broad_roles) || !caller.HasAny({Role::kAccountManager})) {
    return absl::OkStatus();
  }
  ACCORD_ASSIGN_OR_RETURN(bool manages,
                          accounts.Manages(caller.identity, caller.subject, account_id));
  if (manages) return absl::OkStatus();
  return common::WithReason(
      common::PermissionDenied("NOT_ON_ACCOUNT_TEAM",
                               caller.subject + " neither owns " + AccountName(account_id) +
                                   " nor is on its team; an account manager works only on its "
                                   "own accounts"),
      "NOT_ON_ACCOUNT_TEAM", {{"account", AccountName(account_id)}});
}

bool IsAllowedPriceListTransition(v1::PriceListStatus from, v1::PriceListStatus to) {
  if (from == to) return true;
  switch (from) {
    case v1::PRICE_LIST_STATUS_DRAFT:
      return to == v1::PRICE_LIST_STATUS_ACTIVE || to == v1::PRICE_LIST_STATUS_RETIRED;
    case v1::PRICE_LIST_STATUS_ACTIVE:
      return to == v1::PRICE_LIST_STATUS_RETIRED;
    default:
      return false;
  }
}

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  out.set_message(std::string(status.message()));
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = out.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return out;
}

void ValidatePriceListFields(const PriceList& list, const std::string& prefix,
                             common::Violations& violations) {
  CheckText(list.display_name(), prefix + "display_name", 200, true, violations);
  const absl::Status currency =
      common::ValidateMoney(common::MakeMoney(list.currency_code(), 0), "");
  if (!currency.ok()) {
    violations.Add(prefix + "currency_code", "must be a three-letter upper-case ISO 4217 code");
  }
  ValidateDate(list.valid_from(), prefix + "valid_from", true, violations);
  ValidateDate(list.valid_until(), prefix + "valid_until", false, violations);
  if (IsValidDate(list.valid_from()) && IsValidDate(list.valid_until()) &&
      CompareDates(list.valid_until(), list.valid_from()) < 0) {
    violations.Add(prefix + "valid_until", "must not be before valid_from");
  }
  if (!list.base_price_list().empty()) {
    MergeViolations(
        ParseTopName(list.base_price_list(), "priceLists", prefix + "base_price_list").status(),
        violations);
  }
  if (list.adjustment_bps() <= -10000 || list.adjustment_bps() > 100000) {
    violations.Add(prefix + "adjustment_bps", "must be above -10000 and at most 100000");
  } else if (list.adjustment_bps() != 0 && list.base_price_list().empty()) {
    violations.Add(prefix + "adjustment_bps", "needs a base_price_list");
  }
  if (list.has_rounding_step()) {
    const std::string field = prefix + "rounding_step";
    common::Violations step;
    ValidateAmount(list.rounding_step(), field, list.currency_code(), step);
    for (const auto& violation : step.items())
      violations.Add(violation.field, violation.description);
    if (step.empty()) {
      const common::Int128 nanos = common::ToNanos(list.rounding_step());
      const int64_t minor = MinorUnitNanos(list.currency_code());
      if (nanos <= 0 || nanos % minor != 0) {
        violations.Add(field, "must be a positive multiple of the currency's minor unit");
      }
    }
  }
}

void ValidateItemFields(const PriceListItem& item, const std::string& prefix,
                        const std::string& currency, common::Violations& violations) {
  if (!IsValidSku(item.sku())) {
    violations.Add(prefix + "sku", "required: 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  CheckText(item.product_name(), prefix + "product_name", 200, true, violations);
  if (!item.category().empty() && !IsValidCategory(item.category())) {
    violations.Add(prefix + "category",
                   "must be 1 to 8 lower-case segments of a-z 0-9 _ - joined by /, e.g. "
                   "tools/power/drills");
  }
  CheckText(item.unit(), prefix + "unit", 20, true, violations);
  if (!item.has_unit_price()) {
    violations.Add(prefix + "unit_price", "required");
  } else {
    ValidateAmount(item.unit_price(), prefix + "unit_price", currency, violations);
  }
  if (item.has_unit_cost() && IsMoneySet(item.unit_cost())) {
    ValidateAmount(item.unit_cost(), prefix + "unit_cost", currency, violations);
  }
  if (item.quantity_breaks_size() > 20) {
    violations.Add(prefix + "quantity_breaks", "at most 20");
  }
  std::set<int64_t> seen;
  for (int i = 0; i < item.quantity_breaks_size() && i < 20; ++i) {
    const auto& quantity_break = item.quantity_breaks(i);
    const std::string field = prefix + "quantity_breaks[" + std::to_string(i) + "]";
    if (quantity_break.min_quantity() < 2 || quantity_break.min_quantity() > 1'000'000'000) {
      violations.Add(field + ".min_quantity", "must be 2 to 1000000000");
    } else if (!seen.insert(quantity_break.min_quantity()).second) {
      violations.Add(field + ".min_quantity", "another break starts at the same quantity");
    }
    if (!quantity_break.has_unit_price()) {
      violations.Add(field + ".unit_price", "required");
    } else {
      ValidateAmount(quantity_break.unit_price(), field + ".unit_price", currency, violations);
    }
  }
}

PriceListLogic::PriceListLogic(PricingRepository& repository,
                               const common::PageTokenCodec& page_tokens)
    : repository_(repository), page_tokens_(page_tokens) {}

absl::StatusOr<PriceList> PriceListLogic::Create(const common::Principal& caller,
                                                 const v1::CreatePriceListRequest& request,
                                                 WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckManagesPriceLists(caller));
  common::Violations violations;
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  PriceList list = request.price_list();
  list.clear_name();
  list.clear_etag();
  list.clear_create_time();
  list.clear_update_time();
  list.set_status(v1::PRICE_LIST_STATUS_DRAFT);
  list.set_author(caller.subject);
  ValidatePriceListFields(list, "price_list.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  if (!list.base_price_list().empty()) {
    // The base must exist, share the currency, and the chain stay short (bases are immutable
    // and must exist first, so a chain never loops).
    std::string next = list.base_price_list();
    for (int depth = 1; !next.empty(); ++depth) {
      if (depth >= kMaxChainDepth) {
        return common::InvalidArgument("price_list.base_price_list",
                                       "at most 3 lists may be chained above a list");
      }
      auto id = ParseTopName(next, "priceLists", "price_list.base_price_list");
      ACCORD_RETURN_IF_ERROR(id.status());
      auto base = repository_.GetPriceList(*id);
      if (absl::IsNotFound(base.status())) {
        return common::InvalidArgument("price_list.base_price_list", "no price list " + next);
      }
      ACCORD_RETURN_IF_ERROR(base.status());
      if (base->currency_code() != list.currency_code()) {
        return common::WithReason(common::InvalidArgument("price_list.base_price_list",
                                                          next + " is in " + base->currency_code() +
                                                              ", not " + list.currency_code()),
                                  "CURRENCY_MISMATCH");
      }
      next = base->base_price_list();
    }
  }
  meta.request_id = request.request_id();
  return repository_.CreatePriceList(list, meta);
}

absl::StatusOr<PriceList> PriceListLogic::Get(const common::Principal&,
                                              const v1::GetPriceListRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseTopName(request.name(), "priceLists", "name"));
  return repository_.GetPriceList(id);
}

absl::StatusOr<v1::ListPriceListsResponse> PriceListLogic::List(
    const common::Principal&, const v1::ListPriceListsRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(
      PreparedList prepared,
      PrepareList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                  request.order_by(), repository_.FilterSchema(Listed::kPriceLists),
                  {"create_time", "display_name"}, "priceLists"));
  ACCORD_ASSIGN_OR_RETURN(Page<PriceList> page, repository_.ListPriceLists(prepared.query));
  v1::ListPriceListsResponse response;
  response.set_next_page_token(
      FinishList(page_tokens_, prepared, page, response.mutable_price_lists()));
  return response;
}

absl::StatusOr<PriceList> PriceListLogic::Update(const common::Principal& caller,
                                                 const v1::UpdatePriceListRequest& request,
                                                 WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckManagesPriceLists(caller));
  common::Violations violations;
  auto id = ParseTopName(request.price_list().name(), "priceLists", "price_list.name");
  MergeViolations(id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (request.etag().empty()) violations.Add("etag", "required: the etag last read");
  const std::vector<std::string> paths = EffectivePaths(request);
  for (const auto& path : paths) {
    if (path == "currency_code" || path == "base_price_list") {
      violations.Add("update_mask", "`" + path + "` is immutable");
    } else if (!UpdatablePaths().count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: display_name, "
                                        "valid_from, valid_until, status, adjustment_bps, "
                                        "rounding_step");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const PriceList& patch = request.price_list();
  meta.request_id = request.request_id();
  return repository_.UpdatePriceList(
      *id,
      [&](const PriceList& current) -> absl::StatusOr<PriceList> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        PriceList next = current;
        for (const auto& path : paths) {
          if (path == "display_name") next.set_display_name(patch.display_name());
          if (path == "valid_from") *next.mutable_valid_from() = patch.valid_from();
          if (path == "valid_until") *next.mutable_valid_until() = patch.valid_until();
          if (path == "status") next.set_status(patch.status());
          if (path == "adjustment_bps") next.set_adjustment_bps(patch.adjustment_bps());
          if (path == "rounding_step") *next.mutable_rounding_step() = patch.rounding_step();
        }
        if (next.has_rounding_step() && !IsMoneySet(next.rounding_step())) {
          next.clear_rounding_step();
        }
        if (next.has_valid_until() && !IsDateSet(next.valid_until())) next.clear_valid_until();
        common::Violations invalid;
        if (!v1::PriceListStatus_IsValid(next.status()) ||
            next.status() == v1::PRICE_LIST_STATUS_UNSPECIFIED) {
          invalid.Add("price_list.status", "must be DRAFT, ACTIVE or RETIRED");
        }
        ValidatePriceListFields(next, "price_list.", invalid);
        ACCORD_RETURN_IF_ERROR(invalid.ToStatus());
        if (!IsAllowedPriceListTransition(current.status(), next.status())) {
          return common::FailedPrecondition(
              "ILLEGAL_STATUS_TRANSITION", "a price list cannot go from " +
                                               v1::PriceListStatus_Name(current.status()) + " to " +
                                               v1::PriceListStatus_Name(next.status()));
        }
        return next;
      },
      meta);
}

absl::StatusOr<PriceListItem> PriceListLogic::GetItem(const common::Principal&,
                                                      const v1::GetPriceListItemRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(ItemName name, ParseItemName(request.name(), "name"));
  return repository_.GetItem(name.price_list_id, name.sku);
}

absl::StatusOr<v1::ListPriceListItemsResponse> PriceListLogic::ListItems(
    const common::Principal&, const v1::ListPriceListItemsRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string list_id,
                          ParseTopName(request.parent(), "priceLists", "parent"));
  ACCORD_ASSIGN_OR_RETURN(
      PreparedList prepared,
      PrepareList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                  request.order_by(), repository_.FilterSchema(Listed::kItems),
                  {"sku", "product_name", "update_time"}, request.parent()));
  prepared.query.parent_id = list_id;
  ACCORD_ASSIGN_OR_RETURN(Page<PriceListItem> page, repository_.ListItems(prepared.query));
  v1::ListPriceListItemsResponse response;
  response.set_next_page_token(FinishList(page_tokens_, prepared, page, response.mutable_items()));
  return response;
}

absl::StatusOr<v1::BatchUpsertPriceListItemsResponse> PriceListLogic::BatchUpsertItems(
    const common::Principal& caller, const v1::BatchUpsertPriceListItemsRequest& request,
    WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckUpsertsItems(caller));
  common::Violations violations;
  auto list_id = ParseTopName(request.parent(), "priceLists", "parent");
  MergeViolations(list_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (request.items_size() == 0) violations.Add("items", "at least one item");
  if (request.items_size() > kMaxBatch) violations.Add("items", "at most 1000 items");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  // The currency never changes, so it is read before the write; the status is checked again
  // under the list's lock.
  ACCORD_ASSIGN_OR_RETURN(PriceList list, repository_.GetPriceList(*list_id));

  v1::BatchUpsertPriceListItemsResponse response;
  std::vector<PriceListItem> rows;
  std::vector<int> row_index;
  std::set<std::string> skus;
  for (int i = 0; i < request.items_size(); ++i) {
    const std::string prefix = "items[" + std::to_string(i) + "].";
    PriceListItem item = request.items(i);
    item.clear_name();
    item.clear_etag();
    item.clear_create_time();
    item.clear_update_time();
    common::Violations row;
    ValidateItemFields(item, prefix, list.currency_code(), row);
    if (row.empty() && !skus.insert(item.sku()).second) {
      row.Add(prefix + "sku", "appears earlier in the batch");
    }
    auto* result = response.add_results();
    result->set_index(i);
    if (!row.empty()) {
      *result->mutable_status() = ToRpcStatus(row.ToStatus());
      response.set_failed_count(response.failed_count() + 1);
      continue;
    }
    rows.push_back(std::move(item));
    row_index.push_back(i);
  }
  response.set_upserted_count(static_cast<int32_t>(rows.size()));
  meta.request_id = request.request_id();
  return repository_.UpsertItems(
      *list_id, rows, row_index, std::move(response),
      [](const PriceList& locked) -> absl::Status {
        if (locked.status() == v1::PRICE_LIST_STATUS_RETIRED) {
          return common::FailedPrecondition("PRICE_LIST_RETIRED",
                                            locked.name() + " is retired; its items are final");
        }
        return absl::OkStatus();
      },
      meta);
}

}  // namespace accord::pricing
