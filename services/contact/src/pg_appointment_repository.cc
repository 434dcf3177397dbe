#include "pg_appointment_repository.h"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include "accord/common/errors.h"
#include "accord/common/message_diff.h"
#include "contact_fields.h"
#include "pg_engagement_repository.h"
#include "pg_filter_schemas.h"
#include "resource_names.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;

#define ACCORD_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

constexpr char kColumns[] =
    "t.id::text, " ACCORD_MICROS("t.start_time") ", " ACCORD_MICROS(
        "t.end_time") ", t.place, t.video_link, t.agenda, to_json(t.contact_ids)::text, "
                      "to_json(t.staff)::text, t.status, t.organizer, t.version, " ACCORD_MICROS(
                          "t.create_time") ", " ACCORD_MICROS("t.update_time");
constexpr int kColumnCount = 13;

// Times travel as epoch microseconds, lists as JSON arrays of text.
#define ACCORD_AT(n) "(timestamptz 'epoch' + $" #n "::bigint * interval '1 microsecond')"

constexpr char kExclusionViolation[] = "23P01";

Appointment RowToAppointment(const pqxx::row& row) {
  Appointment appointment;
  appointment.set_name(AppointmentName(row[0].as<std::string>()));
  *appointment.mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(row[1].as<int64_t>());
  *appointment.mutable_end_time() = TimeUtil::MicrosecondsToTimestamp(row[2].as<int64_t>());
  appointment.set_place(row[3].as<std::string>());
  appointment.set_video_link(row[4].as<std::string>());
  appointment.set_agenda(row[5].as<std::string>());
  for (const auto& id : nlohmann::json::parse(row[6].as<std::string>())) {
    appointment.add_contacts(ContactName(id.get<std::string>()));
  }
  for (const auto& staff : nlohmann::json::parse(row[7].as<std::string>())) {
    appointment.add_staff(staff.get<std::string>());
  }
  appointment.set_status(static_cast<v1::AppointmentStatus>(row[8].as<int>()));
  appointment.set_organizer(row[9].as<std::string>());
  appointment.set_etag(row[10].as<std::string>());
  *appointment.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[11].as<int64_t>());
  *appointment.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[12].as<int64_t>());
  return appointment;
}

std::string ContactIdsJson(const Appointment& appointment) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& contact : appointment.contacts()) ids.push_back(contact.substr(9));
  return ids.dump();
}

std::string StaffJson(const Appointment& appointment) {
  nlohmann::json staff = nlohmann::json::array();
  for (const auto& subject : appointment.staff()) staff.push_back(subject);
  return staff.dump();
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// Every attending contact must be live until the transaction ends.
absl::Status LockContacts(common::WriteTransaction& transaction, const Appointment& appointment) {
  for (const auto& contact : appointment.contacts()) {
    if (transaction
            .exec_params("SELECT 1 FROM contact.contacts WHERE id = $1::uuid AND delete_time "
                         "IS NULL FOR SHARE",
                         contact.substr(9))
            .empty()) {
      return common::NotFound(contact);
    }
  }
  return absl::OkStatus();
}

// Books the staff's time in appointment_staff, where the exclusion constraint decides. A
// refusal is rolled back to a savepoint so the clash can be looked up and named.
absl::Status BookStaff(common::WriteTransaction& transaction, const std::string& id,
                       const Appointment& appointment) {
  transaction.exec_params0("DELETE FROM contact.appointment_staff WHERE appointment_id = $1::uuid",
                           id);
  const bool live = appointment.status() == v1::APPOINTMENT_STATUS_SCHEDULED ||
                    appointment.status() == v1::APPOINTMENT_STATUS_CONFIRMED;
  if (!live) return absl::OkStatus();  // cancelled or completed: the time is free
  const int64_t start = Micros(appointment.start_time()), end = Micros(appointment.end_time());
  const std::string staff = StaffJson(appointment);
  transaction.exec0("SAVEPOINT book_staff");
  try {
    transaction.exec_params0(
        "INSERT INTO contact.appointment_staff (appointment_id, staff, during) SELECT $1::uuid, "
        "s, tstzrange(" ACCORD_AT(2) ", " ACCORD_AT(
            3) ") FROM json_array_elements_text($4::json) s",
        id, start, end, staff);
  } catch (const pqxx::sql_error& error) {
    if (error.sqlstate() != kExclusionViolation) throw;
    transaction.exec0("ROLLBACK TO SAVEPOINT book_staff");
    auto clash = transaction.exec_params(
        "SELECT appointment_id::text, staff FROM contact.appointment_staff WHERE staff IN "
        "(SELECT json_array_elements_text($2::json)) AND during && tstzrange(" ACCORD_AT(
            3) ", " ACCORD_AT(4) ") AND appointment_id <> $1::uuid ORDER BY lower(during) LIMIT 1",
        id, staff, start, end);
    // A concurrent booking that committed after our snapshot may be invisible here; the
    // refusal stands, named as well as we can.
    const std::string other =
        clash.empty() ? "another appointment" : AppointmentName(clash[0][0].as<std::string>());
    const std::string who = clash.empty() ? "a staff member" : clash[0][1].as<std::string>();
    return common::WithReason(
        common::FailedPrecondition("STAFF_BUSY", who + " is already in " + other + " at that time"),
        "STAFF_BUSY", {{"appointment", other}, {"staff", who}});
  }
  transaction.exec0("RELEASE SAVEPOINT book_staff");
  return absl::OkStatus();
}

ChangeEvent EventOf(const char* type, const Appointment& appointment, const Appointment* before) {
  ChangeEvent event;
  event.type = type;
  event.subject = appointment.name();
  event.version = std::stoll(appointment.etag());
  if (before != nullptr) {
    event.changed_fields = common::ChangedFields(*before, appointment, {"etag", "update_time"});
  }
  event.payload = std::make_shared<Appointment>(appointment);
  return event;
}

}  // namespace

PgAppointmentRepository::PgAppointmentRepository(common::PgPool& pool,
                                                 common::IdempotentWrite& writes)
    : pool_(pool), writes_(writes) {}

absl::StatusOr<ContactFacts> PgAppointmentRepository::Facts(const std::string& contact_id) {
  return ReadContactFacts(pool_, contact_id);
}

absl::StatusOr<Appointment> PgAppointmentRepository::Create(const Appointment& appointment,
                                                            const WriteMeta& meta) {
  ACCORD_ASSIGN_OR_RETURN(const std::string id, ParseAppointmentName(appointment.name(), "name"));
  return writes_.Run<Appointment>(
      meta,
      [&](common::WriteTransaction& transaction, Appointment* out) -> absl::StatusOr<ChangeEvent> {
        ACCORD_RETURN_IF_ERROR(LockContacts(transaction, appointment));
        *out = RowToAppointment(transaction.exec_params1(
            std::string(
                "INSERT INTO contact.appointments AS t (id, start_time, end_time, place, "
                "video_link, agenda, contact_ids, staff, status, organizer) VALUES "
                "($1::uuid, " ACCORD_AT(2) ", " ACCORD_AT(
                    3) ", $4, $5, $6, "
                       "ARRAY(SELECT json_array_elements_text($7::json)::uuid), "
                       "ARRAY(SELECT json_array_elements_text($8::json)), $9, $10) RETURNING ") +
                kColumns,
            id, Micros(appointment.start_time()), Micros(appointment.end_time()),
            appointment.place(), appointment.video_link(), appointment.agenda(),
            ContactIdsJson(appointment), StaffJson(appointment),
            static_cast<int>(appointment.status()), appointment.organizer()));
        ACCORD_RETURN_IF_ERROR(BookStaff(transaction, id, *out));
        return EventOf(kAppointmentCreated, *out, nullptr);
      });
}

std::vector<Appointment> ReadContactAppointments(pqxx::transaction_base& transaction,
                                                 const std::string& contact_id) {
  std::vector<Appointment> out;
  for (const auto& row : transaction.exec_params(
           std::string("SELECT ") + kColumns +
               " FROM contact.appointments t WHERE $1::uuid = ANY(t.contact_ids) "
               "ORDER BY t.start_time, t.id LIMIT 10000",
           contact_id)) {
    out.push_back(RowToAppointment(row));
  }
  return out;
}

absl::StatusOr<Appointment> PgAppointmentRepository::Get(const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_params(std::string("SELECT ") + kColumns +
                                           " FROM contact.appointments t WHERE t.id = $1::uuid",
                                       id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(AppointmentName(id));
  return RowToAppointment((*rows)[0]);
}

absl::StatusOr<ChildPage<Appointment>> PgAppointmentRepository::List(
    const AppointmentListQuery& query) {
  std::string statement = std::string("SELECT ") + kColumns + ", " +
                          common::MicrosText("t.start_time") +
                          " FROM contact.appointments t WHERE true";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  const common::KeysetOrder order{"t.start_time", "t.id", common::kMicrosToTimestamptz, false};
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  ChildPage<Appointment> page;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row :
             transaction.exec(common::InlineParams(transaction.conn(), statement, params))) {
          page.items.push_back(RowToAppointment(row));
          page.keys.push_back({row[kColumnCount].as<std::string>(), row[0].as<std::string>()});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return page;
}

absl::StatusOr<Appointment> PgAppointmentRepository::Update(const std::string& id,
                                                            const Mutation& mutate,
                                                            const WriteMeta& meta) {
  return writes_.Run<Appointment>(
      meta,
      [&](common::WriteTransaction& transaction, Appointment* out) -> absl::StatusOr<ChangeEvent> {
        auto rows = transaction.exec_params(
            std::string("SELECT ") + kColumns +
                " FROM contact.appointments t WHERE t.id = $1::uuid FOR UPDATE",
            id);
        if (rows.empty()) return common::NotFound(AppointmentName(id));
        const Appointment current = RowToAppointment(rows[0]);
        ACCORD_ASSIGN_OR_RETURN(Appointment next, mutate(current));
        ACCORD_RETURN_IF_ERROR(LockContacts(transaction, next));
        *out = RowToAppointment(transaction.exec_params1(
            std::string("UPDATE contact.appointments AS t SET start_time = " ACCORD_AT(
                2) ", "
                   "end_time = " ACCORD_AT(
                       3) ", place = $4, video_link = $5, agenda = $6, "
                          "contact_ids = ARRAY(SELECT json_array_elements_text($7::json)::uuid), "
                          "staff = ARRAY(SELECT json_array_elements_text($8::json)), status = $9, "
                          "version = t.version + 1, update_time = now() WHERE t.id = $1::uuid "
                          "RETURNING ") +
                kColumns,
            id, Micros(next.start_time()), Micros(next.end_time()), next.place(), next.video_link(),
            next.agenda(), ContactIdsJson(next), StaffJson(next), static_cast<int>(next.status())));
        ACCORD_RETURN_IF_ERROR(BookStaff(transaction, id, *out));
        return EventOf(kAppointmentUpdated, *out, &current);
      });
}

const common::filter::Schema& PgAppointmentRepository::FilterSchema() const {
  return AppointmentFilterSchema();
}

}  // namespace accord::contact
