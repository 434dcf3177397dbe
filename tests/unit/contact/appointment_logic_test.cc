// The appointments domain's pure rules: validation, the status life cycle and permissions.
#include "appointment_logic.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

namespace accord::contact {
namespace {

using common::Role;
using google::protobuf::util::TimeUtil;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const common::Violations& violations) {
  std::vector<std::string> out;
  for (const auto& violation : violations.items()) out.push_back(violation.field);
  return out;
}

Appointment Valid() {
  Appointment appointment;
  *appointment.mutable_start_time() = TimeUtil::SecondsToTimestamp(1000);
  *appointment.mutable_end_time() = TimeUtil::SecondsToTimestamp(4600);
  appointment.set_video_link("https://meet.example/abc");
  appointment.add_contacts("contacts/0190A000-0000-7000-8000-000000000001");
  appointment.add_staff("am-1");
  return appointment;
}

TEST(AppointmentValidation, AcceptsAValidOneAndNormalisesContactNames) {
  Appointment appointment = Valid();
  common::Violations violations;
  ValidateAppointment(appointment, "appointment.", violations);
  EXPECT_TRUE(violations.empty());
  EXPECT_EQ(appointment.contacts(0), "contacts/0190a000-0000-7000-8000-000000000001");
}

TEST(AppointmentValidation, NamesEveryBadField) {
  Appointment appointment = Valid();
  *appointment.mutable_end_time() = TimeUtil::SecondsToTimestamp(1000 + 86401);
  appointment.clear_video_link();
  appointment.add_contacts("contacts/0190a000-0000-7000-8000-000000000001");
  appointment.clear_staff();
  appointment.set_agenda(std::string(4001, 'a'));
  common::Violations violations;
  ValidateAppointment(appointment, "appointment.", violations);
  EXPECT_THAT(Fields(violations), UnorderedElementsAre("appointment.end_time", "appointment.place",
                                                       "appointment.contacts[1]",
                                                       "appointment.staff", "appointment.agenda"));
}

TEST(AppointmentLifeCycle, CancelledAndCompletedAreFinal) {
  Appointment appointment = Valid();
  appointment.set_status(v1::APPOINTMENT_STATUS_SCHEDULED);
  EXPECT_TRUE(CheckAppointmentChange(appointment, v1::APPOINTMENT_STATUS_CONFIRMED).ok());
  appointment.set_status(v1::APPOINTMENT_STATUS_CONFIRMED);
  EXPECT_EQ(CheckAppointmentChange(appointment, v1::APPOINTMENT_STATUS_SCHEDULED).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckAppointmentChange(appointment, v1::APPOINTMENT_STATUS_COMPLETED).ok());
  for (auto closed : {v1::APPOINTMENT_STATUS_CANCELLED, v1::APPOINTMENT_STATUS_COMPLETED}) {
    appointment.set_status(closed);
    EXPECT_EQ(CheckAppointmentChange(appointment, closed).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST(AppointmentAccess, OrganizerAndStaffUpdateOthersDoNot) {
  Appointment appointment = Valid();
  appointment.set_organizer("sa-1");
  EXPECT_TRUE(CheckAppointmentUpdate({"sa-1", {Role::kSalesAssistant}}, appointment).ok());
  EXPECT_TRUE(CheckAppointmentUpdate({"am-1", {Role::kAccountManager}}, appointment).ok());
  EXPECT_TRUE(CheckAppointmentUpdate({"boss", {Role::kServiceSupervisor}}, appointment).ok());
  EXPECT_FALSE(CheckAppointmentUpdate({"sa-2", {Role::kSalesAssistant}}, appointment).ok());
  // Being named as staff gives no right to a role that makes no appointments.
  EXPECT_FALSE(CheckAppointmentUpdate({"am-1", {Role::kIntegration}}, appointment).ok());
  EXPECT_FALSE(CheckAppointmentCreate({"x", {Role::kPricingManager}}).ok());
}

}  // namespace
}  // namespace accord::contact
