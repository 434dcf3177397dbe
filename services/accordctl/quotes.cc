// `accordctl quote`, `accordctl quotes ...` and `accordctl sales ...`: the QuoteService
// (accord.pricing.v1).
#include <ostream>

#include "accord/pricing/v1/quote.grpc.pb.h"
#include "commands.h"
#include "pricing_cli.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::pricing::v1;
using cli::EnumName;
using pricing_cli::MoneyText;
using pricing_cli::Named;

constexpr EnumName kQuoteStatuses[] = {
    {"draft", v1::QUOTE_STATUS_DRAFT},       {"sent", v1::QUOTE_STATUS_SENT},
    {"accepted", v1::QUOTE_STATUS_ACCEPTED}, {"rejected", v1::QUOTE_STATUS_REJECTED},
    {"expired", v1::QUOTE_STATUS_EXPIRED},
};

constexpr EnumName kPaymentMethods[] = {
    {"invoice", v1::PAYMENT_METHOD_INVOICE},
    {"bank-transfer", v1::PAYMENT_METHOD_BANK_TRANSFER},
    {"card", v1::PAYMENT_METHOD_CARD},
    {"direct-debit", v1::PAYMENT_METHOD_DIRECT_DEBIT},
    {"cash-on-delivery", v1::PAYMENT_METHOD_CASH_ON_DELIVERY},
};

constexpr EnumName kDeliveryMethods[] = {
    {"ship", v1::DELIVERY_METHOD_SHIP},
    {"pickup", v1::DELIVERY_METHOD_PICKUP},
    {"drop-ship", v1::DELIVERY_METHOD_DROP_SHIP},
};

constexpr EnumName kStepKinds[] = {
    {"list price", v1::PRICING_STEP_KIND_LIST_PRICE},
    {"quantity break", v1::PRICING_STEP_KIND_QUANTITY_BREAK},
    {"base list", v1::PRICING_STEP_KIND_BASE_LIST_ADJUSTMENT},
    {"discount", v1::PRICING_STEP_KIND_DISCOUNT},
    {"rounding", v1::PRICING_STEP_KIND_ROUNDING},
    {"not applied", v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED},
    {"policy cap", v1::PRICING_STEP_KIND_POLICY_CAP},
};

using Quotes = v1::QuoteService;
using pricing_cli::CallAndPrint;
using pricing_cli::Connect;

// --line SKU:QTY (repeated) into `lines`; false after a usage error.
template <typename Request>
bool FillBasket(const Invocation& inv, Request* request, bool required = true) {
  for (const auto& text : inv.args.GetAll("line")) {
    const size_t colon = text.rfind(':');
    auto quantity = colon == std::string::npos ? std::nullopt
                                               : ParseInt(text.substr(colon + 1), 1, 1'000'000'000);
    if (!quantity) {
      inv.UsageError("bad --line '" + text + "' (SKU:QUANTITY)");
      return false;
    }
    auto* line = request->add_lines();
    line->set_sku(text.substr(0, colon));
    line->set_quantity(*quantity);
  }
  if (required && request->lines().empty()) {
    inv.UsageError("give at least one --line SKU:QUANTITY");
    return false;
  }
  if (auto text = inv.args.Get("date")) {
    auto day = pricing_cli::ParseDate(*text);
    if (!day) {
      inv.UsageError("bad --date '" + *text + "' (YYYY-MM-DD)");
      return false;
    }
    *request->mutable_price_date() = *day;
  }
  if (auto list = inv.args.Get("price-list")) request->set_price_list(Named("priceLists", *list));
  return true;
}

// The rule indexes of a group, the first few of them.
std::string IndexesText(const v1::NotAppliedGroup& group) {
  constexpr int kShown = 8;
  std::string text = "discount_rules";
  for (int i = 0; i < group.rule_indexes_size() && i < kShown; ++i) {
    text += (i == 0 ? " " : ", ") + std::to_string(group.rule_indexes(i));
  }
  if (group.rule_indexes_size() > kShown) {
    text += " and " + std::to_string(group.rule_indexes_size() - kShown) + " more";
  }
  return text;
}

// The explanation as a table: every step of every line, which rule decided, the rules not
// applied (one row per rule in the FULL view, else one per reason with its count), then the
// totals.
void PrintPricing(std::ostream& os, const v1::QuotePricing& pricing) {
  os << "account " << pricing.account() << " on " << pricing_cli::DateText(pricing.price_date())
     << ": " << (pricing.trading_terms().empty() ? "no terms" : pricing.trading_terms())
     << ", price list " << pricing.price_list() << "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"LINE", "SKU", "QTY", "STEP", "UNIT PRICE", "EXPLANATION"}};
  for (const auto& line : pricing.lines()) {
    auto row = [&](std::string step, std::string price, std::string text) {
      rows.push_back({std::to_string(line.index()), line.sku(), std::to_string(line.quantity()),
                      std::move(step), std::move(price), std::move(text)});
    };
    bool each_rule = false;
    for (const auto& step : line.explanation()) {
      each_rule = each_rule || step.kind() == v1::PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED;
      row(cli::EnumText(kStepKinds, step.kind()), MoneyText(step.unit_price()), step.description());
    }
    if (!line.decision().empty()) row("decision", "", line.decision());
    if (!each_rule) {
      for (const auto& group : line.rules_not_applied()) {
        row("not applied", "", group.description() + " (" + IndexesText(group) + ")");
      }
    }
    row("= net", MoneyText(line.unit_price()), "line total " + MoneyText(line.line_total()));
  }
  cli::PrintTable(os, rows);
  os << "\ntotal " << MoneyText(pricing.total());
  if (pricing.has_minimum_order_value()) {
    os << " (minimum order " << MoneyText(pricing.minimum_order_value())
       << (pricing.minimum_order_met() ? ": met" : ": NOT met") << ")";
  }
  if (!pricing.trading_terms().empty())
    os << "; payment net " << pricing.payment_net_days() << " days";
  os << "\n";
}

int RunPrice(const Invocation& inv) {
  auto account = cli::ParentName(inv.args.positional()[0]);
  if (!account || *account == "accounts/-")
    return inv.UsageError("bad account (accounts/ID or ID)");
  v1::PriceQuoteRequest request;
  request.set_account(*account);
  if (!FillBasket(inv, &request)) return kExitUsage;
  if (inv.args.Bool("full")) request.set_view(v1::PRICING_VIEW_FULL);
  auto client = Connect<Quotes>(inv);
  if (!client) return kExitUsage;
  v1::QuotePricing response;
  grpc::Status status = client->Call(&Quotes::Stub::PriceQuote, request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (inv.args.Bool("json")) {
    inv.out << ToJson(response, /*pretty=*/true) << "\n";
  } else {
    PrintPricing(inv.out, response);
  }
  return kExitOk;
}

int RunQuoteCreate(const Invocation& inv) {
  auto account = cli::ParentName(inv.args.positional()[0]);
  if (!account || *account == "accounts/-")
    return inv.UsageError("bad account (accounts/ID or ID)");
  v1::CreateQuoteRequest request;
  request.mutable_quote()->set_account(*account);
  auto expire = pricing_cli::ParseDate(inv.args.GetOr("expire-date", ""));
  if (!expire) return inv.UsageError("--expire-date YYYY-MM-DD is required");
  *request.mutable_quote()->mutable_expire_date() = *expire;
  request.mutable_quote()->set_note(inv.args.GetOr("note", ""));
  if (!FillBasket(inv, &request)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<Quotes>(inv, &Quotes::Stub::CreateQuote, request);
}

int RunQuoteGet(const Invocation& inv) {
  v1::GetQuoteRequest request;
  request.set_name(Named("quotes", inv.args.positional()[0]));
  if (inv.args.Bool("basic")) request.set_view(v1::PRICING_VIEW_BASIC);
  if (!inv.args.Bool("explain")) return CallAndPrint<Quotes>(inv, &Quotes::Stub::GetQuote, request);
  auto client = Connect<Quotes>(inv);
  if (!client) return kExitUsage;
  v1::Quote response;
  grpc::Status status = client->Call(&Quotes::Stub::GetQuote, request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << response.name() << " (" << cli::EnumText(kQuoteStatuses, response.status())
          << ", expires " << pricing_cli::DateText(response.expire_date()) << ")\n";
  PrintPricing(inv.out, response.pricing());
  return kExitOk;
}

int RunQuoteList(const Invocation& inv) {
  return pricing_cli::ListPages<Quotes, v1::ListQuotesRequest, v1::ListQuotesResponse, v1::Quote>(
      inv, {}, &Quotes::Stub::ListQuotes,
      [](const v1::ListQuotesResponse& page) -> const auto& { return page.quotes(); },
      {"NAME", "ACCOUNT", "STATUS", "TOTAL", "EXPIRES", "AUTHOR"},
      [](const v1::Quote& quote) -> std::vector<std::string> {
        return {quote.name(),
                quote.account(),
                cli::EnumText(kQuoteStatuses, quote.status()),
                MoneyText(quote.pricing().total()),
                pricing_cli::DateText(quote.expire_date()),
                quote.author()};
      });
}

int RunQuoteUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::UpdateQuoteRequest request;
  request.mutable_quote()->set_name(Named("quotes", inv.args.positional()[0]));
  if (auto value = inv.args.Get("status")) {
    auto status = cli::ParseEnum(kQuoteStatuses, *value);
    if (!status) {
      return inv.UsageError("bad --status '" + *value + "' (" + cli::Choices(kQuoteStatuses) + ")");
    }
    request.mutable_quote()->set_status(static_cast<v1::QuoteStatus>(*status));
    request.mutable_update_mask()->add_paths("status");
  }
  if (auto value = inv.args.Get("expire-date")) {
    auto day = pricing_cli::ParseDate(*value);
    if (!day) return inv.UsageError("bad --expire-date (YYYY-MM-DD)");
    *request.mutable_quote()->mutable_expire_date() = *day;
    request.mutable_update_mask()->add_paths("expire_date");
  }
  if (auto value = inv.args.Get("note")) {
    request.mutable_quote()->set_note(*value);
    request.mutable_update_mask()->add_paths("note");
  }
  if (request.update_mask().paths().empty()) {
    return inv.UsageError("nothing to update: give --status, --expire-date or --note");
  }
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<Quotes>(inv, &Quotes::Stub::UpdateQuote, request);
}

int RunSaleCreate(const Invocation& inv) {
  auto account = cli::ParentName(inv.args.positional()[0]);
  if (!account || *account == "accounts/-")
    return inv.UsageError("bad account (accounts/ID or ID)");
  v1::CreateSaleRequest request;
  auto* sale = request.mutable_sale();
  sale->set_account(*account);
  if (auto quote = inv.args.Get("quote")) sale->set_quote(Named("quotes", *quote));
  auto payment = cli::ParseEnum(kPaymentMethods, inv.args.GetOr("payment", ""));
  if (!payment)
    return inv.UsageError("--payment is required (" + cli::Choices(kPaymentMethods) + ")");
  sale->set_payment_method(static_cast<v1::PaymentMethod>(*payment));
  auto delivery = cli::ParseEnum(kDeliveryMethods, inv.args.GetOr("delivery", ""));
  if (!delivery) {
    return inv.UsageError("--delivery is required (" + cli::Choices(kDeliveryMethods) + ")");
  }
  sale->mutable_delivery()->set_method(static_cast<v1::DeliveryMethod>(*delivery));
  sale->mutable_delivery()->set_notes(inv.args.GetOr("delivery-notes", ""));
  if (auto text = inv.args.Get("delivery-date")) {
    auto day = pricing_cli::ParseDate(*text);
    if (!day) return inv.UsageError("bad --delivery-date (YYYY-MM-DD)");
    *sale->mutable_delivery()->mutable_requested_date() = *day;
  }
  sale->set_contact(inv.args.GetOr("contact", ""));
  if (!FillBasket(inv, &request, /*required=*/!inv.args.Has("quote"))) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<Quotes>(inv, &Quotes::Stub::CreateSale, request);
}

int RunSaleGet(const Invocation& inv) {
  v1::GetSaleRequest request;
  request.set_name(Named("sales", inv.args.positional()[0]));
  return CallAndPrint<Quotes>(inv, &Quotes::Stub::GetSale, request);
}

int RunSaleList(const Invocation& inv) {
  return pricing_cli::ListPages<Quotes, v1::ListSalesRequest, v1::ListSalesResponse, v1::Sale>(
      inv, {}, &Quotes::Stub::ListSales,
      [](const v1::ListSalesResponse& page) -> const auto& { return page.sales(); },
      {"NAME", "ACCOUNT", "QUOTE", "TOTAL", "PAYMENT", "DELIVERY", "AGENT"},
      [](const v1::Sale& sale) -> std::vector<std::string> {
        return {sale.name(),
                sale.account(),
                sale.quote().empty() ? "-" : sale.quote(),
                MoneyText(sale.pricing().total()),
                cli::EnumText(kPaymentMethods, sale.payment_method()),
                cli::EnumText(kDeliveryMethods, sale.delivery().method()),
                sale.agent()};
      });
}

std::vector<FlagSpec> BasketFlags(bool for_sale) {
  return {
      {"line", "SKU:QTY",
       for_sale ? "A line priced now (without --quote)." : "A line of the basket (repeatable).",
       /*repeated=*/true},
      {"date", "YYYY-MM-DD", "The day prices apply (default: today, UTC)."},
      {"price-list", "LIST", "List prices from this list when the account has no terms."},
  };
}

}  // namespace

void RegisterQuoteCommands(Registry& registry) {
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};
  auto with = [](std::vector<FlagSpec> flags, std::vector<FlagSpec> more) {
    for (auto& flag : more) flags.push_back(std::move(flag));
    return cli::WithRpcFlags(std::move(flags));
  };
  registry.Add({
      .path = {"quote"},
      .synopsis = "ACCOUNT --line SKU:QTY ...",
      .summary = "Price a basket for an account and print how every price was made.",
      .description = "Uses the account's trading terms in force on --date. Each line shows its\n"
                     "steps, which rule decided and why, and the rules not applied counted by\n"
                     "reason; --full lists every rule not applied with its own reason. --json\n"
                     "prints the QuotePricing message instead of the table.",
      .flags = with(BasketFlags(false),
                    {{"json", "", "Print JSON."},
                     {"full", "", "Every rule not applied, one row each (the FULL view)."}}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunPrice,
  });
  registry.AddGroup("quotes", "Saved quotes with frozen prices (accord.pricing.v1.QuoteService).");
  registry.Add({
      .path = {"quotes", "create"},
      .synopsis = "ACCOUNT --line SKU:QTY ... --expire-date YYYY-MM-DD",
      .summary = "Price a basket and save it as a quote (DRAFT); its prices never drift.",
      .flags =
          with(BasketFlags(false), {{"expire-date", "YYYY-MM-DD", "Last day to accept (required)."},
                                    {"note", "TEXT", "A note for the customer."},
                                    request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunQuoteCreate,
  });
  registry.Add({
      .path = {"quotes", "get"},
      .synopsis = "QUOTE",
      .summary = "Show a quote as JSON, or --explain as a table.",
      .flags = cli::WithRpcFlags(
          {{"explain", "", "Print the frozen explanation as a table."},
           {"basic", "", "Rules not applied counted by reason, not listed (the BASIC view)."}}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunQuoteGet,
  });
  registry.Add({
      .path = {"quotes", "list"},
      .summary = "List quotes: JSON lines, or a table.",
      .description = "Filter fields: account, status, author, create_time, update_time.",
      .flags =
          cli::ListFlags("create_time (default), optionally \" desc\".", "Print aligned columns."),
      .run = RunQuoteList,
  });
  registry.Add({
      .path = {"quotes", "update"},
      .synopsis = "QUOTE --etag ETAG [--status sent|accepted|rejected|expired]",
      .summary = "Move a quote on (draft -> sent -> accepted|rejected|expired) or edit it.",
      .flags = cli::WithRpcFlags({{"etag", "ETAG", "The etag last read (required)."},
                                  {"status", "STATUS", cli::Choices(kQuoteStatuses) + "."},
                                  {"expire-date", "YYYY-MM-DD", "New last day to accept."},
                                  {"note", "TEXT", "New note."},
                                  request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunQuoteUpdate,
  });
  registry.AddGroup("sales", "Recorded sales (accord.pricing.v1.QuoteService).");
  registry.Add({
      .path = {"sales", "create"},
      .synopsis = "ACCOUNT (--quote QUOTE | --line SKU:QTY ...) --payment P --delivery D",
      .summary = "Record a sale from an accepted quote, or priced now from lines.",
      .flags = with(BasketFlags(true),
                    {{"quote", "QUOTE", "An ACCEPTED quote (quotes/ID or ID)."},
                     {"payment", "METHOD", cli::Choices(kPaymentMethods) + " (required)."},
                     {"delivery", "METHOD", cli::Choices(kDeliveryMethods) + " (required)."},
                     {"delivery-date", "YYYY-MM-DD", "The day the customer asked for."},
                     {"delivery-notes", "TEXT", "Delivery arrangement notes."},
                     {"contact", "TEXT", "The customer's buyer."},
                     request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunSaleCreate,
  });
  registry.Add({
      .path = {"sales", "get"},
      .synopsis = "SALE",
      .summary = "Show a sale as JSON.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunSaleGet,
  });
  registry.Add({
      .path = {"sales", "list"},
      .summary = "List sales: JSON lines, or a table.",
      .description = "Filter fields: account, quote, agent, payment_method, create_time.",
      .flags =
          cli::ListFlags("create_time (default), optionally \" desc\".", "Print aligned columns."),
      .run = RunSaleList,
  });
}

}  // namespace accord::accordctl
