// The catalog in accord.common.v1 (ErrorReason, EventType) lists every reason and event type the
// code uses: the sources are scanned for the string literals they pass, so a new free string
// fails here until it is added to the catalog.
#include "accord/common/catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace accord::common {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The C++ sources of every service and example, under ACCORD_SOURCE_DIR.
std::vector<std::filesystem::path> ServiceSources() {
  std::vector<std::filesystem::path> files;
  for (const char* root : {"services", "examples"}) {
    const auto dir = std::filesystem::path(ACCORD_SOURCE_DIR) / root;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      const auto extension = entry.path().extension();
      if (extension == ".cc" || extension == ".h") files.push_back(entry.path());
    }
  }
  return files;
}

std::set<std::string> Matches(const std::regex& pattern) {
  std::set<std::string> found;
  for (const auto& file : ServiceSources()) {
    if (file.string().find("/bench/") != std::string::npos) continue;  // the no-op's own events
    const std::string text = ReadFile(file);
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
      found.insert((*it)[1].str());
    }
  }
  return found;
}

TEST(CatalogTest, EveryErrorReasonInTheCodeIsInTheCatalog) {
  // The reason argument of the errors.h helpers and of WithReason.
  const std::regex pattern(
      R"re((?:PermissionDenied|Unauthenticated|Unavailable|Aborted|FailedPrecondition|AlreadyExists|Make)\(\s*(?:absl::StatusCode::\w+,\s*)?"([A-Z][A-Z_]+)"|WithReason\([^;]*?"([A-Z][A-Z_]+)")re");
  std::set<std::string> reasons;
  for (const auto& file : ServiceSources()) {
    const std::string text = ReadFile(file);
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
      reasons.insert((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
    }
  }
  EXPECT_GT(reasons.size(), 20u);
  for (const auto& reason : reasons) {
    v1::ErrorReason value;
    EXPECT_TRUE(v1::ErrorReason_Parse(reason, &value))
        << reason << " is used as an error reason but missing from accord.common.v1.ErrorReason";
  }
}

TEST(CatalogTest, EveryEventTypeInTheCodeIsInTheCatalog) {
  const std::set<std::string> types = Matches(
      std::regex(R"re("(accord\.[a-z_]+\.v1\.[A-Za-z]+(?:Created|Updated|Deleted|Merged))")re"));
  EXPECT_GE(types.size(), 4u);
  std::set<std::string> catalog;
  const auto* descriptor = v1::EventType_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    catalog.insert(EventTypeName(static_cast<v1::EventType>(descriptor->value(i)->number())));
  }
  for (const auto& type : types) {
    EXPECT_TRUE(catalog.count(type))
        << type << " is emitted but missing from accord.common.v1.EventType";
  }
}

TEST(CatalogTest, NamesAreTheStringsThatTravel) {
  EXPECT_EQ(ReasonName(v1::ACCOUNT_MERGED), "ACCOUNT_MERGED");
  EXPECT_EQ(EventTypeName(v1::EVENT_TYPE_ACCOUNT_CREATED), "accord.account.v1.AccountCreated");
  EXPECT_EQ(EventTypeName(v1::EVENT_TYPE_UNSPECIFIED), "");
  // Every value but UNSPECIFIED has a dotted type name, and no two share one.
  std::set<std::string> names;
  const auto* descriptor = v1::EventType_descriptor();
  for (int i = 1; i < descriptor->value_count(); ++i) {
    const std::string& name =
        EventTypeName(static_cast<v1::EventType>(descriptor->value(i)->number()));
    EXPECT_EQ(name.rfind("accord.", 0), 0u) << descriptor->value(i)->name();
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

}  // namespace
}  // namespace accord::common
