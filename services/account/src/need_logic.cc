#include "need_logic.h"

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

constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxDescription = 4000;
constexpr size_t kMaxOwner = 200;

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> kPaths = {"title",  "description", "source", "priority",
                                               "status", "due_date",    "owner"};
  return kPaths;
}

absl::Status ValidateUpdateMask(const google::protobuf::FieldMask& mask) {
  common::Violations violations;
  for (const auto& path : mask.paths()) {
    if (!UpdatablePaths().count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: title, description, "
                                        "source, priority, status, due_date, owner");
    }
  }
  return violations.ToStatus();
}

// AIP-134: without a mask, every updatable field the client set (non-default) is replaced.
std::vector<std::string> EffectivePaths(const UpdateNeedRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  const Need& patch = request.need();
  std::vector<std::string> paths;
  if (!patch.title().empty()) paths.push_back("title");
  if (!patch.description().empty()) paths.push_back("description");
  if (patch.source() != 0) paths.push_back("source");
  if (patch.priority() != 0) paths.push_back("priority");
  if (patch.status() != 0) paths.push_back("status");
  if (!patch.due_date().empty()) paths.push_back("due_date");
  if (!patch.owner().empty()) paths.push_back("owner");
  return paths;
}

using common::CheckEtag;

}  // namespace

absl::StatusOr<ChildName> ParseNeedName(std::string_view name, const std::string& field) {
  return ParseChildName(name, kNeedsCollection, field);
}

bool IsAllowedStatusTransition(NeedStatus from, NeedStatus to) {
  using enum v1::NeedStatus;
  if (from == to) return true;
  switch (from) {
    case NEED_STATUS_OPEN:
      return to == NEED_STATUS_PLANNED || to == NEED_STATUS_MET || to == NEED_STATUS_DROPPED;
    case NEED_STATUS_PLANNED:
      return to == NEED_STATUS_OPEN || to == NEED_STATUS_MET || to == NEED_STATUS_DROPPED;
    case NEED_STATUS_MET:
      // Reopened: the solution did not hold, or the need came back.
      return to == NEED_STATUS_OPEN;
    case NEED_STATUS_DROPPED:
      return to == NEED_STATUS_OPEN;
    default:
      return false;
  }
}

void ValidateNeedFields(const Need& need, const std::string& prefix,
                        common::Violations& violations) {
  if (need.title().empty() || IsBlank(need.title())) {
    violations.Add(prefix + "title", "required");
  } else if (CodePoints(need.title()) > kMaxTitle) {
    violations.Add(prefix + "title", "at most 200 characters");
  }
  if (CodePoints(need.description()) > kMaxDescription) {
    violations.Add(prefix + "description", "at most 4000 characters");
  }
  if (!v1::NeedSource_IsValid(need.source())) {
    violations.Add(prefix + "source", "unknown need source " + std::to_string(need.source()));
  }
  if (need.priority() == v1::NEED_PRIORITY_UNSPECIFIED ||
      !v1::NeedPriority_IsValid(need.priority())) {
    violations.Add(prefix + "priority", "must be LOW, MEDIUM, HIGH or CRITICAL");
  }
  if (need.status() == v1::NEED_STATUS_UNSPECIFIED || !v1::NeedStatus_IsValid(need.status())) {
    violations.Add(prefix + "status", "must be OPEN, PLANNED, MET or DROPPED");
  }
  ValidateOptionalDate(need.due_date(), prefix + "due_date", violations);
  if (need.owner().empty() || IsBlank(need.owner())) {
    violations.Add(prefix + "owner", "required");
  } else if (CodePoints(need.owner()) > kMaxOwner) {
    violations.Add(prefix + "owner", "at most 200 characters");
  }
}

absl::Status CheckNeedWriteAccess(const common::Principal& caller,
                                  const AccountAccessFacts& facts) {
  return CheckAccountWriteAccess(caller, facts, IntegrationWrites::kAllowed,
                                 "change the needs of " + facts.account);
}

NeedLogic::NeedLogic(NeedRepository& repository, const common::PageTokenCodec& page_tokens,
                     size_t response_budget_bytes)
    : repository_(repository),
      page_tokens_(page_tokens),
      response_budget_bytes_(response_budget_bytes) {}

absl::StatusOr<Need> NeedLogic::Create(const common::Principal& caller,
                                       const CreateNeedRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto account_id = ParseAccountName(request.parent(), "parent");
  MergeViolations(account_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  Need need = request.need();
  need.clear_name();
  need.clear_etag();
  need.clear_create_time();
  need.clear_update_time();
  need.clear_delete_time();
  if (need.priority() == v1::NEED_PRIORITY_UNSPECIFIED) need.set_priority(v1::NEED_PRIORITY_MEDIUM);
  if (need.status() == v1::NEED_STATUS_UNSPECIFIED) need.set_status(v1::NEED_STATUS_OPEN);
  if (need.owner().empty()) need.set_owner(caller.subject);
  ValidateNeedFields(need, "need.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Create(
      *account_id, need, caller.subject,
      [&](const AccountAccessFacts& facts) { return CheckNeedWriteAccess(caller, facts); }, meta);
}

absl::StatusOr<Need> NeedLogic::Get(const common::Principal&, const GetNeedRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  ACCORD_ASSIGN_OR_RETURN(ChildName name, ParseNeedName(request.name(), "name"));
  return repository_.Get(name.account_id, name.id);
}

absl::StatusOr<ListNeedsResponse> NeedLogic::List(const common::Principal&,
                                                  const ListNeedsRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto account_id = ParseListParent(request.parent(), "parent");
  MergeViolations(account_id.status(), violations);
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(
      OrderBy order, ParseOrderBy(request.order_by(), {"create_time", "due_date", "priority"}));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));

  NeedListQuery query;
  query.account_id = *account_id;
  ACCORD_ASSIGN_OR_RETURN(
      common::PageStart start,
      common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                        request.parent() + "\n" + request.filter() + "\n" + order.canonical));
  query.limit = start.limit;
  query.after = start.after;
  query.order = order.field == "due_date"   ? NeedOrder::kDueDate
                : order.field == "priority" ? NeedOrder::kPriority
                                            : NeedOrder::kCreateTime;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(NeedPage page, repository_.List(query));

  ListNeedsResponse response;
  const size_t returned =
      common::RowsWithinBudget(start, common::EntryBytes(page.needs), response_budget_bytes_);
  for (size_t i = 0; i < returned; ++i) *response.add_needs() = std::move(page.needs[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.needs.size(), page.keys));
  return response;
}

absl::StatusOr<Need> NeedLogic::Update(const common::Principal& caller,
                                       const UpdateNeedRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto name = ParseNeedName(request.need().name(), "need.name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the need as you last read it");
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
      [&](const AccountAccessFacts& facts, const Need& current) -> absl::StatusOr<Need> {
        ACCORD_RETURN_IF_ERROR(CheckNeedWriteAccess(caller, facts));
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        Need next = current;
        const Need& patch = request.need();
        for (const auto& path : paths) {
          if (path == "title") next.set_title(patch.title());
          if (path == "description") next.set_description(patch.description());
          if (path == "source") next.set_source(patch.source());
          if (path == "priority") next.set_priority(patch.priority());
          if (path == "status") next.set_status(patch.status());
          if (path == "due_date") next.set_due_date(patch.due_date());
          if (path == "owner") next.set_owner(patch.owner());
        }
        common::Violations field_violations;
        ValidateNeedFields(next, "need.", field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        if (!IsAllowedStatusTransition(current.status(), next.status())) {
          return common::FailedPrecondition("ILLEGAL_STATUS_TRANSITION",
                                            "a need cannot move from " +
                                                v1::NeedStatus_Name(current.status()) + " to " +
                                                v1::NeedStatus_Name(next.status()));
        }
        return next;
      },
      meta);
}

absl::StatusOr<Need> NeedLogic::Delete(const common::Principal& caller,
                                       const DeleteNeedRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  common::Violations violations;
  auto name = ParseNeedName(request.name(), "name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the need as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.Delete(
      name->account_id, name->id, caller.subject,
      [&](const AccountAccessFacts& facts, const Need& current) -> absl::StatusOr<Need> {
        ACCORD_RETURN_IF_ERROR(CheckNeedWriteAccess(caller, facts));
        ACCORD_RETURN_IF_ERROR(CheckEtag(request.etag(), current));
        return current;
      },
      meta);
}

}  // namespace accord::account
