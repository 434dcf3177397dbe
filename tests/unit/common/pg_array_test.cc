#include "accord/common/pg_array.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace accord::common {
namespace {

TEST(PgArrayTest, QuotesEveryElementAndEscapesQuotesAndBackslashes) {
  const std::vector<std::string> values = {"plain",   "",           "a,b",
                                           "{brace}", "say \"hi\"", "back\\slash"};
  EXPECT_EQ(TextArrayLiteral(values), R"({"plain","","a,b","{brace}","say \"hi\"","back\\slash"})");
}

TEST(PgArrayTest, EmptyListsAndOtherRanges) {
  EXPECT_EQ(TextArrayLiteral(std::vector<std::string>{}), "{}");
  EXPECT_EQ(TextArrayLiteral(std::set<std::string>{"b", "a"}), R"({"a","b"})");
  EXPECT_EQ(IntArrayLiteral(std::vector<int32_t>{}), "{}");
  EXPECT_EQ(IntArrayLiteral(std::vector<int32_t>{3, -1, 0}), "{3,-1,0}");
}

}  // namespace
}  // namespace accord::common
