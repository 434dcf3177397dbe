// The account team domain: validation, permissions, the one-membership-per-role-at-a-time rule,
// update masks and paging. Pure logic over messages and a repository; no gRPC types, so it is
// unit-tested against a fake.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/account/v1/team.pb.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/page_token.h"
#include "accord/common/paging.h"
#include "account_access.h"
#include "resource_names.h"
#include "team_need_common.h"
#include "team_repository.h"

namespace accord::account {

using v1::CreateTeamMemberRequest;
using v1::DeleteTeamMemberRequest;
using v1::GetTeamMemberRequest;
using v1::ListTeamMembersRequest;
using v1::ListTeamMembersResponse;
using v1::TeamRole;
using v1::UpdateTeamMemberRequest;

// "accounts/{a}/teamMembers/{m}" -> {a, m}. INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<ChildName> ParseTeamMemberName(std::string_view name, const std::string& field);

// Field checks shared by create and update; `prefix` is the request's path to the membership.
void ValidateTeamMemberFields(const TeamMember& member, const std::string& prefix,
                              common::Violations& violations);

// Whether two memberships' periods share a day (empty dates are open ends).
bool PeriodsOverlap(const TeamMember& a, const TeamMember& b);

// The team may be changed by admins, and by account managers who own the account or are on its
// team; not by integrations.
absl::Status CheckTeamWriteAccess(const common::Principal& caller, const AccountAccessFacts& facts);
// The rule for changing one membership (`before` absent on create, `after` absent on delete),
// checked under the account row's lock: CheckTeamWriteAccess, and then, for a team member who
// does not own the account, neither its own membership nor one in TEAM_ROLE_OWNER (see
// team.proto).
absl::Status CheckMembershipChange(const common::Principal& caller, const AccountAccessFacts& facts,
                                   const TeamMember* before, const TeamMember* after);

class TeamLogic {
 public:
  // Pages and batch reads keep their rows within `response_budget_bytes` (common::ResponseBudget of
  // the server's ACCORD_MAX_MESSAGE_BYTES).
  TeamLogic(TeamRepository& repository, const common::PageTokenCodec& page_tokens,
            size_t response_budget_bytes = common::ResponseBudget(common::kDefaultMaxMessageBytes));

  absl::StatusOr<TeamMember> Create(const common::Principal& caller,
                                    const CreateTeamMemberRequest& request, WriteMeta meta);
  absl::StatusOr<TeamMember> Get(const common::Principal& caller,
                                 const GetTeamMemberRequest& request);
  absl::StatusOr<ListTeamMembersResponse> List(const common::Principal& caller,
                                               const ListTeamMembersRequest& request);
  absl::StatusOr<TeamMember> Update(const common::Principal& caller,
                                    const UpdateTeamMemberRequest& request, WriteMeta meta);
  absl::Status Delete(const common::Principal& caller, const DeleteTeamMemberRequest& request,
                      WriteMeta meta);

 private:
  TeamRepository& repository_;
  const common::PageTokenCodec& page_tokens_;
  const size_t response_budget_bytes_;
};

}  // namespace accord::account
