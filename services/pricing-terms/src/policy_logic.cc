// The pricing policy: its standard methods and the pure rules terms and approvals are held to
// (see pricing_policy.proto for what each limit means).
#include <set>

#include "accord/common/idempotency.h"
#include "pricing_logic.h"

namespace accord::pricing {
namespace {

using common::Role;

constexpr int32_t kFullBps = 10000;

std::string Percent(int32_t bps) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%d.%02d%%", bps / 100, bps % 100);
  return buffer;
}

// The authority the policy sets for `role`, if it sets one.
std::optional<int32_t> SetAuthority(const PricingPolicy& policy, Role role) {
  for (const auto& authority : policy.role_authorities()) {
    if (authority.role() == RoleName(role)) return authority.max_discount_bps();
  }
  return std::nullopt;
}

const std::set<std::string>& PolicyPaths() {
  static const std::set<std::string> kPaths = {"role_authorities", "category_limits", "tier_limits",
                                               "min_margin_bps"};
  return kPaths;
}

}  // namespace

std::optional<int32_t> OwnAuthority(const PricingPolicy& policy, const common::Principal& who) {
  std::optional<int32_t> best;
  for (Role role : who.roles) {
    if (auto set = SetAuthority(policy, role); set && (!best || *set > *best)) best = set;
  }
  return best;
}

int32_t ApprovalAuthority(const PricingPolicy& policy, const common::Principal& who) {
  if (who.Has(Role::kAdmin)) return kFullBps;
  if (who.Has(Role::kPricingManager)) {
    return SetAuthority(policy, Role::kPricingManager).value_or(kFullBps);
  }
  return 0;
}

int32_t RuleDiscountBps(const v1::DiscountRule& rule) {
  const bool percent =
      rule.kind() == v1::DISCOUNT_KIND_UNSPECIFIED || rule.kind() == v1::DISCOUNT_KIND_PERCENT_OFF;
  return percent ? rule.discount_bps() : kFullBps;
}

int32_t LargestDiscount(const TradingTerms& terms) {
  int32_t largest = 0;
  for (const auto& rule : terms.discount_rules())
    largest = std::max(largest, RuleDiscountBps(rule));
  return largest;
}

absl::Status CheckCategoryLimits(const TradingTerms& terms, const PricingPolicy& policy) {
  common::Violations violations;
  for (int i = 0; i < terms.discount_rules_size(); ++i) {
    const auto& rule = terms.discount_rules(i);
    // SKU rules, amounts off and fixed prices are capped per item in quotes.
    if (rule.category().empty() || RuleDiscountBps(rule) != rule.discount_bps()) continue;
    // Limits that cover the rule's whole scope; a limit on a subcategory caps in quotes.
    const v1::CategoryLimit* limit = CategoryLimitFor(policy, rule.category());
    if (limit != nullptr && rule.discount_bps() > limit->max_discount_bps()) {
      violations.Add("discount_rules[" + std::to_string(i) + "].discount_bps",
                     Percent(rule.discount_bps()) + " exceeds the pricing policy's limit of " +
                         Percent(limit->max_discount_bps()) + " for category " + limit->category());
    }
  }
  if (violations.empty()) return absl::OkStatus();
  const absl::Status detailed = violations.ToStatus();
  absl::Status status = common::FailedPrecondition(
      "POLICY_LIMIT_EXCEEDED", terms.name() + " exceeds the pricing policy's category limits (" +
                                   std::to_string(violations.items().size()) + " rules)");
  // The violations ride along as the BadRequest detail of the FAILED_PRECONDITION.
  const absl::string_view url(common::kBadRequestTypeUrl.data(), common::kBadRequestTypeUrl.size());
  if (auto payload = detailed.GetPayload(url)) status.SetPayload(url, *payload);
  return status;
}

const std::set<std::string>& AccountTiers() {
  static const std::set<std::string> kTiers = {"strategic", "key", "standard", "unspecified"};
  return kTiers;
}

std::vector<v1::PolicyBreach> TierBreaches(const TradingTerms& terms, const PricingPolicy& policy,
                                           const std::string& tier) {
  std::vector<v1::PolicyBreach> breaches;
  const v1::TierLimit* limit = nullptr;
  for (const auto& candidate : policy.tier_limits()) {
    if (candidate.tier() == tier) limit = &candidate;
  }
  if (limit == nullptr) return breaches;
  for (int i = 0; i < terms.discount_rules_size(); ++i) {
    const int32_t bps = RuleDiscountBps(terms.discount_rules(i));
    if (bps <= limit->max_discount_bps()) continue;
    v1::PolicyBreach breach;
    breach.set_field("discount_rules[" + std::to_string(i) + "].discount_bps");
    breach.set_limit("tier " + tier + " (" + Percent(limit->max_discount_bps()) + ")");
    breach.set_allowed_bps(limit->max_discount_bps());
    breach.set_actual_bps(bps);
    breaches.push_back(std::move(breach));
  }
  return breaches;
}

std::vector<v1::PolicyBreach> AuthorityBreaches(const TradingTerms& terms,
                                                const PricingPolicy& policy,
                                                const common::Principal& submitter) {
  std::vector<v1::PolicyBreach> breaches;
  const std::optional<int32_t> authority = OwnAuthority(policy, submitter);
  if (!authority) return breaches;  // no authority set: four eyes anyway, no limit to breach
  for (int i = 0; i < terms.discount_rules_size(); ++i) {
    const auto& rule = terms.discount_rules(i);
    if (RuleDiscountBps(rule) <= *authority) continue;
    v1::PolicyBreach breach;
    breach.set_field("discount_rules[" + std::to_string(i) + "].discount_bps");
    breach.set_limit("authority of " + submitter.subject + " (" + Percent(*authority) + ")");
    breach.set_allowed_bps(*authority);
    breach.set_actual_bps(RuleDiscountBps(rule));
    breaches.push_back(std::move(breach));
  }
  return breaches;
}

void ValidatePolicyFields(const PricingPolicy& policy, const std::string& prefix,
                          common::Violations& violations) {
  std::set<std::string> roles;
  for (int i = 0; i < policy.role_authorities_size(); ++i) {
    const auto& authority = policy.role_authorities(i);
    const std::string field = prefix + "role_authorities[" + std::to_string(i) + "]";
    const auto role = common::RoleFromString(authority.role());
    if (!role || (*role != Role::kAccountManager && *role != Role::kSalesAssistant &&
                  *role != Role::kPricingManager)) {
      violations.Add(field + ".role",
                     "must be account_manager, sales_assistant or pricing_manager");
    } else if (!roles.insert(authority.role()).second) {
      violations.Add(field + ".role", "each role at most once");
    }
    if (authority.max_discount_bps() < 0 || authority.max_discount_bps() > kFullBps) {
      violations.Add(field + ".max_discount_bps", "must be 0 to 10000");
    }
  }
  std::set<std::string> categories;
  for (int i = 0; i < policy.category_limits_size(); ++i) {
    const auto& limit = policy.category_limits(i);
    const std::string field = prefix + "category_limits[" + std::to_string(i) + "]";
    if (!IsValidCategory(limit.category())) {
      violations.Add(field + ".category",
                     "required: lower-case segments joined by /, e.g. tools/power");
    } else if (!categories.insert(limit.category()).second) {
      violations.Add(field + ".category", "each category at most once");
    }
    if (limit.max_discount_bps() < 0 || limit.max_discount_bps() > kFullBps) {
      violations.Add(field + ".max_discount_bps", "must be 0 to 10000");
    }
  }
  std::set<std::string> tiers;
  for (int i = 0; i < policy.tier_limits_size(); ++i) {
    const auto& limit = policy.tier_limits(i);
    const std::string field = prefix + "tier_limits[" + std::to_string(i) + "]";
    if (!AccountTiers().count(limit.tier())) {
      violations.Add(field + ".tier", "must be strategic, key, standard or unspecified");
    } else if (!tiers.insert(limit.tier()).second) {
      violations.Add(field + ".tier", "each tier at most once");
    }
    if (limit.max_discount_bps() < 0 || limit.max_discount_bps() > kFullBps) {
      violations.Add(field + ".max_discount_bps", "must be 0 to 10000");
    }
  }
  if (policy.min_margin_bps() < 0 || policy.min_margin_bps() > 100000) {
    violations.Add(prefix + "min_margin_bps", "must be 0 to 100000");
  }
}

PolicyLogic::PolicyLogic(PricingRepository& repository) : repository_(repository) {}

absl::StatusOr<PricingPolicy> PolicyLogic::Get(const common::Principal&,
                                               const v1::GetPricingPolicyRequest& request) {
  if (request.name() != kPolicyName) {
    return common::InvalidArgument("name", "must be pricingPolicy");
  }
  return repository_.GetPolicy();
}

absl::StatusOr<PricingPolicy> PolicyLogic::Update(const common::Principal& caller,
                                                  const v1::UpdatePricingPolicyRequest& request,
                                                  WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckManagesPriceLists(caller));
  common::Violations violations;
  if (request.pricing_policy().name() != kPolicyName) {
    violations.Add("pricing_policy.name", "must be pricingPolicy");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (request.etag().empty()) violations.Add("etag", "required: the etag last read");
  std::vector<std::string> paths(request.update_mask().paths().begin(),
                                 request.update_mask().paths().end());
  if (paths.empty()) paths.assign(PolicyPaths().begin(), PolicyPaths().end());
  for (const auto& path : paths) {
    if (!PolicyPaths().count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: role_authorities, "
                                        "category_limits, tier_limits, min_margin_bps");
    }
  }
  ValidatePolicyFields(request.pricing_policy(), "pricing_policy.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  const PricingPolicy& patch = request.pricing_policy();
  return repository_.UpdatePolicy(
      [&](const PricingPolicy& current) -> absl::StatusOr<PricingPolicy> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        PricingPolicy next = current;
        for (const auto& path : paths) {
          if (path == "role_authorities")
            *next.mutable_role_authorities() = patch.role_authorities();
          if (path == "category_limits") *next.mutable_category_limits() = patch.category_limits();
          if (path == "tier_limits") *next.mutable_tier_limits() = patch.tier_limits();
          if (path == "min_margin_bps") next.set_min_margin_bps(patch.min_margin_bps());
        }
        next.set_updater(caller.subject);
        return next;
      },
      meta);
}

}  // namespace accord::pricing
