// `accordctl needs ...`: the AccountNeedService (accord.account.v1).
#include <ostream>

#include "accord/account/v1/need.grpc.pb.h"
#include "commands.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::account::v1;
using cli::EnumName;

constexpr EnumName kSources[] = {
    {"meeting", v1::NEED_SOURCE_MEETING},   {"call", v1::NEED_SOURCE_CALL},
    {"survey", v1::NEED_SOURCE_SURVEY},     {"case", v1::NEED_SOURCE_CASE},
    {"forecast", v1::NEED_SOURCE_FORECAST},
};

constexpr EnumName kPriorities[] = {
    {"low", v1::NEED_PRIORITY_LOW},
    {"medium", v1::NEED_PRIORITY_MEDIUM},
    {"high", v1::NEED_PRIORITY_HIGH},
    {"critical", v1::NEED_PRIORITY_CRITICAL},
};

constexpr EnumName kStatuses[] = {
    {"open", v1::NEED_STATUS_OPEN},
    {"planned", v1::NEED_STATUS_PLANNED},
    {"met", v1::NEED_STATUS_MET},
    {"dropped", v1::NEED_STATUS_DROPPED},
};

constexpr char kBadName[] = "bad need name (accounts/ID/needs/ID)";
constexpr char kBadParent[] = "bad account (accounts/ID, ID, or - for every account)";

struct Client {
  CallOptions call;
  std::unique_ptr<v1::AccountNeedService::Stub> stub;
};

std::optional<Client> Connect(const Invocation& inv) {
  auto call = CallOptionsFor(inv, *FindService("account"));
  if (!call) return std::nullopt;
  Client client{std::move(*call), nullptr};
  client.stub = v1::AccountNeedService::NewStub(client.call.NewChannel());
  return client;
}

int Print(const Invocation& inv, const v1::Need& need) {
  inv.out << ToJson(need, /*pretty=*/true) << "\n";
  return kExitOk;
}

// Copies the field flags given into `need` and names them in `paths`. Returns false (after a
// usage error) on a bad enum value.
bool ApplyFieldFlags(const Invocation& inv, v1::Need* need, std::vector<std::string>* paths) {
  if (auto value = inv.args.Get("title")) {
    need->set_title(*value);
    paths->push_back("title");
  }
  if (auto value = inv.args.Get("description")) {
    need->set_description(*value);
    paths->push_back("description");
  }
  if (auto value = inv.args.Get("source")) {
    auto source = cli::ParseEnum(kSources, *value);
    if (!source) {
      inv.UsageError("bad --source '" + *value + "' (" + cli::Choices(kSources) + ")");
      return false;
    }
    need->set_source(static_cast<v1::NeedSource>(*source));
    paths->push_back("source");
  }
  if (auto value = inv.args.Get("priority")) {
    auto priority = cli::ParseEnum(kPriorities, *value);
    if (!priority) {
      inv.UsageError("bad --priority '" + *value + "' (" + cli::Choices(kPriorities) + ")");
      return false;
    }
    need->set_priority(static_cast<v1::NeedPriority>(*priority));
    paths->push_back("priority");
  }
  if (auto value = inv.args.Get("status")) {
    auto status = cli::ParseEnum(kStatuses, *value);
    if (!status) {
      inv.UsageError("bad --status '" + *value + "' (" + cli::Choices(kStatuses) + ")");
      return false;
    }
    need->set_status(static_cast<v1::NeedStatus>(*status));
    paths->push_back("status");
  }
  if (auto value = inv.args.Get("due-date")) {
    need->set_due_date(*value);
    paths->push_back("due_date");
  }
  if (auto value = inv.args.Get("owner")) {
    need->set_owner(*value);
    paths->push_back("owner");
  }
  return true;
}

std::vector<FlagSpec> FieldFlags(bool create) {
  return {
      {"title", "TEXT", create ? "What the customer needs (required)." : "New title."},
      {"description", "TEXT", create ? "More detail." : "New description."},
      {"source", "SOURCE", "Where it was heard: " + cli::Choices(kSources) + "."},
      {"priority", "PRIORITY", cli::Choices(kPriorities) + (create ? " (default medium)." : ".")},
      {"status", "STATUS", cli::Choices(kStatuses) + (create ? " (default open)." : ".")},
      {"due-date", "YYYY-MM-DD",
       create ? "When it should be met." : "New due date (\"\" clears it)."},
      {"owner", "SUBJECT", create ? "Who follows it up (default: the caller)." : "New owner."},
  };
}

int RunCreate(const Invocation& inv) {
  auto parent = cli::ParentName(inv.args.positional()[0]);
  if (!parent) return inv.UsageError(kBadParent);
  if (!inv.args.Has("title")) return inv.UsageError("--title is required");
  v1::CreateNeedRequest request;
  request.set_parent(*parent);
  std::vector<std::string> paths;
  if (!ApplyFieldFlags(inv, request.mutable_need(), &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Need response;
  grpc::Status status = client->stub->CreateNeed(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunGet(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "needs");
  if (!name) return inv.UsageError(kBadName);
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::GetNeedRequest request;
  request.set_name(*name);
  auto context = client->call.NewContext();
  v1::Need response;
  grpc::Status status = client->stub->GetNeed(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunList(const Invocation& inv) {
  auto parent = cli::ParentName(inv.args.positional()[0]);
  if (!parent) return inv.UsageError(kBadParent);
  v1::ListNeedsRequest request;
  request.set_parent(*parent);
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  return cli::RunListPages<v1::ListNeedsRequest, v1::Need>(
      inv, request,
      [&](const v1::ListNeedsRequest& page_request, std::vector<v1::Need>* items,
          std::string* next_page_token) {
        auto context = client->call.NewContext();
        v1::ListNeedsResponse response;
        grpc::Status status = client->stub->ListNeeds(context.get(), page_request, &response);
        items->assign(response.needs().begin(), response.needs().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "TITLE", "STATUS", "PRIORITY", "DUE", "OWNER"},
      [](const v1::Need& need) -> std::vector<std::string> {
        return {need.name(),
                need.title(),
                cli::EnumText(kStatuses, need.status()),
                cli::EnumText(kPriorities, need.priority()),
                need.due_date().empty() ? "-" : need.due_date(),
                need.owner()};
      });
}

int RunUpdate(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "needs");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::UpdateNeedRequest request;
  request.mutable_need()->set_name(*name);
  std::vector<std::string> paths;
  if (!ApplyFieldFlags(inv, request.mutable_need(), &paths)) return kExitUsage;
  if (paths.empty()) {
    return inv.UsageError(
        "nothing to update: give at least one of --title, --description, --source, --priority, "
        "--status, --due-date, --owner");
  }
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Need response;
  grpc::Status status = client->stub->UpdateNeed(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunDelete(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "needs");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::DeleteNeedRequest request;
  request.set_name(*name);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Need response;
  grpc::Status status = client->stub->DeleteNeed(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

}  // namespace

void RegisterNeedCommands(Registry& registry) {
  registry.AddGroup("needs", "Customer needs (accord.account.v1.AccountNeedService).");
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};
  std::vector<FlagSpec> create_flags = FieldFlags(/*create=*/true);
  create_flags.push_back(request_id);
  std::vector<FlagSpec> update_flags = {{"etag", "ETAG", "The etag last read (required)."}};
  for (auto& flag : FieldFlags(/*create=*/false)) update_flags.push_back(std::move(flag));
  update_flags.push_back(request_id);

  registry.Add({
      .path = {"needs", "create"},
      .synopsis = "ACCOUNT --title TEXT",
      .summary = "Record a need of an account; prints it as JSON.",
      .description = "ACCOUNT is accounts/ID or ID.",
      .flags = cli::WithRpcFlags(std::move(create_flags)),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCreate,
  });
  registry.Add({
      .path = {"needs", "get"},
      .synopsis = "NAME",
      .summary = "Show one need as JSON (NAME is accounts/ID/needs/ID).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"needs", "list"},
      .synopsis = "ACCOUNT",
      .summary = "List needs (ACCOUNT - for every account): JSON lines, or a table.",
      .description = "Filter fields: title, status, priority, source, owner, due_date; a bare\n"
                     "word searches title and description. Without --all, prints one page and,\n"
                     "on stderr, the token of the next one.",
      .flags =
          cli::ListFlags("create_time (default), due_date or priority, optionally \" desc\".",
                         "Print aligned columns: name, title, status, priority, due date, owner."),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunList,
  });
  registry.Add({
      .path = {"needs", "update"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Change a need; only the flags given are updated.",
      .description = "Status changes: open -> planned|met|dropped, planned -> open|met|dropped,\n"
                     "met -> open, dropped -> open; others fail with FAILED_PRECONDITION.\n"
                     "A stale etag fails with ABORTED.",
      .flags = cli::WithRpcFlags(std::move(update_flags)),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunUpdate,
  });
  registry.Add({
      .path = {"needs", "delete"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Soft-delete a need; prints its final state.",
      .flags = cli::WithRpcFlags({
          {"etag", "ETAG", "The etag last read (required)."},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunDelete,
  });
}

}  // namespace accord::accordctl
