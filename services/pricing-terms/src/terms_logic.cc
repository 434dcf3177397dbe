#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "accord/common/idempotency.h"
#include "list_support.h"
#include "pricing_logic.h"

namespace accord::pricing {
namespace {

using common::Role;

// Roles that draft terms for any account; an account manager drafts only for its own.
constexpr std::initializer_list<Role> kBroadTermsRoles = {Role::kPricingManager, Role::kAdmin};

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> kPaths = {
      "price_list",         "discount_rules", "payment_net_days", "minimum_order_value",
      "credit_limit",       "valid_from",     "valid_until",      "early_payment_discount_bps",
      "early_payment_days", "volume_rebate"};
  return kPaths;
}

std::vector<std::string> EffectivePaths(const v1::UpdateTradingTermsRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  const TradingTerms& patch = request.trading_terms();
  std::vector<std::string> paths;
  if (!patch.price_list().empty()) paths.push_back("price_list");
  if (patch.discount_rules_size() > 0) paths.push_back("discount_rules");
  if (patch.payment_net_days() != 0) paths.push_back("payment_net_days");
  if (patch.has_minimum_order_value()) paths.push_back("minimum_order_value");
  if (patch.has_credit_limit()) paths.push_back("credit_limit");
  if (patch.has_valid_from()) paths.push_back("valid_from");
  if (patch.has_valid_until()) paths.push_back("valid_until");
  if (patch.early_payment_discount_bps() != 0) paths.push_back("early_payment_discount_bps");
  if (patch.early_payment_days() != 0) paths.push_back("early_payment_days");
  if (patch.has_volume_rebate()) paths.push_back("volume_rebate");
  return paths;
}

absl::Status IllegalTransition(const TradingTerms& terms, v1::TradingTermsStatus to) {
  return common::FailedPrecondition("ILLEGAL_STATUS_TRANSITION",
                                    terms.name() + " cannot go from " +
                                        v1::TradingTermsStatus_Name(terms.status()) + " to " +
                                        v1::TradingTermsStatus_Name(to));
}

// Checks shared by the transition methods: name, etag present, request id.
absl::StatusOr<TermsName> ParseTransition(const std::string& name, const std::string& etag,
                                          const std::string& request_id,
                                          common::Violations& violations) {
  auto parsed = ParseTermsName(name, "name");
  MergeViolations(parsed.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request_id), violations);
  if (etag.empty()) violations.Add("etag", "required: the etag last read");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return parsed;
}

// Who may activate pending terms (pricing_policy.proto): their author or submitter within its
// own authority under the policy; anyone else only as a pricing manager or admin whose approval
// authority covers the largest discount, giving a reason when the terms breach the policy.
absl::Status CheckApproval(const Caller& caller, const TradingTerms& terms,
                           const PricingPolicy& policy, const std::string& reason) {
  ACCORD_RETURN_IF_ERROR(CheckCategoryLimits(terms, policy));
  const int32_t largest = LargestDiscount(terms);
  if (terms.author() == caller.subject || terms.submitter() == caller.subject) {
    const std::optional<int32_t> own = OwnAuthority(policy, caller);
    const bool beyond_tier = std::any_of(
        terms.policy_breaches().begin(), terms.policy_breaches().end(),
        [](const v1::PolicyBreach& breach) { return breach.limit().rfind("tier ", 0) == 0; });
    if (beyond_tier) {
      return common::PermissionDenied(
          "SELF_APPROVAL", caller.subject + " drafted or submitted " + terms.name() +
                               ", which goes beyond the pricing policy's limit for its account's "
                               "tier; a pricing_manager must approve it");
    }
    if (own && largest <= *own) return absl::OkStatus();
    return common::PermissionDenied(
        "SELF_APPROVAL",
        caller.subject + " drafted or submitted " + terms.name() +
            (own ? " and its largest discount (" + std::to_string(largest) +
                       " bps) exceeds its own authority (" + std::to_string(*own) + " bps)"
                 : " and the pricing policy gives its roles no authority of their own") +
            "; another pricing_manager must approve it");
  }
  ACCORD_RETURN_IF_ERROR(CheckApprovesTerms(caller));
  const int32_t authority = ApprovalAuthority(policy, caller);
  if (largest > authority) {
    return common::PermissionDenied(
        "ABOVE_APPROVAL_AUTHORITY",
        caller.subject + " approves discounts up to " + std::to_string(authority) + " bps; " +
            terms.name() + " grants " + std::to_string(largest) + " bps: an admin must approve it");
  }
  if (terms.policy_breaches_size() > 0 && IsBlank(reason)) {
    return common::InvalidArgument(
        "reason", "required: " + terms.name() + " goes beyond its submitter's authority (" +
                      terms.policy_breaches(0).field() + ": " +
                      std::to_string(terms.policy_breaches(0).actual_bps()) + " bps against " +
                      std::to_string(terms.policy_breaches(0).allowed_bps()) +
                      " bps); say why it is approved");
  }
  return absl::OkStatus();
}

}  // namespace

Date EndedOn(const TradingTerms& terms, const Date& day) {
  Date last = CompareDates(day, terms.valid_from()) < 0 ? terms.valid_from() : day;
  if (IsDateSet(terms.valid_until()) && CompareDates(terms.valid_until(), last) < 0) {
    last = terms.valid_until();
  }
  return last;
}

void ValidateTermsFields(const TradingTerms& terms, const std::string& prefix,
                         const std::string& currency, common::Violations& violations) {
  if (terms.price_list().empty()) {
    violations.Add(prefix + "price_list", "required, e.g. priceLists/{id}");
  } else {
    MergeViolations(ParseTopName(terms.price_list(), "priceLists", prefix + "price_list").status(),
                    violations);
  }
  if (terms.discount_rules_size() > 200) violations.Add(prefix + "discount_rules", "at most 200");
  std::set<std::string> scopes;
  for (int i = 0; i < terms.discount_rules_size() && i < 200; ++i) {
    const auto& rule = terms.discount_rules(i);
    const std::string field = prefix + "discount_rules[" + std::to_string(i) + "]";
    const bool has_sku = !rule.sku().empty();
    const bool has_category = !rule.category().empty();
    if (has_sku && has_category) {
      violations.Add(field, "set at most one of sku and category (neither: every item)");
    } else if (has_sku && !IsValidSku(rule.sku())) {
      violations.Add(field + ".sku", "must be 1 to 64 of A-Z a-z 0-9 . _ -");
    } else if (has_category && !IsValidCategory(rule.category())) {
      violations.Add(field + ".category",
                     "must be lower-case segments joined by /, e.g. tools/power");
    }
    const bool percent = rule.kind() == v1::DISCOUNT_KIND_UNSPECIFIED ||
                         rule.kind() == v1::DISCOUNT_KIND_PERCENT_OFF;
    if (!v1::DiscountKind_IsValid(rule.kind())) {
      violations.Add(field + ".kind", "must be PERCENT_OFF, AMOUNT_OFF or FIXED_PRICE");
    } else if (percent) {
      if (rule.discount_bps() < 1 || rule.discount_bps() > 10000) {
        violations.Add(field + ".discount_bps", "must be 1 to 10000 (0.01% to 100%)");
      }
      if (IsMoneySet(rule.amount()))
        violations.Add(field + ".amount", "only with AMOUNT_OFF or FIXED_PRICE");
    } else {
      if (rule.discount_bps() != 0)
        violations.Add(field + ".discount_bps", "only with PERCENT_OFF");
      if (!IsMoneySet(rule.amount())) {
        violations.Add(field + ".amount", "required with AMOUNT_OFF and FIXED_PRICE");
      } else {
        ValidateAmount(rule.amount(), field + ".amount", currency, violations);
      }
    }
    if (rule.min_quantity() < 0 || rule.min_quantity() > 1'000'000'000) {
      violations.Add(field + ".min_quantity", "must be 0 to 1000000000");
    }
    if (rule.max_quantity() < 0 || rule.max_quantity() > 1'000'000'000) {
      violations.Add(field + ".max_quantity", "must be 0 to 1000000000");
    } else if (rule.max_quantity() > 0 && rule.max_quantity() < rule.min_quantity()) {
      violations.Add(field + ".max_quantity", "must not be below min_quantity");
    }
    if (rule.priority() < 0 || rule.priority() > 1000) {
      violations.Add(field + ".priority", "must be 0 to 1000");
    }
    if (rule.combinable() && rule.kind() == v1::DISCOUNT_KIND_FIXED_PRICE) {
      violations.Add(field + ".combinable", "a fixed price is always exclusive");
    }
    const bool promotion = IsDateSet(rule.promotion_start()) || IsDateSet(rule.promotion_end());
    if (promotion) {
      ValidateDate(rule.promotion_start(), field + ".promotion_start", true, violations);
      ValidateDate(rule.promotion_end(), field + ".promotion_end", true, violations);
      if (IsValidDate(rule.promotion_start()) && IsValidDate(rule.promotion_end()) &&
          CompareDates(rule.promotion_end(), rule.promotion_start()) < 0) {
        violations.Add(field + ".promotion_end", "must not be before promotion_start");
      }
    }
    std::set<std::string> bundle;
    for (int b = 0; b < rule.bundle_skus_size() && b < 20; ++b) {
      const std::string& sku = rule.bundle_skus(b);
      const std::string bundle_field = field + ".bundle_skus[" + std::to_string(b) + "]";
      if (!IsValidSku(sku)) {
        violations.Add(bundle_field, "must be 1 to 64 of A-Z a-z 0-9 . _ -");
      } else if (sku == rule.sku() || !bundle.insert(sku).second) {
        violations.Add(bundle_field, "each other SKU of the bundle once");
      }
    }
    if (rule.bundle_skus_size() > 20) violations.Add(field + ".bundle_skus", "at most 20");
    // Two rules alike in everything precedence looks at would make it a coin toss.
    std::string key = has_sku ? "sku:" + rule.sku() : "category:" + rule.category();
    key += "|" + std::to_string(std::max<int64_t>(1, rule.min_quantity()));
    key += "|" + std::to_string(rule.max_quantity()) + "|" + std::to_string(rule.priority());
    key += "|" + DateText(rule.promotion_start()) + ".." + DateText(rule.promotion_end());
    for (const auto& sku : bundle) key += "|" + sku;
    if (!(has_sku && has_category) && !scopes.insert(key).second) {
      violations.Add(field,
                     "another rule has the same scope, quantity window, priority, period and "
                     "bundle");
    }
  }
  if (terms.payment_net_days() < 0 || terms.payment_net_days() > 365) {
    violations.Add(prefix + "payment_net_days", "must be 0 to 365");
  }
  if (terms.early_payment_discount_bps() < 0 || terms.early_payment_discount_bps() > 10000) {
    violations.Add(prefix + "early_payment_discount_bps", "must be 0 to 10000");
  }
  // Measured against valid net days only: a bad payment_net_days is reported on its own.
  if (terms.early_payment_days() < 0 ||
      (terms.payment_net_days() >= 0 && terms.early_payment_days() > terms.payment_net_days())) {
    violations.Add(prefix + "early_payment_days", "must be 0 to payment_net_days");
  }
  if ((terms.early_payment_discount_bps() == 0) != (terms.early_payment_days() == 0)) {
    violations.Add(prefix + "early_payment_days",
                   "set with early_payment_discount_bps, both or neither");
  }
  if (terms.has_volume_rebate()) {
    const auto& rebate = terms.volume_rebate();
    const std::string field = prefix + "volume_rebate";
    if (rebate.period() == v1::REBATE_PERIOD_UNSPECIFIED ||
        !v1::RebatePeriod_IsValid(rebate.period())) {
      violations.Add(field + ".period", "required: MONTH, QUARTER or YEAR");
    }
    if (rebate.tiers_size() < 1 || rebate.tiers_size() > 10) {
      violations.Add(field + ".tiers", "1 to 10 tiers");
    }
    for (int i = 0; i < rebate.tiers_size() && i < 10; ++i) {
      const auto& tier = rebate.tiers(i);
      const std::string tier_field = field + ".tiers[" + std::to_string(i) + "]";
      ValidateAmount(tier.threshold(), tier_field + ".threshold", currency, violations);
      if (tier.rebate_bps() < 1 || tier.rebate_bps() > 10000) {
        violations.Add(tier_field + ".rebate_bps", "must be 1 to 10000");
      }
      if (i > 0 &&
          (common::ToNanos(tier.threshold()) <= common::ToNanos(rebate.tiers(i - 1).threshold()) ||
           tier.rebate_bps() < rebate.tiers(i - 1).rebate_bps())) {
        violations.Add(tier_field, "thresholds rise from tier to tier, rates never fall");
      }
    }
  }
  if (terms.has_minimum_order_value()) {
    ValidateAmount(terms.minimum_order_value(), prefix + "minimum_order_value", currency,
                   violations);
  }
  if (terms.has_credit_limit()) {
    ValidateAmount(terms.credit_limit(), prefix + "credit_limit", currency, violations);
  }
  ValidateDate(terms.valid_from(), prefix + "valid_from", true, violations);
  ValidateDate(terms.valid_until(), prefix + "valid_until", false, violations);
  if (IsValidDate(terms.valid_from()) && IsValidDate(terms.valid_until()) &&
      CompareDates(terms.valid_until(), terms.valid_from()) < 0) {
    violations.Add(prefix + "valid_until", "must not be before valid_from");
  }
}

TermsLogic::TermsLogic(PricingRepository& repository, AccountDirectory& accounts,
                       const common::PageTokenCodec& page_tokens)
    : repository_(repository), accounts_(accounts), page_tokens_(page_tokens) {}

absl::StatusOr<PriceList> TermsLogic::LoadPriceList(const std::string& name,
                                                    const std::string& field) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseTopName(name, "priceLists", field));
  auto list = repository_.GetPriceList(id);
  if (absl::IsNotFound(list.status())) {
    return common::InvalidArgument(field, "no price list " + name);
  }
  ACCORD_RETURN_IF_ERROR(list.status());
  if (list->status() == v1::PRICE_LIST_STATUS_RETIRED) {
    return common::InvalidArgument(field, name + " is retired");
  }
  return list;
}

absl::StatusOr<TradingTerms> TermsLogic::Create(const Caller& caller,
                                                const v1::CreateTradingTermsRequest& request,
                                                WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckDraftsTerms(caller));
  common::Violations violations;
  auto account = ParseAccountParent(request.parent(), "parent", /*allow_all=*/false);
  MergeViolations(account.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  TradingTerms terms = request.trading_terms();
  ValidateTermsFields(terms, "trading_terms.", "", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(PriceList list,
                          LoadPriceList(terms.price_list(), "trading_terms.price_list"));
  // Amounts must be in the list's currency: checked again now that it is known.
  ValidateTermsFields(terms, "trading_terms.", list.currency_code(), violations);
  if (!violations.empty()) {
    return common::WithReason(violations.ToStatus(), "CURRENCY_MISMATCH");
  }
  ACCORD_RETURN_IF_ERROR(CheckAccountWrite(accounts_, caller, **account, kBroadTermsRoles, true));
  terms.clear_name();
  terms.clear_etag();
  terms.clear_create_time();
  terms.clear_update_time();
  terms.clear_approver();
  terms.clear_approve_time();
  terms.clear_rejection_reason();
  terms.set_price_list(list.name());
  terms.set_currency_code(list.currency_code());
  terms.set_status(v1::TRADING_TERMS_STATUS_DRAFT);
  terms.set_author(caller.subject);
  meta.request_id = request.request_id();
  return repository_.CreateTerms(**account, terms, meta);
}

absl::StatusOr<TradingTerms> TermsLogic::Get(const Caller&,
                                             const v1::GetTradingTermsRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(TermsName name, ParseTermsName(request.name(), "name"));
  return repository_.GetTerms(name.account_id, name.id);
}

absl::StatusOr<v1::ListTradingTermsResponse> TermsLogic::List(
    const Caller&, const v1::ListTradingTermsRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(auto account,
                          ParseAccountParent(request.parent(), "parent", /*allow_all=*/true));
  ACCORD_ASSIGN_OR_RETURN(
      PreparedList prepared,
      PrepareList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                  request.order_by(), repository_.FilterSchema(Listed::kTerms),
                  {"create_time", "valid_from"}, request.parent()));
  prepared.query.parent_id = account;
  ACCORD_ASSIGN_OR_RETURN(Page<TradingTerms> page, repository_.ListTerms(prepared.query));
  v1::ListTradingTermsResponse response;
  response.set_next_page_token(
      FinishList(page_tokens_, prepared, page, response.mutable_trading_terms()));
  return response;
}

absl::StatusOr<TradingTerms> TermsLogic::Update(const Caller& caller,
                                                const v1::UpdateTradingTermsRequest& request,
                                                WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckDraftsTerms(caller));
  common::Violations violations;
  auto name = ParseTermsName(request.trading_terms().name(), "trading_terms.name");
  MergeViolations(name.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (request.etag().empty()) violations.Add("etag", "required: the etag last read");
  const std::vector<std::string> paths = EffectivePaths(request);
  for (const auto& path : paths) {
    if (!UpdatablePaths().count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: price_list, "
                                        "discount_rules, payment_net_days, minimum_order_value, "
                                        "credit_limit, valid_from, valid_until, "
                                        "early_payment_discount_bps, early_payment_days, "
                                        "volume_rebate");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(
      CheckAccountWrite(accounts_, caller, name->account_id, kBroadTermsRoles, false));
  const TradingTerms& patch = request.trading_terms();
  // A new price list is read before the write (lists' currencies never change).
  std::optional<PriceList> new_list;
  if (std::find(paths.begin(), paths.end(), "price_list") != paths.end()) {
    ACCORD_ASSIGN_OR_RETURN(new_list,
                            LoadPriceList(patch.price_list(), "trading_terms.price_list"));
  }
  meta.request_id = request.request_id();
  return repository_.UpdateTerms(
      name->account_id, name->id,
      [&](const TradingTerms& current, const std::vector<TradingTerms>&,
          const PricingPolicy&) -> absl::StatusOr<TermsChange> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        if (current.status() != v1::TRADING_TERMS_STATUS_DRAFT) {
          return common::FailedPrecondition("TERMS_NOT_DRAFT",
                                            current.name() + " is " +
                                                v1::TradingTermsStatus_Name(current.status()) +
                                                "; only DRAFT terms change");
        }
        TermsChange change{current, {}, "TradingTermsUpdated"};
        TradingTerms& next = change.next;
        for (const auto& path : paths) {
          if (path == "price_list") {
            next.set_price_list(new_list->name());
            next.set_currency_code(new_list->currency_code());
          }
          if (path == "discount_rules") *next.mutable_discount_rules() = patch.discount_rules();
          if (path == "payment_net_days") next.set_payment_net_days(patch.payment_net_days());
          if (path == "minimum_order_value") {
            *next.mutable_minimum_order_value() = patch.minimum_order_value();
          }
          if (path == "credit_limit") *next.mutable_credit_limit() = patch.credit_limit();
          if (path == "valid_from") *next.mutable_valid_from() = patch.valid_from();
          if (path == "valid_until") *next.mutable_valid_until() = patch.valid_until();
          if (path == "early_payment_discount_bps") {
            next.set_early_payment_discount_bps(patch.early_payment_discount_bps());
          }
          if (path == "early_payment_days") next.set_early_payment_days(patch.early_payment_days());
          if (path == "volume_rebate") {
            if (patch.has_volume_rebate()) {
              *next.mutable_volume_rebate() = patch.volume_rebate();
            } else {
              next.clear_volume_rebate();
            }
          }
        }
        if (next.has_minimum_order_value() && !IsMoneySet(next.minimum_order_value())) {
          next.clear_minimum_order_value();
        }
        if (next.has_credit_limit() && !IsMoneySet(next.credit_limit())) next.clear_credit_limit();
        if (next.has_valid_until() && !IsDateSet(next.valid_until())) next.clear_valid_until();
        common::Violations invalid;
        ValidateTermsFields(next, "trading_terms.", next.currency_code(), invalid);
        ACCORD_RETURN_IF_ERROR(invalid.ToStatus());
        return change;
      },
      meta);
}

absl::StatusOr<TradingTerms> TermsLogic::Submit(const Caller& caller,
                                                const v1::SubmitTradingTermsRequest& request,
                                                WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckDraftsTerms(caller));
  common::Violations violations;
  ACCORD_ASSIGN_OR_RETURN(TermsName name, ParseTransition(request.name(), request.etag(),
                                                          request.request_id(), violations));
  ACCORD_RETURN_IF_ERROR(
      CheckAccountWrite(accounts_, caller, name.account_id, kBroadTermsRoles, false));
  meta.request_id = request.request_id();
  ACCORD_ASSIGN_OR_RETURN(const std::string tier, repository_.GetAccountTier(name.account_id));
  return repository_.UpdateTerms(
      name.account_id, name.id,
      [&](const TradingTerms& current, const std::vector<TradingTerms>&,
          const PricingPolicy& policy) -> absl::StatusOr<TermsChange> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        if (current.status() != v1::TRADING_TERMS_STATUS_DRAFT) {
          return IllegalTransition(current, v1::TRADING_TERMS_STATUS_PENDING_APPROVAL);
        }
        ACCORD_RETURN_IF_ERROR(CheckCategoryLimits(current, policy));
        TermsChange change{current, {}, "TradingTermsSubmitted"};
        change.next.set_status(v1::TRADING_TERMS_STATUS_PENDING_APPROVAL);
        change.next.set_submitter(caller.subject);
        change.next.clear_approval_reason();
        change.next.clear_policy_breaches();
        for (auto& breach : AuthorityBreaches(current, policy, caller)) {
          *change.next.add_policy_breaches() = std::move(breach);
        }
        for (auto& breach : TierBreaches(current, policy, tier)) {
          *change.next.add_policy_breaches() = std::move(breach);
        }
        return change;
      },
      meta);
}

absl::StatusOr<TradingTerms> TermsLogic::Approve(const Caller& caller,
                                                 const v1::ApproveTradingTermsRequest& request,
                                                 WriteMeta meta) {
  // Drafters may activate their own terms within their authority; approving others' terms
  // is for pricing managers and admins (checked below, once the author is known).
  if (!CheckApprovesTerms(caller).ok()) ACCORD_RETURN_IF_ERROR(CheckDraftsTerms(caller));
  common::Violations violations;
  CheckText(request.reason(), "reason", 1000, false, violations);
  ACCORD_ASSIGN_OR_RETURN(TermsName name, ParseTransition(request.name(), request.etag(),
                                                          request.request_id(), violations));
  ACCORD_RETURN_IF_ERROR(
      CheckAccountWrite(accounts_, caller, name.account_id, kBroadTermsRoles, false));
  meta.request_id = request.request_id();
  return repository_.UpdateTerms(
      name.account_id, name.id,
      [&](const TradingTerms& current, const std::vector<TradingTerms>& in_force,
          const PricingPolicy& policy) -> absl::StatusOr<TermsChange> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        if (current.status() != v1::TRADING_TERMS_STATUS_PENDING_APPROVAL) {
          return IllegalTransition(current, v1::TRADING_TERMS_STATUS_ACTIVE);
        }
        ACCORD_RETURN_IF_ERROR(CheckApproval(caller, current, policy, request.reason()));
        TermsChange change{current, {}, "TradingTermsApproved"};
        change.next.set_status(v1::TRADING_TERMS_STATUS_ACTIVE);
        change.next.set_approver(caller.subject);
        if (current.policy_breaches_size() > 0) change.next.set_approval_reason(request.reason());
        *change.next.mutable_approve_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
        if (request.supersede_current()) {
          const Date day_before = CivilFromDays(DaysFromCivil(current.valid_from()) - 1);
          for (const auto& other : in_force) {
            // Only the ACTIVE terms that started earlier and still run can be cut short; any
            // other overlap is left for the database to refuse.
            if (other.status() != v1::TRADING_TERMS_STATUS_ACTIVE) continue;
            if (CompareDates(other.valid_from(), current.valid_from()) >= 0) continue;
            if (IsDateSet(other.valid_until()) &&
                CompareDates(other.valid_until(), current.valid_from()) < 0) {
              continue;
            }
            TradingTerms superseded = other;
            superseded.set_status(v1::TRADING_TERMS_STATUS_SUPERSEDED);
            *superseded.mutable_valid_until() = day_before;
            change.others.push_back(std::move(superseded));
          }
        }
        return change;
      },
      meta);
}

absl::StatusOr<TradingTerms> TermsLogic::Reject(const Caller& caller,
                                                const v1::RejectTradingTermsRequest& request,
                                                WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckApprovesTerms(caller));
  common::Violations violations;
  CheckText(request.reason(), "reason", 1000, true, violations);
  ACCORD_ASSIGN_OR_RETURN(TermsName name, ParseTransition(request.name(), request.etag(),
                                                          request.request_id(), violations));
  meta.request_id = request.request_id();
  return repository_.UpdateTerms(
      name.account_id, name.id,
      [&](const TradingTerms& current, const std::vector<TradingTerms>&,
          const PricingPolicy&) -> absl::StatusOr<TermsChange> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        if (current.status() != v1::TRADING_TERMS_STATUS_PENDING_APPROVAL) {
          return IllegalTransition(current, v1::TRADING_TERMS_STATUS_DRAFT);
        }
        TermsChange change{current, {}, "TradingTermsRejected"};
        change.next.set_status(v1::TRADING_TERMS_STATUS_DRAFT);
        change.next.set_rejection_reason(request.reason());
        return change;
      },
      meta);
}

absl::StatusOr<TradingTerms> TermsLogic::Expire(const Caller& caller,
                                                const v1::ExpireTradingTermsRequest& request,
                                                WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckApprovesTerms(caller));
  common::Violations violations;
  ValidateDate(request.last_day(), "last_day", true, violations);
  ACCORD_ASSIGN_OR_RETURN(TermsName name, ParseTransition(request.name(), request.etag(),
                                                          request.request_id(), violations));
  meta.request_id = request.request_id();
  return repository_.UpdateTerms(
      name.account_id, name.id,
      [&](const TradingTerms& current, const std::vector<TradingTerms>&,
          const PricingPolicy&) -> absl::StatusOr<TermsChange> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        if (current.status() != v1::TRADING_TERMS_STATUS_ACTIVE) {
          return IllegalTransition(current, v1::TRADING_TERMS_STATUS_EXPIRED);
        }
        if (CompareDates(request.last_day(), current.valid_from()) < 0 ||
            (IsDateSet(current.valid_until()) &&
             CompareDates(request.last_day(), current.valid_until()) > 0)) {
          return common::InvalidArgument("last_day", "must lie within the terms' validity");
        }
        TermsChange change{current, {}, "TradingTermsExpired"};
        change.next.set_status(v1::TRADING_TERMS_STATUS_EXPIRED);
        *change.next.mutable_valid_until() = request.last_day();
        return change;
      },
      meta);
}

absl::StatusOr<TradingTerms> TermsLogic::GetEffective(
    const Caller&, const v1::GetEffectiveTradingTermsRequest& request) {
  common::Violations violations;
  auto account = ParseTopName(request.account(), "accounts", "account");
  MergeViolations(account.status(), violations);
  ValidateDate(request.day(), "day", false, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const Date day = IsDateSet(request.day()) ? request.day() : TodayUtc();
  ACCORD_ASSIGN_OR_RETURN(auto terms, repository_.FindTermsInForce(*account, day));
  if (!terms) {
    return common::WithReason(
        common::NotFound(AccountName(*account) + "/tradingTerms@" + DateText(day)),
        "NO_TERMS_IN_FORCE");
  }
  return *terms;
}

}  // namespace accord::pricing
