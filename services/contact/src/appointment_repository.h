// Storage of appointments, behind an interface for the logic's tests.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/contact/v1/appointment.pb.h"
#include "contact_access.h"
#include "engagement_repository.h"
#include "write_path.h"

namespace accord::contact {

using v1::Appointment;

struct AppointmentListQuery {
  int limit = 50;
  std::string filter_sql;  // over the row alias `t`, $N numbered from 1
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;
};

class AppointmentRepository {
 public:
  virtual ~AppointmentRepository() = default;

  // How List's filter maps onto this repository's tables (pg_filter_schemas.h).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  virtual absl::StatusOr<ContactFacts> Facts(const std::string& contact_id) = 0;
  // NOT_FOUND naming a contact that is missing or deleted; FAILED_PRECONDITION (STAFF_BUSY)
  // naming the appointment a staff member is already in at that time.
  virtual absl::StatusOr<Appointment> Create(const Appointment& appointment,
                                             const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Appointment> Get(const std::string& id) = 0;
  virtual absl::StatusOr<ChildPage<Appointment>> List(const AppointmentListQuery& query) = 0;
  using Mutation = std::function<absl::StatusOr<Appointment>(const Appointment& current)>;
  // As Create for the result of `mutate` on the locked appointment.
  virtual absl::StatusOr<Appointment> Update(const std::string& id, const Mutation& mutate,
                                             const WriteMeta& meta) = 0;
};

}  // namespace accord::contact
