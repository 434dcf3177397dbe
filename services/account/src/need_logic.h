// The account needs domain: validation, permissions, status rules, update masks and paging.
// Pure logic over messages and a repository; no gRPC types, so it is unit-tested against a
// fake.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/account/v1/need.pb.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/page_token.h"
#include "accord/common/paging.h"
#include "account_access.h"
#include "need_repository.h"
#include "resource_names.h"
#include "team_need_common.h"

namespace accord::account {

using v1::CreateNeedRequest;
using v1::DeleteNeedRequest;
using v1::GetNeedRequest;
using v1::ListNeedsRequest;
using v1::ListNeedsResponse;
using v1::NeedPriority;
using v1::NeedSource;
using v1::NeedStatus;
using v1::UpdateNeedRequest;

// "accounts/{a}/needs/{n}" -> {a, n}. INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<ChildName> ParseNeedName(std::string_view name, const std::string& field);

// Whether a need's status may change from `from` to `to` (the same status always may).
bool IsAllowedStatusTransition(NeedStatus from, NeedStatus to);

// Field checks shared by create and update; `prefix` is the request's path to the need.
void ValidateNeedFields(const Need& need, const std::string& prefix,
                        common::Violations& violations);

// Needs may be changed by admins, by account managers who own the account or are on its team,
// and by integrations (sync from other systems).
absl::Status CheckNeedWriteAccess(const common::Principal& caller, const AccountAccessFacts& facts);

class NeedLogic {
 public:
  // Pages and batch reads keep their rows within `response_budget_bytes` (common::ResponseBudget of
  // the server's ACCORD_MAX_MESSAGE_BYTES).
  NeedLogic(NeedRepository& repository, const common::PageTokenCodec& page_tokens,
            size_t response_budget_bytes = common::ResponseBudget(common::kDefaultMaxMessageBytes));

  absl::StatusOr<Need> Create(const common::Principal& caller, const CreateNeedRequest& request,
                              WriteMeta meta);
  absl::StatusOr<Need> Get(const common::Principal& caller, const GetNeedRequest& request);
  absl::StatusOr<ListNeedsResponse> List(const common::Principal& caller,
                                         const ListNeedsRequest& request);
  absl::StatusOr<Need> Update(const common::Principal& caller, const UpdateNeedRequest& request,
                              WriteMeta meta);
  absl::StatusOr<Need> Delete(const common::Principal& caller, const DeleteNeedRequest& request,
                              WriteMeta meta);

 private:
  NeedRepository& repository_;
  const common::PageTokenCodec& page_tokens_;
  const size_t response_budget_bytes_;
};

}  // namespace accord::account
