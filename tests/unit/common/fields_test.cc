// The request-field and list helpers every service shares (fields.h, list_query.h).
#include "accord/common/fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/list_query.h"
#include "accord/common/v1/types.pb.h"

namespace accord::common {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolationsOf(status)) fields.push_back(violation.field);
  return fields;
}

TEST(FieldsTest, LengthsCountCodePointsNotBytes) {
  EXPECT_EQ(CodePoints(""), 0u);
  EXPECT_EQ(CodePoints("abc"), 3u);
  EXPECT_EQ(CodePoints("台北"), 2u);      // 3 bytes each
  EXPECT_EQ(CodePoints("Zürich 🚚"), 8u);  // 2 and 4 bytes
}

TEST(FieldsTest, BlankIsEmptyOrWhiteSpaceOnly) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\n"));
  EXPECT_FALSE(IsBlank(" x "));
}

TEST(FieldsTest, CalendarDatesAreRealDays) {
  EXPECT_TRUE(IsCalendarDate("2024-02-29"));
  EXPECT_FALSE(IsCalendarDate("2023-02-29"));
  EXPECT_FALSE(IsCalendarDate("1900-02-29"));
  EXPECT_TRUE(IsCalendarDate("2000-02-29"));
  EXPECT_FALSE(IsCalendarDate("0000-01-01"));
  EXPECT_FALSE(IsCalendarDate("2024-13-01"));
  EXPECT_FALSE(IsCalendarDate("2024-1-01"));
  Violations violations;
  ValidateOptionalDate("", "start_date", violations);
  ValidateOptionalDate("2024-04-31", "end_date", violations);
  EXPECT_THAT(Fields(violations.ToStatus()), ElementsAre("end_date"));
}

TEST(FieldsTest, MergedViolationsKeepTheirFields) {
  Violations violations;
  MergeViolations(absl::OkStatus(), violations);
  MergeViolations(InvalidArgument("name", "required"), violations);
  violations.Add("title", "too long");
  // A failure naming no field is kept, on the field the caller gives.
  MergeViolations(absl::InvalidArgumentError("not a UUID"), violations, "parent");
  EXPECT_THAT(Fields(violations.ToStatus()), ElementsAre("name", "title", "parent"));
}

TEST(FieldsTest, TextChecksCountCodePointsAndRefuseBlankWhenRequired) {
  Violations violations;
  CheckText("台北市", "city", 3, /*required=*/true, violations);  // 9 bytes, 3 characters
  CheckText("", "notes", 10, /*required=*/false, violations);
  CheckText("Zürich", "place", 5, /*required=*/false, violations);
  CheckText(" \t", "summary", 100, /*required=*/true, violations);
  const auto status = violations.ToStatus();
  EXPECT_THAT(Fields(status), ElementsAre("place", "summary"));
  const auto items = FieldViolationsOf(status);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].description, "at most 5 characters");
  EXPECT_EQ(items[1].description, "required");
}

TEST(FieldsTest, LowerChangesOnlyAsciiLetters) {
  EXPECT_EQ(Lower("0190A5D8-ABCD"), "0190a5d8-abcd");
  EXPECT_EQ(Lower("ÄB台"), "Äb台");  // multi-byte characters are left as they are
}

TEST(ListQueryTest, OrderByDefaultsToTheFirstFieldAndTakesDirections) {
  const std::vector<std::string> fields = {"member", "create_time"};
  auto order = ParseOrderBy("", fields);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->field, "member");
  EXPECT_FALSE(order->descending);
  EXPECT_EQ(order->canonical, "member");

  order = ParseOrderBy("  Create_Time   DESC ", fields);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->field, "create_time");
  EXPECT_TRUE(order->descending);
  EXPECT_EQ(order->canonical, "create_time desc");

  order = ParseOrderBy("member asc", fields);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->canonical, "member");

  EXPECT_THAT(Fields(ParseOrderBy("role", fields).status()), ElementsAre("order_by"));
  EXPECT_THAT(Fields(ParseOrderBy("member sideways", fields).status()), ElementsAre("order_by"));
  EXPECT_THAT(Fields(ParseOrderBy("member desc extra", fields).status()), ElementsAre("order_by"));
}

TEST(ListQueryTest, FilterEnumValuesTakeFullAndShortNamesButNotZero) {
  auto values = FilterEnumValues(v1::OrganizationType_descriptor(), "ORGANIZATION_TYPE_");
  EXPECT_EQ(values.count("ORGANIZATION_TYPE_UNSPECIFIED"), 0u);
  EXPECT_EQ(values.count("UNSPECIFIED"), 0u);
  const std::string commercial = std::to_string(v1::ORGANIZATION_TYPE_COMMERCIAL);
  EXPECT_THAT(values, ::testing::Contains(Pair("COMMERCIAL", commercial)));
  EXPECT_THAT(values, ::testing::Contains(Pair("ORGANIZATION_TYPE_COMMERCIAL", commercial)));
}

}  // namespace
}  // namespace accord::common
