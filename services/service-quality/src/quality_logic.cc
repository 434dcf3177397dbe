#include "quality_logic.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/paging.h"
#include "accord/common/pg_array.h"
#include "accord/common/resource_name.h"

namespace accord::quality {
namespace {

namespace filter = common::filter;
using google::protobuf::util::TimeUtil;

constexpr char kCaseOpened[] = "accord.quality.v1.CaseOpened";
constexpr char kCaseUpdated[] = "accord.quality.v1.CaseUpdated";
constexpr char kCaseStatusChanged[] = "accord.quality.v1.CaseStatusChanged";
constexpr char kCaseEscalated[] = "accord.quality.v1.CaseEscalated";
constexpr char kCaseResolved[] = "accord.quality.v1.CaseResolved";
constexpr char kCasePriorityOverridden[] = "accord.quality.v1.CasePriorityOverridden";
constexpr char kCaseCommented[] = "accord.quality.v1.CaseCommented";
constexpr char kSlaWarning[] = "accord.quality.v1.SlaWarning";
constexpr char kSlaBreached[] = "accord.quality.v1.SlaBreached";
constexpr char kCaseClosed[] = "accord.quality.v1.CaseClosed";
constexpr char kCaseAccountMerged[] = "accord.quality.v1.CaseAccountMerged";

google::protobuf::Timestamp ToTimestamp(Instant at) {
  return TimeUtil::MicrosecondsToTimestamp(at.time_since_epoch().count());
}
Instant ToInstant(const google::protobuf::Timestamp& at) {
  return Instant(Micros(TimeUtil::TimestampToMicroseconds(at)));
}
bool IsSet(const google::protobuf::Timestamp& at) { return at.seconds() != 0 || at.nanos() != 0; }
google::protobuf::Duration ToDuration(Micros amount) {
  return TimeUtil::MicrosecondsToDuration(amount.count());
}
Micros ToMicros(const google::protobuf::Duration& duration) {
  return Micros(TimeUtil::DurationToMicroseconds(duration));
}
std::string ShortName(const std::string& full, const std::string& prefix) {
  return full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
}
std::string StatusText(v1::CaseStatus status) {
  return ShortName(v1::CaseStatus_Name(status), "CASE_STATUS_");
}
std::string LevelText(v1::EscalationLevel level) {
  return ShortName(v1::EscalationLevel_Name(level), "ESCALATION_LEVEL_");
}

void Merge(const absl::Status& status, common::Violations& violations) {
  for (auto& v : common::FieldViolationsOf(status)) violations.Add(v.field, v.description);
}

// order_by: one of `fields` (the first is the default), optionally ` desc` or ` asc`.
absl::StatusOr<std::pair<std::string, bool>> ParseOrder(const std::string& order_by,
                                                        const std::vector<std::string>& fields) {
  std::vector<std::string> words;
  std::string word;
  for (char c : order_by + " ") {
    if (c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (words.empty()) return std::make_pair(fields.front(), false);
  std::string choices;
  for (const auto& f : fields) choices += (choices.empty() ? "" : ", ") + f;
  if (words.size() > 2 || (words.size() == 2 && words[1] != "asc" && words[1] != "desc") ||
      std::find(fields.begin(), fields.end(), words[0]) == fields.end()) {
    return common::InvalidArgument(
        "order_by", "expected one of " + choices + ", optionally followed by ` desc`");
  }
  return std::make_pair(words[0], words.size() == 2 && words[1] == "desc");
}

struct ListStart {
  ListQuery query;
  common::PageStart start;
};

// Validates page_size, filter and order_by and builds the repository query. `columns` maps an
// order_by field to its SQL column (`alias.column`) and whether it is a timestamp.
absl::StatusOr<ListStart> StartList(
    const common::PageTokenCodec& tokens, int page_size, const std::string& page_token,
    const std::string& filter_text, const std::string& order_by, const std::string& scope,
    const filter::Schema& schema, const std::vector<std::pair<std::string, std::string>>& orders) {
  common::Violations violations;
  if (page_size < 0) violations.Add("page_size", "must not be negative");
  std::vector<std::string> fields;
  for (const auto& [field, column] : orders) fields.push_back(field);
  auto order = ParseOrder(order_by, fields);
  Merge(order.status(), violations);
  auto compiled = filter::Compile(filter_text, schema);
  Merge(compiled.status(), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ListStart list;
  ACCORD_ASSIGN_OR_RETURN(list.start,
                          common::StartPage(tokens, page_size, page_token,
                                            scope + "\n" + filter_text + "\n" + order->first +
                                                (order->second ? " desc" : "")));
  list.query.limit = list.start.limit;
  list.query.after = list.start.after;
  list.query.descending = order->second;
  for (const auto& [field, column] : orders) {
    if (field == order->first) list.query.order_column = column;
  }
  list.query.order_is_time = order->first.find("time") != std::string::npos;
  if (!list.query.order_is_time) list.query.key_from_text = "{}::smallint";
  list.query.filter_sql = std::move(compiled->where);
  list.query.filter_params = std::move(compiled->params);
  return list;
}

template <typename T, typename Response, typename Add>
void FillPage(const common::PageTokenCodec& tokens, const ListStart& list, Page<T>& page,
              Response& response, Add add) {
  const size_t returned = common::PageRows(list.start, page.items);
  for (size_t i = 0; i < returned; ++i) add(response, std::move(page.items[i]));
  response.set_next_page_token(
      common::NextPageToken(tokens, list.start, returned, page.items.size(), page.keys));
}

using common::CheckEtag;

void RequireEtagAndRequestId(const std::string& etag, const std::string& request_id,
                             common::Violations& violations) {
  if (etag.empty()) violations.Add("etag", "required: send the etag you last read");
  Merge(common::IdempotencyKeys::Validate(request_id), violations);
}

void CheckReason(const std::string& reason, bool required, common::Violations& violations) {
  if (required && (reason.empty() || IsBlank(reason))) {
    violations.Add("reason", "required");
  } else if (CodePoints(reason) > 1000) {
    violations.Add("reason", "at most 1000 characters");
  }
}

// A soft delete: the name in `collection`, the etag and request_id, then `remove` (the
// repository's delete) checking the etag under the row lock.
template <typename T, typename Remove>
absl::StatusOr<T> DeleteWithEtag(const std::string& name, const char* collection,
                                 const std::string& etag, const std::string& request_id,
                                 WriteMeta meta, Remove remove) {
  common::Violations violations;
  auto id = ParseSimpleName(name, collection, "name");
  Merge(id.status(), violations);
  RequireEtagAndRequestId(etag, request_id, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request_id;
  return remove(
      *id,
      [&](const T& current) -> absl::StatusOr<T> {
        ACCORD_RETURN_IF_ERROR(CheckEtag(etag, current.name(), current.etag()));
        return current;
      },
      meta);
}

// A FieldMask update of a calendar or policy: the name in `collection` (`name_field`), the etag
// and request_id, the mask's paths (every one of `updatable` when the mask is empty and
// `empty_means_all`, else required), then `update` (the repository's) with the etag checked
// under the row lock, `apply` copying each path from the request and `validate` on the result.
template <typename T, typename Update, typename Apply, typename Validate>
absl::StatusOr<T> UpdateWithMask(const std::string& name, const char* collection,
                                 const std::string& name_field, const std::string& etag,
                                 const std::string& request_id,
                                 const google::protobuf::FieldMask& mask,
                                 const std::vector<std::string>& updatable, bool empty_means_all,
                                 WriteMeta meta, Update update, Apply apply, Validate validate) {
  common::Violations violations;
  auto id = ParseSimpleName(name, collection, name_field);
  Merge(id.status(), violations);
  RequireEtagAndRequestId(etag, request_id, violations);
  std::vector<std::string> paths(mask.paths().begin(), mask.paths().end());
  if (paths.empty() && empty_means_all) paths = updatable;
  if (paths.empty()) violations.Add("update_mask", "required: the fields to change");
  std::string choices;
  for (const auto& path : updatable) choices += (choices.empty() ? "" : ", ") + path;
  for (const auto& path : paths) {
    if (std::find(updatable.begin(), updatable.end(), path) == updatable.end()) {
      violations.Add("update_mask", "`" + path + "` cannot be updated; updatable: " + choices);
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request_id;
  return update(
      *id,
      [&](const T& current) -> absl::StatusOr<T> {
        ACCORD_RETURN_IF_ERROR(CheckEtag(etag, current.name(), current.etag()));
        T next = current;
        for (const auto& path : paths) apply(path, next);
        common::Violations field_violations;
        validate(next, field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        return next;
      },
      meta);
}

std::vector<PauseSpan> PausesOf(const v1::CaseSla& sla) {
  std::vector<PauseSpan> pauses;
  for (const auto& pause : sla.pauses()) {
    PauseSpan span{ToInstant(pause.start_time()), std::nullopt};
    if (pause.has_end_time()) span.end = ToInstant(pause.end_time());
    pauses.push_back(span);
  }
  return pauses;
}

SlaTargets TargetsOf(const v1::CaseSla& sla, int warning_percent) {
  return SlaTargets{ToMicros(sla.first_response_target()), ToMicros(sla.resolution_target()),
                    warning_percent};
}

// The warning share is the policy's when the case opened.
int WarningPercentOf(const CaseRecord& record) {
  return record.value.sla().warning_percent() > 0 ? record.value.sla().warning_percent() : 80;
}

void SetDeadlineFields(CaseRecord& record) {
  auto* sla = record.value.mutable_sla();
  if (record.deadlines.first_response_due) {
    *sla->mutable_first_response_due() = ToTimestamp(*record.deadlines.first_response_due);
  }
  if (record.deadlines.resolution_due) {
    *sla->mutable_resolution_due() = ToTimestamp(*record.deadlines.resolution_due);
  } else {
    sla->clear_resolution_due();
  }
}

// Recomputes the deadlines of an unpaused clock from its targets and ledger.
absl::Status Recompute(CaseRecord& record, Instant now, const BusinessCalendar& calendar) {
  const auto& sla = record.value.sla();
  const Micros paused = PausedTime(calendar, PausesOf(sla), record.clock_start, now);
  ACCORD_ASSIGN_OR_RETURN(
      record.deadlines,
      ComputeDeadlines(calendar, TargetsOf(sla, WarningPercentOf(record)), record.clock_start,
                       paused, !IsSet(sla.first_response_time())));
  SetDeadlineFields(record);
  record.next_check = NextCheck(record.deadlines, record.recorded);
  return absl::OkStatus();
}

// Narrows a list to rows whose `column` is one of `accounts`.
void RestrictToAccounts(ListQuery& query, const std::string& column,
                        const std::set<std::string>& accounts) {
  const std::string placeholder = "$" + std::to_string(query.filter_params.size() + 1);
  const std::string clause = column + " = ANY(" + placeholder + "::text[])";
  query.filter_sql = query.filter_sql.empty() ? clause : "(" + query.filter_sql + ") AND " + clause;
  query.filter_params.push_back(common::TextArrayLiteral(accounts));
}

// A List of resources that belong to accounts (surveys, signals), ordered by create_time: the
// filter and page validated, narrowed to the accounts `readable` yields (nullptr: all), their
// free text cleared with `clear` unless `free_text`.
template <typename T, typename Response, typename Request, typename Readable, typename Load>
absl::StatusOr<Response> ListOfAccounts(
    const common::PageTokenCodec& tokens, const Request& request, const std::string& scope,
    const filter::Schema& schema, const std::string& alias, Readable readable, Load load,
    bool free_text, void (T::*clear)(),
    google::protobuf::RepeatedPtrField<T>* (Response::*items)()) {
  ACCORD_ASSIGN_OR_RETURN(
      ListStart list,
      StartList(tokens, request.page_size(), request.page_token(), request.filter(),
                request.order_by(), scope, schema, {{"create_time", alias + ".create_time"}}));
  ACCORD_ASSIGN_OR_RETURN(auto accounts, readable());
  if (accounts) RestrictToAccounts(list.query, alias + ".account", *accounts);
  ACCORD_ASSIGN_OR_RETURN(auto page, load(list.query));
  Response response;
  FillPage(tokens, list, page, response, [&](Response& r, T item) {
    if (!free_text) (item.*clear)();
    *(r.*items)()->Add() = std::move(item);
  });
  return response;
}

// A read of one resource that belongs to an account (a survey, a signal): `check` says whether
// the caller may read that account's; free text cleared with `clear` unless `free_text`.
template <typename T, typename Load, typename Check>
absl::StatusOr<T> GetOfAccount(const std::string& name, const char* collection, Load load,
                               Check check, bool free_text, void (T::*clear)()) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseSimpleName(name, collection, "name"));
  ACCORD_ASSIGN_OR_RETURN(T item, load(id));
  ACCORD_RETURN_IF_ERROR(check(item.account()));
  if (!free_text) (item.*clear)();
  return item;
}

}  // namespace

Instant SystemNow() {
  return std::chrono::time_point_cast<Micros>(std::chrono::system_clock::now());
}

void MarkFirstResponse(CaseRecord& record, Instant now, const BusinessCalendar* calendar) {
  auto* sla = record.value.mutable_sla();
  if (IsSet(sla->first_response_time())) return;
  *sla->mutable_first_response_time() = ToTimestamp(now);
  if (calendar == nullptr) return;
  const Instant opened = ToInstant(record.value.create_time());
  const Micros paused = PausedTime(*calendar, PausesOf(*sla), opened, now);
  const Micros taken = BusinessTimeBetween(*calendar, opened, now) - paused;
  record.first_response_seconds = std::chrono::duration_cast<std::chrono::seconds>(taken).count();
  record.first_response_met =
      !record.deadlines.first_response_due || now <= *record.deadlines.first_response_due;
  record.deadlines.first_response_warn.reset();
  record.deadlines.first_response_due.reset();
  record.next_check = NextCheck(record.deadlines, record.recorded);
}

absl::Status ApplyStatusChange(CaseRecord& record, v1::CaseStatus to, Instant now,
                               const BusinessCalendar* calendar) {
  const v1::CaseStatus from = record.value.status();
  auto* sla = record.value.mutable_sla();
  if (from == v1::CASE_STATUS_WAITING_ON_CUSTOMER && to != from) {
    // The pause ends: close its ledger entry and move the deadlines by it.
    if (sla->pauses_size() > 0 && !sla->pauses(sla->pauses_size() - 1).has_end_time()) {
      *sla->mutable_pauses(sla->pauses_size() - 1)->mutable_end_time() = ToTimestamp(now);
    }
    if (calendar != nullptr) ACCORD_RETURN_IF_ERROR(Recompute(record, now, *calendar));
  }
  if (to != v1::CASE_STATUS_NEW) MarkFirstResponse(record, now, calendar);
  record.value.set_status(to);
  switch (to) {
    case v1::CASE_STATUS_WAITING_ON_CUSTOMER: {
      auto* pause = sla->add_pauses();
      *pause->mutable_start_time() = ToTimestamp(now);
      record.next_check.reset();  // nothing falls due while paused
      break;
    }
    case v1::CASE_STATUS_RESOLVED: {
      record.resolved_ever = true;
      record.next_check.reset();
      if (calendar != nullptr) {
        const Micros paused = PausedTime(*calendar, PausesOf(*sla), record.clock_start, now);
        const Micros taken = BusinessTimeBetween(*calendar, record.clock_start, now) - paused;
        record.resolution_seconds = std::chrono::duration_cast<std::chrono::seconds>(taken).count();
        record.resolution_met =
            !record.deadlines.resolution_due || now <= *record.deadlines.resolution_due;
      }
      break;
    }
    case v1::CASE_STATUS_CLOSED:
      record.next_check.reset();
      break;
    case v1::CASE_STATUS_REOPENED:
      // A new cycle with the full resolution target; the old breach stays in sla_events.
      record.value.set_reopen_count(record.value.reopen_count() + 1);
      record.cycle += 1;
      record.recorded = 0;
      record.clock_start = now;
      record.resolution_seconds.reset();
      record.resolution_met = false;
      record.value.clear_resolution();
      if (calendar != nullptr) ACCORD_RETURN_IF_ERROR(Recompute(record, now, *calendar));
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

void FillSlaView(CaseRecord& record, Instant now, const BusinessCalendar* calendar) {
  auto* sla = record.value.mutable_sla();
  SetDeadlineFields(record);
  if (calendar == nullptr || sla->sla_policy().empty()) {
    sla->set_state(v1::SLA_STATE_NONE);
    return;
  }
  const v1::CaseStatus status = record.value.status();
  const bool stopped = status == v1::CASE_STATUS_RESOLVED || status == v1::CASE_STATUS_CLOSED;
  Instant until = now;
  if (stopped && record.value.resolution().has_resolve_time()) {
    until = ToInstant(record.value.resolution().resolve_time());
  }
  const SlaView view =
      ComputeView(*calendar, TargetsOf(*sla, 80), record.clock_start, PausesOf(*sla), until);
  *sla->mutable_elapsed() = ToDuration(view.elapsed);
  *sla->mutable_paused() = ToDuration(view.paused);
  *sla->mutable_remaining() = ToDuration(view.remaining);
  const bool breached = (record.recorded & (kResolutionBreach | kFirstResponseBreach)) != 0 ||
                        view.remaining < Micros{0};
  if (stopped) {
    sla->set_state(record.resolution_met ? v1::SLA_STATE_MET : v1::SLA_STATE_BREACHED);
  } else if (status == v1::CASE_STATUS_WAITING_ON_CUSTOMER) {
    sla->set_state(v1::SLA_STATE_PAUSED);
  } else if (breached) {
    sla->set_state(v1::SLA_STATE_BREACHED);
  } else if ((record.recorded & (kResolutionWarning | kFirstResponseWarning)) != 0 ||
             (record.deadlines.resolution_warn && now >= *record.deadlines.resolution_warn)) {
    sla->set_state(v1::SLA_STATE_WARNING);
  } else {
    sla->set_state(v1::SLA_STATE_ON_TRACK);
  }
}

absl::StatusOr<std::optional<CaseChange>> SweepCase(const CaseRecord& record, SweepContext& context,
                                                    Instant now) {
  CaseChange change;
  change.next = record;
  CaseRecord& next = change.next;
  const v1::CaseStatus status = record.value.status();
  if (!IsOpenStatus(status) || status == v1::CASE_STATUS_WAITING_ON_CUSTOMER) {
    next.next_check.reset();  // nothing can fall due; should not have been listed
    return change;
  }
  const std::string case_id = record.value.name().substr(std::string("cases/").size());
  for (const SlaEventDue& due : DueEvents(record.deadlines, record.recorded, now)) {
    next.recorded |= due.bit;
    ACCORD_ASSIGN_OR_RETURN(bool first,
                            context.record(case_id, due.target, due.kind, record.cycle));
    if (!first) continue;  // another sweeper recorded it (and did what follows)
    const bool breach = std::string(due.kind) == "breach";
    const std::string target =
        std::string(due.target) == "first_response" ? "First-response" : "Resolution";
    TimelineDraft entry;
    entry.kind = v1::TIMELINE_ENTRY_KIND_SLA_EVENT;
    entry.text = target + (breach ? " SLA breached" : " SLA close to breach (warning)");
    change.timeline.push_back(entry);
    auto payload = std::make_shared<v1::CaseSlaEvent>();
    *payload->mutable_case_() = record.value;
    payload->set_target(due.target);
    payload->set_kind(due.kind);
    change.events.push_back({breach ? kSlaBreached : kSlaWarning, payload, {}});
    if (!breach) continue;
    auto level = NextEscalationLevel(next.value.escalation_level());
    if (!level || !IsAllowedTransition(next.value.status(), v1::CASE_STATUS_ESCALATED)) continue;
    next.value.set_escalation_level(*level);
    next.value.set_status(v1::CASE_STATUS_ESCALATED);
    TimelineDraft escalation;
    escalation.kind = v1::TIMELINE_ENTRY_KIND_ESCALATION;
    escalation.text = "Escalated to " + LevelText(*level) + ": " + target + " SLA breached";
    change.timeline.push_back(escalation);
    change.events.push_back({kCaseEscalated, nullptr, {"status", "escalation_level"}});
  }
  next.next_check = NextCheck(next.deadlines, next.recorded);
  return change;
}

absl::Status CloseResolvedCase(CaseRecord& next, CaseChange& change, Instant now,
                               v1::CaseCloseReason reason, const std::string& note) {
  const v1::CaseStatus from = next.value.status();
  if (from != v1::CASE_STATUS_RESOLVED) return IllegalTransition(from, v1::CASE_STATUS_CLOSED);
  ACCORD_RETURN_IF_ERROR(ApplyStatusChange(next, v1::CASE_STATUS_CLOSED, now, nullptr));
  *next.value.mutable_close_time() = ToTimestamp(now);
  next.value.set_close_reason(reason);
  std::string text = "RESOLVED -> CLOSED: ";
  switch (reason) {
    case v1::CASE_CLOSE_REASON_CONFIRMED:
      text += "the customer confirmed the resolution";
      break;
    case v1::CASE_CLOSE_REASON_TIMEOUT:
      text += "nobody confirmed or reopened the resolution within the close timeout";
      break;
    default:
      text += ShortName(v1::CaseCloseReason_Name(reason), "CASE_CLOSE_REASON_");
      break;
  }
  if (!note.empty()) text += ": " + note;
  change.timeline.push_back({v1::TIMELINE_ENTRY_KIND_STATUS_CHANGE, text, false});
  change.events.push_back({kCaseClosed, nullptr, {"status", "close_time", "close_reason"}});
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CaseChange>> CloseTimedOut(const CaseRecord& record, Instant now) {
  if (record.value.status() != v1::CASE_STATUS_RESOLVED) return std::optional<CaseChange>();
  CaseChange change;
  change.next = record;
  ACCORD_RETURN_IF_ERROR(
      CloseResolvedCase(change.next, change, now, v1::CASE_CLOSE_REASON_TIMEOUT, ""));
  return std::optional<CaseChange>(std::move(change));
}

absl::StatusOr<std::optional<CaseChange>> MoveCaseToAccount(const CaseRecord& record,
                                                            const std::string& survivor) {
  if (record.value.account() == survivor) return std::optional<CaseChange>();
  CaseChange change;
  change.next = record;
  change.next.value.set_account(survivor);
  change.timeline.push_back(
      {v1::TIMELINE_ENTRY_KIND_ASSIGNMENT,
       "Moved to " + survivor + ": " + record.value.account() + " was merged into it", false});
  change.events.push_back({kCaseAccountMerged, nullptr, {"account"}});
  return std::optional<CaseChange>(std::move(change));
}

absl::StatusOr<std::optional<CaseChange>> CloseForDeletedAccount(const CaseRecord& record,
                                                                 Instant now) {
  const v1::CaseStatus from = record.value.status();
  if (from == v1::CASE_STATUS_CLOSED) return std::optional<CaseChange>();
  CaseChange change;
  change.next = record;
  CaseRecord& next = change.next;
  if (from == v1::CASE_STATUS_WAITING_ON_CUSTOMER) {
    // The pause ends with the case.
    auto* sla = next.value.mutable_sla();
    if (sla->pauses_size() > 0 && !sla->pauses(sla->pauses_size() - 1).has_end_time()) {
      *sla->mutable_pauses(sla->pauses_size() - 1)->mutable_end_time() = ToTimestamp(now);
    }
  }
  next.value.set_status(v1::CASE_STATUS_CLOSED);
  next.next_check.reset();
  *next.value.mutable_close_time() = ToTimestamp(now);
  next.value.set_close_reason(v1::CASE_CLOSE_REASON_ACCOUNT_DELETED);
  change.timeline.push_back(
      {v1::TIMELINE_ENTRY_KIND_STATUS_CHANGE,
       StatusText(from) + " -> CLOSED: the account " + record.value.account() + " was deleted",
       false});
  change.events.push_back({kCaseClosed, nullptr, {"status", "close_time", "close_reason"}});
  return std::optional<CaseChange>(std::move(change));
}

QualityLogic::QualityLogic(QualityRepository& repository, CustomerDirectory& directory,
                           const common::PageTokenCodec& page_tokens, QualityOptions options,
                           Clock clock)
    : repository_(repository),
      directory_(directory),
      page_tokens_(page_tokens),
      options_(std::move(options)),
      clock_(std::move(clock)) {}

absl::StatusOr<std::optional<BusinessCalendar>> QualityLogic::CalendarOf(const std::string& name) {
  if (name.empty()) return std::optional<BusinessCalendar>();
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseSimpleName(name, "calendars", "calendar"));
  ACCORD_ASSIGN_OR_RETURN(v1::Calendar calendar,
                          repository_.GetCalendar(id, /*with_deleted=*/true));
  ACCORD_ASSIGN_OR_RETURN(BusinessCalendar compiled, CompileCalendar(calendar));
  return std::optional<BusinessCalendar>(std::move(compiled));
}

absl::StatusOr<CaseParty> QualityLogic::ResolveParty(const Caller& caller,
                                                     const std::string& account,
                                                     const std::string& contact) {
  std::optional<CaseParty> party;
  if (options_.account_facts) {
    ACCORD_ASSIGN_OR_RETURN(party, PartyFromFacts(account, [&](const std::string& name) {
                              return repository_.GetAccountFacts(name);
                            }));
  }
  if (!party) {
    ACCORD_ASSIGN_OR_RETURN(party, directory_.ResolveAccount(caller.identity, account));
    if (options_.account_facts) {
      // The events say the same later (or said something newer already, which is kept).
      ACCORD_RETURN_IF_ERROR(
          repository_.KeepAccountFacts(nullptr, AccountFacts{.account = party->account,
                                                             .tier = party->tier,
                                                             .merged_into = "",
                                                             .deleted = false,
                                                             .version = party->account_version}));
      if (!party->merged_from.empty()) {
        ACCORD_RETURN_IF_ERROR(
            repository_.KeepAccountFacts(nullptr, AccountFacts{.account = party->merged_from,
                                                               .tier = 0,
                                                               .merged_into = party->account,
                                                               .deleted = false,
                                                               .version = 0}));
      }
    }
  }
  if (!contact.empty())
    ACCORD_RETURN_IF_ERROR(directory_.AddContact(caller.identity, contact, *party));
  return std::move(*party);
}

absl::StatusOr<std::shared_ptr<const std::set<std::string>>> QualityLogic::ReadableAccounts(
    const Caller& caller) {
  if (!LimitedToManagedAccounts(caller)) return std::shared_ptr<const std::set<std::string>>();
  return directory_.ManagedAccounts(caller.identity, caller.subject);
}

absl::Status QualityLogic::CheckReadable(const Caller& caller, const std::string& account) {
  ACCORD_ASSIGN_OR_RETURN(auto accounts, ReadableAccounts(caller));
  if (accounts && !accounts->count(account)) {
    return common::PermissionDenied("PERMISSION_DENIED",
                                    "you may read only the cases of accounts you own or are on the "
                                    "team of, and " +
                                        account + " is not one of them");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Case> QualityLogic::Present(const Caller& caller, CaseRecord record) {
  ACCORD_ASSIGN_OR_RETURN(auto calendar, CalendarOf(record.value.sla().calendar()));
  FillSlaView(record, clock_(), calendar ? &*calendar : nullptr);
  if (!SeesFreeText(caller)) Redact(record.value);
  return std::move(record.value);
}

// ---- cases --------------------------------------------------------------------------------------

absl::StatusOr<v1::Case> QualityLogic::CreateCase(const Caller& caller,
                                                  const v1::CreateCaseRequest& request,
                                                  WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kOpenCase));
  common::Violations violations;
  ValidateCaseFields(request.case_(), "case.", violations);
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const v1::Case& in = request.case_();
  // An account manager opens cases for its own accounts only.
  ACCORD_RETURN_IF_ERROR(CheckReadable(caller, in.account()));
  ACCORD_ASSIGN_OR_RETURN(CaseParty party, ResolveParty(caller, in.account(), in.contact()));

  const Instant now = clock_();
  CaseChange change;
  CaseRecord& record = change.next;
  v1::Case& c = record.value;
  c.set_name(CaseName(common::NewUuidV7()));
  c.set_account(party.account);
  c.set_contact(in.contact());
  c.set_language(in.language().empty() ? party.language : in.language());
  c.set_channel(in.channel());
  c.set_kind(in.kind());
  c.set_category(in.category());
  c.set_description(in.description());
  c.set_impact(in.impact());
  c.set_urgency(in.urgency());
  c.set_account_tier(party.tier);
  *c.mutable_special_needs() = in.special_needs();
  // The contact's needs, for kinds the caller did not describe itself.
  for (const v1::SpecialNeed& need : party.needs) {
    const bool described =
        std::any_of(c.special_needs().begin(), c.special_needs().end(),
                    [&](const v1::SpecialNeed& given) { return given.kind() == need.kind(); });
    if (!described) *c.add_special_needs() = need;
  }
  c.set_assignee(in.assignee());
  c.set_team(in.team());
  c.set_priority(CasePriority(options_.matrix, in.impact(), in.urgency(), party.tier,
                              options_.raise_strategic));
  c.set_status(v1::CASE_STATUS_NEW);
  c.set_escalation_level(v1::ESCALATION_LEVEL_AGENT);
  c.set_creator(caller.subject);
  *c.mutable_create_time() = ToTimestamp(now);
  record.clock_start = now;

  ACCORD_ASSIGN_OR_RETURN(auto match, repository_.FindPolicy(party.tier, c.priority()));
  std::optional<BusinessCalendar> calendar;
  if (match) {
    ACCORD_ASSIGN_OR_RETURN(calendar, CompileCalendar(match->calendar));
    auto* sla = c.mutable_sla();
    sla->set_sla_policy(match->policy.name());
    sla->set_calendar(match->calendar.name());
    *sla->mutable_first_response_target() = match->policy.first_response_target();
    *sla->mutable_resolution_target() = match->policy.resolution_target();
    const int percent = match->policy.warning_percent() > 0 ? match->policy.warning_percent() : 80;
    sla->set_warning_percent(percent);
    ACCORD_ASSIGN_OR_RETURN(record.deadlines, ComputeDeadlines(*calendar, TargetsOf(*sla, percent),
                                                               now, Micros{0}, true));
    SetDeadlineFields(record);
    record.next_check = NextCheck(record.deadlines, record.recorded);
  }
  TimelineDraft opened;
  opened.kind = v1::TIMELINE_ENTRY_KIND_STATUS_CHANGE;
  opened.text = "Opened as " + StatusText(c.status()) + ", priority " +
                ShortName(v1::Priority_Name(c.priority()), "PRIORITY_") +
                (match ? ", SLA policy " + match->policy.name() : ", no SLA policy");
  if (!party.merged_from.empty()) {
    opened.text +=
        "; opened on " + party.account + ", into which " + party.merged_from + " was merged";
  }
  change.timeline.push_back(opened);
  if (!c.assignee().empty() || !c.team().empty()) {
    change.timeline.push_back({v1::TIMELINE_ENTRY_KIND_ASSIGNMENT,
                               "Assigned to " + (c.assignee().empty() ? "-" : c.assignee()) +
                                   (c.team().empty() ? "" : " (team " + c.team() + ")"),
                               false});
  }
  change.events.push_back({kCaseOpened, nullptr, {}});
  meta.request_id = request.request_id();
  ACCORD_ASSIGN_OR_RETURN(v1::Case stored, repository_.CreateCase(change, meta));
  if (stored.name() == c.name()) {
    // This call stored it: the record is at hand (stamped as stored), and so is the calendar.
    record.value = std::move(stored);
    FillSlaView(record, clock_(), calendar ? &*calendar : nullptr);
    if (!SeesFreeText(caller)) Redact(record.value);
    return std::move(record.value);
  }
  // A retry answered with the case an earlier call stored: as it is now.
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseCaseName(stored.name(), "name"));
  ACCORD_ASSIGN_OR_RETURN(CaseRecord fresh, repository_.GetCase(id));
  return Present(caller, std::move(fresh));
}

absl::StatusOr<v1::Case> QualityLogic::GetCase(const Caller& caller,
                                               const v1::GetCaseRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseCaseName(request.name(), "name"));
  ACCORD_ASSIGN_OR_RETURN(CaseRecord record, repository_.GetCase(id));
  ACCORD_RETURN_IF_ERROR(CheckReadable(caller, record.value.account()));
  return Present(caller, std::move(record));
}

absl::StatusOr<v1::ListCasesResponse> QualityLogic::ListCases(const Caller& caller,
                                                              const v1::ListCasesRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(
      ListStart list,
      StartList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                request.order_by(), "cases", repository_.FilterSchema(Listing::kCases),
                {{"create_time", "c.create_time"},
                 {"update_time", "c.update_time"},
                 {"priority", "c.priority"}}));
  ACCORD_ASSIGN_OR_RETURN(auto accounts, ReadableAccounts(caller));
  if (accounts) RestrictToAccounts(list.query, "c.account", *accounts);
  ACCORD_ASSIGN_OR_RETURN(Page<CaseRecord> page, repository_.ListCases(list.query));
  // Each calendar is read once per page.
  std::map<std::string, std::optional<BusinessCalendar>> calendars;
  const Instant now = clock_();
  v1::ListCasesResponse response;
  std::vector<size_t> case_bytes;
  for (const CaseRecord& record : page.items) {
    case_bytes.push_back(common::RepeatedEntryBytes(record.value.ByteSizeLong()));
  }
  const size_t returned =
      common::RowsWithinBudget(list.start, case_bytes, common::ProcessResponseBudget());
  for (size_t i = 0; i < returned; ++i) {
    CaseRecord& record = page.items[i];
    const std::string& name = record.value.sla().calendar();
    if (!calendars.count(name)) {
      ACCORD_ASSIGN_OR_RETURN(calendars[name], CalendarOf(name));
    }
    const auto& calendar = calendars[name];
    FillSlaView(record, now, calendar ? &*calendar : nullptr);
    if (!SeesFreeText(caller)) Redact(record.value);
    *response.add_cases() = std::move(record.value);
  }
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, list.start, returned, page.items.size(), page.keys));
  return response;
}

absl::StatusOr<v1::Case> QualityLogic::ChangeCase(const Caller& caller, const std::string& name,
                                                  const std::string& etag, Action action,
                                                  const Edit& edit, const WriteMeta& meta) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseCaseName(name, "name"));
  ACCORD_ASSIGN_OR_RETURN(
      std::string bytes,
      repository_.MutateCase(
          id,
          [&](const CaseRecord& current,
              const CalendarLookup& calendars) -> absl::StatusOr<CaseChange> {
            ACCORD_RETURN_IF_ERROR(CheckAccess(caller, action, &current.value));
            if (!etag.empty()) {
              ACCORD_RETURN_IF_ERROR(CheckEtag(etag, current.value.name(), current.value.etag()));
            }
            std::optional<BusinessCalendar> calendar;
            if (!current.value.sla().calendar().empty()) {
              ACCORD_ASSIGN_OR_RETURN(v1::Calendar stored,
                                      calendars(current.value.sla().calendar()));
              ACCORD_ASSIGN_OR_RETURN(calendar, CompileCalendar(stored));
            }
            CaseChange change;
            change.next = current;
            ACCORD_RETURN_IF_ERROR(edit(change.next, change, calendar ? &*calendar : nullptr));
            return change;
          },
          false, meta));
  v1::Case stored;
  if (!stored.ParseFromString(bytes)) return common::Internal("corrupt stored response");
  // The live clock needs the SLA state beside the case, so the answer is the case as it is now
  // (after a retried request_id, too: a later change shows).
  ACCORD_ASSIGN_OR_RETURN(CaseRecord fresh, repository_.GetCase(id));
  return Present(caller, std::move(fresh));
}

absl::StatusOr<v1::Case> QualityLogic::UpdateCase(const Caller& caller,
                                                  const v1::UpdateCaseRequest& request,
                                                  WriteMeta meta) {
  static const std::set<std::string> kPaths = {"contact",     "channel", "kind",    "category",
                                               "description", "impact",  "urgency", "special_needs",
                                               "assignee",    "team"};
  common::Violations violations;
  Merge(ParseCaseName(request.case_().name(), "case.name").status(), violations);
  RequireEtagAndRequestId(request.etag(), request.request_id(), violations);
  std::vector<std::string> paths(request.update_mask().paths().begin(),
                                 request.update_mask().paths().end());
  for (const auto& path : paths) {
    if (!kPaths.count(path)) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: contact, channel, kind, "
                                        "category, description, impact, urgency, special_needs, "
                                        "assignee, team");
    }
  }
  if (paths.empty()) {
    // AIP-134: without a mask, every updatable field the client set is replaced.
    const v1::Case& patch = request.case_();
    if (!patch.contact().empty()) paths.push_back("contact");
    if (patch.channel() != 0) paths.push_back("channel");
    if (patch.kind() != 0) paths.push_back("kind");
    if (patch.category() != 0) paths.push_back("category");
    if (!patch.description().empty()) paths.push_back("description");
    if (patch.impact() != 0) paths.push_back("impact");
    if (patch.urgency() != 0) paths.push_back("urgency");
    if (patch.special_needs_size() > 0) paths.push_back("special_needs");
    if (!patch.assignee().empty()) paths.push_back("assignee");
    if (!patch.team().empty()) paths.push_back("team");
    if (paths.empty()) violations.Add("update_mask", "names no field to change");
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return ChangeCase(
      caller, request.case_().name(), request.etag(), Action::kWorkCase,
      [&](CaseRecord& next, CaseChange& change, const BusinessCalendar*) -> absl::Status {
        const v1::Case before = next.value;
        v1::Case& c = next.value;
        const v1::Case& patch = request.case_();
        for (const auto& path : paths) {
          if (path == "contact") c.set_contact(patch.contact());
          if (path == "channel") c.set_channel(patch.channel());
          if (path == "kind") c.set_kind(patch.kind());
          if (path == "category") c.set_category(patch.category());
          if (path == "description") c.set_description(patch.description());
          if (path == "impact") c.set_impact(patch.impact());
          if (path == "urgency") c.set_urgency(patch.urgency());
          if (path == "special_needs") *c.mutable_special_needs() = patch.special_needs();
          if (path == "assignee") c.set_assignee(patch.assignee());
          if (path == "team") c.set_team(patch.team());
        }
        common::Violations field_violations;
        ValidateCaseFields(c, "case.", field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        if (c.priority_override_reason().empty()) {
          c.set_priority(CasePriority(options_.matrix, c.impact(), c.urgency(), c.account_tier(),
                                      options_.raise_strategic));
        }
        if (c.assignee() != before.assignee() || c.team() != before.team()) {
          change.timeline.push_back({v1::TIMELINE_ENTRY_KIND_ASSIGNMENT,
                                     "Assigned to " + (c.assignee().empty() ? "-" : c.assignee()) +
                                         (c.team().empty() ? "" : " (team " + c.team() + ")"),
                                     false});
        }
        change.events.push_back({kCaseUpdated, nullptr, paths});
        return absl::OkStatus();
      },
      meta);
}

absl::StatusOr<v1::Case> QualityLogic::TransitionCase(const Caller& caller,
                                                      const v1::TransitionCaseRequest& request,
                                                      WriteMeta meta) {
  common::Violations violations;
  Merge(ParseCaseName(request.name(), "name").status(), violations);
  RequireEtagAndRequestId(request.etag(), request.request_id(), violations);
  const v1::CaseStatus to = request.status();
  if (to == v1::CASE_STATUS_UNSPECIFIED || !v1::CaseStatus_IsValid(to)) {
    violations.Add("status", "required: the status to move to");
  } else if (to == v1::CASE_STATUS_RESOLVED || to == v1::CASE_STATUS_ESCALATED ||
             to == v1::CASE_STATUS_CLOSED) {
    violations.Add("status",
                   StatusText(to) + " is reached through " +
                       (to == v1::CASE_STATUS_RESOLVED    ? "ResolveCase"
                        : to == v1::CASE_STATUS_ESCALATED ? "EscalateCase"
                                                          : "ConfirmCaseResolution (or the close "
                                                            "timeout)"));
  }
  CheckReason(request.reason(), false, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  const Instant now = clock_();
  return ChangeCase(
      caller, request.name(), request.etag(), Action::kWorkCase,
      [&](CaseRecord& next, CaseChange& change, const BusinessCalendar* calendar) -> absl::Status {
        const v1::CaseStatus from = next.value.status();
        if (!IsAllowedTransition(from, to)) return IllegalTransition(from, to);
        if (to == v1::CASE_STATUS_REOPENED && next.value.reopen_count() >= options_.max_reopens) {
          return common::FailedPrecondition(
              "REOPEN_LIMIT_REACHED",
              next.value.name() + " was reopened " + std::to_string(next.value.reopen_count()) +
                  " times, the most allowed; open a new case that refers to it");
        }
        ACCORD_RETURN_IF_ERROR(ApplyStatusChange(next, to, now, calendar));
        change.timeline.push_back({v1::TIMELINE_ENTRY_KIND_STATUS_CHANGE,
                                   StatusText(from) + " -> " + StatusText(to) +
                                       (request.reason().empty() ? "" : ": " + request.reason()),
                                   false});
        change.events.push_back({kCaseStatusChanged, nullptr, {"status"}});
        return absl::OkStatus();
      },
      meta);
}

absl::StatusOr<v1::Case> QualityLogic::EscalateCase(const Caller& caller,
                                                    const v1::EscalateCaseRequest& request,
                                                    WriteMeta meta) {
  common::Violations violations;
  Merge(ParseCaseName(request.name(), "name").status(), violations);
  RequireEtagAndRequestId(request.etag(), request.request_id(), violations);
  CheckReason(request.reason(), true, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  const Instant now = clock_();
  return ChangeCase(
      caller, request.name(), request.etag(), Action::kWorkCase,
      [&](CaseRecord& next, CaseChange& change, const BusinessCalendar* calendar) -> absl::Status {
        const v1::CaseStatus from = next.value.status();
        if (!IsAllowedTransition(from, v1::CASE_STATUS_ESCALATED)) {
          return IllegalTransition(from, v1::CASE_STATUS_ESCALATED);
        }
        auto level = NextEscalationLevel(next.value.escalation_level());
        if (!level) {
          return common::FailedPrecondition("ALREADY_AT_TOP_LEVEL",
                                            "the case is already escalated to a manager");
        }
        ACCORD_RETURN_IF_ERROR(ApplyStatusChange(next, v1::CASE_STATUS_ESCALATED, now, calendar));
        next.value.set_escalation_level(*level);
        change.timeline.push_back({v1::TIMELINE_ENTRY_KIND_ESCALATION,
                                   "Escalated to " + LevelText(*level) + ": " + request.reason(),
                                   false});
        change.events.push_back({kCaseEscalated, nullptr, {"status", "escalation_level"}});
        return absl::OkStatus();
      },
      meta);
}

absl::StatusOr<v1::Case> QualityLogic::ResolveCase(const Caller& caller,
                                                   const v1::ResolveCaseRequest& request,
                                                   WriteMeta meta) {
  common::Violations violations;
  Merge(ParseCaseName(request.name(), "name").status(), violations);
  RequireEtagAndRequestId(request.etag(), request.request_id(), violations);
  if (!request.has_resolution()) {
    violations.Add("resolution", "required");
  } else {
    ValidateResolution(request.resolution(), "resolution.", violations);
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  const Instant now = clock_();
  return ChangeCase(
      caller, request.name(), request.etag(), Action::kWorkCase,
      [&](CaseRecord& next, CaseChange& change, const BusinessCalendar* calendar) -> absl::Status {
        const v1::CaseStatus from = next.value.status();
        if (!IsAllowedTransition(from, v1::CASE_STATUS_RESOLVED)) {
          return IllegalTransition(from, v1::CASE_STATUS_RESOLVED);
        }
        if (request.resolution().has_compensation()) {
          ACCORD_RETURN_IF_ERROR(CheckCompensation(options_.compensation, caller,
                                                   request.resolution().compensation().amount()));
        }
        auto* resolution = next.value.mutable_resolution();
        *resolution = request.resolution();
        resolution->set_resolved_by(caller.subject);
        *resolution->mutable_resolve_time() = ToTimestamp(now);
        ACCORD_RETURN_IF_ERROR(ApplyStatusChange(next, v1::CASE_STATUS_RESOLVED, now, calendar));
        change.timeline.push_back(
            {v1::TIMELINE_ENTRY_KIND_RESOLUTION,
             "Resolved (" +
                 ShortName(v1::ResolutionCode_Name(resolution->code()), "RESOLUTION_CODE_") +
                 "): " + resolution->summary(),
             false});
        change.events.push_back({kCaseResolved, nullptr, {"status", "resolution"}});
        v1::Survey survey;
        survey.set_account(next.value.account());
        survey.set_contact(next.value.contact());
        survey.set_case_(next.value.name());
        change.survey = survey;
        return absl::OkStatus();
      },
      meta);
}

absl::StatusOr<v1::Case> QualityLogic::ConfirmCaseResolution(
    const Caller& caller, const v1::ConfirmCaseResolutionRequest& request, WriteMeta meta) {
  common::Violations violations;
  Merge(ParseCaseName(request.name(), "name").status(), violations);
  RequireEtagAndRequestId(request.etag(), request.request_id(), violations);
  if (CodePoints(request.note()) > 1000) violations.Add("note", "at most 1000 characters");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  const Instant now = clock_();
  return ChangeCase(
      caller, request.name(), request.etag(), Action::kWorkCase,
      [&](CaseRecord& next, CaseChange& change, const BusinessCalendar*) -> absl::Status {
        return CloseResolvedCase(next, change, now, v1::CASE_CLOSE_REASON_CONFIRMED,
                                 request.note());
      },
      meta);
}

absl::StatusOr<v1::Case> QualityLogic::OverrideCasePriority(
    const Caller& caller, const v1::OverrideCasePriorityRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kOverridePriority));
  common::Violations violations;
  Merge(ParseCaseName(request.name(), "name").status(), violations);
  RequireEtagAndRequestId(request.etag(), request.request_id(), violations);
  if (request.priority() == v1::PRIORITY_UNSPECIFIED || !v1::Priority_IsValid(request.priority())) {
    violations.Add("priority", "required: LOW, MEDIUM, HIGH or CRITICAL");
  }
  CheckReason(request.reason(), true, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return ChangeCase(
      caller, request.name(), request.etag(), Action::kOverridePriority,
      [&](CaseRecord& next, CaseChange& change, const BusinessCalendar*) -> absl::Status {
        const v1::Priority before = next.value.priority();
        next.value.set_priority(request.priority());
        next.value.set_priority_override_reason(request.reason());
        change.timeline.push_back(
            {v1::TIMELINE_ENTRY_KIND_PRIORITY_OVERRIDE,
             "Priority " + ShortName(v1::Priority_Name(before), "PRIORITY_") + " -> " +
                 ShortName(v1::Priority_Name(request.priority()), "PRIORITY_") + ": " +
                 request.reason(),
             false});
        change.events.push_back(
            {kCasePriorityOverridden, nullptr, {"priority", "priority_override_reason"}});
        return absl::OkStatus();
      },
      meta);
}

absl::StatusOr<v1::TimelineEntry> QualityLogic::CreateTimelineEntry(
    const Caller& caller, const v1::CreateTimelineEntryRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto id = ParseCaseName(request.parent(), "parent");
  Merge(id.status(), violations);
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  const auto& entry = request.timeline_entry();
  if (entry.text().empty() || IsBlank(entry.text())) {
    violations.Add("timeline_entry.text", "required");
  } else if (CodePoints(entry.text()) > 8000) {
    violations.Add("timeline_entry.text", "at most 8000 characters");
  }
  if (entry.kind() != v1::TIMELINE_ENTRY_KIND_UNSPECIFIED &&
      entry.kind() != v1::TIMELINE_ENTRY_KIND_COMMENT) {
    violations.Add("timeline_entry.kind", "only COMMENT entries can be created");
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  const Instant now = clock_();
  ACCORD_ASSIGN_OR_RETURN(
      std::string bytes,
      repository_.MutateCase(
          *id,
          [&](const CaseRecord& current,
              const CalendarLookup& calendars) -> absl::StatusOr<CaseChange> {
            ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kWorkCase, &current.value));
            CaseChange change;
            change.next = current;
            if (entry.customer_visible() && IsOpenStatus(current.value.status())) {
              // Answering the customer is a first response.
              std::optional<BusinessCalendar> calendar;
              if (!current.value.sla().calendar().empty()) {
                ACCORD_ASSIGN_OR_RETURN(v1::Calendar stored,
                                        calendars(current.value.sla().calendar()));
                ACCORD_ASSIGN_OR_RETURN(calendar, CompileCalendar(stored));
              }
              MarkFirstResponse(change.next, now, calendar ? &*calendar : nullptr);
            }
            change.timeline.push_back(
                {v1::TIMELINE_ENTRY_KIND_COMMENT, entry.text(), entry.customer_visible()});
            change.events.push_back({kCaseCommented, nullptr, {}});
            return change;
          },
          true, meta));
  v1::TimelineEntry stored;
  if (!stored.ParseFromString(bytes)) return common::Internal("corrupt stored response");
  return stored;
}

absl::StatusOr<v1::ListTimelineEntriesResponse> QualityLogic::ListTimelineEntries(
    const Caller& caller, const v1::ListTimelineEntriesRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseCaseName(request.parent(), "parent"));
  ACCORD_ASSIGN_OR_RETURN(
      ListStart list,
      StartList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                request.order_by(), request.parent(), repository_.FilterSchema(Listing::kTimeline),
                {{"create_time", "t.create_time"}}));
  if (LimitedToManagedAccounts(caller)) {
    ACCORD_ASSIGN_OR_RETURN(CaseRecord record, repository_.GetCase(id));
    ACCORD_RETURN_IF_ERROR(CheckReadable(caller, record.value.account()));
  }
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.ListTimeline(id, list.query));
  const bool free_text = SeesFreeText(caller);
  v1::ListTimelineEntriesResponse response;
  FillPage(page_tokens_, list, page, response,
           [free_text](v1::ListTimelineEntriesResponse& r, v1::TimelineEntry entry) {
             if (!free_text && entry.kind() == v1::TIMELINE_ENTRY_KIND_COMMENT) {
               entry.clear_text();
             }
             *r.add_timeline_entries() = std::move(entry);
           });
  return response;
}

// ---- calendars and SLA policies -----------------------------------------------------------------

namespace {

void ValidateCalendarFields(const v1::Calendar& calendar, common::Violations& violations) {
  if (calendar.display_name().empty() || IsBlank(calendar.display_name())) {
    violations.Add("calendar.display_name", "required");
  } else if (CodePoints(calendar.display_name()) > 200) {
    violations.Add("calendar.display_name", "at most 200 characters");
  }
  if (calendar.holidays_size() > 400) violations.Add("calendar.holidays", "at most 400 entries");
  ValidateCalendar(calendar, "calendar.", violations);
}

void ValidateTarget(const google::protobuf::Duration& target, const std::string& field,
                    common::Violations& violations) {
  if (target.seconds() <= 0 || target.nanos() != 0 || target.seconds() % 60 != 0) {
    violations.Add(field, "required: a positive whole number of minutes");
  } else if (target.seconds() > 1000 * 3600) {
    violations.Add(field, "at most 1000 hours");
  }
}

void ValidatePolicyFields(const v1::SlaPolicy& policy, common::Violations& violations) {
  if (policy.display_name().empty() || IsBlank(policy.display_name())) {
    violations.Add("sla_policy.display_name", "required");
  } else if (CodePoints(policy.display_name()) > 200) {
    violations.Add("sla_policy.display_name", "at most 200 characters");
  }
  if (!accord::account::v1::AccountTier_IsValid(policy.tier())) {
    violations.Add("sla_policy.tier", "unknown account tier");
  }
  if (policy.priority() == v1::PRIORITY_UNSPECIFIED || !v1::Priority_IsValid(policy.priority())) {
    violations.Add("sla_policy.priority", "required: LOW, MEDIUM, HIGH or CRITICAL");
  }
  ValidateTarget(policy.first_response_target(), "sla_policy.first_response_target", violations);
  ValidateTarget(policy.resolution_target(), "sla_policy.resolution_target", violations);
  if (policy.first_response_target().seconds() > policy.resolution_target().seconds()) {
    violations.Add("sla_policy.first_response_target", "must not exceed the resolution target");
  }
  Merge(ParseSimpleName(policy.calendar(), "calendars", "sla_policy.calendar").status(),
        violations);
  if (policy.warning_percent() < 0 || policy.warning_percent() > 99) {
    violations.Add("sla_policy.warning_percent", "must be 1 to 99 (0: the default 80)");
  }
}

}  // namespace

absl::StatusOr<v1::Calendar> QualityLogic::CreateCalendar(const Caller& caller,
                                                          const v1::CreateCalendarRequest& request,
                                                          WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kManageSla));
  common::Violations violations;
  ValidateCalendarFields(request.calendar(), violations);
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.CreateCalendar(request.calendar(), meta);
}

absl::StatusOr<v1::Calendar> QualityLogic::GetCalendar(const Caller& caller,
                                                       const v1::GetCalendarRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseSimpleName(request.name(), "calendars", "name"));
  return repository_.GetCalendar(id);
}

absl::StatusOr<v1::ListCalendarsResponse> QualityLogic::ListCalendars(
    const Caller& caller, const v1::ListCalendarsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(
      ListStart list,
      StartList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                request.order_by(), "calendars", repository_.FilterSchema(Listing::kCalendars),
                {{"create_time", "k.create_time"}}));
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.ListCalendars(list.query));
  v1::ListCalendarsResponse response;
  FillPage(page_tokens_, list, page, response,
           [](v1::ListCalendarsResponse& r, v1::Calendar c) { *r.add_calendars() = std::move(c); });
  return response;
}

absl::StatusOr<v1::Calendar> QualityLogic::UpdateCalendar(const Caller& caller,
                                                          const v1::UpdateCalendarRequest& request,
                                                          WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kManageSla));
  const v1::Calendar& patch = request.calendar();
  return UpdateWithMask<v1::Calendar>(
      patch.name(), "calendars", "calendar.name", request.etag(), request.request_id(),
      request.update_mask(), {"display_name", "time_zone", "working_hours", "holidays"},
      /*empty_means_all=*/true, std::move(meta),
      [this](const std::string& id, const QualityRepository::CalendarMutation& mutate,
             const WriteMeta& m) { return repository_.UpdateCalendar(id, mutate, m); },
      [&](const std::string& path, v1::Calendar& next) {
        if (path == "display_name") next.set_display_name(patch.display_name());
        if (path == "time_zone") next.set_time_zone(patch.time_zone());
        if (path == "working_hours") *next.mutable_working_hours() = patch.working_hours();
        if (path == "holidays") *next.mutable_holidays() = patch.holidays();
      },
      ValidateCalendarFields);
}

absl::StatusOr<v1::SlaPolicy> QualityLogic::CreateSlaPolicy(
    const Caller& caller, const v1::CreateSlaPolicyRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kManageSla));
  common::Violations violations;
  ValidatePolicyFields(request.sla_policy(), violations);
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  auto created = repository_.CreateSlaPolicy(request.sla_policy(), meta);
  if (absl::IsAlreadyExists(created.status())) {
    return common::AlreadyExists("SLA_POLICY_EXISTS",
                                 "a policy for this tier and priority exists already; update it");
  }
  return created;
}

absl::StatusOr<v1::SlaPolicy> QualityLogic::GetSlaPolicy(const Caller& caller,
                                                         const v1::GetSlaPolicyRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseSimpleName(request.name(), "slaPolicies", "name"));
  return repository_.GetSlaPolicy(id);
}

absl::StatusOr<v1::ListSlaPoliciesResponse> QualityLogic::ListSlaPolicies(
    const Caller& caller, const v1::ListSlaPoliciesRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  ACCORD_ASSIGN_OR_RETURN(
      ListStart list,
      StartList(page_tokens_, request.page_size(), request.page_token(), request.filter(),
                request.order_by(), "slaPolicies", repository_.FilterSchema(Listing::kPolicies),
                {{"create_time", "p.create_time"}}));
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.ListSlaPolicies(list.query));
  v1::ListSlaPoliciesResponse response;
  FillPage(page_tokens_, list, page, response, [](v1::ListSlaPoliciesResponse& r, v1::SlaPolicy p) {
    *r.add_sla_policies() = std::move(p);
  });
  return response;
}

absl::StatusOr<v1::SlaPolicy> QualityLogic::UpdateSlaPolicy(
    const Caller& caller, const v1::UpdateSlaPolicyRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kManageSla));
  const v1::SlaPolicy& patch = request.sla_policy();
  return UpdateWithMask<v1::SlaPolicy>(
      patch.name(), "slaPolicies", "sla_policy.name", request.etag(), request.request_id(),
      request.update_mask(),
      {"display_name", "first_response_target", "resolution_target", "calendar", "warning_percent"},
      /*empty_means_all=*/false, std::move(meta),
      [this](const std::string& id, const QualityRepository::PolicyMutation& mutate,
             const WriteMeta& m) { return repository_.UpdateSlaPolicy(id, mutate, m); },
      [&](const std::string& path, v1::SlaPolicy& next) {
        if (path == "display_name") next.set_display_name(patch.display_name());
        if (path == "first_response_target") {
          *next.mutable_first_response_target() = patch.first_response_target();
        }
        if (path == "resolution_target") {
          *next.mutable_resolution_target() = patch.resolution_target();
        }
        if (path == "calendar") next.set_calendar(patch.calendar());
        if (path == "warning_percent") next.set_warning_percent(patch.warning_percent());
      },
      ValidatePolicyFields);
}

absl::StatusOr<v1::SlaPolicy> QualityLogic::DeleteSlaPolicy(
    const Caller& caller, const v1::DeleteSlaPolicyRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kManageSla));
  return DeleteWithEtag<v1::SlaPolicy>(
      request.name(), "slaPolicies", request.etag(), request.request_id(), std::move(meta),
      [this](const std::string& id, const QualityRepository::PolicyMutation& check,
             const WriteMeta& m) { return repository_.DeleteSlaPolicy(id, check, m); });
}

absl::StatusOr<v1::Calendar> QualityLogic::DeleteCalendar(const Caller& caller,
                                                          const v1::DeleteCalendarRequest& request,
                                                          WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kManageSla));
  return DeleteWithEtag<v1::Calendar>(
      request.name(), "calendars", request.etag(), request.request_id(), std::move(meta),
      [this](const std::string& id, const QualityRepository::CalendarMutation& check,
             const WriteMeta& m) { return repository_.DeleteCalendar(id, check, m); });
}

// ---- surveys ------------------------------------------------------------------------------------

absl::StatusOr<v1::Survey> QualityLogic::CreateSurvey(const Caller& caller,
                                                      const v1::CreateSurveyRequest& request,
                                                      WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRequestSurvey));
  common::Violations violations;
  const v1::Survey& survey = request.survey();
  if (!IsResourceName(survey.account(), "accounts")) {
    violations.Add("survey.account", "required: accounts/{uuid}");
  }
  if (!survey.contact().empty() && !IsResourceName(survey.contact(), "contacts")) {
    violations.Add("survey.contact", "must be contacts/{uuid} or empty");
  }
  if (!survey.case_().empty() && !IsResourceName(survey.case_(), "cases")) {
    violations.Add("survey.case", "must be cases/{uuid} or empty");
  }
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.CreateSurvey(survey, meta);
}

absl::StatusOr<v1::Survey> QualityLogic::GetSurvey(const Caller& caller,
                                                   const v1::GetSurveyRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  return GetOfAccount<v1::Survey>(
      request.name(), "surveys",
      [this](const std::string& id) { return repository_.GetSurvey(id); },
      [&](const std::string& account) { return CheckReadable(caller, account); },
      SeesFreeText(caller), &v1::Survey::clear_comment);
}

absl::StatusOr<v1::ListSurveysResponse> QualityLogic::ListSurveys(
    const Caller& caller, const v1::ListSurveysRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  return ListOfAccounts<v1::Survey, v1::ListSurveysResponse>(
      page_tokens_, request, "surveys", repository_.FilterSchema(Listing::kSurveys), "s",
      [&] { return ReadableAccounts(caller); },
      [this](const ListQuery& query) { return repository_.ListSurveys(query); },
      SeesFreeText(caller), &v1::Survey::clear_comment, &v1::ListSurveysResponse::mutable_surveys);
}

absl::StatusOr<v1::Survey> QualityLogic::AnswerSurvey(const Caller& caller,
                                                      const v1::AnswerSurveyRequest& request,
                                                      WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kAnswerSurvey));
  common::Violations violations;
  auto id = ParseSimpleName(request.name(), "surveys", "name");
  Merge(id.status(), violations);
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  if (!request.has_csat() && !request.has_nps() && !request.has_effort()) {
    violations.Add("csat", "give at least one of csat, nps and effort");
  }
  if (request.has_csat() && (request.csat() < 1 || request.csat() > 5)) {
    violations.Add("csat", "must be 1 to 5");
  }
  if (request.has_nps() && (request.nps() < 0 || request.nps() > 10)) {
    violations.Add("nps", "must be 0 to 10");
  }
  if (request.has_effort() && (request.effort() < 1 || request.effort() > 7)) {
    violations.Add("effort", "must be 1 to 7");
  }
  if (CodePoints(request.comment()) > 4000) violations.Add("comment", "at most 4000 characters");
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  meta.request_id = request.request_id();
  return repository_.AnswerSurvey(
      *id,
      [&](const v1::Survey& current) -> absl::StatusOr<v1::Survey> {
        if (current.state() != v1::SURVEY_STATE_REQUESTED) {
          return common::FailedPrecondition("SURVEY_ALREADY_ANSWERED",
                                            current.name() + " was already answered");
        }
        v1::Survey next = current;
        if (request.has_csat()) next.set_csat(request.csat());
        if (request.has_nps()) next.set_nps(request.nps());
        if (request.has_effort()) next.set_effort(request.effort());
        next.set_comment(request.comment());
        return next;
      },
      meta);
}

// ---- signals ------------------------------------------------------------------------------------

namespace {

// The figure's range for its kind (see SignalKind); "" when it is in range.
std::string FigureProblem(v1::SignalKind kind, double figure) {
  if (!std::isfinite(figure)) return "must be a number";
  switch (kind) {
    case v1::SIGNAL_KIND_LOST_CUSTOMER:
      return figure == 1 ? "" : "a lost customer counts 1";
    case v1::SIGNAL_KIND_CALL_REVIEW:
      return figure >= 0 && figure <= 100 ? "" : "a call review scores 0 to 100";
    default:
      return figure > 0 && figure <= 1e9 ? "" : "must be more than 0 (at most 1e9)";
  }
}

}  // namespace

absl::StatusOr<v1::Signal> QualityLogic::CreateSignal(const Caller& caller,
                                                      const v1::CreateSignalRequest& request,
                                                      WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRecordSignal));
  common::Violations violations;
  const v1::Signal& signal = request.signal();
  if (!IsResourceName(signal.account(), "accounts")) {
    violations.Add("signal.account", "required: accounts/{uuid}");
  }
  const bool kind_known =
      signal.kind() != v1::SIGNAL_KIND_UNSPECIFIED && v1::SignalKind_IsValid(signal.kind());
  if (!kind_known) {
    violations.Add("signal.kind",
                   "required: RETURN, AUDIT_FINDING, QUALITY_DEFECT, CALL_REVIEW or LOST_CUSTOMER");
  } else if (auto problem = FigureProblem(signal.kind(), signal.figure()); !problem.empty()) {
    violations.Add("signal.figure", problem);
  }
  if (signal.source().empty() || IsBlank(signal.source())) {
    violations.Add("signal.source", "required: where it came from");
  } else if (CodePoints(signal.source()) > 100) {
    violations.Add("signal.source", "at most 100 characters");
  }
  if (CodePoints(signal.note()) > 1000) violations.Add("signal.note", "at most 1000 characters");
  if (signal.has_occur_time() &&
      ToInstant(signal.occur_time()) > clock_() + std::chrono::hours(1)) {
    violations.Add("signal.occur_time", "must not be in the future");
  }
  Merge(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  // The account must exist; a merged one's signal goes to the survivor.
  ACCORD_ASSIGN_OR_RETURN(CaseParty party, ResolveParty(caller, signal.account(), ""));
  v1::Signal stored = signal;
  stored.set_account(party.account);
  stored.clear_name();
  stored.clear_create_time();
  meta.request_id = request.request_id();
  return repository_.CreateSignal(stored, meta);
}

absl::StatusOr<v1::Signal> QualityLogic::GetSignal(const Caller& caller,
                                                   const v1::GetSignalRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  return GetOfAccount<v1::Signal>(
      request.name(), "signals",
      [this](const std::string& id) { return repository_.GetSignal(id); },
      [&](const std::string& account) { return CheckReadable(caller, account); },
      SeesFreeText(caller), &v1::Signal::clear_note);
}

absl::StatusOr<v1::ListSignalsResponse> QualityLogic::ListSignals(
    const Caller& caller, const v1::ListSignalsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kRead));
  return ListOfAccounts<v1::Signal, v1::ListSignalsResponse>(
      page_tokens_, request, "signals", repository_.FilterSchema(Listing::kSignals), "g",
      [&] { return ReadableAccounts(caller); },
      [this](const ListQuery& query) { return repository_.ListSignals(query); },
      SeesFreeText(caller), &v1::Signal::clear_note, &v1::ListSignalsResponse::mutable_signals);
}

// ---- reports ------------------------------------------------------------------------------------

namespace {

// A report period: both ends, end after start, at most 366 days.
void ValidatePeriod(const google::protobuf::Timestamp* start,
                    const google::protobuf::Timestamp* end, common::Violations& violations) {
  if (start == nullptr) violations.Add("start_time", "required");
  if (end == nullptr) violations.Add("end_time", "required");
  if (start != nullptr && end != nullptr) {
    const auto length = ToInstant(*end) - ToInstant(*start);
    if (length <= Micros{0}) {
      violations.Add("end_time", "must be after start_time");
    } else if (length > std::chrono::hours(24 * 366)) {
      violations.Add("end_time", "a report covers at most 366 days");
    }
  }
}

template <typename Request>
void ValidateReportRequest(const Request& request, common::Violations& violations) {
  ValidatePeriod(request.has_start_time() ? &request.start_time() : nullptr,
                 request.has_end_time() ? &request.end_time() : nullptr, violations);
  if (request.group_by() == v1::REPORT_GROUP_BY_UNSPECIFIED ||
      !v1::ReportGroupBy_IsValid(request.group_by())) {
    violations.Add("group_by", "required: ACCOUNT, CATEGORY, TEAM or AGENT");
  }
}

}  // namespace

absl::StatusOr<v1::ServiceReport> QualityLogic::BuildServiceReport(
    const google::protobuf::Timestamp& start_time, const google::protobuf::Timestamp& end_time,
    v1::ReportGroupBy group_by) {
  const Instant start = ToInstant(start_time);
  const Instant end = ToInstant(end_time);
  ReportInput input;
  ACCORD_ASSIGN_OR_RETURN(input.cases, repository_.ReportCases(start, end, ""));
  ACCORD_ASSIGN_OR_RETURN(input.previous_category_counts,
                          repository_.ReportCategoryCounts(start - (end - start), start));
  ACCORD_ASSIGN_OR_RETURN(input.surveys, repository_.ReportSurveys(start, end, ""));
  ACCORD_ASSIGN_OR_RETURN(input.signals, repository_.ReportSignals(start, end, ""));
  ACCORD_ASSIGN_OR_RETURN(input.previous_signals,
                          repository_.ReportSignals(start - (end - start), start, ""));
  v1::ServiceReport report = BuildReport(input, group_by, options_.report_rules);
  *report.mutable_start_time() = start_time;
  *report.mutable_end_time() = end_time;
  return report;
}

absl::StatusOr<v1::ServiceReport> QualityLogic::GetServiceReport(
    const Caller& caller, const v1::GetServiceReportRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kReport));
  common::Violations violations;
  ValidateReportRequest(request, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return BuildServiceReport(request.start_time(), request.end_time(), request.group_by());
}

absl::StatusOr<v1::ExportServiceReportResponse> QualityLogic::ExportServiceReport(
    const Caller& caller, const v1::ExportServiceReportRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kReport));
  common::Violations violations;
  ValidateReportRequest(request, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(
      v1::ServiceReport report,
      BuildServiceReport(request.start_time(), request.end_time(), request.group_by()));
  v1::ExportServiceReportResponse response;
  response.set_content_type("text/csv; charset=utf-8");
  response.set_csv(ReportToCsv(report));
  return response;
}

absl::StatusOr<v1::AccountServiceReview> QualityLogic::BuildAccountServiceReview(
    const Caller& caller, const std::string& name, const google::protobuf::Timestamp* start_time,
    const google::protobuf::Timestamp* end_time) {
  // Supervisors and admins for any account; an account manager for its own.
  if (!LimitedToManagedAccounts(caller))
    ACCORD_RETURN_IF_ERROR(CheckAccess(caller, Action::kReport));
  common::Violations violations;
  std::string account;
  constexpr std::string_view kSuffix = "/serviceReview";
  if (name.size() <= kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0 ||
      !IsResourceName(name.substr(0, name.size() - kSuffix.size()), "accounts")) {
    violations.Add("name", "required: accounts/{uuid}/serviceReview");
  } else {
    account = name.substr(0, name.size() - kSuffix.size());
  }
  ValidatePeriod(start_time, end_time, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckReadable(caller, account));
  const Instant start = ToInstant(*start_time);
  const Instant end = ToInstant(*end_time);
  const Instant before = start - (end - start);
  ReviewInput input;
  ACCORD_ASSIGN_OR_RETURN(input.cases, repository_.ReportCases(start, end, account));
  ACCORD_ASSIGN_OR_RETURN(input.previous_cases, repository_.ReportCases(before, start, account));
  ACCORD_ASSIGN_OR_RETURN(input.surveys, repository_.ReportSurveys(start, end, account));
  ACCORD_ASSIGN_OR_RETURN(input.previous_surveys,
                          repository_.ReportSurveys(before, start, account));
  ACCORD_ASSIGN_OR_RETURN(input.signals, repository_.ReportSignals(start, end, account));
  ACCORD_ASSIGN_OR_RETURN(input.previous_signals,
                          repository_.ReportSignals(before, start, account));
  v1::AccountServiceReview review = BuildAccountReview(input, options_.report_rules);
  review.set_name(name);
  review.set_account(account);
  *review.mutable_start_time() = *start_time;
  *review.mutable_end_time() = *end_time;
  return review;
}

absl::StatusOr<v1::AccountServiceReview> QualityLogic::GetAccountServiceReview(
    const Caller& caller, const v1::GetAccountServiceReviewRequest& request) {
  return BuildAccountServiceReview(caller, request.name(),
                                   request.has_start_time() ? &request.start_time() : nullptr,
                                   request.has_end_time() ? &request.end_time() : nullptr);
}

absl::StatusOr<v1::ExportAccountServiceReviewResponse> QualityLogic::ExportAccountServiceReview(
    const Caller& caller, const v1::ExportAccountServiceReviewRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(
      v1::AccountServiceReview review,
      BuildAccountServiceReview(caller, request.name(),
                                request.has_start_time() ? &request.start_time() : nullptr,
                                request.has_end_time() ? &request.end_time() : nullptr));
  v1::ExportAccountServiceReviewResponse response;
  response.set_content_type("text/csv; charset=utf-8");
  response.set_csv(ReviewToCsv(review));
  return response;
}

}  // namespace accord::quality
