#include "team_logic.h"

#include <algorithm>
#include <set>

#include "accord/common/field_limits.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/paging.h"
#include "accord/common/resource_name.h"
#include "account_logic.h"

namespace accord::account {
namespace {

namespace filter = common::filter;

constexpr size_t kMaxMember = 200;
constexpr size_t kMaxNote = 2000;

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> kPaths = {"role", "start_date", "end_date", "note"};
  return kPaths;
}

absl::Status ValidateUpdateMask(const google::protobuf::FieldMask& mask) {
  common::Violations violations;
  for (const auto& path : mask.paths()) {
    if (path == "member") {
      violations.Add("update_mask",
                     "`member` cannot be changed; end this membership and create another");
    } else if (!UpdatablePaths().count(path)) {
      violations.Add(
          "update_mask",
          "`" + path + "` cannot be updated; updatable: role, start_date, end_date, note");
    }
  }
  return violations.ToStatus();
}

// AIP-134: without a mask, every updatable field the client set (non-default) is replaced.
std::vector<std::string> EffectivePaths(const UpdateTeamMemberRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  const TeamMember& patch = request.team_member();
  std::vector<std::string> paths;
  if (patch.role() != 0) paths.push_back("role");
  if (!patch.start_date().empty()) paths.push_back("start_date");
  if (!patch.end_date().empty()) paths.push_back("end_date");
  if (!patch.note().empty()) paths.push_back("note");
  return paths;
}

using common::CheckEtag;

std::string Period(const TeamMember& member) {
  return (member.start_date().empty() ? "the beginning" : member.start_date()) + " to " +
         (member.end_date().empty() ? "open end" : member.end_date());
}

// One person holds one role on an account at most once at any day.
absl::Status CheckNoOverlap(const TeamMember& candidate, const std::vector<TeamMember>& others) {
  for (const TeamMember& other : others) {
    if (other.role() == candidate.role() && PeriodsOverlap(candidate, other)) {
      return common::AlreadyExists(
          "OVERLAPPING_MEMBERSHIP",
          candidate.member() + " already holds " + v1::TeamRole_Name(candidate.role()) +
              " on this account from " + Period(other) + " (" + other.name() + ")");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChildName> ParseTeamMemberName(std::string_view name, const std::string& field) {
  return ParseChildName(name, kTeamMembersCollection, field);
}

void ValidateTeamMemberFields(const TeamMember& member, const std::string& prefix,
                              common::Violations& violations) {
  if (member.member().empty() || IsBlank(member.member())) {
    violations.Add(prefix + "member", "required: the subject of the person");
  } else if (CodePoints(member.member()) > kMaxMember) {
    violations.Add(prefix + "member", "at most 200 characters");
  }
  if (member.role() == v1::TEAM_ROLE_UNSPECIFIED) {
    violations.Add(prefix + "role",
                   "required: OWNER, SALES, SERVICE, BILLING, TECHNICAL or EXECUTIVE_SPONSOR");
  } else if (!v1::TeamRole_IsValid(member.role())) {
    violations.Add(prefix + "role", "unknown team role " + std::to_string(member.role()));
  }
  const size_t before = violations.items().size();
  ValidateOptionalDate(member.start_date(), prefix + "start_date", violations);
  ValidateOptionalDate(member.end_date(), prefix + "end_date", violations);
  if (violations.items().size() == before && !member.start_date().empty() &&
      !member.end_date().empty() && member.end_date() < member.start_date()) {
    violations.Add(prefix + "end_date", "must not be before start_date " + member.start_date());
  }
  if (CodePoints(member.note()) > kMaxNote) {
    violations.Add(prefix + "note", "at most 2000 characters");
  }
}

bool PeriodsOverlap(const TeamMember& a, const TeamMember& b) {
  // ISO dates order as text; an empty start is the beginning of time, an empty end its end.
  auto starts_by = [](const TeamMember& x, const TeamMember& y) {
    return x.start_date().empty() || y.end_date().empty() || x.start_date() <= y.end_date();
  };
  return starts_by(a, b) && starts_by(b, a);
}

absl::Status CheckTeamWriteAccess(const common::Principal& caller,
                                  const AccountAccessFacts& facts) {
  return CheckAccountWriteAccess(caller, facts, IntegrationWrites::kDenied,
                                 "change the team of " + facts.account);
}

absl::Status CheckMembershipChange(const common::Principal& caller, const AccountAccessFacts& facts,
                                   const TeamMember* before, const TeamMember* after) {
  ACCORD_RETURN_IF_ERROR(CheckTeamWriteAccess(caller, facts));
  if (caller.Has(common::Role::kAdmin) || facts.owner == caller.subject) return absl::OkStatus();
  // What is left is a team member who does not own the account. A membership grants write
  // access, so such a member may bring colleagues in and out, but not touch its own membership
  // (extend or widen its own access) nor the owner role on the team.
  for (const TeamMember* membership : {before, after}) {
    if (membership == nullptr) continue;
    if (membership->member() == caller.subject) {
      return common::PermissionDenied("TEAM_SELF_CHANGE",
                                      caller.subject +
                                          " may not change its own membership of the team of " +
                                          facts.account + "; ask the account's owner");
    }
    if (membership->role() == v1::TEAM_ROLE_OWNER) {
      return common::PermissionDenied(
          "TEAM_OWNER_ROLE", caller.subject +
                                 " may not give or change the owner role on the team of " +
                                 facts.account + "; only the account's owner or an admin may");
    }
  }
  return absl::OkStatus();
}

TeamLogic::TeamLogic(TeamRepository& repository, const common::PageTokenCodec& page_tokens,
                     size_t response_budget_bytes)
    : repository_(repository),
      page_tokens_(page_tokens),
      response_budget_bytes_(response_budget_bytes) {}

absl::StatusOr<TeamMember> TeamLogic::Create(const common::Principal& caller,
                                             const CreateTeamMemberRequest& request,
                                             WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto account_id = ParseAccountName(request.parent(), "parent");
  MergeViolations(account_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  TeamMember member = request.team_member();
  member.clear_name();
  member.clear_etag();
  member.clear_create_time();
  member.clear_update_time();
  member.clear_active();
  ValidateTeamMemberFields(member, "team_member.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Create(
      *account_id, member, caller.subject,
      [&](const AccountAccessFacts& facts, const std::vector<TeamMember>& others) {
        ACCORD_RETURN_IF_ERROR(CheckMembershipChange(caller, facts, nullptr, &member));
        return CheckNoOverlap(member, others);
      },
      meta);
}

absl::StatusOr<TeamMember> TeamLogic::Get(const common::Principal&,
                                          const GetTeamMemberRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_ASSIGN_OR_RETURN(ChildName name, ParseTeamMemberName(request.name(), "name"));
  return repository_.Get(name.account_id, name.id);
}

absl::StatusOr<ListTeamMembersResponse> TeamLogic::List(const common::Principal&,
                                                        const ListTeamMembersRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto account_id = ParseListParent(request.parent(), "parent");
  MergeViolations(account_id.status(), violations);
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(OrderBy order,
                          ParseOrderBy(request.order_by(), {"member", "create_time"}));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));

  TeamListQuery query;
  query.account_id = *account_id;
  ACCORD_ASSIGN_OR_RETURN(
      common::PageStart start,
      common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                        request.parent() + "\n" + request.filter() + "\n" + order.canonical));
  query.limit = start.limit;
  query.after = start.after;
  query.order = order.field == "member" ? TeamOrder::kMember : TeamOrder::kCreateTime;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(TeamPage page, repository_.List(query));

  ListTeamMembersResponse response;
  const size_t returned = common::RowsWithinBudget(start, common::EntryBytes(page.team_members),
                                                   response_budget_bytes_);
  for (size_t i = 0; i < returned; ++i) {
    *response.add_team_members() = std::move(page.team_members[i]);
  }
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.team_members.size(), page.keys));
  return response;
}

absl::StatusOr<TeamMember> TeamLogic::Update(const common::Principal& caller,
                                             const UpdateTeamMemberRequest& request,
                                             WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto name = ParseTeamMemberName(request.team_member().name(), "team_member.name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the team member as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(ValidateUpdateMask(request.update_mask()));
  const std::vector<std::string> paths = EffectivePaths(request);
  if (paths.empty()) {
    return common::InvalidArgument("update_mask", "names no field to change");
  }
  meta.request_id = request.request_id();
  return repository_.Update(
      name->account_id, name->id, caller.subject,
      [&](const AccountAccessFacts& facts, const TeamMember& current,
          const std::vector<TeamMember>& others) -> absl::StatusOr<TeamMember> {
        ACCORD_RETURN_IF_ERROR(CheckTeamWriteAccess(caller, facts));
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        TeamMember next = current;
        const TeamMember& patch = request.team_member();
        for (const auto& path : paths) {
          if (path == "role") next.set_role(patch.role());
          if (path == "start_date") next.set_start_date(patch.start_date());
          if (path == "end_date") next.set_end_date(patch.end_date());
          if (path == "note") next.set_note(patch.note());
        }
        common::Violations field_violations;
        ValidateTeamMemberFields(next, "team_member.", field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        ACCORD_RETURN_IF_ERROR(CheckMembershipChange(caller, facts, &current, &next));
        ACCORD_RETURN_IF_ERROR(CheckNoOverlap(next, others));
        return next;
      },
      meta);
}

absl::Status TeamLogic::Delete(const common::Principal& caller,
                               const DeleteTeamMemberRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto name = ParseTeamMemberName(request.name(), "name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the team member as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Delete(
      name->account_id, name->id, caller.subject,
      [&](const AccountAccessFacts& facts, const TeamMember& current) {
        ACCORD_RETURN_IF_ERROR(CheckMembershipChange(caller, facts, &current, nullptr));
        return CheckEtag(request.etag(), current);
      },
      meta);
}

}  // namespace accord::account
