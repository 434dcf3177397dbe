// `accordctl teams ...`: the AccountTeamService (accord.account.v1).
#include <ostream>

#include "accord/account/v1/team.grpc.pb.h"
#include "commands.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::account::v1;
using cli::EnumName;

constexpr EnumName kRoles[] = {
    {"owner", v1::TEAM_ROLE_OWNER},         {"sales", v1::TEAM_ROLE_SALES},
    {"service", v1::TEAM_ROLE_SERVICE},     {"billing", v1::TEAM_ROLE_BILLING},
    {"technical", v1::TEAM_ROLE_TECHNICAL}, {"executive-sponsor", v1::TEAM_ROLE_EXECUTIVE_SPONSOR},
};

constexpr char kBadName[] = "bad team member name (accounts/ID/teamMembers/ID)";
constexpr char kBadParent[] = "bad account (accounts/ID, ID, or - for every account)";

struct Client {
  CallOptions call;
  std::unique_ptr<v1::AccountTeamService::Stub> stub;
};

std::optional<Client> Connect(const Invocation& inv) {
  auto call = CallOptionsFor(inv, *FindService("account"));
  if (!call) return std::nullopt;
  Client client{std::move(*call), nullptr};
  client.stub = v1::AccountTeamService::NewStub(client.call.NewChannel());
  return client;
}

int Print(const Invocation& inv, const v1::TeamMember& member) {
  inv.out << ToJson(member, /*pretty=*/true) << "\n";
  return kExitOk;
}

// Sets the role from --role; false (after a usage error) when it is not a role.
bool ParseRoleFlag(const Invocation& inv, v1::TeamMember* member) {
  auto text = inv.args.Get("role");
  if (!text) return true;
  auto role = cli::ParseEnum(kRoles, *text);
  if (!role) {
    inv.UsageError("bad --role '" + *text + "' (" + cli::Choices(kRoles) + ")");
    return false;
  }
  member->set_role(static_cast<v1::TeamRole>(*role));
  return true;
}

int RunCreate(const Invocation& inv) {
  auto parent = cli::ParentName(inv.args.positional()[0]);
  if (!parent) return inv.UsageError(kBadParent);
  auto member = inv.args.Get("member");
  if (!member) return inv.UsageError("--member is required");
  if (!inv.args.Has("role")) return inv.UsageError("--role is required");
  v1::CreateTeamMemberRequest request;
  request.set_parent(*parent);
  v1::TeamMember* team_member = request.mutable_team_member();
  team_member->set_member(*member);
  if (!ParseRoleFlag(inv, team_member)) return kExitUsage;
  team_member->set_start_date(inv.args.GetOr("start-date", ""));
  team_member->set_end_date(inv.args.GetOr("end-date", ""));
  team_member->set_note(inv.args.GetOr("note", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::TeamMember response;
  grpc::Status status = client->stub->CreateTeamMember(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunGet(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "teamMembers");
  if (!name) return inv.UsageError(kBadName);
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  v1::GetTeamMemberRequest request;
  request.set_name(*name);
  auto context = client->call.NewContext();
  v1::TeamMember response;
  grpc::Status status = client->stub->GetTeamMember(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunList(const Invocation& inv) {
  auto parent = cli::ParentName(inv.args.positional()[0]);
  if (!parent) return inv.UsageError(kBadParent);
  v1::ListTeamMembersRequest request;
  request.set_parent(*parent);
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  return cli::RunListPages<v1::ListTeamMembersRequest, v1::TeamMember>(
      inv, request,
      [&](const v1::ListTeamMembersRequest& page_request, std::vector<v1::TeamMember>* items,
          std::string* next_page_token) {
        auto context = client->call.NewContext();
        v1::ListTeamMembersResponse response;
        grpc::Status status = client->stub->ListTeamMembers(context.get(), page_request, &response);
        items->assign(response.team_members().begin(), response.team_members().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "MEMBER", "ROLE", "START", "END", "ACTIVE"},
      [](const v1::TeamMember& member) -> std::vector<std::string> {
        return {member.name(),
                member.member(),
                cli::EnumText(kRoles, member.role()),
                member.start_date().empty() ? "-" : member.start_date(),
                member.end_date().empty() ? "-" : member.end_date(),
                member.active() ? "yes" : "no"};
      });
}

int RunUpdate(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "teamMembers");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");

  v1::UpdateTeamMemberRequest request;
  v1::TeamMember* member = request.mutable_team_member();
  member->set_name(*name);
  auto* mask = request.mutable_update_mask();
  if (inv.args.Has("role")) {
    if (!ParseRoleFlag(inv, member)) return kExitUsage;
    mask->add_paths("role");
  }
  if (auto value = inv.args.Get("start-date")) {
    member->set_start_date(*value);
    mask->add_paths("start_date");
  }
  if (auto value = inv.args.Get("end-date")) {
    member->set_end_date(*value);
    mask->add_paths("end_date");
  }
  if (auto value = inv.args.Get("note")) {
    member->set_note(*value);
    mask->add_paths("note");
  }
  if (mask->paths_size() == 0) {
    return inv.UsageError(
        "nothing to update: give at least one of --role, --start-date, --end-date, --note");
  }
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::TeamMember response;
  grpc::Status status = client->stub->UpdateTeamMember(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunDelete(const Invocation& inv) {
  auto name = cli::ChildName(inv.args.positional()[0], "teamMembers");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::DeleteTeamMemberRequest request;
  request.set_name(*name);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));

  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  google::protobuf::Empty response;
  grpc::Status status = client->stub->DeleteTeamMember(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << "deleted " << *name << "\n";
  return kExitOk;
}

}  // namespace

void RegisterTeamCommands(Registry& registry) {
  registry.AddGroup("teams", "Account teams (accord.account.v1.AccountTeamService).");
  const std::string roles = cli::Choices(kRoles);
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};

  registry.Add({
      .path = {"teams", "create"},
      .synopsis = "ACCOUNT --member SUBJECT --role ROLE",
      .summary = "Add a person to an account's team; prints the membership as JSON.",
      .description = "ACCOUNT is accounts/ID or ID. A person holds a role at most once at any\n"
                     "day: an overlapping membership fails with ALREADY_EXISTS.",
      .flags = cli::WithRpcFlags({
          {"member", "SUBJECT", "Subject of the person (required)."},
          {"role", "ROLE", "Role on the team (required): " + roles + "."},
          {"start-date", "YYYY-MM-DD", "First day (default: open)."},
          {"end-date", "YYYY-MM-DD", "Last day, inclusive (default: open)."},
          {"note", "TEXT", "Free text."},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCreate,
  });
  registry.Add({
      .path = {"teams", "get"},
      .synopsis = "NAME",
      .summary = "Show one membership as JSON (NAME is accounts/ID/teamMembers/ID).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"teams", "list"},
      .synopsis = "ACCOUNT",
      .summary = "List a team (ACCOUNT - for every account): JSON lines, or a table.",
      .description = "Filter fields: member, role, active (true/false), start_date, end_date.\n"
                     "Without --all, prints one page and, on stderr, the token of the next one.",
      .flags = cli::ListFlags("member (default) or create_time, optionally \" desc\".",
                              "Print aligned columns: name, member, role, start, end, active."),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunList,
  });
  registry.Add({
      .path = {"teams", "update"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Change a membership; only the flags given are updated.",
      .description = "The update_mask is built from the field flags given; an empty date opens\n"
                     "that end. A stale etag fails with ABORTED.",
      .flags = cli::WithRpcFlags({
          {"etag", "ETAG", "The etag last read (required)."},
          {"role", "ROLE", "New role: " + roles + "."},
          {"start-date", "YYYY-MM-DD", "New first day (\"\" opens it)."},
          {"end-date", "YYYY-MM-DD", "New last day (\"\" opens it)."},
          {"note", "TEXT", "New note."},
          request_id,
      }),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunUpdate,
  });
  registry.Add({
      .path = {"teams", "delete"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Remove a membership for good (to keep history, set --end-date instead).",
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
