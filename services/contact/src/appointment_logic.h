// The appointments domain: names, validation, the status life cycle and permissions. Pure
// logic over messages and a repository; the overlap rule itself is the database's.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/page_token.h"
#include "appointment_repository.h"
#include "contact_access.h"
#include "resource_names.h"

namespace accord::contact {

inline constexpr int kMaxAttendees = 20;
inline constexpr size_t kMaxPlaceLength = 500;
inline constexpr size_t kMaxAgendaLength = 4000;
inline constexpr int64_t kMaxAppointmentSeconds = 86400;

// Normalises contact names (lower-case ids) in place and checks every field under `prefix`.
void ValidateAppointment(Appointment& appointment, const std::string& prefix,
                         common::Violations& violations);
// SCHEDULED -> CONFIRMED, CANCELLED, COMPLETED; CONFIRMED -> CANCELLED, COMPLETED; CANCELLED and
// COMPLETED are final, and only a live (scheduled or confirmed) appointment changes at all.
absl::Status CheckAppointmentChange(const Appointment& current, v1::AppointmentStatus next);
// Who may create: admin, the sales and service roles, account_manager (then per contact).
absl::Status CheckAppointmentCreate(const common::Principal& caller);
// Who may update: admin, service_supervisor, the organizer, a staff attendee.
absl::Status CheckAppointmentUpdate(const common::Principal& caller,
                                    const Appointment& appointment);

class AppointmentLogic {
 public:
  AppointmentLogic(AppointmentRepository& repository, ContactAccess& access,
                   const common::PageTokenCodec& page_tokens);

  absl::StatusOr<Appointment> Create(const Caller& caller,
                                     const v1::CreateAppointmentRequest& request, WriteMeta meta);
  absl::StatusOr<Appointment> Get(const Caller& caller, const v1::GetAppointmentRequest& request);
  absl::StatusOr<v1::ListAppointmentsResponse> List(const Caller& caller,
                                                    const v1::ListAppointmentsRequest& request);
  absl::StatusOr<Appointment> Update(const Caller& caller,
                                     const v1::UpdateAppointmentRequest& request, WriteMeta meta);

 private:
  AppointmentRepository& repository_;
  ContactAccess& access_;
  const common::PageTokenCodec& page_tokens_;
};

}  // namespace accord::contact
