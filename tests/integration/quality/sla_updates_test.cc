// Updating SLA policies and calendars with a FieldMask: what changes, stale etags, paths that
// cannot be updated, and a result that would be invalid, each leaving the resource as it was.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "quality_fixture.h"

namespace accord::quality {
namespace {

using google::protobuf::util::TimeUtil;
using testing::ViolatedFields;

class SlaUpdatesTest : public QualityFixture {};

TEST_F(SlaUpdatesTest, APolicyChangesOnlyTheFieldsInItsMask) {
  const v1::Calendar calendar = AlwaysOpen();
  const v1::SlaPolicy policy = Policy(calendar, v1::PRIORITY_HIGH, 60, 480);
  v1::UpdateSlaPolicyRequest request;
  request.mutable_sla_policy()->set_name(policy.name());
  *request.mutable_sla_policy()->mutable_resolution_target() = TimeUtil::MinutesToDuration(240);
  request.mutable_sla_policy()->set_display_name("ignored: not in the mask");
  request.mutable_update_mask()->add_paths("resolution_target");
  request.set_etag(policy.etag());
  v1::SlaPolicy updated;
  auto status = slas_->UpdateSlaPolicy(Supervisor().get(), request, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.resolution_target().seconds(), 240 * 60);
  EXPECT_EQ(updated.first_response_target().seconds(), 60 * 60);
  EXPECT_EQ(updated.display_name(), policy.display_name());
  EXPECT_NE(updated.etag(), policy.etag());

  // The old etag is stale now.
  status = slas_->UpdateSlaPolicy(Supervisor().get(), request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  // A path that cannot change, and an empty mask.
  request.set_etag(updated.etag());
  request.mutable_update_mask()->add_paths("priority");
  status = slas_->UpdateSlaPolicy(Supervisor().get(), request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("update_mask"));
  request.clear_update_mask();
  status = slas_->UpdateSlaPolicy(Supervisor().get(), request, &updated);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("update_mask"));
  // A first-response target above the resolution target is refused under the lock.
  request.mutable_update_mask()->add_paths("first_response_target");
  *request.mutable_sla_policy()->mutable_first_response_target() = TimeUtil::MinutesToDuration(300);
  status = slas_->UpdateSlaPolicy(Supervisor().get(), request, &updated);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("sla_policy.first_response_target"));
  // Agents do not manage policies.
  EXPECT_EQ(slas_->UpdateSlaPolicy(Agent().get(), request, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::GetSlaPolicyRequest get;
  get.set_name(policy.name());
  v1::SlaPolicy stored;
  ASSERT_TRUE(slas_->GetSlaPolicy(Supervisor().get(), get, &stored).ok());
  EXPECT_EQ(stored.resolution_target().seconds(), 240 * 60);
  EXPECT_EQ(stored.first_response_target().seconds(), 60 * 60);
}

TEST_F(SlaUpdatesTest, ACalendarWithoutAMaskIsReplacedAndMustStayValid) {
  const v1::Calendar calendar = AlwaysOpen();
  v1::UpdateCalendarRequest request;
  *request.mutable_calendar() = calendar;
  request.mutable_calendar()->set_display_name("Berlin office");
  request.mutable_calendar()->set_time_zone("Europe/Berlin");
  request.set_etag(calendar.etag());
  v1::Calendar updated;
  auto status = slas_->UpdateCalendar(Supervisor().get(), request, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.display_name(), "Berlin office");
  EXPECT_EQ(updated.time_zone(), "Europe/Berlin");
  EXPECT_EQ(updated.working_hours_size(), 7);

  // No working hours left: refused, and the calendar keeps its hours.
  request.set_etag(updated.etag());
  request.mutable_calendar()->clear_working_hours();
  request.mutable_update_mask()->add_paths("working_hours");
  status = slas_->UpdateCalendar(Supervisor().get(), request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.mutable_update_mask()->add_paths("name");
  status = slas_->UpdateCalendar(Supervisor().get(), request, &updated);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("update_mask"));

  v1::GetCalendarRequest get;
  get.set_name(calendar.name());
  v1::Calendar stored;
  ASSERT_TRUE(slas_->GetCalendar(Supervisor().get(), get, &stored).ok());
  EXPECT_EQ(stored.working_hours_size(), 7);
  EXPECT_EQ(stored.time_zone(), "Europe/Berlin");
}

}  // namespace
}  // namespace accord::quality
