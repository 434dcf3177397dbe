// `accordctl consents ...`, `interactions ...`, `follow-ups ...`, `appointments ...` and
// `campaigns ...`: the contact service's ContactEngagementService, AppointmentService and
// CampaignService (accord.contact.v1). Registered from contacts.cc.
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <limits>
#include <ostream>

#include "accord/contact/v1/appointment.grpc.pb.h"
#include "accord/contact/v1/campaign.grpc.pb.h"
#include "accord/contact/v1/engagement.grpc.pb.h"
#include "commands.h"
#include "pricing_cli.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::contact::v1;
using cli::EnumName;
using google::protobuf::util::TimeUtil;

constexpr EnumName kConsentChannels[] = {
    {"phone", v1::CONSENT_CHANNEL_PHONE},
    {"email", v1::CONSENT_CHANNEL_EMAIL},
    {"sms", v1::CONSENT_CHANNEL_SMS},
    {"letter", v1::CONSENT_CHANNEL_LETTER},
};
constexpr EnumName kPurposes[] = {
    {"marketing", v1::CONSENT_PURPOSE_MARKETING},
    {"service", v1::CONSENT_PURPOSE_SERVICE},
};
constexpr EnumName kDecisions[] = {
    {"granted", v1::CONSENT_DECISION_GRANTED},
    {"withdrawn", v1::CONSENT_DECISION_WITHDRAWN},
};
constexpr EnumName kInteractionChannels[] = {
    {"outbound-call", v1::INTERACTION_CHANNEL_OUTBOUND_CALL},
    {"inbound-call", v1::INTERACTION_CHANNEL_INBOUND_CALL},
    {"email", v1::INTERACTION_CHANNEL_EMAIL},
    {"meeting", v1::INTERACTION_CHANNEL_MEETING},
    {"visit", v1::INTERACTION_CHANNEL_VISIT},
    {"video", v1::INTERACTION_CHANNEL_VIDEO},
    {"chat", v1::INTERACTION_CHANNEL_CHAT},
    {"letter", v1::INTERACTION_CHANNEL_LETTER},
};
constexpr EnumName kOutcomes[] = {
    {"no-answer", v1::INTERACTION_OUTCOME_NO_ANSWER},
    {"call-back", v1::INTERACTION_OUTCOME_CALL_BACK},
    {"interested", v1::INTERACTION_OUTCOME_INTERESTED},
    {"not-interested", v1::INTERACTION_OUTCOME_NOT_INTERESTED},
    {"sale", v1::INTERACTION_OUTCOME_SALE},
    {"complaint", v1::INTERACTION_OUTCOME_COMPLAINT},
    {"do-not-call-requested", v1::INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED},
    {"wrong-number", v1::INTERACTION_OUTCOME_WRONG_NUMBER},
};
constexpr EnumName kFollowUpStatuses[] = {
    {"open", v1::FOLLOW_UP_STATUS_OPEN},
    {"done", v1::FOLLOW_UP_STATUS_DONE},
    {"cancelled", v1::FOLLOW_UP_STATUS_CANCELLED},
};
constexpr EnumName kCampaignStatuses[] = {
    {"draft", v1::CAMPAIGN_STATUS_DRAFT},
    {"active", v1::CAMPAIGN_STATUS_ACTIVE},
    {"paused", v1::CAMPAIGN_STATUS_PAUSED},
    {"finished", v1::CAMPAIGN_STATUS_FINISHED},
};
constexpr EnumName kAppointmentStatuses[] = {
    {"scheduled", v1::APPOINTMENT_STATUS_SCHEDULED},
    {"confirmed", v1::APPOINTMENT_STATUS_CONFIRMED},
    {"cancelled", v1::APPOINTMENT_STATUS_CANCELLED},
    {"completed", v1::APPOINTMENT_STATUS_COMPLETED},
};

const FlagSpec kRequestId{"request-id", "UUID",
                          "Idempotency key: a retry with the same id changes nothing twice."};
const FlagSpec kEtag{"etag", "ETAG", "The etag last read (required)."};

struct Clients {
  CallOptions call;
  std::unique_ptr<v1::ContactEngagementService::Stub> engagement;
  std::unique_ptr<v1::AppointmentService::Stub> appointments;
  std::unique_ptr<v1::CampaignService::Stub> campaigns;
};

std::optional<Clients> Connect(const Invocation& inv) {
  auto call = CallOptionsFor(inv, *FindService("contact"));
  if (!call) return std::nullopt;
  Clients clients{std::move(*call), nullptr, nullptr, nullptr};
  auto channel = clients.call.NewChannel();
  clients.engagement = v1::ContactEngagementService::NewStub(channel);
  clients.appointments = v1::AppointmentService::NewStub(channel);
  clients.campaigns = v1::CampaignService::NewStub(channel);
  return clients;
}

// "contacts/ID" or a bare "ID"; "-" for every contact when `any` allows it.
std::optional<std::string> ContactArg(const std::string& text, bool any = false) {
  if (text == "-" || text == "contacts/-") {
    return any ? std::optional<std::string>("contacts/-") : std::nullopt;
  }
  std::string id = text.rfind("contacts/", 0) == 0 ? text.substr(9) : text;
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  return "contacts/" + id;
}

// Runs one RPC and prints its response as JSON.
template <typename Response, typename Call>
int CallAndPrint(const Invocation& inv, Call call) {
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  Response response;
  auto context = clients->call.NewContext();
  auto status = call(*clients, context.get(), &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << ToJson(response, /*pretty=*/true) << "\n";
  return kExitOk;
}

// An enum flag into `out`; false after a usage error. Absent is fine unless `required`.
template <size_t N>
bool EnumArg(const Invocation& inv, const char* flag, const EnumName (&names)[N], int* out,
             bool required) {
  auto value = inv.args.Get(flag);
  if (!value) {
    if (required)
      inv.UsageError(std::string("--") + flag + " is required (" + cli::Choices(names) + ")");
    return !required;
  }
  auto parsed = cli::ParseEnum(names, *value);
  if (!parsed) {
    inv.UsageError(std::string("bad --") + flag + " '" + *value + "' (" + cli::Choices(names) +
                   ")");
    return false;
  }
  *out = *parsed;
  return true;
}

// An RFC 3339 time flag; false after a usage error.
bool TimeArg(const Invocation& inv, const char* flag, google::protobuf::Timestamp* out,
             bool* present = nullptr) {
  auto value = inv.args.Get(flag);
  if (present != nullptr) *present = value.has_value();
  if (!value) return true;
  if (!TimeUtil::FromString(*value, out)) {
    inv.UsageError(std::string("bad --") + flag + " '" + *value +
                   "' (RFC 3339, e.g. 2024-05-01T09:00:00Z)");
    return false;
  }
  return true;
}

bool PageArgs(const Invocation& inv, int32_t* page_size, std::string* page_token) {
  *page_token = inv.args.GetOr("page-token", "");
  if (auto text = inv.args.Get("page-size")) {
    auto size = ParseInt(*text, 0, std::numeric_limits<int32_t>::max());
    if (!size) {
      inv.UsageError("bad --page-size '" + *text + "'");
      return false;
    }
    *page_size = static_cast<int32_t>(*size);
  }
  return true;
}

std::vector<FlagSpec> PageFlags(bool filter) {
  std::vector<FlagSpec> flags = {
      {"page-size", "N", "Items per page (server default 50, at most 1000)."},
      {"page-token", "T", "Continue from a previous page."}};
  if (filter) flags.push_back({"filter", "F", "Filter expression (see README \"Filtering\")."});
  return cli::WithRpcFlags(std::move(flags));
}

int RunConsentRecord(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  v1::RecordConsentRequest request;
  request.set_parent(*contact);
  auto* consent = request.mutable_consent();
  int channel = 0, purpose = 0, decision = 0;
  if (!EnumArg(inv, "channel", kConsentChannels, &channel, true) ||
      !EnumArg(inv, "purpose", kPurposes, &purpose, true) ||
      !EnumArg(inv, "decision", kDecisions, &decision, true)) {
    return kExitUsage;
  }
  consent->set_channel(static_cast<v1::ConsentChannel>(channel));
  consent->set_purpose(static_cast<v1::ConsentPurpose>(purpose));
  consent->set_decision(static_cast<v1::ConsentDecision>(decision));
  consent->set_source(inv.args.GetOr("source", ""));
  bool has_time = false;
  google::protobuf::Timestamp time;
  if (!TimeArg(inv, "time", &time, &has_time)) return kExitUsage;
  if (has_time) *consent->mutable_decision_time() = time;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::ConsentRecord>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->RecordConsent(context, request, response);
  });
}

int RunConsentList(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  v1::ListConsentsRequest request;
  request.set_parent(*contact);
  int32_t size = 0;
  if (!PageArgs(inv, &size, request.mutable_page_token())) return kExitUsage;
  request.set_page_size(size);
  return CallAndPrint<v1::ListConsentsResponse>(
      inv, [&](Clients& c, auto* context, auto* response) {
        return c.engagement->ListConsents(context, request, response);
      });
}

int RunConsentState(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  v1::GetConsentStateRequest request;
  request.set_contact(*contact);
  return CallAndPrint<v1::ConsentState>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->GetConsentState(context, request, response);
  });
}

int RunConsentFlags(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from consents state)");
  v1::UpdateContactFlagsRequest request;
  request.set_contact(*contact);
  request.set_etag(*etag);
  for (const char* flag : {"do-not-call", "do-not-email"}) {
    if (auto value = inv.args.Get(flag)) {
      if (*value != "true" && *value != "false") {
        return inv.UsageError(std::string("bad --") + flag + " (true|false)");
      }
      if (std::string(flag) == "do-not-call") request.set_do_not_call(*value == "true");
      if (std::string(flag) == "do-not-email") request.set_do_not_email(*value == "true");
    }
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::ConsentState>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->UpdateContactFlags(context, request, response);
  });
}

int RunInteractionLog(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  v1::CreateInteractionRequest request;
  request.set_parent(*contact);
  auto* interaction = request.mutable_interaction();
  int channel = 0, outcome = 0;
  if (!EnumArg(inv, "channel", kInteractionChannels, &channel, true) ||
      !EnumArg(inv, "outcome", kOutcomes, &outcome, false)) {
    return kExitUsage;
  }
  interaction->set_channel(static_cast<v1::InteractionChannel>(channel));
  interaction->set_outcome(static_cast<v1::InteractionOutcome>(outcome));
  interaction->set_subject(inv.args.GetOr("subject", ""));
  interaction->set_summary(inv.args.GetOr("summary", ""));
  interaction->set_campaign(inv.args.GetOr("campaign", ""));
  interaction->set_account(inv.args.GetOr("account", ""));
  interaction->set_owner(inv.args.GetOr("owner", ""));
  if (auto text = inv.args.Get("duration")) {
    auto seconds = ParseInt(*text, 0, 86400);
    if (!seconds) return inv.UsageError("bad --duration (seconds, 0-86400)");
    interaction->set_duration_seconds(static_cast<int32_t>(*seconds));
  }
  bool has_time = false;
  google::protobuf::Timestamp time;
  if (!TimeArg(inv, "time", &time, &has_time)) return kExitUsage;
  if (has_time) *interaction->mutable_interaction_time() = time;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::Interaction>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->CreateInteraction(context, request, response);
  });
}

int RunInteractionGet(const Invocation& inv) {
  v1::GetInteractionRequest request;
  request.set_name(inv.args.positional()[0]);
  return CallAndPrint<v1::Interaction>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->GetInteraction(context, request, response);
  });
}

int RunInteractionList(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0], /*any=*/true);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID, ID or -)");
  v1::ListInteractionsRequest request;
  request.set_parent(*contact);
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  return cli::RunListPages<v1::ListInteractionsRequest, v1::Interaction>(
      inv, request,
      [&](const v1::ListInteractionsRequest& page_request, std::vector<v1::Interaction>* items,
          std::string* next_page_token) {
        v1::ListInteractionsResponse response;
        auto status = clients->engagement->ListInteractions(clients->call.NewContext().get(),
                                                            page_request, &response);
        items->assign(response.interactions().begin(), response.interactions().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "TIME", "CHANNEL", "OUTCOME", "OWNER", "SUBJECT"},
      [](const v1::Interaction& item) -> std::vector<std::string> {
        return {item.name(),
                TimeUtil::ToString(item.interaction_time()),
                cli::EnumText(kInteractionChannels, item.channel()),
                cli::EnumText(kOutcomes, item.outcome()),
                item.owner(),
                item.subject().empty() ? "-" : item.subject()};
      });
}

int RunFollowUpAdd(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  v1::CreateFollowUpRequest request;
  request.set_parent(*contact);
  auto* follow_up = request.mutable_follow_up();
  bool has_due = false;
  if (!TimeArg(inv, "due", follow_up->mutable_due_time(), &has_due)) return kExitUsage;
  if (!has_due) return inv.UsageError("--due is required (RFC 3339)");
  follow_up->set_subject(inv.args.GetOr("subject", ""));
  follow_up->set_owner(inv.args.GetOr("owner", ""));
  follow_up->set_interaction(inv.args.GetOr("interaction", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::FollowUp>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->CreateFollowUp(context, request, response);
  });
}

int RunFollowUpList(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[0], /*any=*/true);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID, ID or -)");
  v1::ListFollowUpsRequest request;
  request.set_parent(*contact);
  request.set_filter(inv.args.GetOr("filter", ""));
  int32_t size = 0;
  if (!PageArgs(inv, &size, request.mutable_page_token())) return kExitUsage;
  request.set_page_size(size);
  return CallAndPrint<v1::ListFollowUpsResponse>(
      inv, [&](Clients& c, auto* context, auto* response) {
        return c.engagement->ListFollowUps(context, request, response);
      });
}

int RunFollowUpUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from follow-ups list)");
  v1::UpdateFollowUpRequest request;
  auto* follow_up = request.mutable_follow_up();
  follow_up->set_name(inv.args.positional()[0]);
  request.set_etag(*etag);
  int status = 0;
  if (!EnumArg(inv, "status", kFollowUpStatuses, &status, false)) return kExitUsage;
  if (inv.args.Has("status")) {
    follow_up->set_status(static_cast<v1::FollowUpStatus>(status));
    request.mutable_update_mask()->add_paths("status");
  }
  bool has_due = false;
  if (!TimeArg(inv, "due", follow_up->mutable_due_time(), &has_due)) return kExitUsage;
  if (has_due) request.mutable_update_mask()->add_paths("due_time");
  for (const char* flag : {"owner", "subject"}) {
    if (auto value = inv.args.Get(flag)) {
      if (std::string(flag) == "owner") follow_up->set_owner(*value);
      if (std::string(flag) == "subject") follow_up->set_subject(*value);
      request.mutable_update_mask()->add_paths(flag);
    }
  }
  if (request.update_mask().paths_size() == 0) {
    return inv.UsageError("nothing to update: give --status, --due, --owner or --subject");
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::FollowUp>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.engagement->UpdateFollowUp(context, request, response);
  });
}

int RunFollowUpDue(const Invocation& inv) {
  v1::ListDueFollowUpsRequest request;
  request.set_owner(inv.args.GetOr("owner", ""));
  if (!TimeArg(inv, "before", request.mutable_due_before())) return kExitUsage;
  if (!inv.args.Has("before")) request.clear_due_before();
  if (!inv.args.Bool("table")) {
    return CallAndPrint<v1::ListDueFollowUpsResponse>(
        inv, [&](Clients& c, auto* context, auto* response) {
          return c.engagement->ListDueFollowUps(context, request, response);
        });
  }
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::ListDueFollowUpsResponse response;
  auto status =
      clients->engagement->ListDueFollowUps(clients->call.NewContext().get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  std::vector<std::vector<std::string>> rows = {{"DUE", "NAME", "SUBJECT"}};
  for (const auto& item : response.follow_ups()) {
    rows.push_back({TimeUtil::ToString(item.due_time()), item.name(),
                    item.subject().empty() ? "-" : item.subject()});
  }
  cli::PrintTable(inv.out, rows);
  return kExitOk;
}

// Fills the appointment fields given as flags and names them in `paths`.
bool AppointmentFlags(const Invocation& inv, v1::Appointment* appointment,
                      std::vector<std::string>* paths) {
  bool present = false;
  if (!TimeArg(inv, "start", appointment->mutable_start_time(), &present)) return false;
  if (present) paths->push_back("start_time");
  if (!TimeArg(inv, "end", appointment->mutable_end_time(), &present)) return false;
  if (present) paths->push_back("end_time");
  for (const char* flag : {"place", "video-link", "agenda"}) {
    if (auto value = inv.args.Get(flag)) {
      const std::string name = flag;
      if (name == "place") appointment->set_place(*value);
      if (name == "video-link") appointment->set_video_link(*value);
      if (name == "agenda") appointment->set_agenda(*value);
      paths->push_back(name == "video-link" ? "video_link" : name);
    }
  }
  if (inv.args.Has("contact")) {
    for (const auto& text : inv.args.GetAll("contact")) {
      auto contact = ContactArg(text);
      if (!contact) {
        inv.UsageError("bad --contact '" + text + "'");
        return false;
      }
      appointment->add_contacts(*contact);
    }
    paths->push_back("contacts");
  }
  if (inv.args.Has("staff")) {
    for (const auto& subject : inv.args.GetAll("staff")) appointment->add_staff(subject);
    paths->push_back("staff");
  }
  int status = 0;
  if (!EnumArg(inv, "status", kAppointmentStatuses, &status, false)) return false;
  if (inv.args.Has("status")) {
    appointment->set_status(static_cast<v1::AppointmentStatus>(status));
    paths->push_back("status");
  }
  return true;
}

std::vector<FlagSpec> AppointmentFieldFlags() {
  return {
      {"start", "TIME", "Start, RFC 3339."},
      {"end", "TIME", "End, RFC 3339."},
      {"place", "TEXT", "Where."},
      {"video-link", "URL", "https:// link of the call."},
      {"agenda", "TEXT", "Agenda."},
      {"contact", "CONTACT", "An attending contact (repeat for several).", true},
      {"staff", "SUBJECT", "An attending staff member (repeat for several).", true},
      {"status", "STATUS", cli::Choices(kAppointmentStatuses) + "."},
  };
}

int RunAppointmentCreate(const Invocation& inv) {
  v1::CreateAppointmentRequest request;
  std::vector<std::string> paths;
  if (!AppointmentFlags(inv, request.mutable_appointment(), &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::Appointment>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.appointments->CreateAppointment(context, request, response);
  });
}

std::string AppointmentArg(const std::string& text) {
  return text.rfind("appointments/", 0) == 0 ? text : "appointments/" + text;
}

int RunAppointmentGet(const Invocation& inv) {
  v1::GetAppointmentRequest request;
  request.set_name(AppointmentArg(inv.args.positional()[0]));
  return CallAndPrint<v1::Appointment>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.appointments->GetAppointment(context, request, response);
  });
}

int RunAppointmentList(const Invocation& inv) {
  v1::ListAppointmentsRequest request;
  request.set_filter(inv.args.GetOr("filter", ""));
  int32_t size = 0;
  if (!PageArgs(inv, &size, request.mutable_page_token())) return kExitUsage;
  request.set_page_size(size);
  return CallAndPrint<v1::ListAppointmentsResponse>(
      inv, [&](Clients& c, auto* context, auto* response) {
        return c.appointments->ListAppointments(context, request, response);
      });
}

int RunAppointmentUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from appointments get)");
  v1::UpdateAppointmentRequest request;
  request.mutable_appointment()->set_name(AppointmentArg(inv.args.positional()[0]));
  std::vector<std::string> paths;
  if (!AppointmentFlags(inv, request.mutable_appointment(), &paths)) return kExitUsage;
  if (paths.empty()) return inv.UsageError("nothing to update: give at least one field flag");
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::Appointment>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.appointments->UpdateAppointment(context, request, response);
  });
}

std::string CampaignArg(const std::string& text) {
  return text.rfind("campaigns/", 0) == 0 ? text : "campaigns/" + text;
}

// "HH:MM-HH:MM" -> calling hours; false after a usage error.
bool HoursArg(const Invocation& inv, v1::CallingHours* out) {
  auto text = inv.args.Get("hours");
  if (!text) return true;
  int h1 = 0, m1 = 0, h2 = 0, m2 = 0;
  if (std::sscanf(text->c_str(), "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4) {
    inv.UsageError("bad --hours '" + *text + "' (HH:MM-HH:MM, the contact's local time)");
    return false;
  }
  out->set_start_minute(h1 * 60 + m1);
  out->set_end_minute(h2 * 60 + m2);
  return true;
}

// Fills the campaign fields given as flags and names them in `paths`.
bool CampaignFlags(const Invocation& inv, v1::Campaign* campaign, std::vector<std::string>* paths) {
  if (auto value = inv.args.Get("display-name")) {
    campaign->set_display_name(*value);
    paths->push_back("display_name");
  }
  if (auto value = inv.args.Get("call-guide")) {
    campaign->set_call_guide(*value);
    paths->push_back("call_guide");
  }
  bool present = false;
  if (!TimeArg(inv, "start", campaign->mutable_start_time(), &present)) return false;
  if (present) paths->push_back("start_time");
  if (!TimeArg(inv, "end", campaign->mutable_end_time(), &present)) return false;
  if (present) paths->push_back("end_time");
  if (!HoursArg(inv, campaign->mutable_calling_hours())) return false;
  if (inv.args.Has("hours")) paths->push_back("calling_hours");
  if (auto text = inv.args.Get("cool-off-days")) {
    auto days = ParseInt(*text, 0, 365);
    if (!days) {
      inv.UsageError("bad --cool-off-days (0-365)");
      return false;
    }
    campaign->set_cool_off_days(static_cast<int32_t>(*days));
    paths->push_back("cool_off_days");
  }
  if (auto text = inv.args.Get("lease-seconds")) {
    auto seconds = ParseInt(*text, 30, 3600);
    if (!seconds) {
      inv.UsageError("bad --lease-seconds (30-3600)");
      return false;
    }
    campaign->set_lease_seconds(static_cast<int32_t>(*seconds));
  }
  if (inv.args.Has("label")) {
    for (const auto& label : inv.args.GetAll("label")) campaign->add_labels(label);
    paths->push_back("labels");
  }
  int status = 0;
  if (!EnumArg(inv, "status", kCampaignStatuses, &status, false)) return false;
  if (inv.args.Has("status")) {
    campaign->set_status(static_cast<v1::CampaignStatus>(status));
    paths->push_back("status");
  }
  if (inv.args.Has("product")) {
    for (const auto& product : inv.args.GetAll("product")) campaign->add_products(product);
    paths->push_back("products");
  }
  // Targets go together: the update replaces all four.
  bool targets = false;
  auto* target = campaign->mutable_targets();
  for (const auto& [flag, setter] :
       std::vector<std::pair<std::string, void (v1::CampaignTargets::*)(int64_t)>>{
           {"target-calls", &v1::CampaignTargets::set_calls},
           {"target-conversations", &v1::CampaignTargets::set_conversations},
           {"target-sales", &v1::CampaignTargets::set_sales}}) {
    if (auto text = inv.args.Get(flag)) {
      auto value = ParseInt(*text, 0, std::numeric_limits<int32_t>::max());
      if (!value) {
        inv.UsageError("bad --" + flag + " '" + *text + "'");
        return false;
      }
      (target->*setter)(*value);
      targets = true;
    }
  }
  if (auto text = inv.args.Get("target-revenue")) {
    // "EUR 25000"
    auto money = text->size() > 4 && (*text)[3] == ' '
                     ? pricing_cli::ParseAmount(text->substr(4), text->substr(0, 3))
                     : std::nullopt;
    if (!money) {
      inv.UsageError("bad --target-revenue '" + *text + "' (e.g. 'EUR 25000')");
      return false;
    }
    *target->mutable_revenue() = *money;
    targets = true;
  }
  if (targets) {
    paths->push_back("targets");
  } else {
    campaign->clear_targets();
  }
  return true;
}

std::vector<FlagSpec> CampaignFieldFlags() {
  return {
      {"display-name", "TEXT", "Name of the campaign."},
      {"call-guide", "TEXT", "What agents say."},
      {"start", "TIME", "Start of the period, RFC 3339."},
      {"end", "TIME", "End of the period, RFC 3339."},
      {"hours", "HH:MM-HH:MM", "Calling hours in the contact's local time (default 09:00-18:00)."},
      {"cool-off-days", "N", "Days before a called contact is called again (default 7)."},
      {"label", "LABEL", "Call contacts with this label (repeat; none: every contact).", true},
      {"status", "STATUS", cli::Choices(kCampaignStatuses) + "."},
      {"product", "PRODUCT", "A product the campaign features (repeat).", true},
      {"target-calls", "N", "Target number of calls."},
      {"target-conversations", "N", "Target number of conversations."},
      {"target-sales", "N", "Target number of sales."},
      {"target-revenue", "'CUR AMOUNT'", "Target revenue, e.g. 'EUR 25000'."},
  };
}

int RunCampaignCreate(const Invocation& inv) {
  v1::CreateCampaignRequest request;
  std::vector<std::string> paths;
  if (!CampaignFlags(inv, request.mutable_campaign(), &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::Campaign>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.campaigns->CreateCampaign(context, request, response);
  });
}

int RunCampaignGet(const Invocation& inv) {
  v1::GetCampaignRequest request;
  request.set_name(CampaignArg(inv.args.positional()[0]));
  return CallAndPrint<v1::Campaign>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.campaigns->GetCampaign(context, request, response);
  });
}

int RunCampaignList(const Invocation& inv) {
  v1::ListCampaignsRequest request;
  request.set_filter(inv.args.GetOr("filter", ""));
  request.set_order_by(inv.args.GetOr("order-by", ""));
  int32_t size = 0;
  if (!PageArgs(inv, &size, request.mutable_page_token())) return kExitUsage;
  request.set_page_size(size);
  return CallAndPrint<v1::ListCampaignsResponse>(
      inv, [&](Clients& c, auto* context, auto* response) {
        return c.campaigns->ListCampaigns(context, request, response);
      });
}

int RunCampaignStatistics(const Invocation& inv) {
  v1::GetCampaignStatisticsRequest request;
  request.set_name(CampaignArg(inv.args.positional()[0]) + "/statistics");
  return CallAndPrint<v1::CampaignStatistics>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.campaigns->GetCampaignStatistics(context, request, response);
  });
}

int RunCampaignUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from campaigns get)");
  v1::UpdateCampaignRequest request;
  request.mutable_campaign()->set_name(CampaignArg(inv.args.positional()[0]));
  std::vector<std::string> paths;
  if (!CampaignFlags(inv, request.mutable_campaign(), &paths)) return kExitUsage;
  if (paths.empty()) return inv.UsageError("nothing to update: give at least one field flag");
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::Campaign>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.campaigns->UpdateCampaign(context, request, response);
  });
}

// A build answers BUILDING after a bounded slice of work; calling again goes on where it
// stopped, so this calls until READY (progress on stderr) and prints the last answer.
int RunCampaignBuild(const Invocation& inv) {
  v1::BuildCallListRequest request;
  request.set_campaign(CampaignArg(inv.args.positional()[0]));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::BuildCallListResponse response;
  while (true) {
    auto context = clients->call.NewContext();
    auto status = clients->campaigns->BuildCallList(context.get(), request, &response);
    if (!status.ok()) return ReportRpcError(status, inv.err);
    if (response.state() != v1::CALL_LIST_BUILD_STATE_BUILDING) break;
    inv.err << "building: " << response.contacts_judged() << " contacts judged, "
            << response.added() << " added\n";
    // Going on needs no request id: whoever asks, the build goes on from where it stands.
    request.clear_request_id();
  }
  inv.out << ToJson(response, /*pretty=*/true) << "\n";
  return kExitOk;
}

int RunNextCall(const Invocation& inv) {
  v1::NextCallRequest request;
  request.set_campaign(CampaignArg(inv.args.positional()[0]));
  return CallAndPrint<v1::CallAssignment>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.campaigns->NextCall(context, request, response);
  });
}

int RunCallOutcome(const Invocation& inv) {
  auto contact = ContactArg(inv.args.positional()[1]);
  if (!contact) return inv.UsageError("bad contact name (contacts/ID or ID)");
  v1::RecordCallOutcomeRequest request;
  request.set_campaign(CampaignArg(inv.args.positional()[0]));
  request.set_contact(*contact);
  int outcome = 0;
  if (!EnumArg(inv, "outcome", kOutcomes, &outcome, true)) return kExitUsage;
  request.set_outcome(static_cast<v1::InteractionOutcome>(outcome));
  request.set_summary(inv.args.GetOr("summary", ""));
  if (auto text = inv.args.Get("duration")) {
    auto seconds = ParseInt(*text, 0, 86400);
    if (!seconds) return inv.UsageError("bad --duration (seconds, 0-86400)");
    request.set_duration_seconds(static_cast<int32_t>(*seconds));
  }
  request.set_request_id(inv.args.GetOr("request-id", ""));
  return CallAndPrint<v1::Interaction>(inv, [&](Clients& c, auto* context, auto* response) {
    return c.campaigns->RecordCallOutcome(context, request, response);
  });
}

}  // namespace

void RegisterContactEngagementCommands(Registry& registry) {
  registry.AddGroup("campaigns",
                    "Telemarketing campaigns and their call lists "
                    "(accord.contact.v1.CampaignService).");
  std::vector<FlagSpec> campaign_create = CampaignFieldFlags();
  campaign_create.push_back({"lease-seconds", "N", "How long an agent holds a contact (600)."});
  campaign_create.push_back(kRequestId);
  std::vector<FlagSpec> campaign_update = CampaignFieldFlags();
  campaign_update.push_back(kEtag);
  campaign_update.push_back(kRequestId);
  registry.Add({
      .path = {"campaigns", "create"},
      .synopsis = "--display-name TEXT --start TIME --end TIME [--label L] [--hours HH:MM-HH:MM]",
      .summary = "Create a campaign (draft unless --status active).",
      .flags = cli::WithRpcFlags(std::move(campaign_create)),
      .run = RunCampaignCreate,
  });
  registry.Add({
      .path = {"campaigns", "get"},
      .synopsis = "NAME",
      .summary = "Show one campaign.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCampaignGet,
  });
  std::vector<FlagSpec> campaign_list = PageFlags(true);
  campaign_list.push_back(
      {"order-by", "O",
       "create_time (default, newest first) or update_time, optionally \" desc\"."});
  registry.Add({
      .path = {"campaigns", "list"},
      .synopsis = "[--filter F] [--order-by O] [--page-size N] [--page-token T]",
      .summary = "List campaigns (filter on status, create_time, update_time).",
      .flags = std::move(campaign_list),
      .run = RunCampaignList,
  });
  registry.Add({
      .path = {"campaigns", "stats"},
      .synopsis = "NAME",
      .summary = "Calls, reach, conversion, sales and revenue against targets, per agent and day.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCampaignStatistics,
  });
  registry.Add({
      .path = {"campaigns", "update"},
      .synopsis = "NAME --etag ETAG [field flags]",
      .summary = "Change a campaign, e.g. --status active|paused|finished.",
      .flags = cli::WithRpcFlags(std::move(campaign_update)),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCampaignUpdate,
  });
  registry.Add({
      .path = {"campaigns", "build"},
      .synopsis = "NAME",
      .summary = "Add the contacts that may be called now to the call list (calling until the "
                 "build is READY, progress on stderr); print the exclusions.",
      .flags = cli::WithRpcFlags({kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunCampaignBuild,
  });
  registry.Add({
      .path = {"campaigns", "next-call"},
      .synopsis = "NAME",
      .summary = "Take the next contact to call (leased to you).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunNextCall,
  });
  registry.Add({
      .path = {"campaigns", "outcome"},
      .synopsis = "NAME CONTACT --outcome O [--summary TEXT] [--duration SECONDS]",
      .summary = "Record the outcome of your call; logs it as an interaction.",
      .flags = cli::WithRpcFlags({{"outcome", "O", cli::Choices(kOutcomes) + "."},
                                  {"summary", "TEXT", "Summary (personal, sealed at rest)."},
                                  {"duration", "SECONDS", "Length in seconds."},
                                  kRequestId}),
      .min_positional = 2,
      .max_positional = 2,
      .run = RunCallOutcome,
  });

  registry.AddGroup("consents",
                    "A contact's consent ledger and do-not-call/do-not-email flags "
                    "(accord.contact.v1.ContactEngagementService).");
  registry.Add({
      .path = {"consents", "record"},
      .synopsis = "CONTACT --channel CH --purpose P --decision D --source TEXT",
      .summary = "Append a consent decision to the ledger (it is never edited).",
      .flags =
          cli::WithRpcFlags({{"channel", "CH", cli::Choices(kConsentChannels) + "."},
                             {"purpose", "P", cli::Choices(kPurposes) + "."},
                             {"decision", "D", cli::Choices(kDecisions) + "."},
                             {"source", "TEXT", "Where the decision came from (required)."},
                             {"time", "TIME", "When the contact decided, RFC 3339 (default now)."},
                             kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunConsentRecord,
  });
  registry.Add({
      .path = {"consents", "list"},
      .synopsis = "CONTACT",
      .summary = "The ledger, newest first.",
      .flags = PageFlags(false),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunConsentList,
  });
  registry.Add({
      .path = {"consents", "state"},
      .synopsis = "CONTACT",
      .summary = "Current decision per channel and purpose, the flags and their etag.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunConsentState,
  });
  registry.Add({
      .path = {"consents", "flags"},
      .synopsis = "CONTACT --etag ETAG [--do-not-call true|false] [--do-not-email true|false]",
      .summary = "Set or clear the do-not-call and do-not-email flags.",
      .flags = cli::WithRpcFlags({kEtag,
                                  {"do-not-call", "BOOL", "true or false."},
                                  {"do-not-email", "BOOL", "true or false."},
                                  kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunConsentFlags,
  });

  registry.AddGroup("interactions",
                    "Calls, emails, meetings and other contacts with a contact "
                    "(accord.contact.v1.ContactEngagementService).");
  registry.Add({
      .path = {"interactions", "log"},
      .synopsis = "CONTACT --channel CH [--outcome O] [--subject TEXT] [--summary TEXT]",
      .summary = "Log an interaction; do-not-call-requested sets the contact's flag.",
      .flags = cli::WithRpcFlags({{"channel", "CH", cli::Choices(kInteractionChannels) + "."},
                                  {"outcome", "O", cli::Choices(kOutcomes) + "."},
                                  {"subject", "TEXT", "Subject."},
                                  {"summary", "TEXT", "Summary (personal, sealed at rest)."},
                                  {"duration", "SECONDS", "Length in seconds."},
                                  {"time", "TIME", "When, RFC 3339 (default now)."},
                                  {"campaign", "NAME", "campaigns/ID of the campaign."},
                                  {"account", "NAME", "accounts/ID it was about."},
                                  {"owner", "SUBJECT", "Staff member (default: the caller)."},
                                  kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunInteractionLog,
  });
  registry.Add({
      .path = {"interactions", "get"},
      .synopsis = "NAME",
      .summary = "Show one interaction (contacts/ID/interactions/ID).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunInteractionGet,
  });
  registry.Add({
      .path = {"interactions", "list"},
      .synopsis = "CONTACT",
      .summary = "List a contact's interactions (CONTACT - for every contact).",
      .description = "Filter fields: account, owner, campaign, channel, outcome,\n"
                     "interaction_time.",
      .flags = cli::ListFlags("interaction_time (default), optionally \" desc\".",
                              "Print aligned columns: name, time, channel, outcome, owner, "
                              "subject."),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunInteractionList,
  });

  registry.AddGroup("follow-ups",
                    "Follow-ups of contacts "
                    "(accord.contact.v1.ContactEngagementService).");
  registry.Add({
      .path = {"follow-ups", "add"},
      .synopsis = "CONTACT --due TIME [--subject TEXT] [--interaction NAME]",
      .summary = "Create an open follow-up.",
      .flags = cli::WithRpcFlags({{"due", "TIME", "When it is due, RFC 3339 (required)."},
                                  {"subject", "TEXT", "What to do."},
                                  {"owner", "SUBJECT", "Who does it (default: the caller)."},
                                  {"interaction", "NAME", "The interaction it follows."},
                                  kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunFollowUpAdd,
  });
  registry.Add({
      .path = {"follow-ups", "list"},
      .synopsis = "CONTACT",
      .summary = "List follow-ups (CONTACT - for every contact). Filter: owner, status, due_time.",
      .flags = PageFlags(true),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunFollowUpList,
  });
  registry.Add({
      .path = {"follow-ups", "update"},
      .synopsis = "NAME --etag ETAG [--status S] [--due TIME] [--owner S] [--subject TEXT]",
      .summary = "Change an open follow-up; done and cancelled are final.",
      .flags = cli::WithRpcFlags({kEtag,
                                  {"status", "S", cli::Choices(kFollowUpStatuses) + "."},
                                  {"due", "TIME", "New due time, RFC 3339."},
                                  {"owner", "SUBJECT", "New owner."},
                                  {"subject", "TEXT", "New subject."},
                                  kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunFollowUpUpdate,
  });
  registry.Add({
      .path = {"follow-ups", "due"},
      .synopsis = "[--owner SUBJECT] [--before TIME]",
      .summary = "Open follow-ups due or overdue, earliest first (default: yours, now).",
      .flags = cli::WithRpcFlags({{"owner", "SUBJECT", "Whose (admin, service_supervisor)."},
                                  {"before", "TIME", "Due at or before, RFC 3339."},
                                  {"table", "", "Print aligned columns."}}),
      .run = RunFollowUpDue,
  });

  registry.AddGroup("appointments",
                    "Appointments with contacts (accord.contact.v1.AppointmentService).");
  std::vector<FlagSpec> create_flags = AppointmentFieldFlags();
  create_flags.push_back(kRequestId);
  std::vector<FlagSpec> update_flags = AppointmentFieldFlags();
  update_flags.push_back(kEtag);
  update_flags.push_back(kRequestId);
  registry.Add({
      .path = {"appointments", "create"},
      .synopsis = "--start TIME --end TIME --contact C --staff S (--place TEXT | --video-link URL)",
      .summary = "Book an appointment; refused when a staff member is busy then.",
      .flags = cli::WithRpcFlags(std::move(create_flags)),
      .run = RunAppointmentCreate,
  });
  registry.Add({
      .path = {"appointments", "get"},
      .synopsis = "NAME",
      .summary = "Show one appointment.",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunAppointmentGet,
  });
  registry.Add({
      .path = {"appointments", "list"},
      .synopsis = "",
      .summary = "List appointments by start time. Filter: staff, contacts, status, organizer, "
                 "start_time, end_time.",
      .flags = PageFlags(true),
      .run = RunAppointmentList,
  });
  registry.Add({
      .path = {"appointments", "update"},
      .synopsis = "NAME --etag ETAG [field flags]",
      .summary = "Move, change or cancel (--status cancelled) an appointment.",
      .flags = cli::WithRpcFlags(std::move(update_flags)),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunAppointmentUpdate,
  });
}

}  // namespace accord::accordctl
