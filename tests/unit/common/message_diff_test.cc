#include "accord/common/message_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/account/v1/account.pb.h"

namespace accord::common {
namespace {

TEST(MessageDiffTest, NamesOnlyChangedFieldsAndHonoursIgnore) {
  account::v1::Account before;
  before.set_display_name("Acme");
  before.set_owner("alice");
  before.set_etag("1");
  account::v1::Account after = before;
  EXPECT_TRUE(ChangedFields(before, after).empty());
  after.set_display_name("Acme Ltd");
  after.set_lifecycle_stage(account::v1::LIFECYCLE_STAGE_ACTIVE);
  after.set_etag("2");
  after.mutable_update_time()->set_seconds(5);
  EXPECT_THAT(ChangedFields(before, after, {"etag", "update_time"}),
              ::testing::ElementsAre("display_name", "lifecycle_stage"));
  EXPECT_THAT(ChangedFields(before, after),
              ::testing::ElementsAre("display_name", "lifecycle_stage", "update_time", "etag"));
}

TEST(MessageDiffTest, ComparesRepeatedMapAndNestedFieldsByValue) {
  account::v1::Account before;
  before.add_labels("key");
  (*before.mutable_external_ids())["crm"] = "42";
  before.mutable_billing_address()->set_locality("Lyon");
  account::v1::Account after = before;
  // Rebuilt, equal values are no change.
  after.clear_external_ids();
  (*after.mutable_external_ids())["crm"] = "42";
  EXPECT_TRUE(ChangedFields(before, after).empty());

  after.add_labels("strategic");
  (*after.mutable_external_ids())["erp"] = "7";
  after.mutable_billing_address()->set_locality("Paris");
  EXPECT_THAT(ChangedFields(before, after),
              ::testing::UnorderedElementsAre("labels", "external_ids", "billing_address"));
}

}  // namespace
}  // namespace accord::common
