// `accordctl cases|calendars|sla-policies|surveys|signals|report|review ...`: service-quality
// (accord.quality.v1).
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <ostream>
#include <tuple>

#include "accord/quality/v1/case.grpc.pb.h"
#include "accord/quality/v1/report.grpc.pb.h"
#include "accord/quality/v1/sla.grpc.pb.h"
#include "accord/quality/v1/survey.grpc.pb.h"
#include "commands.h"
#include "pricing_cli.h"
#include "resource_cli.h"
#include "rpc.h"
#include "service_cli.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::quality::v1;
namespace common_v1 = ::accord::common::v1;
using cli::EnumName;
using google::protobuf::util::TimeUtil;
using service_cli::Named;

constexpr EnumName kKinds[] = {
    {"complaint", v1::CASE_KIND_COMPLAINT},
    {"enquiry", v1::CASE_KIND_ENQUIRY},
    {"request", v1::CASE_KIND_REQUEST},
    {"feedback", v1::CASE_KIND_FEEDBACK},
};
constexpr EnumName kCategories[] = {
    {"billing-error", v1::CASE_CATEGORY_BILLING_ERROR},
    {"service-quality", v1::CASE_CATEGORY_SERVICE_QUALITY},
    {"damaged-goods", v1::CASE_CATEGORY_DAMAGED_GOODS},
    {"delivery-problem", v1::CASE_CATEGORY_DELIVERY_PROBLEM},
    {"late-delivery", v1::CASE_CATEGORY_LATE_DELIVERY},
    {"dispatch-error", v1::CASE_CATEGORY_DISPATCH_ERROR},
    {"wrong-item", v1::CASE_CATEGORY_WRONG_ITEM},
    {"product-fault", v1::CASE_CATEGORY_PRODUCT_FAULT},
    {"staff-conduct", v1::CASE_CATEGORY_STAFF_CONDUCT},
    {"other", v1::CASE_CATEGORY_OTHER},
};
constexpr EnumName kLevels[] = {
    {"low", v1::LEVEL_LOW}, {"medium", v1::LEVEL_MEDIUM}, {"high", v1::LEVEL_HIGH}};
constexpr EnumName kPriorities[] = {
    {"low", v1::PRIORITY_LOW},
    {"medium", v1::PRIORITY_MEDIUM},
    {"high", v1::PRIORITY_HIGH},
    {"critical", v1::PRIORITY_CRITICAL},
};
constexpr EnumName kTiers[] = {
    {"strategic", ::accord::account::v1::ACCOUNT_TIER_STRATEGIC},
    {"key", ::accord::account::v1::ACCOUNT_TIER_KEY},
    {"standard", ::accord::account::v1::ACCOUNT_TIER_STANDARD},
};
constexpr EnumName kStatuses[] = {
    {"new", v1::CASE_STATUS_NEW},
    {"acknowledged", v1::CASE_STATUS_ACKNOWLEDGED},
    {"in-progress", v1::CASE_STATUS_IN_PROGRESS},
    {"waiting-on-customer", v1::CASE_STATUS_WAITING_ON_CUSTOMER},
    {"escalated", v1::CASE_STATUS_ESCALATED},
    {"resolved", v1::CASE_STATUS_RESOLVED},
    {"closed", v1::CASE_STATUS_CLOSED},
    {"reopened", v1::CASE_STATUS_REOPENED},
};
constexpr EnumName kNeeds[] = {
    {"age", v1::SPECIAL_NEED_KIND_AGE},
    {"belief-or-values", v1::SPECIAL_NEED_KIND_BELIEF_OR_VALUES},
    {"culture", v1::SPECIAL_NEED_KIND_CULTURE},
    {"disability", v1::SPECIAL_NEED_KIND_DISABILITY},
    {"gender", v1::SPECIAL_NEED_KIND_GENDER},
    {"language", v1::SPECIAL_NEED_KIND_LANGUAGE},
    {"religion", v1::SPECIAL_NEED_KIND_RELIGION},
};
constexpr EnumName kCodes[] = {
    {"fixed", v1::RESOLUTION_CODE_FIXED},
    {"replaced", v1::RESOLUTION_CODE_REPLACED},
    {"refunded", v1::RESOLUTION_CODE_REFUNDED},
    {"credited", v1::RESOLUTION_CODE_CREDITED},
    {"explained", v1::RESOLUTION_CODE_EXPLAINED},
    {"no-fault-found", v1::RESOLUTION_CODE_NO_FAULT_FOUND},
    {"declined", v1::RESOLUTION_CODE_DECLINED},
};
constexpr EnumName kCompensations[] = {
    {"credit-note", v1::COMPENSATION_KIND_CREDIT_NOTE},
    {"refund", v1::COMPENSATION_KIND_REFUND},
    {"replacement", v1::COMPENSATION_KIND_REPLACEMENT},
    {"extended-deadline", v1::COMPENSATION_KIND_EXTENDED_DEADLINE},
};
constexpr EnumName kGroupBy[] = {
    {"account", v1::REPORT_GROUP_BY_ACCOUNT},
    {"category", v1::REPORT_GROUP_BY_CATEGORY},
    {"team", v1::REPORT_GROUP_BY_TEAM},
    {"agent", v1::REPORT_GROUP_BY_AGENT},
};
constexpr EnumName kSlaStates[] = {
    {"none", v1::SLA_STATE_NONE},       {"on-track", v1::SLA_STATE_ON_TRACK},
    {"warning", v1::SLA_STATE_WARNING}, {"breached", v1::SLA_STATE_BREACHED},
    {"paused", v1::SLA_STATE_PAUSED},   {"met", v1::SLA_STATE_MET},
};

constexpr EnumName kSignalKinds[] = {
    {"return", v1::SIGNAL_KIND_RETURN},
    {"audit-finding", v1::SIGNAL_KIND_AUDIT_FINDING},
    {"quality-defect", v1::SIGNAL_KIND_QUALITY_DEFECT},
    {"call-review", v1::SIGNAL_KIND_CALL_REVIEW},
    {"lost-customer", v1::SIGNAL_KIND_LOST_CUSTOMER},
};
const FlagSpec kRequestId{"request-id", "UUID",
                          "Idempotency key: a retry with the same id changes nothing twice."};

// An enum flag; false (after a usage error) when it is given and not one of `names`.
template <size_t N>
bool EnumFlag(const Invocation& inv, const char* flag, const EnumName (&names)[N], int* out) {
  auto value = inv.args.Get(flag);
  if (!value) return true;
  auto parsed = cli::ParseEnum(names, *value);
  if (!parsed) {
    inv.UsageError("bad --" + std::string(flag) + " '" + *value + "' (" + cli::Choices(names) +
                   ")");
    return false;
  }
  *out = *parsed;
  return true;
}

// "EUR 120.50" -> Money.
std::optional<common_v1::Money> ParseMoney(const std::string& text) {
  if (text.find(' ') != 3) return std::nullopt;
  return pricing_cli::ParseAmount(text.substr(4), text.substr(0, 3));
}

std::string Percent(double share) {
  if (share < 0) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", 100 * share);
  return buffer;
}
std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}
std::string Hours(int64_t seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fh", static_cast<double>(seconds) / 3600);
  return buffer;
}

constexpr char kService[] = "service-quality";

template <typename Service>
std::optional<service_cli::Client<Service>> Connect(const Invocation& inv) {
  return service_cli::Connect<Service>(inv, kService);
}

// Calls `rpc` and prints the result as JSON.
template <typename Service, typename Request, typename Response>
int Call(const Invocation& inv, const Request& request,
         grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*)) {
  return service_cli::CallAndPrint<Service>(inv, kService, rpc, request);
}

// `GROUP get NAME` and `GROUP delete NAME --etag`: the named resource, printed as JSON.
template <typename Service, typename Request, typename Response>
int RunGet(const Invocation& inv, const char* collection,
           grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*)) {
  Request request;
  request.set_name(Named(collection, inv.args.positional()[0]));
  return Call<Service>(inv, request, rpc);
}
template <typename Service, typename Request, typename Response>
int RunDelete(const Invocation& inv, const char* collection,
              grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*)) {
  Request request;
  request.set_name(Named(collection, inv.args.positional()[0]));
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<Service>(inv, request, rpc);
}

// A List command over `rpc` (service_cli::ListPages).
template <typename Service, typename Request, typename Response, typename Item>
int List(
    const Invocation& inv, Request request,
    grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
    const std::function<const google::protobuf::RepeatedPtrField<Item>&(const Response&)>& items_of,
    const std::vector<std::string>& header,
    const std::function<std::vector<std::string>(const Item&)>& row) {
  return service_cli::ListPages<Service, Request, Response, Item>(inv, kService, request, rpc,
                                                                  items_of, header, row);
}

// ---- cases --------------------------------------------------------------------------------------

// The case fields given as flags into `c`, each flag's field into `paths` (an update's mask);
// false after a usage error.
bool CaseFlags(const Invocation& inv, v1::Case* c, std::vector<std::string>* paths) {
  auto text = [&](const char* flag, const char* path, void (v1::Case::*set)(const std::string&),
                  const char* collection = nullptr) {
    if (auto value = inv.args.Get(flag)) {
      (c->*set)(collection ? Named(collection, *value) : *value);
      paths->push_back(path);
    }
  };
  text("contact", "contact", &v1::Case::set_contact, "contacts");
  text("description", "description", &v1::Case::set_description);
  text("assignee", "assignee", &v1::Case::set_assignee);
  text("team", "team", &v1::Case::set_team);
  int channel = 0, kind = 0, category = 0, impact = 0, urgency = 0, tier = 0;
  if (!EnumFlag(inv, "channel", cli::kCommunicationChannels, &channel) ||
      !EnumFlag(inv, "kind", kKinds, &kind) || !EnumFlag(inv, "category", kCategories, &category) ||
      !EnumFlag(inv, "impact", kLevels, &impact) || !EnumFlag(inv, "urgency", kLevels, &urgency) ||
      !EnumFlag(inv, "tier", kTiers, &tier)) {
    return false;
  }
  c->set_channel(static_cast<common_v1::CommunicationChannel>(channel));
  c->set_kind(static_cast<v1::CaseKind>(kind));
  c->set_category(static_cast<v1::CaseCategory>(category));
  c->set_impact(static_cast<v1::Level>(impact));
  c->set_urgency(static_cast<v1::Level>(urgency));
  c->set_account_tier(static_cast<::accord::account::v1::AccountTier>(tier));
  for (const char* flag : {"channel", "kind", "category", "impact", "urgency"}) {
    if (inv.args.Get(flag)) paths->push_back(flag);
  }
  for (const auto& need : inv.args.GetAll("need")) {
    const size_t colon = need.find(':');
    auto kind_value = cli::ParseEnum(kNeeds, need.substr(0, colon));
    if (!kind_value) {
      inv.UsageError("bad --need '" + need + "' (KIND[:note], KIND one of " + cli::Choices(kNeeds) +
                     ")");
      return false;
    }
    auto* special = c->add_special_needs();
    special->set_kind(static_cast<v1::SpecialNeedKind>(*kind_value));
    if (colon != std::string::npos) special->set_note(need.substr(colon + 1));
  }
  if (!inv.args.GetAll("need").empty()) paths->push_back("special_needs");
  return true;
}

int RunCaseCreate(const Invocation& inv) {
  v1::CreateCaseRequest request;
  auto* c = request.mutable_case_();
  c->set_account(Named("accounts", inv.args.GetOr("account", "")));
  std::vector<std::string> paths;
  if (!CaseFlags(inv, c, &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::CreateCaseRequest, v1::Case>(inv, request,
                                                                &v1::CaseService::Stub::CreateCase);
}

// An update from flags: `fill` puts the fields given into the resource `target` picks out of
// the request and their paths into the mask; the name is the first argument.
template <typename Service, typename Request, typename Response, typename Target, typename Fill,
          typename Rpc>
int RunUpdate(const Invocation& inv, const char* collection, Target target, Fill fill, Rpc rpc) {
  Request request;
  auto* resource = target(request);
  resource->set_name(Named(collection, inv.args.positional()[0]));
  std::vector<std::string> paths;
  if (!fill(inv, resource, &paths)) return kExitUsage;
  if (paths.empty()) return inv.UsageError("give at least one field to change");
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<Service, Request, Response>(inv, request, rpc);
}

int RunCaseUpdate(const Invocation& inv) {
  return RunUpdate<v1::CaseService, v1::UpdateCaseRequest, v1::Case>(
      inv, "cases", [](v1::UpdateCaseRequest& r) { return r.mutable_case_(); }, CaseFlags,
      &v1::CaseService::Stub::UpdateCase);
}

int RunCaseGet(const Invocation& inv) {
  return RunGet<v1::CaseService>(inv, "cases", &v1::CaseService::Stub::GetCase);
}

int RunCaseList(const Invocation& inv) {
  v1::ListCasesRequest request;
  return List<v1::CaseService, v1::ListCasesRequest, v1::ListCasesResponse, v1::Case>(
      inv, request, &v1::CaseService::Stub::ListCases,
      [](const v1::ListCasesResponse& page) -> const auto& { return page.cases(); },
      {"NAME", "STATUS", "PRIORITY", "KIND", "CATEGORY", "ASSIGNEE", "SLA", "RESOLUTION DUE"},
      [](const v1::Case& c) -> std::vector<std::string> {
        return {c.name(),
                cli::EnumText(kStatuses, c.status()),
                cli::EnumText(kPriorities, c.priority()),
                cli::EnumText(kKinds, c.kind()),
                cli::EnumText(kCategories, c.category()),
                c.assignee().empty() ? "-" : c.assignee(),
                cli::EnumText(kSlaStates, c.sla().state()),
                c.sla().has_resolution_due() ? TimeUtil::ToString(c.sla().resolution_due()) : "-"};
      });
}

int RunCaseTransition(const Invocation& inv) {
  int status = 0;
  if (!EnumFlag(inv, "status", kStatuses, &status)) return kExitUsage;
  if (status == 0) return inv.UsageError("--status is required");
  v1::TransitionCaseRequest request;
  request.set_name(Named("cases", inv.args.positional()[0]));
  request.set_status(static_cast<v1::CaseStatus>(status));
  request.set_reason(inv.args.GetOr("reason", ""));
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::TransitionCaseRequest, v1::Case>(
      inv, request, &v1::CaseService::Stub::TransitionCase);
}

int RunCaseEscalate(const Invocation& inv) {
  v1::EscalateCaseRequest request;
  request.set_name(Named("cases", inv.args.positional()[0]));
  request.set_reason(inv.args.GetOr("reason", ""));
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::EscalateCaseRequest, v1::Case>(
      inv, request, &v1::CaseService::Stub::EscalateCase);
}

int RunCaseOverride(const Invocation& inv) {
  int priority = 0;
  if (!EnumFlag(inv, "priority", kPriorities, &priority)) return kExitUsage;
  v1::OverrideCasePriorityRequest request;
  request.set_name(Named("cases", inv.args.positional()[0]));
  request.set_priority(static_cast<v1::Priority>(priority));
  request.set_reason(inv.args.GetOr("reason", ""));
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::OverrideCasePriorityRequest, v1::Case>(
      inv, request, &v1::CaseService::Stub::OverrideCasePriority);
}

int RunCaseComment(const Invocation& inv) {
  v1::CreateTimelineEntryRequest request;
  request.set_parent(Named("cases", inv.args.positional()[0]));
  request.mutable_timeline_entry()->set_text(inv.args.GetOr("text", ""));
  request.mutable_timeline_entry()->set_customer_visible(inv.args.Bool("customer-visible"));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::CreateTimelineEntryRequest, v1::TimelineEntry>(
      inv, request, &v1::CaseService::Stub::CreateTimelineEntry);
}

int RunCaseResolve(const Invocation& inv) {
  v1::ResolveCaseRequest request;
  request.set_name(Named("cases", inv.args.positional()[0]));
  request.set_etag(inv.args.GetOr("etag", ""));
  auto* resolution = request.mutable_resolution();
  resolution->set_summary(inv.args.GetOr("summary", ""));
  int code = 0, compensation_kind = 0;
  if (!EnumFlag(inv, "code", kCodes, &code) ||
      !EnumFlag(inv, "compensation-kind", kCompensations, &compensation_kind)) {
    return kExitUsage;
  }
  resolution->set_code(static_cast<v1::ResolutionCode>(code));
  if (auto amount = inv.args.Get("compensation")) {
    auto money = ParseMoney(*amount);
    if (!money) return inv.UsageError("bad --compensation '" + *amount + "' (e.g. \"EUR 120.50\")");
    resolution->mutable_compensation()->set_kind(
        static_cast<v1::CompensationKind>(compensation_kind));
    *resolution->mutable_compensation()->mutable_amount() = *money;
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::ResolveCaseRequest, v1::Case>(
      inv, request, &v1::CaseService::Stub::ResolveCase);
}

int RunCaseConfirm(const Invocation& inv) {
  v1::ConfirmCaseResolutionRequest request;
  request.set_name(Named("cases", inv.args.positional()[0]));
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_note(inv.args.GetOr("note", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::CaseService, v1::ConfirmCaseResolutionRequest, v1::Case>(
      inv, request, &v1::CaseService::Stub::ConfirmCaseResolution);
}

int RunCaseTimeline(const Invocation& inv) {
  v1::ListTimelineEntriesRequest request;
  request.set_parent(Named("cases", inv.args.positional()[0]));
  return List<v1::CaseService, v1::ListTimelineEntriesRequest, v1::ListTimelineEntriesResponse,
              v1::TimelineEntry>(
      inv, request, &v1::CaseService::Stub::ListTimelineEntries,
      [](const v1::ListTimelineEntriesResponse& page) -> const auto& {
        return page.timeline_entries();
      },
      {"TIME", "KIND", "WHO", "TEXT"},
      [](const v1::TimelineEntry& e) -> std::vector<std::string> {
        std::string kind = v1::TimelineEntryKind_Name(e.kind()).substr(20);
        if (e.customer_visible()) kind += " (customer)";
        return {TimeUtil::ToString(e.create_time()), kind, e.actor(), e.text()};
      });
}

// ---- calendars and SLA policies -----------------------------------------------------------------

// The calendar flags given into `calendar`, each into `paths`; false after a usage error.
bool CalendarFlags(const Invocation& inv, v1::Calendar* calendar, std::vector<std::string>* paths) {
  if (auto name = inv.args.Get("display-name")) {
    calendar->set_display_name(*name);
    paths->push_back("display_name");
  }
  if (auto zone = inv.args.Get("time-zone")) {
    calendar->set_time_zone(*zone);
    paths->push_back("time_zone");
  }
  // --hours "1-5 09:00-17:00": weekdays (ISO, 1 Monday) and a span.
  for (const auto& hours : inv.args.GetAll("hours")) {
    int first = 0, last = 0;
    char start[6] = {}, end[6] = {};
    if (std::sscanf(hours.c_str(), "%d-%d %5[0-9:]-%5[0-9:]", &first, &last, start, end) != 4) {
      // A single weekday: "6 10:00-14:00".
      if (std::sscanf(hours.c_str(), "%d %5[0-9:]-%5[0-9:]", &first, start, end) != 3) {
        inv.UsageError("bad --hours '" + hours + "' (e.g. \"1-5 09:00-17:00\")");
        return false;
      }
      last = first;
    }
    for (int day = first; day <= last; ++day) {
      auto* span = calendar->add_working_hours();
      span->set_weekday(day);
      span->set_start(start);
      span->set_end(end);
    }
  }
  if (!inv.args.GetAll("hours").empty()) paths->push_back("working_hours");
  for (const auto& holiday : inv.args.GetAll("holiday")) {
    calendar->add_holidays()->set_date(holiday);
  }
  if (!inv.args.GetAll("holiday").empty() || inv.args.Bool("no-holidays")) {
    paths->push_back("holidays");
  }
  return true;
}

int RunCalendarCreate(const Invocation& inv) {
  v1::CreateCalendarRequest request;
  std::vector<std::string> paths;
  if (!CalendarFlags(inv, request.mutable_calendar(), &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::SlaService, v1::CreateCalendarRequest, v1::Calendar>(
      inv, request, &v1::SlaService::Stub::CreateCalendar);
}

int RunCalendarUpdate(const Invocation& inv) {
  return RunUpdate<v1::SlaService, v1::UpdateCalendarRequest, v1::Calendar>(
      inv, "calendars", [](v1::UpdateCalendarRequest& r) { return r.mutable_calendar(); },
      CalendarFlags, &v1::SlaService::Stub::UpdateCalendar);
}

int RunCalendarGet(const Invocation& inv) {
  return RunGet<v1::SlaService>(inv, "calendars", &v1::SlaService::Stub::GetCalendar);
}

int RunCalendarList(const Invocation& inv) {
  v1::ListCalendarsRequest request;
  return List<v1::SlaService, v1::ListCalendarsRequest, v1::ListCalendarsResponse, v1::Calendar>(
      inv, request, &v1::SlaService::Stub::ListCalendars,
      [](const v1::ListCalendarsResponse& page) -> const auto& { return page.calendars(); },
      {"NAME", "DISPLAY NAME", "TIME ZONE", "WORKING DAYS", "HOLIDAYS"},
      [](const v1::Calendar& c) -> std::vector<std::string> {
        return {c.name(), c.display_name(), c.time_zone(), std::to_string(c.working_hours_size()),
                std::to_string(c.holidays_size())};
      });
}

// The policy's changeable flags into `policy`, each into `paths`; false after a usage error.
bool PolicyFlags(const Invocation& inv, v1::SlaPolicy* policy, std::vector<std::string>* paths) {
  if (auto name = inv.args.Get("display-name")) {
    policy->set_display_name(*name);
    paths->push_back("display_name");
  }
  for (const auto& [flag, path, field] :
       {std::tuple{"first-response", "first_response_target",
                   policy->mutable_first_response_target()},
        std::tuple{"resolution", "resolution_target", policy->mutable_resolution_target()}}) {
    auto text = inv.args.Get(flag);
    if (!text) continue;
    auto millis = ParseDurationMillis(*text);
    if (!millis) {
      inv.UsageError(std::string("bad --") + flag + " '" + *text + "'");
      return false;
    }
    *field = TimeUtil::MillisecondsToDuration(*millis);
    paths->push_back(path);
  }
  if (auto calendar = inv.args.Get("calendar")) {
    policy->set_calendar(Named("calendars", *calendar));
    paths->push_back("calendar");
  }
  if (auto percent = inv.args.Get("warning-percent")) {
    auto value = ParseInt(*percent, 1, 99);
    if (!value) {
      inv.UsageError("bad --warning-percent (1-99)");
      return false;
    }
    policy->set_warning_percent(static_cast<int32_t>(*value));
    paths->push_back("warning_percent");
  }
  return true;
}

int RunPolicyCreate(const Invocation& inv) {
  v1::CreateSlaPolicyRequest request;
  auto* policy = request.mutable_sla_policy();
  int priority = 0, tier = 0;
  if (!EnumFlag(inv, "priority", kPriorities, &priority) || !EnumFlag(inv, "tier", kTiers, &tier)) {
    return kExitUsage;
  }
  policy->set_priority(static_cast<v1::Priority>(priority));
  policy->set_tier(static_cast<::accord::account::v1::AccountTier>(tier));
  for (const char* flag : {"first-response", "resolution"}) {
    if (!inv.args.Get(flag))
      return inv.UsageError(std::string("--") + flag + " is required (e.g. 8h)");
  }
  std::vector<std::string> paths;
  if (!PolicyFlags(inv, policy, &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::SlaService, v1::CreateSlaPolicyRequest, v1::SlaPolicy>(
      inv, request, &v1::SlaService::Stub::CreateSlaPolicy);
}

int RunPolicyUpdate(const Invocation& inv) {
  return RunUpdate<v1::SlaService, v1::UpdateSlaPolicyRequest, v1::SlaPolicy>(
      inv, "slaPolicies", [](v1::UpdateSlaPolicyRequest& r) { return r.mutable_sla_policy(); },
      PolicyFlags, &v1::SlaService::Stub::UpdateSlaPolicy);
}

int RunPolicyGet(const Invocation& inv) {
  return RunGet<v1::SlaService>(inv, "slaPolicies", &v1::SlaService::Stub::GetSlaPolicy);
}

int RunPolicyList(const Invocation& inv) {
  v1::ListSlaPoliciesRequest request;
  return List<v1::SlaService, v1::ListSlaPoliciesRequest, v1::ListSlaPoliciesResponse,
              v1::SlaPolicy>(
      inv, request, &v1::SlaService::Stub::ListSlaPolicies,
      [](const v1::ListSlaPoliciesResponse& page) -> const auto& { return page.sla_policies(); },
      {"NAME", "DISPLAY NAME", "TIER", "PRIORITY", "FIRST RESPONSE", "RESOLUTION", "CALENDAR"},
      [](const v1::SlaPolicy& p) -> std::vector<std::string> {
        return {p.name(),
                p.display_name(),
                p.tier() == 0 ? "any" : cli::EnumText(kTiers, p.tier()),
                cli::EnumText(kPriorities, p.priority()),
                Hours(p.first_response_target().seconds()),
                Hours(p.resolution_target().seconds()),
                p.calendar()};
      });
}

int RunPolicyDelete(const Invocation& inv) {
  return RunDelete<v1::SlaService>(inv, "slaPolicies", &v1::SlaService::Stub::DeleteSlaPolicy);
}

int RunCalendarDelete(const Invocation& inv) {
  return RunDelete<v1::SlaService>(inv, "calendars", &v1::SlaService::Stub::DeleteCalendar);
}

// ---- surveys ------------------------------------------------------------------------------------

int RunSurveyCreate(const Invocation& inv) {
  v1::CreateSurveyRequest request;
  request.mutable_survey()->set_account(Named("accounts", inv.args.GetOr("account", "")));
  if (auto contact = inv.args.Get("contact")) {
    request.mutable_survey()->set_contact(Named("contacts", *contact));
  }
  if (auto c = inv.args.Get("case")) request.mutable_survey()->set_case_(Named("cases", *c));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::SurveyService, v1::CreateSurveyRequest, v1::Survey>(
      inv, request, &v1::SurveyService::Stub::CreateSurvey);
}

int RunSurveyGet(const Invocation& inv) {
  return RunGet<v1::SurveyService>(inv, "surveys", &v1::SurveyService::Stub::GetSurvey);
}

int RunSurveyList(const Invocation& inv) {
  v1::ListSurveysRequest request;
  auto score = [](bool has, int value) { return has ? std::to_string(value) : "-"; };
  return List<v1::SurveyService, v1::ListSurveysRequest, v1::ListSurveysResponse, v1::Survey>(
      inv, request, &v1::SurveyService::Stub::ListSurveys,
      [](const v1::ListSurveysResponse& page) -> const auto& { return page.surveys(); },
      {"NAME", "ACCOUNT", "CASE", "STATE", "CSAT", "NPS", "EFFORT"},
      [&](const v1::Survey& s) -> std::vector<std::string> {
        return {s.name(),
                s.account(),
                s.case_().empty() ? "-" : s.case_(),
                s.state() == v1::SURVEY_STATE_ANSWERED ? "answered" : "requested",
                score(s.has_csat(), s.csat()),
                score(s.has_nps(), s.nps()),
                score(s.has_effort(), s.effort())};
      });
}

int RunSignalCreate(const Invocation& inv) {
  v1::CreateSignalRequest request;
  auto* signal = request.mutable_signal();
  signal->set_account(Named("accounts", inv.args.GetOr("account", "")));
  int kind = 0;
  if (!EnumFlag(inv, "kind", kSignalKinds, &kind)) return kExitUsage;
  signal->set_kind(static_cast<v1::SignalKind>(kind));
  signal->set_source(inv.args.GetOr("source", ""));
  if (auto figure = inv.args.Get("figure")) {
    char* end = nullptr;
    const double value = std::strtod(figure->c_str(), &end);
    if (figure->empty() || *end != '\0') return inv.UsageError("bad --figure '" + *figure + "'");
    signal->set_figure(value);
  }
  signal->set_note(inv.args.GetOr("note", ""));
  if (auto when = inv.args.Get("occur-time")) {
    if (!TimeUtil::FromString(*when, signal->mutable_occur_time())) {
      return inv.UsageError("bad --occur-time '" + *when + "' (RFC 3339)");
    }
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::SignalService, v1::CreateSignalRequest, v1::Signal>(
      inv, request, &v1::SignalService::Stub::CreateSignal);
}

int RunSignalGet(const Invocation& inv) {
  return RunGet<v1::SignalService>(inv, "signals", &v1::SignalService::Stub::GetSignal);
}

int RunSignalList(const Invocation& inv) {
  v1::ListSignalsRequest request;
  return List<v1::SignalService, v1::ListSignalsRequest, v1::ListSignalsResponse, v1::Signal>(
      inv, request, &v1::SignalService::Stub::ListSignals,
      [](const v1::ListSignalsResponse& page) -> const auto& { return page.signals(); },
      {"NAME", "ACCOUNT", "KIND", "SOURCE", "FIGURE", "WHEN"},
      [&](const v1::Signal& g) -> std::vector<std::string> {
        return {g.name(),   g.account(),        cli::EnumText(kSignalKinds, g.kind()),
                g.source(), Number(g.figure()), TimeUtil::ToString(g.occur_time())};
      });
}

int RunSurveyAnswer(const Invocation& inv) {
  v1::AnswerSurveyRequest request;
  request.set_name(Named("surveys", inv.args.positional()[0]));
  for (const auto& [flag, setter] :
       std::vector<std::pair<const char*, void (v1::AnswerSurveyRequest::*)(int32_t)>>{
           {"csat", &v1::AnswerSurveyRequest::set_csat},
           {"nps", &v1::AnswerSurveyRequest::set_nps},
           {"effort", &v1::AnswerSurveyRequest::set_effort}}) {
    if (auto text = inv.args.Get(flag)) {
      auto value = ParseInt(*text, -1000, 1000);
      if (!value) return inv.UsageError(std::string("bad --") + flag + " '" + *text + "'");
      (request.*setter)(static_cast<int32_t>(*value));
    }
  }
  request.set_comment(inv.args.GetOr("comment", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return Call<v1::SurveyService, v1::AnswerSurveyRequest, v1::Survey>(
      inv, request, &v1::SurveyService::Stub::AnswerSurvey);
}

// ---- report -------------------------------------------------------------------------------------

std::vector<std::string> FigureRow(const std::string& key, const v1::ReportFigures& f) {
  return {key.empty() ? "(none)" : key,
          std::to_string(f.case_count()),
          std::to_string(f.complaint_count()),
          Percent(f.first_response_compliance()),
          Percent(f.resolution_compliance()),
          Hours(f.first_response_median_seconds()) + " / " + Hours(f.first_response_p90_seconds()),
          Hours(f.resolution_median_seconds()) + " / " + Hours(f.resolution_p90_seconds()),
          Percent(f.csat_satisfied_share()),
          f.nps_responses() == 0 ? "-" : Number(f.nps()),
          Percent(f.reopen_rate())};
}

// --start and --end into `request`; false after a usage error.
template <typename Request>
bool PeriodFlags(const Invocation& inv, Request& request) {
  for (const auto& [flag, field] : {std::pair{"start", request.mutable_start_time()},
                                    std::pair{"end", request.mutable_end_time()}}) {
    auto text = inv.args.Get(flag);
    if (!text || !TimeUtil::FromString(*text, field)) {
      inv.UsageError(std::string("--") + flag +
                     " is required, RFC 3339 (e.g. 2026-03-01T00:00:00Z)");
      return false;
    }
  }
  return true;
}

// `report --csv` and `review --csv`: the CSV export, as the service writes it.
template <typename Request, typename Response>
int PrintCsv(const Invocation& inv, const Request& request,
             grpc::Status (v1::ReportService::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                          Response*)) {
  auto client = Connect<v1::ReportService>(inv);
  if (!client) return kExitUsage;
  Response response;
  grpc::Status status = client->Call(rpc, request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << response.csv();
  inv.out.flush();
  return kExitOk;
}

// One report call; prints the result as JSON and returns kExitOk for --json, else leaves
// printing to the caller (nullopt); an error's exit code otherwise.
template <typename Request, typename Response>
std::optional<int> Fetch(const Invocation& inv, const Request& request,
                         grpc::Status (v1::ReportService::Stub::*rpc)(grpc::ClientContext*,
                                                                      const Request&, Response*),
                         Response* response) {
  auto client = Connect<v1::ReportService>(inv);
  if (!client) return kExitUsage;
  grpc::Status status = client->Call(rpc, request, response);
  if (!status.ok() || inv.args.Bool("json")) {
    return service_cli::PrintResult(inv, status, *response);
  }
  return std::nullopt;
}

void PrintSignals(std::ostream& out,
                  const google::protobuf::RepeatedPtrField<v1::SignalSummary>& signals) {
  out << "\nSignals\n";
  if (signals.empty()) {
    out << "  none\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"KIND", "SIGNALS", "FIGURE SUM", "AVERAGE", "PREVIOUS", "PREVIOUS SUM"}};
  for (const auto& summary : signals) {
    rows.push_back({cli::EnumText(kSignalKinds, summary.kind()), std::to_string(summary.count()),
                    Number(summary.figure_sum()), Number(summary.figure_average()),
                    std::to_string(summary.previous_count()),
                    Number(summary.previous_figure_sum())});
  }
  cli::PrintTable(out, rows);
}

void PrintRecommendations(
    std::ostream& out,
    const google::protobuf::RepeatedPtrField<v1::Recommendation>& recommendations) {
  if (recommendations.empty()) out << "  none\n";
  for (const auto& recommendation : recommendations) {
    out << "- [" << recommendation.rule() << "] " << recommendation.text() << "\n   ";
    std::map<std::string, std::string> figures(recommendation.figures().begin(),
                                               recommendation.figures().end());
    for (const auto& [name, value] : figures) out << " " << name << "=" << value;
    out << "\n";
  }
}

int RunReport(const Invocation& inv) {
  v1::GetServiceReportRequest request;
  if (!PeriodFlags(inv, request)) return kExitUsage;
  int group_by = v1::REPORT_GROUP_BY_TEAM;
  if (!EnumFlag(inv, "group-by", kGroupBy, &group_by)) return kExitUsage;
  request.set_group_by(static_cast<v1::ReportGroupBy>(group_by));
  if (inv.args.Bool("csv")) {
    v1::ExportServiceReportRequest export_request;
    *export_request.mutable_start_time() = request.start_time();
    *export_request.mutable_end_time() = request.end_time();
    export_request.set_group_by(request.group_by());
    return PrintCsv(inv, export_request, &v1::ReportService::Stub::ExportServiceReport);
  }
  v1::ServiceReport report;
  if (auto done = Fetch(inv, request, &v1::ReportService::Stub::GetServiceReport, &report)) {
    return *done;
  }
  inv.out << "Service report " << TimeUtil::ToString(report.start_time()) << " .. "
          << TimeUtil::ToString(report.end_time()) << ", by "
          << cli::EnumText(kGroupBy, report.group_by()) << "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {cli::EnumText(kGroupBy, report.group_by()), "CASES", "COMPLAINTS", "FIRST RESP SLA",
       "RESOLUTION SLA", "FIRST RESP MED/P90", "RESOLUTION MED/P90", "CSAT 4-5", "NPS",
       "REOPENED"}};
  for (const auto& group : report.groups()) rows.push_back(FigureRow(group.key(), group.figures()));
  rows.push_back(FigureRow("TOTAL", report.totals()));
  cli::PrintTable(inv.out, rows);
  inv.out << "\nTop categories\n";
  std::vector<std::vector<std::string>> categories = {{"CATEGORY", "CASES", "PREVIOUS", "CHANGE"}};
  for (const auto& trend : report.top_categories()) {
    categories.push_back(
        {cli::EnumText(kCategories, trend.category()), std::to_string(trend.case_count()),
         std::to_string(trend.previous_count()),
         trend.previous_count() == 0 ? "new" : Number(trend.change_percent()) + "%"});
  }
  cli::PrintTable(inv.out, categories);
  PrintSignals(inv.out, report.signals());
  inv.out << "\nRecommendations\n";
  PrintRecommendations(inv.out, report.recommendations());
  inv.out.flush();
  return kExitOk;
}

int RunReview(const Invocation& inv) {
  v1::GetAccountServiceReviewRequest request;
  request.set_name(Named("accounts", inv.args.positional()[0]) + "/serviceReview");
  if (!PeriodFlags(inv, request)) return kExitUsage;
  if (inv.args.Bool("csv")) {
    v1::ExportAccountServiceReviewRequest export_request;
    export_request.set_name(request.name());
    *export_request.mutable_start_time() = request.start_time();
    *export_request.mutable_end_time() = request.end_time();
    return PrintCsv(inv, export_request, &v1::ReportService::Stub::ExportAccountServiceReview);
  }
  v1::AccountServiceReview review;
  if (auto done = Fetch(inv, request, &v1::ReportService::Stub::GetAccountServiceReview, &review)) {
    return *done;
  }
  inv.out << "Service review of " << review.account() << ", "
          << TimeUtil::ToString(review.start_time()) << " .. "
          << TimeUtil::ToString(review.end_time()) << "\n\n";
  const std::vector<std::string> header = {"",
                                           "CASES",
                                           "COMPLAINTS",
                                           "FIRST RESP SLA",
                                           "RESOLUTION SLA",
                                           "FIRST RESP MED/P90",
                                           "RESOLUTION MED/P90",
                                           "CSAT 4-5",
                                           "NPS",
                                           "REOPENED"};
  std::vector<std::vector<std::string>> rows = {header};
  rows.push_back(FigureRow("this period", review.figures()));
  rows.push_back(FigureRow("previous period", review.previous_figures()));
  cli::PrintTable(inv.out, rows);
  for (const auto& [title, groups] : {std::pair{"By category", &review.by_category()},
                                      std::pair{"By priority", &review.by_priority()}}) {
    inv.out << "\n" << title << "\n";
    std::vector<std::vector<std::string>> table = {header};
    for (const auto& group : *groups) table.push_back(FigureRow(group.key(), group.figures()));
    cli::PrintTable(inv.out, table);
  }
  inv.out << "\nSatisfaction by month\n";
  std::vector<std::vector<std::string>> trend = {{"MONTH", "CSAT ANSWERS", "CSAT 4-5", "NPS"}};
  for (const auto& point : review.satisfaction_trend()) {
    trend.push_back({point.month(), std::to_string(point.csat_responses()),
                     Percent(point.csat_satisfied_share()),
                     point.nps_responses() == 0 ? "-" : Number(point.nps())});
  }
  cli::PrintTable(inv.out, trend);
  inv.out << "\nRepeated complaints\n";
  if (review.repeated_complaints_size() == 0) inv.out << "  none\n";
  for (const auto& repeated : review.repeated_complaints()) {
    inv.out << "- " << cli::EnumText(kCategories, repeated.category()) << ": "
            << repeated.complaint_count() << " complaints\n";
  }
  PrintSignals(inv.out, review.signals());
  inv.out << "\nWhat we will do\n";
  PrintRecommendations(inv.out, review.recommendations());
  inv.out.flush();
  return kExitOk;
}

}  // namespace

void RegisterQualityCommands(Registry& registry) {
  registry.AddGroup("cases", "Customer-service cases (accord.quality.v1.CaseService).");
  registry.AddGroup("calendars", "Business-hours calendars (accord.quality.v1.SlaService).");
  registry.AddGroup("sla-policies", "SLA policies by tier and priority (SlaService).");
  registry.AddGroup("surveys", "Satisfaction surveys (accord.quality.v1.SurveyService).");
  registry.AddGroup("signals",
                    "Other evidence of satisfaction: returns, audit findings, quality-control "
                    "defects, call reviews, lost customers (SignalService).");
  const FlagSpec etag{"etag", "ETAG", "The etag last read (required)."};
  // `GROUP get NAME`: one resource as JSON.
  auto add_get = [&registry](const char* group, const char* synopsis, const std::string& what,
                             int (*run)(const Invocation&)) {
    registry.Add({.path = {group, "get"},
                  .synopsis = synopsis,
                  .summary = "Show " + what + " as JSON.",
                  .flags = cli::WithRpcFlags({}),
                  .min_positional = 1,
                  .max_positional = 1,
                  .run = run});
  };
  auto list_flags = [] {
    return cli::ListFlags("create_time (default), optionally \" desc\".", "Print aligned columns.");
  };

  registry.Add({
      .path = {"cases", "create"},
      .summary = "Open a case; prints it as JSON.",
      .description = "Priority comes from --impact x --urgency through the configured matrix.",
      .flags = cli::WithRpcFlags({
          {"account", "ACCOUNT", "accounts/ID or ID (required)."},
          {"contact", "CONTACT", "contacts/ID or ID."},
          {"channel", "CHANNEL", cli::Choices(cli::kCommunicationChannels) + "."},
          {"kind", "KIND", cli::Choices(kKinds) + "."},
          {"category", "CATEGORY", cli::Choices(kCategories) + "."},
          {"description", "TEXT", "What happened."},
          {"impact", "LEVEL", cli::Choices(kLevels) + "."},
          {"urgency", "LEVEL", cli::Choices(kLevels) + "."},
          {"tier", "TIER", "The account's tier: " + cli::Choices(kTiers) + "."},
          {"assignee", "SUBJECT", "The agent working it."},
          {"team", "TEAM", "The team working it."},
          {"need", "KIND[:NOTE]", "A special need (" + cli::Choices(kNeeds) + ").", true},
          kRequestId,
      }),
      .run = RunCaseCreate,
  });
  registry.Add({.path = {"cases", "update"},
                .synopsis = "CASE --etag ETAG [FIELD FLAGS]",
                .summary = "Change a case's fields (only those given); prints it as JSON.",
                .description = "Impact or urgency recompute the priority unless a supervisor "
                               "overrode it.",
                .flags = cli::WithRpcFlags({
                    {"contact", "CONTACT", "contacts/ID or ID."},
                    {"channel", "CHANNEL", cli::Choices(cli::kCommunicationChannels) + "."},
                    {"kind", "KIND", cli::Choices(kKinds) + "."},
                    {"category", "CATEGORY", cli::Choices(kCategories) + "."},
                    {"description", "TEXT", "What happened."},
                    {"impact", "LEVEL", cli::Choices(kLevels) + "."},
                    {"urgency", "LEVEL", cli::Choices(kLevels) + "."},
                    {"assignee", "SUBJECT", "The agent working it."},
                    {"team", "TEAM", "The team working it."},
                    {"need", "KIND[:NOTE]",
                     "Replaces the special needs (" + cli::Choices(kNeeds) + ").", true},
                    etag,
                    kRequestId,
                }),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCaseUpdate});
  add_get("cases", "CASE", "a case (with its SLA clock)", RunCaseGet);
  registry.Add({.path = {"cases", "list"},
                .summary = "List cases: JSON lines, or a table.",
                .description = "Filter fields: account, contact, kind, category, status, "
                               "priority, assignee, team,\nescalation_level, create_time, "
                               "update_time; a bare word searches the description.",
                .flags = cli::ListFlags("create_time (default), update_time or priority, "
                                        "optionally \" desc\".",
                                        "Print aligned columns."),
                .run = RunCaseList});
  registry.Add({.path = {"cases", "transition"},
                .synopsis = "CASE --status STATUS --etag ETAG",
                .summary = "Move a case along its status flow.",
                .description = "Statuses: " + cli::Choices(kStatuses) +
                               ". Resolve and escalate have commands of their own.",
                .flags = cli::WithRpcFlags({{"status", "STATUS", "The status to move to."},
                                            {"reason", "TEXT", "Why (goes to the timeline)."},
                                            etag,
                                            kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCaseTransition});
  registry.Add(
      {.path = {"cases", "escalate"},
       .synopsis = "CASE --reason TEXT --etag ETAG",
       .summary = "Escalate a case one level (agent -> supervisor -> manager).",
       .flags = cli::WithRpcFlags({{"reason", "TEXT", "Why (required)."}, etag, kRequestId}),
       .min_positional = 1,
       .max_positional = 1,
       .run = RunCaseEscalate});
  registry.Add({.path = {"cases", "override-priority"},
                .synopsis = "CASE --priority P --reason TEXT --etag ETAG",
                .summary = "Set a case's priority regardless of the matrix (supervisors).",
                .flags = cli::WithRpcFlags({{"priority", "PRIORITY", cli::Choices(kPriorities)},
                                            {"reason", "TEXT", "Why (required)."},
                                            etag,
                                            kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCaseOverride});
  registry.Add({.path = {"cases", "comment"},
                .synopsis = "CASE --text TEXT",
                .summary = "Add a comment to a case's timeline.",
                .flags = cli::WithRpcFlags(
                    {{"text", "TEXT", "The comment (required)."},
                     {"customer-visible", "", "Shown to the customer (counts as a response)."},
                     kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCaseComment});
  registry.Add({.path = {"cases", "resolve"},
                .synopsis = "CASE --summary TEXT --code CODE --etag ETAG",
                .summary = "Resolve a case; a survey request follows.",
                .description = "Compensation above the caller's limit is FAILED_PRECONDITION: "
                               "escalate instead.",
                .flags = cli::WithRpcFlags(
                    {{"summary", "TEXT", "What was done (required)."},
                     {"code", "CODE", cli::Choices(kCodes) + "."},
                     {"compensation", "MONEY", "e.g. \"EUR 120.50\"."},
                     {"compensation-kind", "KIND", cli::Choices(kCompensations) + "."},
                     etag,
                     kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCaseResolve});
  registry.Add({.path = {"cases", "timeline"},
                .synopsis = "CASE",
                .summary = "A case's timeline: JSON lines, or a table.",
                .flags = list_flags(),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCaseTimeline});

  registry.Add({.path = {"calendars", "create"},
                .summary = "Create a business-hours calendar.",
                .flags = cli::WithRpcFlags(
                    {{"display-name", "NAME", "Required."},
                     {"time-zone", "ZONE", "IANA zone, e.g. Europe/Berlin (required)."},
                     {"hours", "DAYS SPAN", "e.g. \"1-5 09:00-17:00\" (1 = Monday).", true},
                     {"holiday", "YYYY-MM-DD", "A day off.", true},
                     kRequestId}),
                .run = RunCalendarCreate});
  registry.Add({.path = {"calendars", "update"},
                .synopsis = "CALENDAR --etag ETAG [FIELD FLAGS]",
                .summary = "Change a calendar (hours and holidays are replaced as a whole).",
                .flags = cli::WithRpcFlags(
                    {{"display-name", "NAME", "A new name."},
                     {"time-zone", "ZONE", "IANA zone, e.g. Europe/Berlin."},
                     {"hours", "DAYS SPAN", "e.g. \"1-5 09:00-17:00\" (1 = Monday).", true},
                     {"holiday", "YYYY-MM-DD", "A day off.", true},
                     {"no-holidays", "", "Remove every holiday."},
                     etag,
                     kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCalendarUpdate});
  add_get("calendars", "CALENDAR", "a calendar", RunCalendarGet);
  registry.Add({.path = {"calendars", "list"},
                .summary = "List calendars.",
                .flags = list_flags(),
                .run = RunCalendarList});
  registry.Add({.path = {"calendars", "delete"},
                .synopsis = "CALENDAR --etag ETAG",
                .summary = "Delete a calendar no live policy uses; prints its final state.",
                .flags = cli::WithRpcFlags({etag, kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunCalendarDelete});
  registry.Add({.path = {"sla-policies", "delete"},
                .synopsis = "POLICY --etag ETAG",
                .summary = "Delete an SLA policy (open cases keep their targets).",
                .flags = cli::WithRpcFlags({etag, kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunPolicyDelete});
  registry.Add({.path = {"sla-policies", "create"},
                .summary = "Create an SLA policy for a tier and priority.",
                .flags = cli::WithRpcFlags(
                    {{"display-name", "NAME", "Required."},
                     {"tier", "TIER", cli::Choices(kTiers) + " (default: any tier)."},
                     {"priority", "PRIORITY", cli::Choices(kPriorities) + " (required)."},
                     {"first-response", "DURATION", "Business time, e.g. 1h (required)."},
                     {"resolution", "DURATION", "Business time, e.g. 16h (required)."},
                     {"calendar", "CALENDAR", "calendars/ID or ID (required)."},
                     {"warning-percent", "N", "Warn at this share of a target (default 80)."},
                     kRequestId}),
                .run = RunPolicyCreate});
  registry.Add(
      {.path = {"sla-policies", "update"},
       .synopsis = "POLICY --etag ETAG [FIELD FLAGS]",
       .summary = "Change an SLA policy's targets, calendar or name.",
       .description = "Cases already open keep the targets they opened with.",
       .flags = cli::WithRpcFlags({{"display-name", "NAME", "A new name."},
                                   {"first-response", "DURATION", "Business time, e.g. 1h."},
                                   {"resolution", "DURATION", "Business time, e.g. 16h."},
                                   {"calendar", "CALENDAR", "calendars/ID or ID."},
                                   {"warning-percent", "N", "Warn at this share of a target."},
                                   etag,
                                   kRequestId}),
       .min_positional = 1,
       .max_positional = 1,
       .run = RunPolicyUpdate});
  add_get("sla-policies", "POLICY", "an SLA policy", RunPolicyGet);
  registry.Add({.path = {"sla-policies", "list"},
                .summary = "List SLA policies.",
                .flags = list_flags(),
                .run = RunPolicyList});
  registry.Add({.path = {"surveys", "create"},
                .summary = "Request a survey of an account (resolving a case does it too).",
                .flags = cli::WithRpcFlags({{"account", "ACCOUNT", "Required."},
                                            {"contact", "CONTACT", "Who to ask."},
                                            {"case", "CASE", "The case it follows."},
                                            kRequestId}),
                .run = RunSurveyCreate});
  add_get("surveys", "SURVEY", "a survey", RunSurveyGet);
  registry.Add({.path = {"surveys", "list"},
                .summary = "List surveys.",
                .description = "Filter fields: account, contact, case, state, csat, nps, effort, "
                               "create_time, answer_time.",
                .flags = list_flags(),
                .run = RunSurveyList});
  registry.Add(
      {.path = {"signals", "create"},
       .summary = "Record a signal; prints it as JSON.",
       .description = "Figures: units returned, findings or defects (more than 0), a "
                      "call review's score (0-100),\na lost customer 1.",
       .flags = cli::WithRpcFlags({{"account", "ACCOUNT", "accounts/ID or ID (required)."},
                                   {"kind", "KIND", cli::Choices(kSignalKinds) + " (required)."},
                                   {"source", "SOURCE", "Where it came from (required)."},
                                   {"figure", "NUMBER", "Its size in the kind's unit (required)."},
                                   {"note", "TEXT", "What happened."},
                                   {"occur-time", "TIME", "When, RFC 3339 (default: now)."},
                                   kRequestId}),
       .run = RunSignalCreate});
  add_get("signals", "SIGNAL", "a signal", RunSignalGet);
  registry.Add({.path = {"signals", "list"},
                .summary = "List signals.",
                .description = "Filter fields: account, kind, source, occur_time, create_time.",
                .flags = list_flags(),
                .run = RunSignalList});
  registry.Add({.path = {"surveys", "answer"},
                .synopsis = "SURVEY",
                .summary = "Record a survey's answer (once).",
                .flags = cli::WithRpcFlags({{"csat", "1-5", "Satisfaction."},
                                            {"nps", "0-10", "Likelihood to recommend."},
                                            {"effort", "1-7", "Effort it took."},
                                            {"comment", "TEXT", "In the customer's words."},
                                            kRequestId}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunSurveyAnswer});
  registry.Add(
      {.path = {"report"},
       .summary = "Service report with recommendations, as tables.",
       .flags = cli::WithRpcFlags({{"start", "TIME", "Period start, RFC 3339 (required)."},
                                   {"end", "TIME", "Period end, RFC 3339 (required)."},
                                   {"group-by", "BY", cli::Choices(kGroupBy) + " (default team)."},
                                   {"json", "", "Print the report as JSON instead."},
                                   {"csv", "", "Print the CSV export instead."}}),
       .run = RunReport});
  registry.Add({.path = {"review"},
                .synopsis = "ACCOUNT",
                .summary = "An account's service review, worded for the customer, as tables.",
                .flags = cli::WithRpcFlags({{"start", "TIME", "Period start, RFC 3339 (required)."},
                                            {"end", "TIME", "Period end, RFC 3339 (required)."},
                                            {"json", "", "Print the review as JSON instead."},
                                            {"csv", "", "Print the CSV export instead."}}),
                .min_positional = 1,
                .max_positional = 1,
                .run = RunReview});
  registry.Add(
      {.path = {"cases", "confirm"},
       .synopsis = "CASE --etag ETAG",
       .summary = "The customer confirmed the resolution: close the case.",
       .flags = cli::WithRpcFlags({{"note", "TEXT", "What the customer said."}, etag, kRequestId}),
       .min_positional = 1,
       .max_positional = 1,
       .run = RunCaseConfirm});
}

}  // namespace accord::accordctl
