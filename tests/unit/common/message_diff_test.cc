#include "accord/common/message_diff.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

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

// What ChangedFields answered before it looked at fields itself: MessageDifferencer on every field.
std::vector<std::string> DifferencerChangedFields(const google::protobuf::Message& before,
                                                  const google::protobuf::Message& after) {
  std::vector<std::string> changed;
  google::protobuf::util::MessageDifferencer differencer;
  const auto* descriptor = before.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    std::vector<const google::protobuf::FieldDescriptor*> only{descriptor->field(i)};
    if (!differencer.CompareWithFields(before, after, only, only)) {
      changed.push_back(descriptor->field(i)->name());
    }
  }
  return changed;
}

// A random account drawn from few values, so that two draws often agree field by field: unset and
// empty-but-set messages, equal timestamps, lists and maps built in different orders.
account::v1::Account RandomAccount(std::mt19937& random) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const char* texts[] = {"", "Acme", "Acme Ltd"};
  account::v1::Account account;
  account.set_display_name(texts[pick(3)]);
  account.set_lifecycle_stage(static_cast<account::v1::LifecycleStage>(pick(3)));
  if (pick(3) > 0) account.mutable_create_time()->set_seconds(pick(2));  // set, maybe to 0
  if (pick(2) == 0) account.mutable_annual_revenue()->set_currency_code(texts[pick(3)]);
  switch (pick(3)) {
    case 0:
      break;
    case 1:
      account.mutable_billing_address();
      break;  // present and empty
    default:
      account.mutable_billing_address()->set_locality(texts[pick(3)]);
  }
  for (int n = pick(3); n > 0; --n) account.add_labels(texts[pick(3)]);
  const bool reversed = pick(2) == 0;
  for (int n = pick(3), i = 0; i < n; ++i) {
    const int key = reversed ? n - 1 - i : i;
    (*account.mutable_external_ids())["system" + std::to_string(key)] = texts[pick(2) + 1];
  }
  return account;
}

TEST(MessageDiffTest, AgreesWithMessageDifferencerOnEveryField) {
  std::mt19937 random(20261206);
  std::map<std::string, int> seen_changed;  // how often each field differed: the draws must vary
  for (int round = 0; round < 5000; ++round) {
    const account::v1::Account before = RandomAccount(random);
    const account::v1::Account after = round % 4 == 0 ? before : RandomAccount(random);
    ASSERT_EQ(ChangedFields(before, after), DifferencerChangedFields(before, after))
        << "before: " << before.ShortDebugString() << "\nafter: " << after.ShortDebugString();
    for (const auto& field : DifferencerChangedFields(before, after)) ++seen_changed[field];
  }
  for (const char* field : {"display_name", "lifecycle_stage", "create_time", "annual_revenue",
                            "billing_address", "labels", "external_ids"}) {
    EXPECT_GT(seen_changed[field], 100) << field;
    EXPECT_LT(seen_changed[field], 4000) << field;
  }
}

}  // namespace
}  // namespace accord::common
