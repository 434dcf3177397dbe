#include "appointment_logic.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/paging.h"
#include "contact_fields.h"
#include "engagement_logic.h"

namespace accord::contact {
namespace {

namespace filter = common::filter;
using common::Role;
using google::protobuf::util::TimeUtil;

bool IsPlausibleTime(const google::protobuf::Timestamp& t) {
  return t.seconds() >= 0 && t.seconds() < 253402300800LL && t.nanos() >= 0 &&
         t.nanos() < 1000000000;
}

bool IsLive(v1::AppointmentStatus status) {
  return status == v1::APPOINTMENT_STATUS_SCHEDULED || status == v1::APPOINTMENT_STATUS_CONFIRMED;
}

}  // namespace

void ValidateAppointment(Appointment& appointment, const std::string& prefix,
                         common::Violations& violations) {
  const bool has_start = appointment.has_start_time(), has_end = appointment.has_end_time();
  if (!has_start) violations.Add(prefix + "start_time", "required");
  if (!has_end) violations.Add(prefix + "end_time", "required");
  if (has_start && !IsPlausibleTime(appointment.start_time())) {
    violations.Add(prefix + "start_time", "not a time between 1970 and 9999");
  } else if (has_start && has_end && IsPlausibleTime(appointment.end_time())) {
    const int64_t length = TimeUtil::TimestampToMicroseconds(appointment.end_time()) -
                           TimeUtil::TimestampToMicroseconds(appointment.start_time());
    if (length <= 0) violations.Add(prefix + "end_time", "must be after start_time");
    if (length > kMaxAppointmentSeconds * 1000000) {
      violations.Add(prefix + "end_time", "at most 24 hours after start_time");
    }
  }
  if (has_end && !IsPlausibleTime(appointment.end_time())) {
    violations.Add(prefix + "end_time", "not a time between 1970 and 9999");
  }
  if (IsBlank(appointment.place()) && IsBlank(appointment.video_link())) {
    violations.Add(prefix + "place", "set a place or a video_link");
  }
  if (CodePoints(appointment.place()) > kMaxPlaceLength) {
    violations.Add(prefix + "place", "at most 500 characters");
  }
  if (!appointment.video_link().empty() &&
      (appointment.video_link().rfind("https://", 0) != 0 ||
       appointment.video_link().size() > kMaxPlaceLength ||
       appointment.video_link().find_first_of(" \t\r\n") != std::string::npos)) {
    violations.Add(prefix + "video_link", "an https:// URL of at most 500 characters");
  }
  if (CodePoints(appointment.agenda()) > kMaxAgendaLength) {
    violations.Add(prefix + "agenda", "at most 4000 characters");
  }
  if (appointment.contacts_size() == 0) {
    violations.Add(prefix + "contacts", "at least one contact attends");
  }
  if (appointment.contacts_size() > kMaxAttendees) {
    violations.Add(prefix + "contacts", "at most 20");
  }
  std::set<std::string> seen;
  for (int i = 0; i < appointment.contacts_size(); ++i) {
    const std::string field = prefix + "contacts[" + std::to_string(i) + "]";
    auto id = ParseContactName(appointment.contacts(i), field);
    if (!id.ok()) {
      MergeViolations(id.status(), violations);
    } else if (!seen.insert(*id).second) {
      violations.Add(field, "listed twice");
    } else {
      appointment.set_contacts(i, ContactName(*id));
    }
  }
  if (appointment.staff_size() == 0) {
    violations.Add(prefix + "staff", "at least one staff member attends");
  }
  if (appointment.staff_size() > kMaxAttendees) violations.Add(prefix + "staff", "at most 20");
  seen.clear();
  for (int i = 0; i < appointment.staff_size(); ++i) {
    const std::string field = prefix + "staff[" + std::to_string(i) + "]";
    if (IsBlank(appointment.staff(i)) || appointment.staff(i).size() > kMaxTextLength) {
      violations.Add(field, "a subject of 1 to 200 bytes");
    } else if (!seen.insert(appointment.staff(i)).second) {
      violations.Add(field, "listed twice");
    }
  }
  if (!v1::AppointmentStatus_IsValid(appointment.status())) {
    violations.Add(prefix + "status", "unknown status " + std::to_string(appointment.status()));
  }
}

absl::Status CheckAppointmentChange(const Appointment& current, v1::AppointmentStatus next) {
  if (!IsLive(current.status())) {
    return common::FailedPrecondition("APPOINTMENT_CLOSED",
                                      current.name() + " is " +
                                          v1::AppointmentStatus_Name(current.status()) +
                                          ": a cancelled or completed appointment does not change");
  }
  if (current.status() == v1::APPOINTMENT_STATUS_CONFIRMED &&
      next == v1::APPOINTMENT_STATUS_SCHEDULED) {
    return common::FailedPrecondition("APPOINTMENT_CONFIRMED",
                                      current.name() + " is confirmed already");
  }
  return absl::OkStatus();
}

absl::Status CheckAppointmentCreate(const common::Principal& caller) {
  if (caller.HasAny({Role::kAdmin, Role::kAccountManager, Role::kSalesAssistant,
                     Role::kServiceAgent, Role::kServiceSupervisor})) {
    return absl::OkStatus();
  }
  return common::PermissionDenied("NOT_ALLOWED", caller.subject + " may not make appointments");
}

absl::Status CheckAppointmentUpdate(const common::Principal& caller,
                                    const Appointment& appointment) {
  if (caller.HasAny({Role::kAdmin, Role::kServiceSupervisor})) return absl::OkStatus();
  if (CheckAppointmentCreate(caller).ok() &&
      (appointment.organizer() == caller.subject ||
       std::find(appointment.staff().begin(), appointment.staff().end(), caller.subject) !=
           appointment.staff().end())) {
    return absl::OkStatus();
  }
  return common::PermissionDenied("NOT_ALLOWED", caller.subject + " may not change " +
                                                     appointment.name() +
                                                     ": it neither organised nor attends it");
}

AppointmentLogic::AppointmentLogic(AppointmentRepository& repository, ContactAccess& access,
                                   const common::PageTokenCodec& page_tokens)
    : repository_(repository), access_(access), page_tokens_(page_tokens) {}

absl::StatusOr<Appointment> AppointmentLogic::Create(const Caller& caller,
                                                     const v1::CreateAppointmentRequest& request,
                                                     WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckAppointmentCreate(caller.principal));
  common::Violations violations;
  Appointment appointment = request.appointment();
  ValidateAppointment(appointment, "appointment.", violations);
  if (appointment.status() != v1::APPOINTMENT_STATUS_UNSPECIFIED &&
      appointment.status() != v1::APPOINTMENT_STATUS_SCHEDULED &&
      appointment.status() != v1::APPOINTMENT_STATUS_CONFIRMED) {
    violations.Add("appointment.status", "a new appointment is SCHEDULED or CONFIRMED");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  // An account manager books only contacts it may change; the other roles work any contact.
  if (!caller.principal.HasAny(
          {Role::kAdmin, Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor})) {
    for (const auto& contact : appointment.contacts()) {
      ACCORD_ASSIGN_OR_RETURN(std::string id, ParseContactName(contact, "contacts"));
      ACCORD_ASSIGN_OR_RETURN(ContactFacts facts, repository_.Facts(id));
      ACCORD_RETURN_IF_ERROR(access_.CheckChange(caller, facts, contact));
    }
  }
  if (appointment.status() == v1::APPOINTMENT_STATUS_UNSPECIFIED) {
    appointment.set_status(v1::APPOINTMENT_STATUS_SCHEDULED);
  }
  appointment.set_organizer(caller.principal.subject);
  appointment.set_name(AppointmentName(common::NewUuidV7()));
  return repository_.Create(appointment, meta);
}

absl::StatusOr<Appointment> AppointmentLogic::Get(const Caller& caller,
                                                  const v1::GetAppointmentRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseAppointmentName(request.name(), "name"));
  return repository_.Get(id);
}

absl::StatusOr<v1::ListAppointmentsResponse> AppointmentLogic::List(
    const Caller& caller, const v1::ListAppointmentsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                                            "appointments\n" + request.filter()));
  AppointmentListQuery query;
  query.limit = start.limit;
  query.after = start.after;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.List(query));
  v1::ListAppointmentsResponse response;
  const size_t returned = common::PageRows(start, page.items);
  for (size_t i = 0; i < returned; ++i) *response.add_appointments() = std::move(page.items[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.items.size(), page.keys));
  return response;
}

absl::StatusOr<Appointment> AppointmentLogic::Update(const Caller& caller,
                                                     const v1::UpdateAppointmentRequest& request,
                                                     WriteMeta meta) {
  static const std::vector<std::string> kUpdatable = {
      "start_time", "end_time", "place", "video_link", "agenda", "contacts", "staff", "status"};
  common::Violations violations;
  auto id = ParseAppointmentName(request.appointment().name(), "appointment.name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the appointment as you last read it");
  }
  if (request.update_mask().paths_size() == 0) {
    violations.Add("update_mask", "required: name the fields to change");
  }
  for (const auto& path : request.update_mask().paths()) {
    if (std::find(kUpdatable.begin(), kUpdatable.end(), path) == kUpdatable.end()) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: start_time, end_time, "
                                        "place, video_link, agenda, contacts, staff, status");
    }
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.Update(
      *id,
      [&](const Appointment& locked) -> absl::StatusOr<Appointment> {
        ACCORD_RETURN_IF_ERROR(CheckAppointmentUpdate(caller.principal, locked));
        if (request.etag() != locked.etag()) return common::EtagMismatch(locked.name());
        Appointment next = locked;
        const Appointment& patch = request.appointment();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "start_time") *next.mutable_start_time() = patch.start_time();
          if (path == "end_time") *next.mutable_end_time() = patch.end_time();
          if (path == "place") next.set_place(patch.place());
          if (path == "video_link") next.set_video_link(patch.video_link());
          if (path == "agenda") next.set_agenda(patch.agenda());
          if (path == "contacts") *next.mutable_contacts() = patch.contacts();
          if (path == "staff") *next.mutable_staff() = patch.staff();
          if (path == "status") next.set_status(patch.status());
        }
        common::Violations field_violations;
        ValidateAppointment(next, "appointment.", field_violations);
        if (next.status() == v1::APPOINTMENT_STATUS_UNSPECIFIED) {
          field_violations.Add("appointment.status", "required");
        }
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        ACCORD_RETURN_IF_ERROR(CheckAppointmentChange(locked, next.status()));
        return next;
      },
      meta);
}

}  // namespace accord::contact
