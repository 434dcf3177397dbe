#include <set>

#include "accord/common/idempotency.h"
#include "list_support.h"
#include "pricing_logic.h"

namespace accord::pricing {
namespace {

using common::Role;

// Roles that quote for, and sell to, any account; an account manager only for its own.
constexpr std::initializer_list<Role> kBroadQuoteRoles = {Role::kSalesAssistant,
                                                          Role::kPricingManager, Role::kAdmin};
constexpr std::initializer_list<Role> kBroadSaleRoles = {Role::kSalesAssistant, Role::kAdmin};

constexpr int kMaxLines = 500;
constexpr int64_t kMaxQuantity = 1'000'000'000;
constexpr int kMaxChain = 4;

std::vector<QuoteLine> Lines(const google::protobuf::RepeatedPtrField<QuoteLine>& lines) {
  return {lines.begin(), lines.end()};
}

void ValidateView(v1::PricingView view, common::Violations& violations) {
  if (!v1::PricingView_IsValid(view)) {
    violations.Add("view", "must be PRICING_VIEW_BASIC or PRICING_VIEW_FULL");
  }
}

}  // namespace

bool IsAllowedQuoteTransition(v1::QuoteStatus from, v1::QuoteStatus to) {
  if (from == to) return true;
  switch (from) {
    case v1::QUOTE_STATUS_DRAFT:
      return to == v1::QUOTE_STATUS_SENT || to == v1::QUOTE_STATUS_EXPIRED;
    case v1::QUOTE_STATUS_SENT:
      return to == v1::QUOTE_STATUS_ACCEPTED || to == v1::QUOTE_STATUS_REJECTED ||
             to == v1::QUOTE_STATUS_EXPIRED;
    default:
      return false;
  }
}

void ValidateQuoteLines(const google::protobuf::RepeatedPtrField<QuoteLine>& lines,
                        common::Violations& violations, bool required) {
  if (required && lines.empty()) violations.Add("lines", "at least one line");
  if (lines.size() > kMaxLines) {
    violations.Add("lines", "at most 500 lines");
    return;
  }
  for (int i = 0; i < lines.size(); ++i) {
    const std::string field = "lines[" + std::to_string(i) + "]";
    if (!IsValidSku(lines[i].sku())) {
      violations.Add(field + ".sku", "required: 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    if (lines[i].quantity() < 1 || lines[i].quantity() > kMaxQuantity) {
      violations.Add(field + ".quantity", "must be 1 to 1000000000");
    }
  }
}

QuoteLogic::QuoteLogic(PricingRepository& repository, AccountDirectory& accounts,
                       const common::PageTokenCodec& page_tokens)
    : repository_(repository), accounts_(accounts), page_tokens_(page_tokens) {}

absl::StatusOr<QuotePricing> QuoteLogic::PriceLines(const std::string& account_id, const Date& day,
                                                    const std::string& fallback_list_id,
                                                    const std::vector<QuoteLine>& lines,
                                                    v1::PricingView view) {
  PricingInputs inputs;
  inputs.account = AccountName(account_id);
  inputs.price_date = day;
  ACCORD_ASSIGN_OR_RETURN(inputs.terms, repository_.FindTermsInForce(account_id, day));
  // Today's policy holds every price given now, also for a past day: it limits what is offered.
  ACCORD_ASSIGN_OR_RETURN(inputs.policy, repository_.GetPolicy());
  std::string list_id = fallback_list_id;
  if (inputs.terms) {
    ACCORD_ASSIGN_OR_RETURN(list_id,
                            ParseTopName(inputs.terms->price_list(), "priceLists", "price_list"));
  } else if (list_id.empty()) {
    return common::FailedPrecondition(
        "NO_TERMS_IN_FORCE", AccountName(account_id) + " has no trading terms in force on " +
                                 DateText(day) + "; name a price_list to quote list prices");
  }
  std::set<std::string> wanted;
  for (const auto& line : lines) wanted.insert(line.sku());
  for (int depth = 0; !list_id.empty(); ++depth) {
    if (depth >= kMaxChain) return common::Internal("price list chain too long");
    // Lists and items as they stood at the end of the day: a quote for a past day prices from
    // what was in force then, not from today's prices.
    auto list = repository_.GetPriceListAsOf(list_id, day);
    if (absl::IsNotFound(list.status())) {
      return common::FailedPrecondition(
          "PRICE_LIST_NOT_IN_FORCE", PriceListName(list_id) + " did not exist on " + DateText(day));
    }
    ACCORD_RETURN_IF_ERROR(list.status());
    if (depth == 0 && (list->status() == v1::PRICE_LIST_STATUS_DRAFT ||
                       !InWindow(day, list->valid_from(), list->valid_until()))) {
      return common::FailedPrecondition(
          "PRICE_LIST_NOT_IN_FORCE",
          list->name() + " is not in force on " + DateText(day) + " (it is " +
              v1::PriceListStatus_Name(list->status()) + ", valid from " +
              DateText(list->valid_from()) +
              (IsDateSet(list->valid_until()) ? " to " + DateText(list->valid_until())
                                              : std::string()) +
              ")");
    }
    // Only the SKUs no list below carries are looked up in a base list.
    if (!wanted.empty()) {
      ACCORD_ASSIGN_OR_RETURN(
          auto items, repository_.GetItemsAsOf(list_id, {wanted.begin(), wanted.end()}, day));
      auto& by_sku = inputs.items[list->name()];
      for (auto& item : items) {
        wanted.erase(item.sku());
        by_sku[item.sku()] = std::move(item);
      }
    }
    list_id = list->base_price_list().empty()
                  ? ""
                  : ParseTopName(list->base_price_list(), "priceLists", "base").value_or("");
    inputs.lists.push_back(std::move(*list));
  }
  return ComputeQuote(inputs, lines, view);
}

absl::StatusOr<QuotePricing> QuoteLogic::Price(const Caller&,
                                               const v1::PriceQuoteRequest& request) {
  common::Violations violations;
  auto account = ParseTopName(request.account(), "accounts", "account");
  MergeViolations(account.status(), violations);
  ValidateQuoteLines(request.lines(), violations);
  ValidateDate(request.price_date(), "price_date", false, violations);
  ValidateView(request.view(), violations);
  std::string list_id;
  if (!request.price_list().empty()) {
    auto id = ParseTopName(request.price_list(), "priceLists", "price_list");
    MergeViolations(id.status(), violations);
    if (id.ok()) list_id = *id;
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const Date day = IsDateSet(request.price_date()) ? request.price_date() : TodayUtc();
  // BASIC unless FULL is asked for: the losers grouped, not one step each.
  return PriceLines(
      *account, day, list_id, Lines(request.lines()),
      request.view() == v1::PRICING_VIEW_FULL ? v1::PRICING_VIEW_FULL : v1::PRICING_VIEW_BASIC);
}

absl::StatusOr<Quote> QuoteLogic::Create(const Caller& caller,
                                         const v1::CreateQuoteRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckWritesQuotes(caller));
  common::Violations violations;
  auto account = ParseTopName(request.quote().account(), "accounts", "quote.account");
  MergeViolations(account.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ValidateQuoteLines(request.lines(), violations);
  ValidateDate(request.price_date(), "price_date", false, violations);
  ValidateDate(request.quote().expire_date(), "quote.expire_date", true, violations);
  CheckText(request.quote().note(), "quote.note", 2000, false, violations);
  std::string list_id;
  if (!request.price_list().empty()) {
    auto id = ParseTopName(request.price_list(), "priceLists", "price_list");
    MergeViolations(id.status(), violations);
    if (id.ok()) list_id = *id;
  }
  const Date day = IsDateSet(request.price_date()) ? request.price_date() : TodayUtc();
  if (IsValidDate(request.quote().expire_date()) &&
      CompareDates(request.quote().expire_date(), day) < 0) {
    violations.Add("quote.expire_date", "must not be before the price date " + DateText(day));
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckAccountWrite(accounts_, caller, *account, kBroadQuoteRoles, true));
  ACCORD_ASSIGN_OR_RETURN(QuotePricing pricing,
                          PriceLines(*account, day, list_id, Lines(request.lines())));
  Quote quote;
  quote.set_account(AccountName(*account));
  *quote.mutable_pricing() = std::move(pricing);
  quote.set_status(v1::QUOTE_STATUS_DRAFT);
  *quote.mutable_expire_date() = request.quote().expire_date();
  quote.set_note(request.quote().note());
  quote.set_author(caller.subject);
  meta.request_id = request.request_id();
  return repository_.CreateQuote(quote, meta);
}

absl::StatusOr<Quote> QuoteLogic::Get(const Caller&, const v1::GetQuoteRequest& request) {
  common::Violations violations;
  auto id = ParseTopName(request.name(), "quotes", "name");
  MergeViolations(id.status(), violations);
  ValidateView(request.view(), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(Quote quote, repository_.GetQuote(*id));
  // Saved quotes keep the full explanation; BASIC is made from it (also for quotes saved before
  // views existed).
  if (request.view() == v1::PRICING_VIEW_BASIC) ToBasicView(*quote.mutable_pricing());
  return quote;
}

absl::StatusOr<v1::ListQuotesResponse> QuoteLogic::List(const Caller&,
                                                        const v1::ListQuotesRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(
      PreparedList prepared,
      PrepareList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                  request.order_by(), repository_.FilterSchema(Listed::kQuotes), {"create_time"},
                  "quotes"));
  ACCORD_ASSIGN_OR_RETURN(Page<Quote> page, repository_.ListQuotes(prepared.query));
  v1::ListQuotesResponse response;
  response.set_next_page_token(FinishList(page_tokens_, prepared, page, response.mutable_quotes()));
  return response;
}

absl::StatusOr<Quote> QuoteLogic::Update(const Caller& caller,
                                         const v1::UpdateQuoteRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckWritesQuotes(caller));
  common::Violations violations;
  auto id = ParseTopName(request.quote().name(), "quotes", "quote.name");
  MergeViolations(id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (request.etag().empty()) violations.Add("etag", "required: the etag last read");
  std::vector<std::string> paths(request.update_mask().paths().begin(),
                                 request.update_mask().paths().end());
  const Quote& patch = request.quote();
  if (paths.empty()) {
    if (patch.status() != 0) paths.push_back("status");
    if (patch.has_expire_date()) paths.push_back("expire_date");
    if (!patch.note().empty()) paths.push_back("note");
  }
  for (const auto& path : paths) {
    if (path == "account" || path == "pricing") {
      violations.Add("update_mask", "`" + path + "` is immutable: a quote's prices are frozen");
    } else if (path != "status" && path != "expire_date" && path != "note") {
      violations.Add("update_mask",
                     "`" + path + "` cannot be updated; updatable: status, expire_date, note");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  if (caller.HasAny({Role::kAccountManager}) && !caller.HasAny(kBroadQuoteRoles)) {
    // A quote's account never changes: the one read now is the one written.
    ACCORD_ASSIGN_OR_RETURN(Quote stored, repository_.GetQuote(*id));
    ACCORD_ASSIGN_OR_RETURN(std::string account_id,
                            ParseTopName(stored.account(), "accounts", "quote.account"));
    ACCORD_RETURN_IF_ERROR(
        CheckAccountWrite(accounts_, caller, account_id, kBroadQuoteRoles, false));
  }
  meta.request_id = request.request_id();
  const Date today = TodayUtc();
  return repository_.UpdateQuote(
      *id,
      [&](const Quote& current) -> absl::StatusOr<Quote> {
        if (request.etag() != current.etag()) return common::EtagMismatch(current.name());
        Quote next = current;
        for (const auto& path : paths) {
          if (path == "status") next.set_status(patch.status());
          if (path == "expire_date") *next.mutable_expire_date() = patch.expire_date();
          if (path == "note") next.set_note(patch.note());
        }
        common::Violations invalid;
        if (!v1::QuoteStatus_IsValid(next.status()) ||
            next.status() == v1::QUOTE_STATUS_UNSPECIFIED) {
          invalid.Add("quote.status", "must be DRAFT, SENT, ACCEPTED, REJECTED or EXPIRED");
        }
        ValidateDate(next.expire_date(), "quote.expire_date", true, invalid);
        CheckText(next.note(), "quote.note", 2000, false, invalid);
        ACCORD_RETURN_IF_ERROR(invalid.ToStatus());
        if (!IsAllowedQuoteTransition(current.status(), next.status())) {
          return common::FailedPrecondition("ILLEGAL_STATUS_TRANSITION",
                                            "a quote cannot go from " +
                                                v1::QuoteStatus_Name(current.status()) + " to " +
                                                v1::QuoteStatus_Name(next.status()));
        }
        if (next.status() == v1::QUOTE_STATUS_ACCEPTED &&
            current.status() != v1::QUOTE_STATUS_ACCEPTED &&
            CompareDates(today, next.expire_date()) > 0) {
          return common::FailedPrecondition(
              "QUOTE_EXPIRED", current.name() + " expired on " + DateText(next.expire_date()));
        }
        return next;
      },
      meta);
}

absl::StatusOr<Sale> QuoteLogic::CreateSale(const Caller& caller,
                                            const v1::CreateSaleRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckRecordsSales(caller));
  common::Violations violations;
  const Sale& input = request.sale();
  auto account = ParseTopName(input.account(), "accounts", "sale.account");
  MergeViolations(account.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (input.payment_method() == v1::PAYMENT_METHOD_UNSPECIFIED ||
      !v1::PaymentMethod_IsValid(input.payment_method())) {
    violations.Add("sale.payment_method",
                   "required: INVOICE, BANK_TRANSFER, CARD, DIRECT_DEBIT or CASH_ON_DELIVERY");
  }
  if (input.delivery().method() == v1::DELIVERY_METHOD_UNSPECIFIED ||
      !v1::DeliveryMethod_IsValid(input.delivery().method())) {
    violations.Add("sale.delivery.method", "required: SHIP, PICKUP or DROP_SHIP");
  }
  ValidateDate(input.delivery().requested_date(), "sale.delivery.requested_date", false,
               violations);
  CheckText(input.delivery().notes(), "sale.delivery.notes", 1000, false, violations);
  CheckText(input.contact(), "sale.contact", 200, false, violations);
  std::string quote_id;
  if (!input.quote().empty()) {
    auto id = ParseTopName(input.quote(), "quotes", "sale.quote");
    MergeViolations(id.status(), violations);
    if (id.ok()) quote_id = *id;
    if (!request.lines().empty()) {
      violations.Add("lines", "must be empty when the sale comes from a quote");
    }
  } else {
    ValidateQuoteLines(request.lines(), violations);
  }
  ValidateDate(request.price_date(), "price_date", false, violations);
  std::string list_id;
  if (!request.price_list().empty()) {
    auto id = ParseTopName(request.price_list(), "priceLists", "price_list");
    MergeViolations(id.status(), violations);
    if (id.ok()) list_id = *id;
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckAccountWrite(accounts_, caller, *account, kBroadSaleRoles, true));

  Sale sale;
  sale.set_account(AccountName(*account));
  sale.set_payment_method(input.payment_method());
  *sale.mutable_delivery() = input.delivery();
  sale.set_contact(input.contact());
  sale.set_agent(caller.subject);
  if (!quote_id.empty()) {
    sale.set_quote(QuoteName(quote_id));
  } else {
    const Date day = IsDateSet(request.price_date()) ? request.price_date() : TodayUtc();
    ACCORD_ASSIGN_OR_RETURN(*sale.mutable_pricing(),
                            PriceLines(*account, day, list_id, Lines(request.lines())));
  }
  meta.request_id = request.request_id();
  return repository_.CreateSale(
      sale,
      [&](const Quote& quote) -> absl::StatusOr<Sale> {
        if (quote.account() != sale.account()) {
          return common::InvalidArgument("sale.account",
                                         "must be the quote's account " + quote.account());
        }
        if (quote.status() != v1::QUOTE_STATUS_ACCEPTED) {
          return common::FailedPrecondition(
              "QUOTE_NOT_ACCEPTED", quote.name() + " is " + v1::QuoteStatus_Name(quote.status()) +
                                        "; only an ACCEPTED quote is sold");
        }
        Sale from_quote = sale;
        *from_quote.mutable_pricing() = quote.pricing();  // the frozen prices, as quoted
        return from_quote;
      },
      meta);
}

absl::StatusOr<Sale> QuoteLogic::GetSale(const Caller&, const v1::GetSaleRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseTopName(request.name(), "sales", "name"));
  return repository_.GetSale(id);
}

absl::StatusOr<v1::ListSalesResponse> QuoteLogic::ListSales(const Caller&,
                                                            const v1::ListSalesRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(
      PreparedList prepared,
      PrepareList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                  request.order_by(), repository_.FilterSchema(Listed::kSales), {"create_time"},
                  "sales"));
  ACCORD_ASSIGN_OR_RETURN(Page<Sale> page, repository_.ListSales(prepared.query));
  v1::ListSalesResponse response;
  response.set_next_page_token(FinishList(page_tokens_, prepared, page, response.mutable_sales()));
  return response;
}

}  // namespace accord::pricing

namespace accord::pricing {

absl::StatusOr<v1::RebateStatement> QuoteLogic::GetRebateStatement(
    const Caller&, const v1::GetRebateStatementRequest& request) {
  // accounts/{uuid}/rebateStatements/{period}
  const std::string& name = request.name();
  const size_t marker = name.find("/rebateStatements/");
  if (marker == std::string::npos) {
    return common::InvalidArgument("name", "must be accounts/{account}/rebateStatements/{period}");
  }
  ACCORD_ASSIGN_OR_RETURN(std::string account_id,
                          ParseTopName(name.substr(0, marker), "accounts", "name"));
  ACCORD_ASSIGN_OR_RETURN(
      RebateSpan span,
      ParseRebateSpan(name.substr(marker + std::string("/rebateStatements/").size()), "name"));
  const Date today = TodayUtc();
  if (CompareDates(span.start, today) > 0) {
    return common::InvalidArgument("name", "the period " + DateText(span.start) + " to " +
                                               DateText(span.end) + " has not begun");
  }
  const bool provisional = CompareDates(span.end, today) >= 0;
  const Date day = provisional ? today : span.end;
  ACCORD_ASSIGN_OR_RETURN(auto terms, repository_.FindTermsInForce(account_id, day));
  if (!terms || !terms->has_volume_rebate()) {
    return common::FailedPrecondition("NO_REBATE_IN_TERMS",
                                      AccountName(account_id) +
                                          " has no terms with a volume rebate in force on " +
                                          DateText(day));
  }
  if (terms->volume_rebate().period() != span.period) {
    return common::FailedPrecondition("NO_REBATE_IN_TERMS",
                                      terms->name() + " pays its rebate per " +
                                          v1::RebatePeriod_Name(terms->volume_rebate().period()) +
                                          ", not per " + v1::RebatePeriod_Name(span.period));
  }
  ACCORD_ASSIGN_OR_RETURN(
      SalesTotals totals,
      repository_.TotalSales(account_id, span.start, span.end, terms->currency_code()));
  return ComputeRebate(name, *terms, span, totals, provisional);
}

}  // namespace accord::pricing
