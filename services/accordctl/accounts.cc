// `accordctl accounts ...`: the AccountService (accord.account.v1).
#include <algorithm>
#include <cctype>
#include <iomanip>
#include <limits>
#include <ostream>

#include "accord/account/v1/account.grpc.pb.h"
#include "commands.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::account::v1;
using ::accord::common::v1::OrganizationType;

using cli::Choices;
using cli::EnumName;
using cli::EnumText;
using cli::ParseEnum;
using cli::WithRpcFlags;

constexpr EnumName kTypes[] = {
    {"commercial", common::v1::ORGANIZATION_TYPE_COMMERCIAL},
    {"non-profit", common::v1::ORGANIZATION_TYPE_NON_PROFIT},
    {"government", common::v1::ORGANIZATION_TYPE_GOVERNMENT},
    {"internal-unit", common::v1::ORGANIZATION_TYPE_INTERNAL_UNIT},
    {"public-institution", common::v1::ORGANIZATION_TYPE_PUBLIC_INSTITUTION},
};

constexpr EnumName kStages[] = {
    {"prospect", v1::LIFECYCLE_STAGE_PROSPECT}, {"active", v1::LIFECYCLE_STAGE_ACTIVE},
    {"at-risk", v1::LIFECYCLE_STAGE_AT_RISK},   {"dormant", v1::LIFECYCLE_STAGE_DORMANT},
    {"churned", v1::LIFECYCLE_STAGE_CHURNED},
};

constexpr EnumName kTiers[] = {
    {"strategic", v1::ACCOUNT_TIER_STRATEGIC},
    {"key", v1::ACCOUNT_TIER_KEY},
    {"standard", v1::ACCOUNT_TIER_STANDARD},
};

// "accounts/ID" or a bare "ID" -> "accounts/ID"; nullopt for anything else ("-" included).
std::optional<std::string> AccountName(const std::string& text) {
  if (text == "-" || text == "accounts/-") return std::nullopt;
  return cli::ParentName(text);
}

struct Client {
  CallOptions call;
  std::unique_ptr<v1::AccountService::Stub> stub;
};

std::optional<Client> Connect(const Invocation& inv) {
  auto call = CallOptionsFor(inv, *FindService("account"));
  if (!call) return std::nullopt;
  Client client{std::move(*call), nullptr};
  client.stub = v1::AccountService::NewStub(client.call.NewChannel());
  return client;
}

// Applies the profile flags shared by create, update and upsert; adds each to `mask` if given.
// Returns a usage error message, or "" when all flags parsed.
std::string ApplyProfileFlags(const Invocation& inv, v1::Account* account,
                              google::protobuf::FieldMask* mask) {
  auto mark = [&](const char* path) {
    if (mask != nullptr) mask->add_paths(path);
  };
  if (auto value = inv.args.Get("tier")) {
    auto tier = ParseEnum(kTiers, *value);
    if (!tier) return "bad --tier '" + *value + "' (" + Choices(kTiers) + ")";
    account->set_tier(static_cast<v1::AccountTier>(*tier));
    mark("tier");
  }
  if (auto value = inv.args.Get("territory")) {
    account->set_territory(*value);
    mark("territory");
  }
  if (auto value = inv.args.Get("industry")) {
    account->set_industry(*value);
    mark("industry");
  }
  if (auto value = inv.args.Get("website")) {
    account->set_website(*value);
    mark("website");
  }
  if (auto value = inv.args.Get("tax-id")) {
    account->set_tax_id(*value);
    mark("tax_id");
  }
  if (inv.args.Has("label")) {
    for (const auto& label : inv.args.GetAll("label")) account->add_labels(label);
    mark("labels");
  }
  if (auto value = inv.args.Get("parent")) {
    if (!value->empty()) {
      auto parent = AccountName(*value);
      if (!parent) return "bad --parent '" + *value + "' (accounts/ID, ID, or \"\" for none)";
      account->set_parent(*parent);
    }
    mark("parent");
  }
  if (inv.args.Has("external-id")) {
    for (const auto& pair : inv.args.GetAll("external-id")) {
      auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) return "bad --external-id '" + pair + "' (SYSTEM=ID)";
      (*account->mutable_external_ids())[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    mark("external_ids");
  }
  return "";
}

std::vector<FlagSpec> ProfileFlags() {
  return {
      {"tier", "TIER", "Account tier: " + Choices(kTiers) + "."},
      {"territory", "T", "Sales territory."},
      {"industry", "I", "Industry."},
      {"website", "URL", "Web site (https://...)."},
      {"tax-id", "ID", "Tax registration number."},
      {"label", "L", "A label (repeat for several; replaces all labels).", true},
      {"parent", "NAME", "Parent account (accounts/ID; \"\" for none)."},
      {"external-id", "SYSTEM=ID", "Id in a source system (repeat; replaces all).", true},
  };
}

std::vector<FlagSpec> Concat(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

template <typename Response>
int PrintMessage(const Invocation& inv, const Response& response) {
  inv.out << ToJson(response, /*pretty=*/true) << "\n";
  return kExitOk;
}

int PrintAccount(const Invocation& inv, const v1::Account& account) {
  inv.out << ToJson(account, /*pretty=*/true) << "\n";
  return kExitOk;
}

int RunCreate(const Invocation& inv) {
  auto display_name = inv.args.Get("display-name");
  if (!display_name) return inv.UsageError("--display-name is required");
  v1::CreateAccountRequest request;
  v1::Account* account = request.mutable_account();
  account->set_display_name(*display_name);
  account->set_legal_name(inv.args.GetOr("legal-name", ""));
  if (auto text = inv.args.Get("type")) {
    auto type = ParseEnum(kTypes, *text);
    if (!type) return inv.UsageError("bad --type '" + *text + "' (" + Choices(kTypes) + ")");
    account->set_type(static_cast<OrganizationType>(*type));
  }
  account->set_owner(inv.args.GetOr("owner", ""));
  if (auto error = ApplyProfileFlags(inv, account, nullptr); !error.empty()) {
    return inv.UsageError(error);
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Account response;
  grpc::Status status = client->stub->CreateAccount(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintAccount(inv, response);
}

int RunGet(const Invocation& inv) {
  auto name = AccountName(inv.args.positional()[0]);
  if (!name) return inv.UsageError("bad account name (accounts/ID or ID)");
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::GetAccountRequest request;
  request.set_name(*name);
  auto context = client->call.NewContext();
  v1::Account response;
  grpc::Status status = client->stub->GetAccount(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintAccount(inv, response);
}

void PrintTable(std::ostream& os, const std::vector<v1::Account>& accounts) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAME", "DISPLAY_NAME", "TYPE", "STAGE", "OWNER"});
  for (const auto& account : accounts) {
    rows.push_back({account.name(), account.display_name(), EnumText(kTypes, account.type()),
                    EnumText(kStages, account.lifecycle_stage()), account.owner()});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << "\n";
  }
}

int RunList(const Invocation& inv) {
  v1::ListAccountsRequest request;
  request.set_filter(inv.args.GetOr("filter", ""));
  request.set_order_by(inv.args.GetOr("order-by", ""));
  request.set_page_token(inv.args.GetOr("page-token", ""));
  if (auto text = inv.args.Get("page-size")) {
    auto size = ParseInt(*text, 0, std::numeric_limits<int32_t>::max());
    if (!size) return inv.UsageError("bad --page-size '" + *text + "'");
    request.set_page_size(static_cast<int32_t>(*size));
  }
  bool all = inv.args.Bool("all");
  bool table = inv.args.Bool("table");

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  std::vector<v1::Account> collected;
  std::string next_page_token;
  while (true) {
    auto context = client->call.NewContext();
    v1::ListAccountsResponse response;
    grpc::Status status = client->stub->ListAccounts(context.get(), request, &response);
    if (!status.ok()) return ReportRpcError(status, inv.err);
    for (const auto& account : response.accounts()) {
      if (table) {
        collected.push_back(account);
      } else {
        inv.out << ToJson(account, /*pretty=*/false) << "\n";
      }
    }
    next_page_token = response.next_page_token();
    if (!all || next_page_token.empty()) break;
    if (next_page_token == request.page_token()) {
      inv.err << "error: the server returned the same page token twice; stopping\n";
      return kExitFailure;
    }
    request.set_page_token(next_page_token);
  }
  if (table) PrintTable(inv.out, collected);
  inv.out.flush();
  // Without --all, say where the next page starts (stderr keeps stdout machine-readable).
  if (!all && !next_page_token.empty()) {
    inv.err << "next page: --page-token " << next_page_token << "\n";
  }
  return kExitOk;
}

int RunUpdate(const Invocation& inv) {
  auto name = AccountName(inv.args.positional()[0]);
  if (!name) return inv.UsageError("bad account name (accounts/ID or ID)");
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");

  v1::UpdateAccountRequest request;
  v1::Account* account = request.mutable_account();
  account->set_name(*name);
  auto* mask = request.mutable_update_mask();
  if (auto value = inv.args.Get("display-name")) {
    account->set_display_name(*value);
    mask->add_paths("display_name");
  }
  if (auto value = inv.args.Get("legal-name")) {
    account->set_legal_name(*value);
    mask->add_paths("legal_name");
  }
  if (auto value = inv.args.Get("type")) {
    auto type = ParseEnum(kTypes, *value);
    if (!type) return inv.UsageError("bad --type '" + *value + "' (" + Choices(kTypes) + ")");
    account->set_type(static_cast<OrganizationType>(*type));
    mask->add_paths("type");
  }
  if (auto value = inv.args.Get("lifecycle-stage")) {
    auto stage = ParseEnum(kStages, *value);
    if (!stage) {
      return inv.UsageError("bad --lifecycle-stage '" + *value + "' (" + Choices(kStages) + ")");
    }
    account->set_lifecycle_stage(static_cast<v1::LifecycleStage>(*stage));
    mask->add_paths("lifecycle_stage");
  }
  if (auto value = inv.args.Get("owner")) {
    account->set_owner(*value);
    mask->add_paths("owner");
  }
  if (auto error = ApplyProfileFlags(inv, account, mask); !error.empty()) {
    return inv.UsageError(error);
  }
  if (mask->paths_size() == 0) {
    return inv.UsageError("nothing to update: give at least one field flag (see --help)");
  }
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Account response;
  grpc::Status status = client->stub->UpdateAccount(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintAccount(inv, response);
}

int RunDelete(const Invocation& inv) {
  auto name = AccountName(inv.args.positional()[0]);
  if (!name) return inv.UsageError("bad account name (accounts/ID or ID)");
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::DeleteAccountRequest request;
  request.set_name(*name);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Account response;
  grpc::Status status = client->stub->DeleteAccount(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintAccount(inv, response);
}

int RunTree(const Invocation& inv) {
  auto name = AccountName(inv.args.positional()[0]);
  if (!name) return inv.UsageError("bad account name (accounts/ID or ID)");
  v1::GetAccountTreeRequest request;
  request.set_name(*name);
  if (auto text = inv.args.Get("max-depth")) {
    auto depth = ParseInt(*text, 0, 32);
    if (!depth) return inv.UsageError("bad --max-depth '" + *text + "' (0-32)");
    request.set_max_depth(static_cast<int32_t>(*depth));
  }
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::AccountTree response;
  grpc::Status status = client->stub->GetAccountTree(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (!inv.args.Bool("table")) return PrintMessage(inv, response);
  inv.out << response.root().display_name() << "  (" << response.root().name() << ")\n";
  for (const auto& node : response.descendants()) {
    inv.out << std::string(2 * node.depth(), ' ') << node.account().display_name() << "  ("
            << node.account().name() << ", " << EnumText(kStages, node.account().lifecycle_stage())
            << ")\n";
  }
  inv.out << response.descendant_count() << " descendants\n";
  return kExitOk;
}

int RunMerge(const Invocation& inv) {
  auto survivor = AccountName(inv.args.positional()[0]);
  auto duplicate = AccountName(inv.args.positional()[1]);
  if (!survivor || !duplicate) return inv.UsageError("bad account name (accounts/ID or ID)");
  auto survivor_etag = inv.args.Get("survivor-etag");
  auto duplicate_etag = inv.args.Get("duplicate-etag");
  if (!survivor_etag || !duplicate_etag) {
    return inv.UsageError("--survivor-etag and --duplicate-etag are required");
  }
  v1::MergeAccountsRequest request;
  request.set_survivor(*survivor);
  request.set_duplicate(*duplicate);
  request.set_survivor_etag(*survivor_etag);
  request.set_duplicate_etag(*duplicate_etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::MergeAccountsResponse response;
  grpc::Status status = client->stub->MergeAccounts(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintMessage(inv, response);
}

int RunLookup(const Invocation& inv) {
  v1::LookupAccountByExternalIdRequest request;
  request.set_system(inv.args.GetOr("system", ""));
  request.set_external_id(inv.args.GetOr("external-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Account response;
  grpc::Status status = client->stub->LookupAccountByExternalId(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintAccount(inv, response);
}

int RunUpsert(const Invocation& inv) {
  v1::UpsertAccountByExternalIdRequest request;
  request.set_system(inv.args.GetOr("system", ""));
  request.set_external_id(inv.args.GetOr("external-id", ""));
  v1::Account* account = request.mutable_account();
  account->set_display_name(inv.args.GetOr("display-name", ""));
  account->set_legal_name(inv.args.GetOr("legal-name", ""));
  if (auto text = inv.args.Get("type")) {
    auto type = ParseEnum(kTypes, *text);
    if (!type) return inv.UsageError("bad --type '" + *text + "' (" + Choices(kTypes) + ")");
    account->set_type(static_cast<OrganizationType>(*type));
  }
  account->set_owner(inv.args.GetOr("owner", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::UpsertAccountByExternalIdResponse response;
  grpc::Status status = client->stub->UpsertAccountByExternalId(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return PrintMessage(inv, response);
}

}  // namespace

void RegisterAccountCommands(Registry& registry) {
  registry.AddGroup("accounts", "Business customers (accord.account.v1.AccountService).");
  const std::string types = Choices(kTypes);
  const std::string stages = Choices(kStages);
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};

  registry.Add({
      .path = {"accounts", "create"},
      .synopsis = "--display-name NAME",
      .summary = "Create an account; prints it as JSON.",
      .description = "The owner defaults to the caller and the lifecycle stage to prospect.",
      .flags = WithRpcFlags(Concat(
          {
              {"display-name", "NAME",
               "How the account manager refers to the customer (required)."},
              {"legal-name", "NAME", "Registered legal name."},
              {"type", "TYPE", "Kind of organization: " + types + "."},
              {"owner", "SUBJECT", "Owning account manager (default: the caller)."},
              request_id,
          },
          ProfileFlags())),
      .run = RunCreate,
  });
  registry.Add({
      .path = {"accounts", "tree"},
      .synopsis = "NAME [--table]",
      .summary = "An account and all its descendants, with roll-ups by stage and tier.",
      .flags = WithRpcFlags({
          {"max-depth", "N", "Levels below the account (0 = all, at most 32)."},
          {"table", "", "Print an indented outline instead of JSON."},
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunTree,
  });
  registry.Add({
      .path = {"accounts", "merge"},
      .synopsis = "SURVIVOR DUPLICATE --survivor-etag E --duplicate-etag E",
      .summary = "Fold a duplicate account into the survivor; the duplicate becomes a tombstone.",
      .description = "Children, team, needs and external ids move to the survivor.",
      .flags = WithRpcFlags({
          {"survivor-etag", "ETAG", "The survivor's etag (required)."},
          {"duplicate-etag", "ETAG", "The duplicate's etag (required)."},
          request_id,
      }),
      .min_positional = 2,
      .max_positional = 2,
      .run = RunMerge,
  });
  registry.Add({
      .path = {"accounts", "lookup"},
      .synopsis = "--system S --external-id ID",
      .summary = "The account that carries an id of a source system.",
      .flags = WithRpcFlags({
          {"system", "S", "Source system, e.g. erp."},
          {"external-id", "ID", "Id in that system."},
      }),
      .run = RunLookup,
  });
  registry.Add({
      .path = {"accounts", "upsert"},
      .synopsis = "--system S --external-id ID --display-name N",
      .summary = "Sync: create or update the account carrying an external id (integration role).",
      .flags = WithRpcFlags({
          {"system", "S", "Source system, e.g. erp."},
          {"external-id", "ID", "Id in that system."},
          {"display-name", "NAME", "Display name."},
          {"legal-name", "NAME", "Legal name."},
          {"type", "TYPE", "Kind of organization: " + types + "."},
          {"owner", "SUBJECT", "Owner, when the sync creates the account."},
      }),
      .run = RunUpsert,
  });
  registry.Add({
      .path = {"accounts", "get"},
      .synopsis = "NAME",
      .summary = "Show one account as JSON (NAME is accounts/ID or ID).",
      .flags = WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"accounts", "list"},
      .synopsis = "",
      .summary = "List accounts: one JSON object per line, or a table.",
      .description = "Without --all, prints one page and, on stderr, the token of the next one.",
      .flags = WithRpcFlags({
          {"filter", "F", "Filter expression (see README \"Filtering\")."},
          {"order-by", "O", "display_name (default) or create_time, optionally \" desc\"."},
          {"page-size", "N", "Accounts per page (server default 50, at most 1000)."},
          {"page-token", "T", "Continue from a previous page."},
          {"all", "", "Follow next_page_token until the last page."},
          {"table", "", "Print aligned columns: name, display_name, type, stage, owner."},
      }),
      .run = RunList,
  });
  registry.Add({
      .path = {"accounts", "update"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Change fields of an account; only the flags given are updated.",
      .description = "The update_mask is built from the field flags given. A stale etag fails\n"
                     "with ABORTED: get the account again and retry with its new etag.",
      .flags = WithRpcFlags(Concat(
          {
              {"etag", "ETAG", "The etag last read (required)."},
              {"display-name", "NAME", "New display name."},
              {"legal-name", "NAME", "New legal name (\"\" clears it)."},
              {"type", "TYPE", "New kind of organization: " + types + "."},
              {"lifecycle-stage", "STAGE", "New lifecycle stage: " + stages + "."},
              {"owner", "SUBJECT", "New owning account manager."},
              request_id,
          },
          ProfileFlags())),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunUpdate,
  });
  registry.Add({
      .path = {"accounts", "delete"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Soft-delete an account; prints its final state.",
      .flags = WithRpcFlags({
          {"etag", "ETAG", "The etag last read (required)."},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunDelete,
  });
}

}  // namespace accord::accordctl
