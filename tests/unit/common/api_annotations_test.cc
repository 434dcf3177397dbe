// The account API's protos carry the google.api annotations that generators, gateways and linters
// read: resource types, the identifier and output-only fields, and typed references.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "accord/account/v1/account.pb.h"
#include "accord/account/v1/need.pb.h"
#include "accord/account/v1/team.pb.h"
#include "google/api/field_behavior.pb.h"
#include "google/api/resource.pb.h"

namespace accord {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool Has(const FieldDescriptor& field, google::api::FieldBehavior behavior) {
  const auto& options = field.options();
  for (int i = 0; i < options.ExtensionSize(google::api::field_behavior); ++i) {
    if (options.GetExtension(google::api::field_behavior, i) == behavior) return true;
  }
  return false;
}

std::vector<const google::protobuf::FileDescriptor*> AccountFiles() {
  return {account::v1::Account::descriptor()->file(), account::v1::TeamMember::descriptor()->file(),
          account::v1::Need::descriptor()->file()};
}

TEST(ApiAnnotationsTest, ResourcesDeclareTheirTypeIdentifierAndOutputOnlyFields) {
  int resources = 0;
  for (const auto* file : AccountFiles()) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      const Descriptor& message = *file->message_type(i);
      const auto& resource = message.options().GetExtension(google::api::resource);
      if (resource.type().empty()) continue;
      ++resources;
      EXPECT_EQ(resource.type(), "account.accord.dev/" + message.name());
      ASSERT_EQ(resource.pattern_size(), 1) << message.full_name();
      EXPECT_EQ(resource.pattern(0).rfind("accounts/{account}", 0), 0u) << message.full_name();
      ASSERT_NE(message.FindFieldByName("name"), nullptr);
      EXPECT_TRUE(Has(*message.FindFieldByName("name"), google::api::IDENTIFIER))
          << message.full_name();
      for (const char* output : {"create_time", "update_time", "etag"}) {
        const FieldDescriptor* field = message.FindFieldByName(output);
        ASSERT_NE(field, nullptr) << message.full_name() << "." << output;
        EXPECT_TRUE(Has(*field, google::api::OUTPUT_ONLY)) << field->full_name();
      }
    }
  }
  EXPECT_EQ(resources, 3);
  EXPECT_TRUE(Has(*account::v1::TeamMember::descriptor()->FindFieldByName("member"),
                  google::api::IMMUTABLE));
}

TEST(ApiAnnotationsTest, RequestNamesAndParentsReferenceTheirResourceType) {
  std::vector<std::string> missing;
  for (const auto* file : AccountFiles()) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      const Descriptor& message = *file->message_type(i);
      if (message.name().size() < 7 ||
          message.name().compare(message.name().size() - 7, 7, "Request") != 0) {
        continue;
      }
      for (const char* name : {"name", "parent", "survivor", "duplicate"}) {
        const FieldDescriptor* field = message.FindFieldByName(name);
        if (field == nullptr) continue;
        const auto& reference = field->options().GetExtension(google::api::resource_reference);
        if (reference.type().empty() && reference.child_type().empty()) {
          missing.push_back(field->full_name());
        }
        if (!Has(*field, google::api::REQUIRED))
          missing.push_back(field->full_name() + " REQUIRED");
      }
    }
  }
  std::string report;
  for (const auto& field : missing) report += "\n  " + field;
  EXPECT_TRUE(missing.empty()) << "without a resource reference or REQUIRED:" << report;
}

}  // namespace
}  // namespace accord
