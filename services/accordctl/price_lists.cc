// `accordctl price-lists ...` and `accordctl items ...`: the PriceListService
// (accord.pricing.v1).
#include <ostream>

#include "accord/pricing/v1/price_list.grpc.pb.h"
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
    {"draft", v1::PRICE_LIST_STATUS_DRAFT},
    {"active", v1::PRICE_LIST_STATUS_ACTIVE},
    {"retired", v1::PRICE_LIST_STATUS_RETIRED},
};

struct Client {
  CallOptions call;
  std::unique_ptr<v1::PriceListService::Stub> stub;
};

std::optional<Client> Connect(const Invocation& inv) {
  auto call = pricing_cli::Call(inv);
  if (!call) return std::nullopt;
  Client client{std::move(*call), nullptr};
  client.stub = v1::PriceListService::NewStub(client.call.NewChannel());
  return client;
}

template <typename Message>
int Finish(const Invocation& inv, const grpc::Status& status, const Message& message) {
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << ToJson(message, /*pretty=*/true) << "\n";
  return kExitOk;
}

// Reads the date flag `name` into `out`; false after a usage error.
bool DateFlag(const Invocation& inv, const std::string& name, common::v1::Date* out,
              bool* given = nullptr) {
  auto text = inv.args.Get(name);
  if (given) *given = text.has_value();
  if (!text) return true;
  if (text->empty()) return true;  // "" clears
  auto date = pricing_cli::ParseDate(*text);
  if (!date) {
    inv.UsageError("bad --" + name + " '" + *text + "' (YYYY-MM-DD)");
    return false;
  }
  *out = *date;
  return true;
}

int RunCreate(const Invocation& inv) {
  v1::CreatePriceListRequest request;
  auto* list = request.mutable_price_list();
  list->set_display_name(inv.args.GetOr("display-name", ""));
  list->set_currency_code(inv.args.GetOr("currency", ""));
  if (!DateFlag(inv, "valid-from", list->mutable_valid_from())) return kExitUsage;
  if (!DateFlag(inv, "valid-until", list->mutable_valid_until())) return kExitUsage;
  if (list->valid_until().year() == 0) list->clear_valid_until();
  if (auto base = inv.args.Get("base")) list->set_base_price_list(Named("priceLists", *base));
  if (auto adjustment = inv.args.Get("adjustment")) {
    auto bps = pricing_cli::ParsePercentBps(*adjustment);
    if (!bps) return inv.UsageError("bad --adjustment '" + *adjustment + "' (percent, e.g. -5)");
    list->set_adjustment_bps(*bps);
  }
  if (auto step = inv.args.Get("rounding-step")) {
    auto money = pricing_cli::ParseAmount(*step, list->currency_code());
    if (!money) return inv.UsageError("bad --rounding-step '" + *step + "' (e.g. 0.05)");
    *list->mutable_rounding_step() = *money;
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::PriceList response;
  auto context = client->call.NewContext();
  return Finish(inv, client->stub->CreatePriceList(context.get(), request, &response), response);
}

int RunGet(const Invocation& inv) {
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::GetPriceListRequest request;
  request.set_name(Named("priceLists", inv.args.positional()[0]));
  v1::PriceList response;
  auto context = client->call.NewContext();
  return Finish(inv, client->stub->GetPriceList(context.get(), request, &response), response);
}

int RunList(const Invocation& inv) {
  v1::ListPriceListsRequest request;
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  return cli::RunListPages<v1::ListPriceListsRequest, v1::PriceList>(
      inv, request,
      [&](const v1::ListPriceListsRequest& page_request, std::vector<v1::PriceList>* items,
          std::string* next_page_token) {
        auto context = client->call.NewContext();
        v1::ListPriceListsResponse response;
        grpc::Status status = client->stub->ListPriceLists(context.get(), page_request, &response);
        items->assign(response.price_lists().begin(), response.price_lists().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "DISPLAY NAME", "CURRENCY", "STATUS", "FROM", "UNTIL", "BASE"},
      [](const v1::PriceList& list) -> std::vector<std::string> {
        return {list.name(),
                list.display_name(),
                list.currency_code(),
                cli::EnumText(kStatuses, list.status()),
                pricing_cli::DateText(list.valid_from()),
                pricing_cli::DateText(list.valid_until()),
                list.base_price_list().empty() ? "-" : list.base_price_list()};
      });
}

int RunUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::UpdatePriceListRequest request;
  auto* list = request.mutable_price_list();
  list->set_name(Named("priceLists", inv.args.positional()[0]));
  auto* mask = request.mutable_update_mask();
  if (auto value = inv.args.Get("display-name")) {
    list->set_display_name(*value);
    mask->add_paths("display_name");
  }
  if (auto value = inv.args.Get("status")) {
    auto status = cli::ParseEnum(kStatuses, *value);
    if (!status)
      return inv.UsageError("bad --status '" + *value + "' (" + cli::Choices(kStatuses) + ")");
    list->set_status(static_cast<v1::PriceListStatus>(*status));
    mask->add_paths("status");
  }
  bool given = false;
  if (!DateFlag(inv, "valid-from", list->mutable_valid_from(), &given)) return kExitUsage;
  if (given) mask->add_paths("valid_from");
  if (!DateFlag(inv, "valid-until", list->mutable_valid_until(), &given)) return kExitUsage;
  if (given) mask->add_paths("valid_until");
  if (auto adjustment = inv.args.Get("adjustment")) {
    auto bps = pricing_cli::ParsePercentBps(*adjustment);
    if (!bps) return inv.UsageError("bad --adjustment '" + *adjustment + "'");
    list->set_adjustment_bps(*bps);
    mask->add_paths("adjustment_bps");
  }
  if (mask->paths_size() == 0) {
    return inv.UsageError(
        "nothing to update: give --display-name, --status, --valid-from, --valid-until or "
        "--adjustment");
  }
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::PriceList response;
  auto context = client->call.NewContext();
  return Finish(inv, client->stub->UpdatePriceList(context.get(), request, &response), response);
}

// items upsert LIST --sku S --product-name N --unit U --price P [--category C] [--break N:P]...
int RunItemUpsert(const Invocation& inv) {
  const std::string list_name = Named("priceLists", inv.args.positional()[0]);
  for (const char* flag : {"sku", "product-name", "unit", "price"}) {
    if (!inv.args.Has(flag)) return inv.UsageError(std::string("--") + flag + " is required");
  }
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  // Amounts are in the list's currency: ask the list for it.
  v1::GetPriceListRequest get;
  get.set_name(list_name);
  v1::PriceList list;
  auto context = client->call.NewContext();
  grpc::Status status = client->stub->GetPriceList(context.get(), get, &list);
  if (!status.ok()) return ReportRpcError(status, inv.err);

  v1::BatchUpsertPriceListItemsRequest request;
  request.set_parent(list_name);
  auto* item = request.add_items();
  item->set_sku(*inv.args.Get("sku"));
  item->set_product_name(*inv.args.Get("product-name"));
  item->set_unit(*inv.args.Get("unit"));
  item->set_category(inv.args.GetOr("category", ""));
  auto price = pricing_cli::ParseAmount(*inv.args.Get("price"), list.currency_code());
  if (!price) return inv.UsageError("bad --price '" + *inv.args.Get("price") + "' (e.g. 12.50)");
  *item->mutable_unit_price() = *price;
  for (const auto& text : inv.args.GetAll("break")) {
    const size_t colon = text.find(':');
    auto quantity = colon == std::string::npos ? std::nullopt
                                               : ParseInt(text.substr(0, colon), 1, 1'000'000'000);
    auto break_price = colon == std::string::npos
                           ? std::nullopt
                           : pricing_cli::ParseAmount(text.substr(colon + 1), list.currency_code());
    if (!quantity || !break_price) return inv.UsageError("bad --break '" + text + "' (QTY:PRICE)");
    auto* quantity_break = item->add_quantity_breaks();
    quantity_break->set_min_quantity(*quantity);
    *quantity_break->mutable_unit_price() = *break_price;
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  v1::BatchUpsertPriceListItemsResponse response;
  context = client->call.NewContext();
  status = client->stub->BatchUpsertPriceListItems(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  const auto& result = response.results(0);
  if (result.status().code() != 0) {
    return ReportRpcError(
        grpc::Status(static_cast<grpc::StatusCode>(result.status().code()),
                     result.status().message(), result.status().SerializeAsString()),
        inv.err);
  }
  inv.out << ToJson(result.item(), /*pretty=*/true) << "\n";
  return kExitOk;
}

int RunItemGet(const Invocation& inv) {
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::GetPriceListItemRequest request;
  request.set_name(inv.args.positional()[0]);
  v1::PriceListItem response;
  auto context = client->call.NewContext();
  return Finish(inv, client->stub->GetPriceListItem(context.get(), request, &response), response);
}

int RunItemList(const Invocation& inv) {
  v1::ListPriceListItemsRequest request;
  request.set_parent(Named("priceLists", inv.args.positional()[0]));
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  return cli::RunListPages<v1::ListPriceListItemsRequest, v1::PriceListItem>(
      inv, request,
      [&](const v1::ListPriceListItemsRequest& page_request, std::vector<v1::PriceListItem>* items,
          std::string* next_page_token) {
        auto context = client->call.NewContext();
        v1::ListPriceListItemsResponse response;
        grpc::Status status =
            client->stub->ListPriceListItems(context.get(), page_request, &response);
        items->assign(response.items().begin(), response.items().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"SKU", "PRODUCT", "CATEGORY", "UNIT", "PRICE", "BREAKS"},
      [](const v1::PriceListItem& item) -> std::vector<std::string> {
        std::string breaks;
        for (const auto& quantity_break : item.quantity_breaks()) {
          if (!breaks.empty()) breaks += ", ";
          breaks += std::to_string(quantity_break.min_quantity()) +
                    "+: " + pricing_cli::MoneyText(quantity_break.unit_price());
        }
        return {item.sku(),
                item.product_name(),
                item.category().empty() ? "-" : item.category(),
                item.unit(),
                pricing_cli::MoneyText(item.unit_price()),
                breaks.empty() ? "-" : breaks};
      });
}

}  // namespace

void RegisterPriceListCommands(Registry& registry) {
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};
  registry.AddGroup("price-lists", "Price lists (accord.pricing.v1.PriceListService).");
  registry.AddGroup("items", "Items of a price list (accord.pricing.v1.PriceListService).");
  registry.Add({
      .path = {"price-lists", "create"},
      .synopsis = "--display-name NAME --currency EUR --valid-from YYYY-MM-DD",
      .summary = "Create a price list (DRAFT); prints it as JSON.",
      .description = "A derived list names --base and an --adjustment in percent (-5 is 5% off),\n"
                     "with derived prices rounded half-even to --rounding-step (e.g. 0.05).",
      .flags = cli::WithRpcFlags({
          {"display-name", "NAME", "What people call the list (required)."},
          {"currency", "CODE", "ISO 4217 currency of every price (required)."},
          {"valid-from", "YYYY-MM-DD", "First day (required)."},
          {"valid-until", "YYYY-MM-DD", "Last day (default: open-ended)."},
          {"base", "LIST", "Base price list (priceLists/ID or ID)."},
          {"adjustment", "PERCENT", "Adjustment of base prices, e.g. -5 or 2.5."},
          {"rounding-step", "AMOUNT", "Derived prices round to a multiple of this."},
          request_id,
      }),
      .run = RunCreate,
  });
  registry.Add({
      .path = {"price-lists", "get"},
      .synopsis = "LIST",
      .summary = "Show a price list as JSON.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"price-lists", "list"},
      .summary = "List price lists: JSON lines, or a table.",
      .description = "Filter fields: display_name, currency_code, status, base_price_list,\n"
                     "author, create_time, update_time.",
      .flags = cli::ListFlags("create_time (default) or display_name, optionally \" desc\".",
                              "Print aligned columns."),
      .run = RunList,
  });
  registry.Add({
      .path = {"price-lists", "update"},
      .synopsis = "LIST --etag ETAG",
      .summary = "Change a price list (e.g. --status active); only the flags given change.",
      .description = "Status changes: draft -> active|retired, active -> retired.",
      .flags = cli::WithRpcFlags({
          {"etag", "ETAG", "The etag last read (required)."},
          {"display-name", "NAME", "New name."},
          {"status", "STATUS", cli::Choices(kStatuses) + "."},
          {"valid-from", "YYYY-MM-DD", "New first day."},
          {"valid-until", "YYYY-MM-DD", "New last day (\"\" clears)."},
          {"adjustment", "PERCENT", "New adjustment of base prices."},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunUpdate,
  });
  registry.Add({
      .path = {"items", "upsert"},
      .synopsis = "LIST --sku SKU --product-name NAME --unit UNIT --price AMOUNT",
      .summary = "Create or replace one item of a price list; prints it as JSON.",
      .description = "Amounts are in the list's currency. --break 100:9.50 (repeatable): from\n"
                     "100 units on, each costs 9.50.",
      .flags = cli::WithRpcFlags({
          {"sku", "SKU", "The item's id in the list (required)."},
          {"product-name", "NAME", "Required."},
          {"category", "PATH", "e.g. tools/power/drills."},
          {"unit", "UNIT", "Unit of sale, e.g. each (required)."},
          {"price", "AMOUNT", "Unit price, e.g. 129.90 (required)."},
          {"break", "QTY:PRICE", "A quantity break.", /*repeated=*/true},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunItemUpsert,
  });
  registry.Add({
      .path = {"items", "get"},
      .synopsis = "priceLists/ID/items/SKU",
      .summary = "Show one item as JSON.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunItemGet,
  });
  registry.Add({
      .path = {"items", "list"},
      .synopsis = "LIST",
      .summary = "List a price list's items: JSON lines, or a table.",
      .description = "Filter fields: sku, product_name, category (category:power is a\n"
                     "substring), unit, create_time, update_time.",
      .flags = cli::ListFlags("sku (default), product_name or update_time, optionally \" desc\".",
                              "Print aligned columns."),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunItemList,
  });
}

}  // namespace accord::accordctl
