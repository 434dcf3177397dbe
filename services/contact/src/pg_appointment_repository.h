// AppointmentRepository over PostgreSQL (schema `contact`).
#pragma once

#include "accord/common/pg.h"
#include "appointment_repository.h"
#include "write_path.h"

namespace accord::contact {

inline constexpr char kAppointmentCreated[] = "accord.contact.v1.AppointmentCreated";
inline constexpr char kAppointmentUpdated[] = "accord.contact.v1.AppointmentUpdated";

// Every appointment a contact attends (or attended), by start time; for its data export.
std::vector<Appointment> ReadContactAppointments(pqxx::transaction_base& transaction,
                                                 const std::string& contact_id);

class PgAppointmentRepository final : public AppointmentRepository {
 public:
  const common::filter::Schema& FilterSchema() const override;
  PgAppointmentRepository(common::PgPool& pool, common::IdempotentWrite& writes);

  absl::StatusOr<ContactFacts> Facts(const std::string& contact_id) override;
  absl::StatusOr<Appointment> Create(const Appointment& appointment,
                                     const WriteMeta& meta) override;
  absl::StatusOr<Appointment> Get(const std::string& id) override;
  absl::StatusOr<ChildPage<Appointment>> List(const AppointmentListQuery& query) override;
  absl::StatusOr<Appointment> Update(const std::string& id, const Mutation& mutate,
                                     const WriteMeta& meta) override;

 private:
  common::PgPool& pool_;
  WritePath writes_;
};

}  // namespace accord::contact
