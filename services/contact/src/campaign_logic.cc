#include "campaign_logic.h"

#include <google/protobuf/util/time_util.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/time/clock.h"
#include "accord/common/errors.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/money.h"
#include "accord/common/paging.h"
#include "contact_fields.h"
#include "engagement_logic.h"

namespace accord::contact {
namespace {

using common::Role;
using google::protobuf::util::TimeUtil;

constexpr int64_t kDayMicros = 86400LL * 1000000;

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

bool IsPlausibleTime(const google::protobuf::Timestamp& t) {
  return t.seconds() >= 0 && t.seconds() < 253402300800LL && t.nanos() >= 0 &&
         t.nanos() < 1000000000;
}

bool IsLabel(const std::string& label) {
  if (label.empty() || label.size() > 64) return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
           c == '.';
  });
}

struct Running {
  int64_t calls = 0, conversations = 0, sales = 0;
  common::Int128 revenue = 0;
};

absl::StatusOr<v1::CampaignFigures> FiguresOf(const Running& running, const std::string& currency) {
  v1::CampaignFigures figures;
  figures.set_calls(running.calls);
  figures.set_conversations(running.conversations);
  figures.set_sales(running.sales);
  if (!currency.empty()) {
    ACCORD_ASSIGN_OR_RETURN(*figures.mutable_revenue(),
                            common::FromNanos(currency, running.revenue));
  }
  figures.set_reach_rate(running.calls == 0 ? 0.0
                                            : static_cast<double>(running.conversations) /
                                                  static_cast<double>(running.calls));
  figures.set_conversion_rate(running.conversations == 0
                                  ? 0.0
                                  : static_cast<double>(running.sales) /
                                        static_cast<double>(running.conversations));
  return figures;
}

double Share(double reached, double target) { return target <= 0 ? 0.0 : reached / target; }

}  // namespace

std::string CampaignName(std::string_view id) { return "campaigns/" + std::string(id); }

void ApplyCampaignDefaults(Campaign& campaign) {
  if (campaign.status() == v1::CAMPAIGN_STATUS_UNSPECIFIED) {
    campaign.set_status(v1::CAMPAIGN_STATUS_DRAFT);
  }
  if (!campaign.has_calling_hours()) {
    campaign.mutable_calling_hours()->set_start_minute(9 * 60);
    campaign.mutable_calling_hours()->set_end_minute(18 * 60);
  }
  if (campaign.cool_off_days() == 0) campaign.set_cool_off_days(7);
  if (campaign.lease_seconds() == 0) campaign.set_lease_seconds(600);
}

void ValidateCampaign(const Campaign& campaign, const std::string& prefix,
                      common::Violations& violations) {
  if (IsBlank(campaign.display_name())) violations.Add(prefix + "display_name", "required");
  if (CodePoints(campaign.display_name()) > 200) {
    violations.Add(prefix + "display_name", "at most 200 characters");
  }
  if (CodePoints(campaign.call_guide()) > 20000) {
    violations.Add(prefix + "call_guide", "at most 20000 characters");
  }
  if (!campaign.has_start_time() || !IsPlausibleTime(campaign.start_time())) {
    violations.Add(prefix + "start_time", "required, between 1970 and 9999");
  }
  if (!campaign.has_end_time() || !IsPlausibleTime(campaign.end_time())) {
    violations.Add(prefix + "end_time", "required, between 1970 and 9999");
  } else if (campaign.has_start_time() &&
             TimeUtil::TimestampToMicroseconds(campaign.end_time()) <=
                 TimeUtil::TimestampToMicroseconds(campaign.start_time())) {
    violations.Add(prefix + "end_time", "must be after start_time");
  }
  const auto& hours = campaign.calling_hours();
  if (hours.start_minute() < 0 || hours.start_minute() >= 1440 || hours.end_minute() <= 0 ||
      hours.end_minute() > 1440 || hours.end_minute() <= hours.start_minute()) {
    violations.Add(prefix + "calling_hours",
                   "start_minute 0-1439 before end_minute 1-1440 (local minutes after midnight)");
  }
  if (campaign.cool_off_days() < 0 || campaign.cool_off_days() > 365) {
    violations.Add(prefix + "cool_off_days", "between 0 and 365");
  }
  if (campaign.lease_seconds() < 30 || campaign.lease_seconds() > 3600) {
    violations.Add(prefix + "lease_seconds", "between 30 and 3600");
  }
  if (campaign.labels_size() > 20) violations.Add(prefix + "labels", "at most 20");
  for (int i = 0; i < campaign.labels_size(); ++i) {
    if (!IsLabel(campaign.labels(i))) {
      violations.Add(prefix + "labels[" + std::to_string(i) + "]",
                     "lower case [a-z0-9-_:.], 1 to 64 characters");
    }
  }
  if (campaign.products_size() > 50) violations.Add(prefix + "products", "at most 50");
  for (int i = 0; i < campaign.products_size(); ++i) {
    if (IsBlank(campaign.products(i)) || CodePoints(campaign.products(i)) > 200) {
      violations.Add(prefix + "products[" + std::to_string(i) + "]", "1 to 200 characters");
    }
  }
  const auto& targets = campaign.targets();
  if (targets.calls() < 0) violations.Add(prefix + "targets.calls", "must not be negative");
  if (targets.conversations() < 0) {
    violations.Add(prefix + "targets.conversations", "must not be negative");
  }
  if (targets.sales() < 0) violations.Add(prefix + "targets.sales", "must not be negative");
  if (targets.has_revenue()) {
    MergeViolations(common::ValidateMoney(targets.revenue(), prefix + "targets.revenue"),
                    violations);
    if (common::ToNanos(targets.revenue()) < 0) {
      violations.Add(prefix + "targets.revenue", "must not be negative");
    }
  }
  if (!v1::CampaignStatus_IsValid(campaign.status())) {
    violations.Add(prefix + "status", "unknown status " + std::to_string(campaign.status()));
  }
}

absl::Status CheckCampaignTransition(const Campaign& current, v1::CampaignStatus next) {
  const auto from = current.status();
  const bool allowed =
      from == next || (from == v1::CAMPAIGN_STATUS_DRAFT && next == v1::CAMPAIGN_STATUS_ACTIVE) ||
      (from == v1::CAMPAIGN_STATUS_ACTIVE && next == v1::CAMPAIGN_STATUS_PAUSED) ||
      (from == v1::CAMPAIGN_STATUS_PAUSED && next == v1::CAMPAIGN_STATUS_ACTIVE) ||
      ((from == v1::CAMPAIGN_STATUS_ACTIVE || from == v1::CAMPAIGN_STATUS_PAUSED) &&
       next == v1::CAMPAIGN_STATUS_FINISHED);
  if (allowed) return absl::OkStatus();
  return common::FailedPrecondition("CAMPAIGN_STATUS", current.name() + " cannot go from " +
                                                           v1::CampaignStatus_Name(from) + " to " +
                                                           v1::CampaignStatus_Name(next));
}

int LocalMinuteOfDay(std::string_view time_zone, int64_t now_micros) {
  int64_t offset_ms = 0;
  if (!time_zone.empty()) {
    std::unique_ptr<icu::TimeZone> zone(
        icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(std::string(time_zone))));
    int32_t raw = 0, dst = 0;
    UErrorCode error = U_ZERO_ERROR;
    zone->getOffset(static_cast<UDate>(now_micros / 1000), false, raw, dst, error);
    if (U_SUCCESS(error)) offset_ms = static_cast<int64_t>(raw) + dst;
  }
  const int64_t local_minutes = (now_micros / 1000 + offset_ms) / 60000;
  return static_cast<int>(((local_minutes % 1440) + 1440) % 1440);
}

Exclusion ExcludedBy(const CallCandidate& candidate, const Campaign& campaign, int64_t now_micros) {
  if (candidate.do_not_call) return Exclusion::kDoNotCall;
  if (candidate.status == v1::CONTACT_STATUS_LEFT_ORGANIZATION) {
    return Exclusion::kLeftOrganization;
  }
  if (!candidate.has_phone || candidate.phone_unverified) return Exclusion::kNoValidPhone;
  if (candidate.phone_marketing != v1::CONSENT_DECISION_GRANTED) return Exclusion::kNoConsent;
  if (candidate.last_outbound_call_micros &&
      *candidate.last_outbound_call_micros > now_micros - campaign.cool_off_days() * kDayMicros) {
    return Exclusion::kCoolOff;
  }
  const int minute = LocalMinuteOfDay(candidate.time_zone, now_micros);
  if (minute < campaign.calling_hours().start_minute() ||
      minute >= campaign.calling_hours().end_minute()) {
    return Exclusion::kOutsideCallingHours;
  }
  return Exclusion::kNone;
}

CallListRules CallListRulesFor(const Campaign& campaign, const std::vector<std::string>& zones,
                               int64_t now_micros) {
  CallListRules rules;
  rules.labels.assign(campaign.labels().begin(), campaign.labels().end());
  rules.called_after_micros = now_micros - campaign.cool_off_days() * kDayMicros;
  for (const auto& zone : zones) {
    const int minute = LocalMinuteOfDay(zone, now_micros);
    if (minute >= campaign.calling_hours().start_minute() &&
        minute < campaign.calling_hours().end_minute()) {
      rules.zones_in_hours.push_back(zone);
    }
  }
  return rules;
}

HandOut HandOutNow(const CallCandidate& candidate, const Campaign& campaign, int64_t now_micros) {
  if (candidate.do_not_call || !candidate.has_phone || candidate.phone_unverified ||
      candidate.status == v1::CONTACT_STATUS_LEFT_ORGANIZATION ||
      candidate.phone_marketing != v1::CONSENT_DECISION_GRANTED) {
    return HandOut::kDrop;
  }
  const int minute = LocalMinuteOfDay(candidate.time_zone, now_micros);
  if (minute < campaign.calling_hours().start_minute() ||
      minute >= campaign.calling_hours().end_minute()) {
    return HandOut::kLater;
  }
  return HandOut::kCall;
}

bool BackOnList(v1::InteractionOutcome outcome) {
  return outcome == v1::INTERACTION_OUTCOME_NO_ANSWER ||
         outcome == v1::INTERACTION_OUTCOME_CALL_BACK;
}

absl::StatusOr<v1::CampaignStatistics> StatisticsOf(const Campaign& campaign,
                                                    const CampaignTallies& tallies) {
  // The currency revenue is counted in.
  std::string currency = campaign.targets().revenue().currency_code();
  if (currency.empty()) {
    std::map<std::string, int64_t> purchases;
    for (const auto& tally : tallies.revenue) {
      purchases[tally.total.currency_code()] += tally.purchases;
    }
    int64_t most = 0;
    for (const auto& [code, count] : purchases) {
      if (count > most) currency = code, most = count;
    }
  }
  Running total;
  std::map<std::string, Running> agents;
  std::map<std::string, Running> days;
  for (const auto& tally : tallies.calls) {
    for (Running* running : {&total, &agents[tally.agent], &days[tally.day]}) {
      running->calls += tally.calls;
      running->conversations += tally.conversations;
      running->sales += tally.sales;
    }
  }
  v1::CampaignStatistics statistics;
  for (const auto& tally : tallies.revenue) {
    if (tally.total.currency_code() != currency) {
      statistics.set_sales_in_other_currencies(statistics.sales_in_other_currencies() +
                                               tally.purchases);
      continue;
    }
    const common::Int128 nanos = common::ToNanos(tally.total);
    for (Running* running : {&total, &agents[tally.agent], &days[tally.day]}) {
      running->revenue += nanos;
    }
  }
  statistics.set_name(campaign.name() + "/statistics");
  *statistics.mutable_targets() = campaign.targets();
  ACCORD_ASSIGN_OR_RETURN(*statistics.mutable_total(), FiguresOf(total, currency));
  for (const auto& [agent, running] : agents) {
    auto* item = statistics.add_agents();
    item->set_agent(agent);
    ACCORD_ASSIGN_OR_RETURN(*item->mutable_figures(), FiguresOf(running, currency));
  }
  for (const auto& [day, running] : days) {  // "YYYY-MM-DD" sorts by date
    auto* item = statistics.add_days();
    *item->mutable_day() = DateFromText(day);
    ACCORD_ASSIGN_OR_RETURN(*item->mutable_figures(), FiguresOf(running, currency));
  }
  const auto& targets = campaign.targets();
  auto* attainment = statistics.mutable_attainment();
  attainment->set_calls(Share(static_cast<double>(total.calls), targets.calls()));
  attainment->set_conversations(
      Share(static_cast<double>(total.conversations), targets.conversations()));
  attainment->set_sales(Share(static_cast<double>(total.sales), targets.sales()));
  if (targets.has_revenue()) {
    attainment->set_revenue(Share(static_cast<double>(total.revenue),
                                  static_cast<double>(common::ToNanos(targets.revenue()))));
  }
  return statistics;
}

absl::Status CheckCampaignManage(const common::Principal& caller) {
  if (caller.HasAny({Role::kAdmin, Role::kAccountManager})) return absl::OkStatus();
  return common::PermissionDenied("NOT_ALLOWED",
                                  caller.subject + " may not create or change campaigns");
}

absl::Status CheckCampaignWork(const common::Principal& caller) {
  if (caller.HasAny({Role::kAdmin, Role::kAccountManager, Role::kSalesAssistant})) {
    return absl::OkStatus();
  }
  return common::PermissionDenied("NOT_ALLOWED", caller.subject + " may not work call lists");
}

CampaignLogic::CampaignLogic(CampaignRepository& repository, ContactRepository& contacts,
                             AccessLog& log, const common::PageTokenCodec& page_tokens)
    : repository_(repository), contacts_(contacts), log_(log), page_tokens_(page_tokens) {}

absl::StatusOr<Campaign> CampaignLogic::Create(const Caller& caller,
                                               const v1::CreateCampaignRequest& request,
                                               WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignManage(caller.principal));
  Campaign campaign = request.campaign();
  ApplyCampaignDefaults(campaign);
  common::Violations violations;
  ValidateCampaign(campaign, "campaign.", violations);
  if (campaign.status() != v1::CAMPAIGN_STATUS_DRAFT &&
      campaign.status() != v1::CAMPAIGN_STATUS_ACTIVE) {
    violations.Add("campaign.status", "a new campaign is DRAFT or ACTIVE");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  campaign.set_name(CampaignName(common::NewUuidV7()));
  return repository_.Create(campaign, meta);
}

absl::StatusOr<Campaign> CampaignLogic::Get(const Caller& caller,
                                            const v1::GetCampaignRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignWork(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseCampaignName(request.name(), "name"));
  return repository_.Get(id);
}

absl::StatusOr<v1::ListCampaignsResponse> CampaignLogic::List(
    const Caller& caller, const v1::ListCampaignsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignWork(caller.principal));
  if (request.page_size() < 0) return common::InvalidArgument("page_size", "must not be negative");
  // Newest first unless asked otherwise: campaigns are mostly looked up while they run.
  const std::string order_by = request.order_by().empty() ? "create_time desc" : request.order_by();
  ACCORD_ASSIGN_OR_RETURN(OrderBy order, ParseOrderBy(order_by, {"create_time", "update_time"}));
  ACCORD_ASSIGN_OR_RETURN(common::filter::SqlFilter compiled,
                          common::filter::Compile(request.filter(), repository_.FilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(
      common::PageStart start,
      common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                        "campaigns\n" + request.filter() + "\n" + order.canonical));
  CampaignListQuery query;
  query.limit = start.limit;
  query.after = start.after;
  query.by_update_time = order.field == "update_time";
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(CampaignPage page, repository_.List(query));
  const size_t fetched = page.campaigns.size();
  page.campaigns.resize(common::RowsToReturn(start, fetched));
  v1::ListCampaignsResponse response;
  for (auto& campaign : page.campaigns) *response.add_campaigns() = std::move(campaign);
  response.set_next_page_token(common::NextPageToken(page_tokens_, start, fetched, page.keys));
  return response;
}

absl::StatusOr<v1::CampaignStatistics> CampaignLogic::Statistics(
    const Caller& caller, const v1::GetCampaignStatisticsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignWork(caller.principal));
  constexpr std::string_view kSuffix = "/statistics";
  const std::string& name = request.name();
  if (name.size() <= kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return common::InvalidArgument("name", "must be campaigns/{id}/statistics");
  }
  ACCORD_ASSIGN_OR_RETURN(std::string id,
                          ParseCampaignName(name.substr(0, name.size() - kSuffix.size()), "name"));
  ACCORD_ASSIGN_OR_RETURN(CampaignTallies tallies, repository_.Tallies(id));
  ACCORD_ASSIGN_OR_RETURN(Campaign campaign, repository_.Get(id));
  return StatisticsOf(campaign, tallies);
}

absl::StatusOr<Campaign> CampaignLogic::Update(const Caller& caller,
                                               const v1::UpdateCampaignRequest& request,
                                               WriteMeta meta) {
  static const std::vector<std::string> kUpdatable = {
      "display_name",  "call_guide", "start_time", "end_time", "calling_hours",
      "cool_off_days", "labels",     "products",   "targets",  "status"};
  ACCORD_RETURN_IF_ERROR(CheckCampaignManage(caller.principal));
  common::Violations violations;
  auto id = ParseCampaignName(request.campaign().name(), "campaign.name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) violations.Add("etag", "required");
  if (request.update_mask().paths_size() == 0) {
    violations.Add("update_mask", "required: name the fields to change");
  }
  for (const auto& path : request.update_mask().paths()) {
    if (std::find(kUpdatable.begin(), kUpdatable.end(), path) == kUpdatable.end()) {
      violations.Add("update_mask", "`" + path + "` cannot be updated");
    }
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.Update(
      *id,
      [&](const Campaign& locked) -> absl::StatusOr<Campaign> {
        if (request.etag() != locked.etag()) return common::EtagMismatch(locked.name());
        if (locked.status() == v1::CAMPAIGN_STATUS_FINISHED) {
          return common::FailedPrecondition("CAMPAIGN_FINISHED", locked.name() + " is finished");
        }
        Campaign next = locked;
        const Campaign& patch = request.campaign();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(patch.display_name());
          if (path == "call_guide") next.set_call_guide(patch.call_guide());
          if (path == "start_time") *next.mutable_start_time() = patch.start_time();
          if (path == "end_time") *next.mutable_end_time() = patch.end_time();
          if (path == "calling_hours") *next.mutable_calling_hours() = patch.calling_hours();
          if (path == "cool_off_days") next.set_cool_off_days(patch.cool_off_days());
          if (path == "labels") *next.mutable_labels() = patch.labels();
          if (path == "products") *next.mutable_products() = patch.products();
          if (path == "targets") *next.mutable_targets() = patch.targets();
          if (path == "status") next.set_status(patch.status());
        }
        common::Violations field_violations;
        ValidateCampaign(next, "campaign.", field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        ACCORD_RETURN_IF_ERROR(CheckCampaignTransition(locked, next.status()));
        return next;
      },
      meta);
}

absl::StatusOr<v1::BuildCallListResponse> CampaignLogic::BuildCallList(
    const Caller& caller, const v1::BuildCallListRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignManage(caller.principal));
  common::Violations violations;
  auto id = ParseCampaignName(request.campaign(), "campaign");
  MergeViolations(id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(Campaign campaign, repository_.Get(*id));
  if (campaign.status() == v1::CAMPAIGN_STATUS_FINISHED) {
    return common::FailedPrecondition("CAMPAIGN_FINISHED", campaign.name() + " is finished");
  }
  const std::vector<std::string> labels(campaign.labels().begin(), campaign.labels().end());
  ACCORD_ASSIGN_OR_RETURN(const std::vector<std::string> zones,
                          repository_.CandidateTimeZones(labels));
  return repository_.BuildCallList(*id, CallListRulesFor(campaign, zones, NowMicros()), meta);
}

absl::StatusOr<v1::CallAssignment> CampaignLogic::NextCall(const Caller& caller,
                                                           const v1::NextCallRequest& request,
                                                           WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignWork(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseCampaignName(request.campaign(), "campaign"));
  ACCORD_ASSIGN_OR_RETURN(Campaign campaign, repository_.Get(id));
  if (campaign.status() != v1::CAMPAIGN_STATUS_ACTIVE) {
    return common::FailedPrecondition(
        "CAMPAIGN_NOT_ACTIVE",
        campaign.name() + " is " + v1::CampaignStatus_Name(campaign.status()));
  }
  const int64_t now = NowMicros();
  ACCORD_ASSIGN_OR_RETURN(auto lease, repository_.NextCall(
                                          id, caller, campaign.lease_seconds(),
                                          [&](const CallCandidate& candidate) {
                                            return HandOutNow(candidate, campaign, now);
                                          },
                                          meta));
  if (!lease) {
    // While the list is being built, what it holds so far is handed out; once that is worked
    // through the agent is told to come back, not that the campaign is done.
    if (campaign.call_list_build().state() == v1::CALL_LIST_BUILD_STATE_BUILDING) {
      return common::WithReason(
          absl::FailedPreconditionError(
              campaign.name() + " has nobody to call yet: its call list is being built (" +
              std::to_string(campaign.call_list_build().contacts_judged()) +
              " contacts judged so far); call again shortly"),
          "CALL_LIST_BUILDING",
          {{"contacts_judged", std::to_string(campaign.call_list_build().contacts_judged())}});
    }
    return common::WithReason(absl::NotFoundError(campaign.name() + " has nobody left to call"),
                              "CALL_LIST_EMPTY");
  }
  v1::CallAssignment assignment;
  assignment.set_campaign(campaign.name());
  assignment.set_contact(ContactName(lease->contact_id));
  assignment.set_call_guide(campaign.call_guide());
  *assignment.mutable_lease_expire_time() =
      TimeUtil::MicrosecondsToTimestamp(lease->lease_until_micros);
  // The agent sees the phones of the contact handed to it; that read is logged like any other.
  // The hand-out read and logged them in its transaction; a retry answered from the kept
  // response did neither, so it reads the contact and logs the read here.
  if (lease->phones) {
    for (const auto& phone : *lease->phones) assignment.add_phones(phone);
  } else {
    ACCORD_ASSIGN_OR_RETURN(ContactRecord record, contacts_.Get(lease->contact_id));
    for (const auto& phone : record.contact.phones()) assignment.add_phones(phone.number());
    if (assignment.phones_size() > 0) {
      ACCORD_RETURN_IF_ERROR(log_.Append(caller, {AccessRecord{lease->contact_id, {"phones"}}}));
    }
  }
  return assignment;
}

absl::StatusOr<Interaction> CampaignLogic::RecordCallOutcome(
    const Caller& caller, const v1::RecordCallOutcomeRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckCampaignWork(caller.principal));
  common::Violations violations;
  auto id = ParseCampaignName(request.campaign(), "campaign");
  MergeViolations(id.status(), violations);
  auto contact_id = ParseContactName(request.contact(), "contact");
  MergeViolations(contact_id.status(), violations);
  if (request.outcome() == 0 || !v1::InteractionOutcome_IsValid(request.outcome())) {
    violations.Add("outcome", "required: one of the InteractionOutcome values");
  }
  Interaction interaction;
  interaction.set_channel(v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
  interaction.set_outcome(request.outcome());
  interaction.set_duration_seconds(request.duration_seconds());
  interaction.set_summary(request.summary());
  interaction.set_owner(caller.principal.subject);
  if (id.ok()) interaction.set_campaign(CampaignName(*id));
  ValidateInteraction(interaction, NowMicros(), "", violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  *interaction.mutable_interaction_time() = TimeUtil::MicrosecondsToTimestamp(NowMicros());
  interaction.set_name(ChildName(*contact_id, "interactions", common::NewUuidV7()));
  const InteractionEffects effects =
      EffectsOf(interaction, interaction.name(), interaction.interaction_time());
  return repository_.RecordOutcome(*id, *contact_id, caller.principal.subject, interaction, effects,
                                   BackOnList(request.outcome()), meta);
}

}  // namespace accord::contact
