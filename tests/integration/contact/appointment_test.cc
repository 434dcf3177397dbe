// Appointments over gRPC with real PostgreSQL: the staff overlap refused by the database.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>

#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "accord/common/ids.h"
#include "contact_fixture.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using testing::ReasonOf;
using ::testing::UnorderedElementsAre;
using testing::ViolatedFields;

constexpr int64_t kNine = 2000000000;  // a fixed hour, far from now

class AppointmentTest : public ContactFixture {
 protected:
  v1::Appointment Draft(const std::string& contact, int64_t start, int64_t end,
                        std::vector<std::string> staff) {
    v1::Appointment appointment;
    *appointment.mutable_start_time() = TimeUtil::SecondsToTimestamp(start);
    *appointment.mutable_end_time() = TimeUtil::SecondsToTimestamp(end);
    appointment.set_place("12 St James's Square");
    appointment.set_agenda("Lease terms");
    appointment.add_contacts(contact);
    for (auto& subject : staff) appointment.add_staff(subject);
    return appointment;
  }

  grpc::Status Book(const v1::Appointment& appointment, v1::Appointment* out,
                    const std::string& subject = "sa-1", Role role = Role::kSalesAssistant) {
    v1::CreateAppointmentRequest request;
    *request.mutable_appointment() = appointment;
    return appointments_->CreateAppointment(As(subject, role).get(), request, out);
  }
};

TEST_F(AppointmentTest, CreateGetListAndCancel) {
  v1::Contact ada = Create(Ada());
  v1::Appointment booked;
  auto status = Book(Draft(ada.name(), kNine, kNine + 3600, {"am-1", "sa-1"}), &booked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(booked.name(), ::testing::StartsWith("appointments/"));
  EXPECT_EQ(booked.status(), v1::APPOINTMENT_STATUS_SCHEDULED);
  EXPECT_EQ(booked.organizer(), "sa-1");
  EXPECT_THAT(booked.staff(), UnorderedElementsAre("am-1", "sa-1"));
  EXPECT_THAT(booked.contacts(), UnorderedElementsAre(ada.name()));

  v1::GetAppointmentRequest get;
  get.set_name(booked.name());
  v1::Appointment fetched;
  ASSERT_TRUE(
      appointments_->GetAppointment(As("agent", Role::kServiceAgent).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), booked.SerializeAsString());
  get.set_name("appointments/" + common::NewUuidV7());
  status = appointments_->GetAppointment(As("root", Role::kAdmin).get(), get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(get.name()));

  v1::ListAppointmentsRequest list;
  list.set_filter("staff:am-1 AND contacts:\"" + ada.name() + "\"");
  v1::ListAppointmentsResponse page;
  ASSERT_TRUE(appointments_->ListAppointments(As("root", Role::kAdmin).get(), list, &page).ok());
  ASSERT_EQ(page.appointments_size(), 1);
  list.set_filter("staff:nobody");
  ASSERT_TRUE(appointments_->ListAppointments(As("root", Role::kAdmin).get(), list, &page).ok());
  EXPECT_EQ(page.appointments_size(), 0);

  v1::UpdateAppointmentRequest update;
  update.mutable_appointment()->set_name(booked.name());
  update.mutable_appointment()->set_status(v1::APPOINTMENT_STATUS_CANCELLED);
  update.mutable_update_mask()->add_paths("status");
  update.set_etag(booked.etag());
  v1::Appointment cancelled;
  // Someone who neither organised nor attends it may not.
  EXPECT_EQ(
      appointments_->UpdateAppointment(As("sa-9", Role::kSalesAssistant).get(), update, &cancelled)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      appointments_->UpdateAppointment(As("am-1", Role::kAccountManager).get(), update, &cancelled)
          .ok());
  EXPECT_EQ(cancelled.status(), v1::APPOINTMENT_STATUS_CANCELLED);
  // Stale etag, then a change to a cancelled appointment.
  EXPECT_EQ(
      appointments_->UpdateAppointment(As("am-1", Role::kAccountManager).get(), update, &cancelled)
          .error_code(),
      grpc::StatusCode::ABORTED);
  update.set_etag(cancelled.etag());
  update.mutable_appointment()->set_status(v1::APPOINTMENT_STATUS_CONFIRMED);
  status =
      appointments_->UpdateAppointment(As("am-1", Role::kAccountManager).get(), update, &cancelled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "APPOINTMENT_CLOSED");

  // The cancelled appointment freed the staff's time.
  v1::Appointment again;
  EXPECT_TRUE(Book(Draft(ada.name(), kNine, kNine + 3600, {"am-1"}), &again).ok());
}

TEST_F(AppointmentTest, AnOverlapForOneStaffMemberIsRefusedNamingTheClash) {
  v1::Contact ada = Create(Ada());
  v1::Contact bob = Create(Ada());
  v1::Appointment first, clash, touching, other_staff;
  ASSERT_TRUE(Book(Draft(ada.name(), kNine, kNine + 3600, {"am-1"}), &first).ok());
  auto status = Book(Draft(bob.name(), kNine + 1800, kNine + 5400, {"sa-2", "am-1"}), &clash);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "STAFF_BUSY");
  EXPECT_THAT(status.error_message(), HasSubstr(first.name()));
  EXPECT_THAT(status.error_message(), HasSubstr("am-1"));
  // Nothing of the refused appointment was written.
  EXPECT_EQ(RowsOf("contact.appointments").size(), 1u);
  // Back to back is no overlap; another staff member at the same time is free.
  EXPECT_TRUE(Book(Draft(bob.name(), kNine + 3600, kNine + 7200, {"am-1"}), &touching).ok());
  EXPECT_TRUE(Book(Draft(bob.name(), kNine, kNine + 3600, {"sa-2"}), &other_staff).ok());

  // Moving an appointment onto another's time is refused too.
  v1::UpdateAppointmentRequest update;
  update.mutable_appointment()->set_name(touching.name());
  *update.mutable_appointment()->mutable_start_time() = TimeUtil::SecondsToTimestamp(kNine);
  update.mutable_update_mask()->add_paths("start_time");
  update.set_etag(touching.etag());
  v1::Appointment moved;
  status = appointments_->UpdateAppointment(As("root", Role::kAdmin).get(), update, &moved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr(first.name()));
}

TEST_F(AppointmentTest, TheDatabaseItselfRefusesAnOverlap) {
  v1::Contact ada = Create(Ada());
  v1::Appointment first, second;
  ASSERT_TRUE(Book(Draft(ada.name(), kNine, kNine + 3600, {"am-1"}), &first).ok());
  ASSERT_TRUE(Book(Draft(ada.name(), kNine + 7200, kNine + 9000, {"sa-3"}), &second).ok());
  // Bypassing the service: a row that overlaps am-1's booking breaks the exclusion constraint.
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  try {
    work.exec_params(
        "INSERT INTO contact.appointment_staff (appointment_id, staff, during) VALUES "
        "($1::uuid, 'am-1', tstzrange(to_timestamp($2) + interval '10 minutes', "
        "to_timestamp($2) + interval '20 minutes'))",
        second.name().substr(13), kNine);
    FAIL() << "the overlap was stored";
  } catch (const pqxx::sql_error& error) {
    EXPECT_EQ(error.sqlstate(), "23P01");
    EXPECT_THAT(error.what(), HasSubstr("appointment_staff_no_overlap"));
  }
}

TEST_F(AppointmentTest, ConcurrentBookingsOfOneSlotLeaveExactlyOne) {
  std::vector<v1::Contact> contacts;
  for (int i = 0; i < 6; ++i) contacts.push_back(Create(Ada()));
  std::vector<grpc::Status> results(contacts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < contacts.size(); ++i) {
    threads.emplace_back([&, i] {
      v1::Appointment out;
      results[i] = Book(Draft(contacts[i].name(), kNine + static_cast<int64_t>(i) * 60,
                              kNine + 3600, {"am-busy"}),
                        &out);
    });
  }
  for (auto& thread : threads) thread.join();
  int booked = 0;
  for (const auto& status : results) {
    if (status.ok()) {
      ++booked;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << status.error_message();
    }
  }
  EXPECT_EQ(booked, 1);
  EXPECT_EQ(RowsOf("contact.appointment_staff").size(), 1u);
}

TEST_F(AppointmentTest, BadInputMissingContactsAndPermissions) {
  v1::Contact ada = Create(Ada("am-owner"));
  v1::Appointment bad;
  *bad.mutable_start_time() = TimeUtil::SecondsToTimestamp(kNine);
  *bad.mutable_end_time() = TimeUtil::SecondsToTimestamp(kNine - 1);
  bad.set_video_link("http://meet.example/x");
  bad.add_contacts("people/1");
  bad.add_staff("a");
  bad.add_staff("a");
  v1::Appointment out;
  auto status = Book(bad, &out);
  EXPECT_THAT(ViolatedFields(status),
              UnorderedElementsAre("appointment.end_time", "appointment.video_link",
                                   "appointment.contacts[0]", "appointment.staff[1]"));
  bad = Draft(ada.name(), kNine, kNine + 3600, {"am-1"});
  bad.clear_place();
  EXPECT_THAT(ViolatedFields(Book(bad, &out)), UnorderedElementsAre("appointment.place"));

  const std::string missing = "contacts/" + common::NewUuidV7();
  status = Book(Draft(missing, kNine, kNine + 3600, {"am-1"}), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));

  const v1::Appointment draft = Draft(ada.name(), kNine, kNine + 3600, {"am-owner"});
  EXPECT_EQ(Book(draft, &out, "sync", Role::kIntegration).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Book(draft, &out, "am-other", Role::kAccountManager).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = Book(draft, &out, "am-owner", Role::kAccountManager);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace accord::contact
