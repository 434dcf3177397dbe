#include "accord/common/resource_name.h"

#include <gtest/gtest.h>

#include <string>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

constexpr char kA[] = "0190a9a2-7e3c-7b7e-9f00-000000000001";
constexpr char kB[] = "0190A9A2-7E3C-7B7E-9F00-00000000000B";

struct Named {
  std::string name_;
  std::string etag_;
  const std::string& name() const { return name_; }
  const std::string& etag() const { return etag_; }
};

std::string Message(const absl::Status& status) {
  const auto violations = FieldViolationsOf(status);
  return violations.empty() ? std::string(status.message())
                            : violations[0].field + ": " + violations[0].description;
}

TEST(ResourceNameTest, ParsesEveryIdOfANestedNameLowerCased) {
  auto ids = ParseName(std::string("accounts/") + kA + "/needs/" + kB,
                       "accounts/{account}/needs/{need}", "name");
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0], kA);
  EXPECT_EQ((*ids)[1], "0190a9a2-7e3c-7b7e-9f00-00000000000b");
  auto top = ParseTopName(std::string("cases/") + kB, "cases", "name");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(*top, "0190a9a2-7e3c-7b7e-9f00-00000000000b");
  // The canonical spelling (read without the general parse) answers the same, and a name of the
  // same length in another collection is still refused.
  auto canonical = ParseTopName("cases/" + *top, "cases", "name");
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical, *top);
  EXPECT_EQ(Message(ParseTopName("casez/" + *top, "cases", "name").status()),
            "name: must look like cases/{id}");
}

TEST(ResourceNameTest, RefusesNamesThatDoNotFitNamingTheField) {
  const std::string pattern = "accounts/{account}/needs/{need}";
  EXPECT_EQ(Message(ParseName("", pattern, "parent").status()),
            "parent: required, e.g. accounts/{account}/needs/{need}");
  for (const std::string& bad :
       {std::string("accounts/") + kA, std::string("accounts/") + kA + "/teamMembers/" + kB,
        std::string("accounts/") + kA + "/needs/" + kB + "/x", std::string("needs/") + kA}) {
    auto ids = ParseName(bad, pattern, "name");
    EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(Message(ids.status()), "name: must look like accounts/{account}/needs/{need}") << bad;
  }
  EXPECT_EQ(Message(ParseName(std::string("accounts/x/needs/") + kB, pattern, "name").status()),
            "name: every id in accounts/{account}/needs/{need} must be a UUID");
  EXPECT_EQ(Message(ParseTopName("cases/", "cases", "case").status()),
            "case: the id in cases/{id} must be a UUID");
}

TEST(ResourceNameTest, CheckEtagIsAbortedOnAMismatchNamingTheResource) {
  Named current{"accounts/1", "7"};
  EXPECT_TRUE(CheckEtag("7", current).ok());
  auto stale = CheckEtag("6", current);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_NE(stale.message().find("accounts/1"), std::string_view::npos) << stale;
  EXPECT_TRUE(CheckEtag("7", "cases/1", "7").ok());
  EXPECT_EQ(CheckEtag("", "cases/1", "7").code(), absl::StatusCode::kAborted);
}

}  // namespace
}  // namespace accord::common
