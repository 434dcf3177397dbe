// `accordctl price-lists ...` and `accordctl items ...`: the PriceListService
// (accord.pricing.v1).
#include <algorithm>
#include <fstream>
#include <ostream>

#include "accord/common/ids.h"
#include "accord/pricing/v1/price_list.grpc.pb.h"
#include "commands.h"
#include "csv.h"
#include "google/rpc/error_details.pb.h"
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

using Lists = v1::PriceListService;
using pricing_cli::CallAndPrint;
using pricing_cli::Connect;
using pricing_cli::PrintResult;

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
  return CallAndPrint<Lists>(inv, &Lists::Stub::CreatePriceList, request);
}

int RunGet(const Invocation& inv) {
  v1::GetPriceListRequest request;
  request.set_name(Named("priceLists", inv.args.positional()[0]));
  return CallAndPrint<Lists>(inv, &Lists::Stub::GetPriceList, request);
}

int RunList(const Invocation& inv) {
  return pricing_cli::ListPages<Lists, v1::ListPriceListsRequest, v1::ListPriceListsResponse,
                                v1::PriceList>(
      inv, {}, &Lists::Stub::ListPriceLists,
      [](const v1::ListPriceListsResponse& page) -> const auto& { return page.price_lists(); },
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
  return CallAndPrint<Lists>(inv, &Lists::Stub::UpdatePriceList, request);
}

// "100:9.50": from 100 units on, each costs 9.50 (in `currency`); false when malformed.
bool AddBreak(const std::string& text, const std::string& currency, v1::PriceListItem* item) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  auto quantity = ParseInt(text.substr(0, colon), 1, 1'000'000'000);
  auto price = pricing_cli::ParseAmount(text.substr(colon + 1), currency);
  if (!quantity || !price) return false;
  auto* quantity_break = item->add_quantity_breaks();
  quantity_break->set_min_quantity(*quantity);
  *quantity_break->mutable_unit_price() = *price;
  return true;
}

std::string BreaksText(const v1::PriceListItem& item) {
  std::string breaks;
  for (const auto& quantity_break : item.quantity_breaks()) {
    if (!breaks.empty()) breaks += ", ";
    breaks += std::to_string(quantity_break.min_quantity()) +
              "+: " + pricing_cli::MoneyText(quantity_break.unit_price());
  }
  return breaks.empty() ? "-" : breaks;
}

// GetPriceList of `name`.
grpc::Status GetList(const pricing_cli::Client<Lists>& client, const std::string& name,
                     v1::PriceList* list) {
  v1::GetPriceListRequest get;
  get.set_name(name);
  return client.Call(&Lists::Stub::GetPriceList, get, list);
}

// items upsert LIST --sku S --product-name N --unit U --price P [--category C] [--break N:P]...
int RunItemUpsert(const Invocation& inv) {
  const std::string list_name = Named("priceLists", inv.args.positional()[0]);
  for (const char* flag : {"sku", "product-name", "unit", "price"}) {
    if (!inv.args.Has(flag)) return inv.UsageError(std::string("--") + flag + " is required");
  }
  auto client = Connect<Lists>(inv);
  if (!client) return kExitUsage;
  // Amounts are in the list's currency: ask the list for it.
  v1::PriceList list;
  grpc::Status status = GetList(*client, list_name, &list);
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
    if (!AddBreak(text, list.currency_code(), item)) {
      return inv.UsageError("bad --break '" + text + "' (QTY:PRICE)");
    }
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  v1::BatchUpsertPriceListItemsResponse response;
  status = client->Call(&Lists::Stub::BatchUpsertPriceListItems, request, &response);
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
  v1::GetPriceListItemRequest request;
  request.set_name(inv.args.positional()[0]);
  return CallAndPrint<Lists>(inv, &Lists::Stub::GetPriceListItem, request);
}

int RunItemList(const Invocation& inv) {
  v1::ListPriceListItemsRequest request;
  request.set_parent(Named("priceLists", inv.args.positional()[0]));
  return pricing_cli::ListPages<Lists, v1::ListPriceListItemsRequest,
                                v1::ListPriceListItemsResponse, v1::PriceListItem>(
      inv, request, &Lists::Stub::ListPriceListItems,
      [](const v1::ListPriceListItemsResponse& page) -> const auto& { return page.items(); },
      {"SKU", "PRODUCT", "CATEGORY", "UNIT", "PRICE", "BREAKS"},
      [](const v1::PriceListItem& item) -> std::vector<std::string> {
        return {item.sku(),
                item.product_name(),
                item.category().empty() ? "-" : item.category(),
                item.unit(),
                pricing_cli::MoneyText(item.unit_price()),
                BreaksText(item)};
      });
}

// A CSV row as an item, columns by the header's names (see the command's description); amounts
// in `currency`. A value the CLI cannot read is returned as the row's error.
std::optional<std::string> CsvItem(const std::vector<std::string>& header,
                                   const std::vector<std::string>& fields,
                                   const std::string& currency, v1::PriceListItem* item) {
  for (size_t i = 0; i < header.size() && i < fields.size(); ++i) {
    const std::string& column = header[i];
    const std::string& value = fields[i];
    if (column == "sku") item->set_sku(value);
    if (column == "product_name") item->set_product_name(value);
    if (column == "category") item->set_category(value);
    if (column == "unit") item->set_unit(value);
    if (value.empty()) continue;
    if (column == "unit_price" || column == "unit_cost") {
      auto money = pricing_cli::ParseAmount(value, currency);
      if (!money) return column + ": not an amount: " + value;
      *(column == "unit_price" ? item->mutable_unit_price() : item->mutable_unit_cost()) = *money;
    }
    if (column == "quantity_breaks") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = std::min(value.find(';', start), value.size());
        const std::string text = value.substr(start, end - start);
        if (!AddBreak(text, currency, item)) return column + ": not QTY:PRICE: " + text;
        start = end + 1;
      }
    }
  }
  return std::nullopt;
}

// price-lists import LIST FILE.csv: streams the rows (1000 a message) with a progress bar;
// refused rows go to the errors file with their line.
int RunImport(const Invocation& inv) {
  const std::string list_name = Named("priceLists", inv.args.positional()[0]);
  const std::string path = inv.args.positional()[1];
  csv::CsvInput input;
  if (auto error = csv::OpenCsv(path, {"sku", "product_name", "unit", "unit_price"}, &input);
      !error.empty()) {
    return inv.UsageError(error);
  }
  std::ifstream& in = input.in;
  const std::vector<std::string>& header = input.header;
  const std::string errors_path = inv.args.GetOr("errors", path + ".errors.csv");
  const std::string batch_id = inv.args.GetOr("batch-id", common::NewUuidV7());
  auto call = CallOptionsFor(inv, *FindService("pricing-terms"), true, std::chrono::hours(1));
  if (!call) return kExitUsage;
  pricing_cli::Client<Lists> client{*call, Lists::NewStub(call->NewChannel())};
  v1::PriceList list;
  if (grpc::Status status = GetList(client, list_name, &list); !status.ok()) {
    return ReportRpcError(status, inv.err);
  }
  auto context = call->NewContext();
  v1::ImportPriceListItemsResponse response;
  auto writer = client.stub->ImportPriceListItems(context.get(), &response);

  std::ofstream errors(errors_path);
  errors << "line,sku,code,fields,error\n";
  std::vector<size_t> line_of_row;  // the CSV line of each row sent
  size_t line = 1, sent = 0, unreadable = 0;
  v1::ImportPriceListItemsRequest message;
  message.set_parent(list_name);
  message.set_batch_id(batch_id);
  bool open = true;
  std::vector<std::string> fields;
  while (open && csv::ReadCsvRecord(in, &fields)) {
    ++line;
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    v1::PriceListItem item;
    if (auto error = CsvItem(header, fields, list.currency_code(), &item)) {
      ++unreadable;
      errors << line << "," << csv::CsvField(item.sku()) << ",INVALID_ARGUMENT,,"
             << csv::CsvField(*error) << "\n";
      continue;
    }
    *message.add_items() = std::move(item);
    line_of_row.push_back(line);
    if (message.items_size() == 1000) {
      sent += message.items_size();
      open = writer->Write(message);
      message.Clear();
      csv::DrawProgress(inv.err, in, input.size, sent, false);
    }
  }
  if (open && (message.items_size() > 0 || sent == 0)) {
    sent += message.items_size();
    writer->Write(message);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  csv::DrawProgress(inv.err, in, input.size, sent, true);
  if (!status.ok()) return ReportRpcError(status, inv.err);

  for (const auto& error : response.errors()) {
    std::string fields_text;
    google::rpc::BadRequest bad_request;
    for (const auto& detail : error.status().details()) {
      if (!detail.UnpackTo(&bad_request)) continue;
      for (const auto& violation : bad_request.field_violations()) {
        fields_text += (fields_text.empty() ? "" : ";") + violation.field();
      }
    }
    const auto row = static_cast<size_t>(error.row());
    errors << (row < line_of_row.size() ? line_of_row[row] : 0) << "," << csv::CsvField(error.sku())
           << "," << StatusCodeName(static_cast<grpc::StatusCode>(error.status().code())) << ","
           << csv::CsvField(fields_text) << "," << csv::CsvField(error.status().message()) << "\n";
  }
  const int64_t failed = response.failed() + static_cast<int64_t>(unreadable);
  inv.out << "import " << response.batch_id() << " into " << response.price_list() << ": "
          << response.rows() + static_cast<int64_t>(unreadable) << " rows, " << response.created()
          << " created, " << response.updated() << " updated, " << response.unchanged()
          << " unchanged, " << failed << " failed"
          << (failed > 0 ? " (see " + errors_path + ")" : "")
          << (response.errors_truncated() ? "; only the first 10000 errors are listed" : "")
          << "; list etag " << response.etag() << "\n";
  return failed > 0 ? kExitFailure : kExitOk;
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
      .path = {"price-lists", "import"},
      .synopsis = "LIST FILE.csv [--errors FILE] [--batch-id UUID]",
      .summary = "Create or replace a list's items from a CSV file, with a progress bar.",
      .description =
          "Columns by the header's names: sku, product_name, unit, unit_price (required),\n"
          "category, unit_cost, quantity_breaks (QTY:PRICE;QTY:PRICE). Amounts in the list's\n"
          "currency, e.g. 129.90. The rows stream to ImportPriceListItems; each bad row is\n"
          "written to the errors file (line, sku, code, fields, error) and fails nothing else.\n"
          "Running it again with the same --batch-id changes nothing. Exit status 1 when a\n"
          "row failed.",
      .flags = cli::WithRpcFlags({
          {"errors", "FILE", "Where failed rows are written (default FILE.csv.errors.csv)."},
          {"batch-id", "UUID", "Names the batch: a replay is answered from the first import."},
      }),
      .min_positional = 2,
      .max_positional = 2,
      .run = RunImport,
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
