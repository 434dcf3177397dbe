// `accordctl terms ...`: the TradingTermsService (accord.pricing.v1).
#include <ostream>

#include "accord/pricing/v1/price_list.grpc.pb.h"
#include "accord/pricing/v1/pricing_policy.grpc.pb.h"
#include "accord/pricing/v1/trading_terms.grpc.pb.h"
#include "commands.h"
#include "pricing_cli.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::pricing::v1;
using cli::EnumName;
using pricing_cli::Named;

constexpr EnumName kStatuses[] = {
    {"draft", v1::TRADING_TERMS_STATUS_DRAFT},
    {"pending-approval", v1::TRADING_TERMS_STATUS_PENDING_APPROVAL},
    {"active", v1::TRADING_TERMS_STATUS_ACTIVE},
    {"expired", v1::TRADING_TERMS_STATUS_EXPIRED},
    {"superseded", v1::TRADING_TERMS_STATUS_SUPERSEDED},
};

constexpr char kBadName[] = "bad terms name (accounts/ID/tradingTerms/ID)";

using Terms = v1::TradingTermsService;
using pricing_cli::CallAndPrint;
using pricing_cli::Connect;

// "category=tools/power:5", "sku=DRILL-1:10@50" or "all:2" (percent off), then optionally
// "@MIN" or "@MIN-MAX" (quantity window), "/pN" (priority N) and "+" (combinable), in that order:
// "sku=DRILL-1:10@50-99/p2+".
std::optional<v1::DiscountRule> ParseRule(std::string text) {
  v1::DiscountRule rule;
  if (!text.empty() && text.back() == '+') {
    rule.set_combinable(true);
    text.pop_back();
  }
  if (const size_t slash = text.rfind("/p");
      slash != std::string::npos && slash > text.rfind(':')) {
    auto priority = ParseInt(text.substr(slash + 2), 0, 1000);
    if (!priority) return std::nullopt;
    rule.set_priority(static_cast<int32_t>(*priority));
    text = text.substr(0, slash);
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string scope = text.substr(0, colon);
  if (scope.rfind("sku=", 0) == 0) {
    rule.set_sku(scope.substr(4));
  } else if (scope.rfind("category=", 0) == 0) {
    rule.set_category(scope.substr(9));
  } else if (scope != "all") {
    return std::nullopt;
  }
  std::string percent = text.substr(colon + 1);
  if (const size_t at = percent.find('@'); at != std::string::npos) {
    std::string window = percent.substr(at + 1);
    if (const size_t dash = window.find('-'); dash != std::string::npos) {
      auto to = ParseInt(window.substr(dash + 1), 1, 1'000'000'000);
      if (!to) return std::nullopt;
      rule.set_max_quantity(*to);
      window = window.substr(0, dash);
    }
    auto from = ParseInt(window, 0, 1'000'000'000);
    if (!from) return std::nullopt;
    rule.set_min_quantity(*from);
    percent = percent.substr(0, at);
  }
  auto bps = pricing_cli::ParsePercentBps(percent);
  if (!bps) return std::nullopt;
  rule.set_discount_bps(*bps);
  return rule;
}

int RunCreate(const Invocation& inv) {
  auto parent = cli::ParentName(inv.args.positional()[0]);
  if (!parent || *parent == "accounts/-") return inv.UsageError("bad account (accounts/ID or ID)");
  if (!inv.args.Has("price-list")) return inv.UsageError("--price-list is required");
  v1::CreateTradingTermsRequest request;
  request.set_parent(*parent);
  auto* terms = request.mutable_trading_terms();
  terms->set_price_list(Named("priceLists", *inv.args.Get("price-list")));
  for (const auto& text : inv.args.GetAll("rule")) {
    auto rule = ParseRule(text);
    if (!rule) {
      return inv.UsageError("bad --rule '" + text +
                            "' (SCOPE:PERCENT[@MIN[-MAX]][/pN][+], e.g. category=tools:5@10+)");
    }
    *terms->add_discount_rules() = *rule;
  }
  if (auto days = inv.args.Get("net-days")) {
    auto value = ParseInt(*days, 0, 365);
    if (!value) return inv.UsageError("bad --net-days '" + *days + "' (0 to 365)");
    terms->set_payment_net_days(static_cast<int32_t>(*value));
  }
  for (const char* flag : {"valid-from", "valid-until"}) {
    if (auto text = inv.args.Get(flag)) {
      auto date = pricing_cli::ParseDate(*text);
      if (!date) return inv.UsageError(std::string("bad --") + flag + " (YYYY-MM-DD)");
      *(std::string(flag) == "valid-from" ? terms->mutable_valid_from()
                                          : terms->mutable_valid_until()) = *date;
    }
  }
  if (inv.args.Has("minimum-order") || inv.args.Has("credit-limit")) {
    // Amounts are in the price list's currency.
    auto lists = Connect<v1::PriceListService>(inv);
    if (!lists) return kExitUsage;
    v1::GetPriceListRequest get;
    get.set_name(terms->price_list());
    v1::PriceList list;
    grpc::Status status = lists->Call(&v1::PriceListService::Stub::GetPriceList, get, &list);
    if (!status.ok()) return ReportRpcError(status, inv.err);
    if (auto text = inv.args.Get("minimum-order")) {
      auto money = pricing_cli::ParseAmount(*text, list.currency_code());
      if (!money) return inv.UsageError("bad --minimum-order '" + *text + "'");
      *terms->mutable_minimum_order_value() = *money;
    }
    if (auto text = inv.args.Get("credit-limit")) {
      auto money = pricing_cli::ParseAmount(*text, list.currency_code());
      if (!money) return inv.UsageError("bad --credit-limit '" + *text + "'");
      *terms->mutable_credit_limit() = *money;
    }
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<Terms>(inv, &Terms::Stub::CreateTradingTerms, request);
}

int RunGet(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "tradingTerms");
  if (!name) return inv.UsageError(kBadName);
  v1::GetTradingTermsRequest request;
  request.set_name(*name);
  return CallAndPrint<Terms>(inv, &Terms::Stub::GetTradingTerms, request);
}

int RunList(const Invocation& inv) {
  auto parent = cli::ParentName(inv.args.positional()[0]);
  if (!parent) return inv.UsageError("bad account (accounts/ID, ID, or - for every account)");
  v1::ListTradingTermsRequest request;
  request.set_parent(*parent);
  return pricing_cli::ListPages<Terms, v1::ListTradingTermsRequest, v1::ListTradingTermsResponse,
                                v1::TradingTerms>(
      inv, request, &Terms::Stub::ListTradingTerms,
      [](const v1::ListTradingTermsResponse& page) -> const auto& { return page.trading_terms(); },
      {"NAME", "STATUS", "PRICE LIST", "FROM", "UNTIL", "RULES", "AUTHOR", "APPROVER"},
      [](const v1::TradingTerms& terms) -> std::vector<std::string> {
        return {terms.name(),
                cli::EnumText(kStatuses, terms.status()),
                terms.price_list(),
                pricing_cli::DateText(terms.valid_from()),
                pricing_cli::DateText(terms.valid_until()),
                std::to_string(terms.discount_rules_size()),
                terms.author(),
                terms.approver().empty() ? "-" : terms.approver()};
      });
}

int RunEffective(const Invocation& inv) {
  auto account = cli::ParentName(inv.args.positional()[0]);
  if (!account || *account == "accounts/-")
    return inv.UsageError("bad account (accounts/ID or ID)");
  v1::GetEffectiveTradingTermsRequest request;
  request.set_account(*account);
  if (auto text = inv.args.Get("date")) {
    auto day = pricing_cli::ParseDate(*text);
    if (!day) return inv.UsageError("bad --date '" + *text + "' (YYYY-MM-DD)");
    *request.mutable_day() = *day;
  }
  return CallAndPrint<Terms>(inv, &Terms::Stub::GetEffectiveTradingTerms, request);
}

int RunPolicy(const Invocation& inv) {
  v1::GetPricingPolicyRequest request;
  request.set_name("pricingPolicy");
  return CallAndPrint<v1::PricingPolicyService>(
      inv, &v1::PricingPolicyService::Stub::GetPricingPolicy, request);
}

// "NAME:PERCENT" -> name and basis points; nullopt when malformed.
std::optional<std::pair<std::string, int32_t>> NamedPercent(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  auto bps = pricing_cli::ParsePercentBps(text.substr(colon + 1));
  if (!bps) return std::nullopt;
  return std::make_pair(text.substr(0, colon), *bps);
}

// policy update --etag ETAG [--authority ROLE:PCT]... [--category-limit CAT:PCT]...
// [--tier-limit TIER:PCT]... [--min-margin PCT]: each kind given replaces that whole list.
int RunPolicyUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from policy get)");
  v1::UpdatePricingPolicyRequest request;
  auto* policy = request.mutable_pricing_policy();
  policy->set_name("pricingPolicy");
  auto* mask = request.mutable_update_mask();
  struct Kind {
    const char* flag;
    const char* path;
  };
  for (const Kind kind :
       {Kind{"authority", "role_authorities"}, Kind{"category-limit", "category_limits"},
        Kind{"tier-limit", "tier_limits"}}) {
    const auto values = inv.args.GetAll(kind.flag);
    if (values.empty()) continue;
    mask->add_paths(kind.path);
    for (const auto& text : values) {
      auto parsed = NamedPercent(text);
      if (!parsed) return inv.UsageError("bad --" + std::string(kind.flag) + " '" + text + "'");
      if (std::string(kind.path) == "role_authorities") {
        auto* authority = policy->add_role_authorities();
        authority->set_role(parsed->first);
        authority->set_max_discount_bps(parsed->second);
      } else if (std::string(kind.path) == "category_limits") {
        auto* limit = policy->add_category_limits();
        limit->set_category(parsed->first);
        limit->set_max_discount_bps(parsed->second);
      } else {
        auto* limit = policy->add_tier_limits();
        limit->set_tier(parsed->first);
        limit->set_max_discount_bps(parsed->second);
      }
    }
  }
  if (auto text = inv.args.Get("min-margin")) {
    auto bps = pricing_cli::ParsePercentBps(*text);
    if (!bps) return inv.UsageError("bad --min-margin '" + *text + "' (percent)");
    policy->set_min_margin_bps(*bps);
    mask->add_paths("min_margin_bps");
  }
  if (mask->paths().empty()) {
    return inv.UsageError(
        "nothing to update: give --authority, --category-limit, --tier-limit or --min-margin");
  }
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::PricingPolicyService>(
      inv, &v1::PricingPolicyService::Stub::UpdatePricingPolicy, request);
}

// submit, approve, reject and expire: NAME --etag ETAG and what each needs.
int RunTransition(const Invocation& inv, const std::string& verb) {
  auto name = cli::ChildName(inv.args.positional()[0], "tradingTerms");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  const std::string request_id = inv.args.GetOr("request-id", "");
  if (verb == "submit") {
    v1::SubmitTradingTermsRequest request;
    request.set_name(*name);
    request.set_etag(*etag);
    request.set_request_id(request_id);
    return CallAndPrint<Terms>(inv, &Terms::Stub::SubmitTradingTerms, request);
  }
  if (verb == "approve") {
    v1::ApproveTradingTermsRequest request;
    request.set_name(*name);
    request.set_etag(*etag);
    request.set_supersede_current(inv.args.Bool("supersede"));
    request.set_reason(inv.args.GetOr("reason", ""));
    request.set_request_id(request_id);
    return CallAndPrint<Terms>(inv, &Terms::Stub::ApproveTradingTerms, request);
  }
  if (verb == "reject") {
    v1::RejectTradingTermsRequest request;
    request.set_name(*name);
    request.set_etag(*etag);
    request.set_reason(inv.args.GetOr("reason", ""));
    request.set_request_id(request_id);
    return CallAndPrint<Terms>(inv, &Terms::Stub::RejectTradingTerms, request);
  }
  {
    v1::ExpireTradingTermsRequest request;
    request.set_name(*name);
    request.set_etag(*etag);
    auto day = pricing_cli::ParseDate(inv.args.GetOr("last-day", ""));
    if (!day) return inv.UsageError("--last-day YYYY-MM-DD is required");
    *request.mutable_last_day() = *day;
    request.set_request_id(request_id);
    return CallAndPrint<Terms>(inv, &Terms::Stub::ExpireTradingTerms, request);
  }
}

}  // namespace

void RegisterTradingTermsCommands(Registry& registry) {
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};
  const FlagSpec etag{"etag", "ETAG", "The etag last read (required)."};
  registry.AddGroup("terms", "Trading terms of accounts (accord.pricing.v1.TradingTermsService).");
  registry.Add({
      .path = {"terms", "create"},
      .synopsis = "ACCOUNT --price-list LIST --valid-from YYYY-MM-DD",
      .summary = "Draft trading terms for an account; prints them as JSON.",
      .description =
          "--rule category=tools/power:5 or --rule sku=DRILL-1:10@50 (repeatable): percent\n"
          "off for a category prefix or a SKU, optionally from a quantity. Precedence: a SKU\n"
          "rule beats category rules, a longer category beats a shorter, then the largest\n"
          "quantity reached. Amounts are in the price list's currency.",
      .flags = cli::WithRpcFlags({
          {"price-list", "LIST", "priceLists/ID or ID (required)."},
          {"rule", "SCOPE:PERCENT[@MIN[-MAX]][/pN][+]",
           "A discount rule: category=PATH, sku=SKU or all; a quantity window, priority N, + for "
           "combinable.",
           /*repeated=*/true},
          {"net-days", "DAYS", "Payment terms: due this many days after invoice."},
          {"minimum-order", "AMOUNT", "Minimum order value."},
          {"credit-limit", "AMOUNT", "Credit limit."},
          {"valid-from", "YYYY-MM-DD", "First day (required)."},
          {"valid-until", "YYYY-MM-DD", "Last day (default: open-ended)."},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCreate,
  });
  registry.Add({
      .path = {"terms", "get"},
      .synopsis = "NAME",
      .summary = "Show trading terms as JSON (NAME is accounts/ID/tradingTerms/ID).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"terms", "list"},
      .synopsis = "ACCOUNT",
      .summary = "List trading terms (ACCOUNT - for every account): JSON lines, or a table.",
      .description = "Filter fields: status, price_list, author, approver, create_time,\n"
                     "update_time.",
      .flags = cli::ListFlags("create_time (default) or valid_from, optionally \" desc\".",
                              "Print aligned columns."),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunList,
  });
  registry.Add({
      .path = {"terms", "effective"},
      .synopsis = "ACCOUNT [--date YYYY-MM-DD]",
      .summary = "Show the terms that were (or are) in force for an account on a day.",
      .flags = cli::WithRpcFlags({{"date", "YYYY-MM-DD", "The day (default: today, UTC)."}}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunEffective,
  });
  registry.Add({
      .path = {"policy", "get"},
      .synopsis = "",
      .summary = "Show the pricing policy: authorities, category and tier limits, minimum margin.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 0,
      .max_positional = 0,
      .run = RunPolicy,
  });
  registry.Add({
      .path = {"policy", "update"},
      .synopsis = "--etag ETAG [--authority ROLE:PCT]... [--category-limit CAT:PCT]...",
      .summary = "Change the pricing policy; each kind of flag given replaces that whole list.",
      .description = "e.g. --authority account_manager:10 --category-limit tools/power:12\n"
                     "--tier-limit key:15 --min-margin 8. Tiers: strategic, key, standard,\n"
                     "unspecified.",
      .flags = cli::WithRpcFlags({
          {"etag", "ETAG", "The etag last read (required)."},
          {"authority", "ROLE:PCT", "A role's own approval authority.", /*repeated=*/true},
          {"category-limit", "CAT:PCT", "Largest discount on a category.", /*repeated=*/true},
          {"tier-limit", "TIER:PCT", "Largest discount for an account tier.", /*repeated=*/true},
          {"min-margin", "PCT", "Minimum margin over an item's cost."},
          {"request-id", "UUID", "Idempotency key."},
      }),
      .min_positional = 0,
      .max_positional = 0,
      .run = RunPolicyUpdate,
  });
  registry.Add({
      .path = {"terms", "submit"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Submit draft terms for approval.",
      .flags = cli::WithRpcFlags({etag, request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = [](const Invocation& inv) { return RunTransition(inv, "submit"); },
  });
  registry.Add({
      .path = {"terms", "approve"},
      .synopsis = "NAME --etag ETAG [--supersede] [--reason TEXT]",
      .summary = "Approve pending terms (their author only within its policy authority).",
      .description = "Terms overlapping the account's terms in force are refused\n"
                     "(TERMS_OVERLAP) unless --supersede ends those the day before.\n"
                     "Terms with policy_breaches need --reason.",
      .flags =
          cli::WithRpcFlags({etag,
                             {"supersede", "", "End the current terms the day before these start."},
                             {"reason", "TEXT", "Why terms beyond the policy are approved."},
                             request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = [](const Invocation& inv) { return RunTransition(inv, "approve"); },
  });
  registry.Add({
      .path = {"terms", "reject"},
      .synopsis = "NAME --etag ETAG --reason TEXT",
      .summary = "Send pending terms back to draft, with a reason.",
      .flags = cli::WithRpcFlags({etag, {"reason", "TEXT", "Why (required)."}, request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = [](const Invocation& inv) { return RunTransition(inv, "reject"); },
  });
  registry.Add({
      .path = {"terms", "expire"},
      .synopsis = "NAME --etag ETAG --last-day YYYY-MM-DD",
      .summary = "End active terms on a day.",
      .flags = cli::WithRpcFlags(
          {etag, {"last-day", "YYYY-MM-DD", "The last day they apply (required)."}, request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = [](const Invocation& inv) { return RunTransition(inv, "expire"); },
  });
}

}  // namespace accord::accordctl
