#include "accord/common/field_limits.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "accord/account/v1/account.pb.h"
#include "accord/account/v1/insights.pb.h"
#include "accord/account/v1/need.pb.h"
#include "accord/account/v1/team.pb.h"
#include "accord/common/errors.h"
#include "accord/common/v1/address.pb.h"
#include "accord/common/v1/date.pb.h"
#include "accord/common/v1/event.pb.h"
#include "accord/common/v1/limits.pb.h"
#include "accord/common/v1/money.pb.h"
#include "accord/common/v1/types.pb.h"
#include "accord/contact/v1/account_relation.pb.h"
#include "accord/contact/v1/appointment.pb.h"
#include "accord/contact/v1/campaign.pb.h"
#include "accord/contact/v1/contact.pb.h"
#include "accord/contact/v1/engagement.pb.h"
#include "accord/contact/v1/stewardship.pb.h"
#include "accord/events/v1/events.pb.h"
#include "accord/example/v1/example.pb.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "accord/pricing/v1/pricing_policy.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/report.pb.h"
#include "accord/quality/v1/sla.pb.h"
#include "accord/quality/v1/survey.pb.h"
#include "accord/webhooks/v1/webhooks.pb.h"

namespace accord::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// One message of each Accord proto file, so that the static libraries link the file's descriptor
// into this binary (the generated pool only knows linked files).
const std::vector<const Descriptor*>& Anchors() {
  static const std::vector<const Descriptor*> kAnchors = {
      account::v1::Account::descriptor(),
      account::v1::TeamMember::descriptor(),
      account::v1::Need::descriptor(),
      account::v1::AccountInsights::descriptor(),
      events::v1::SubscribeRequest::descriptor(),
      v1::PostalAddress::descriptor(),
      v1::Date::descriptor(),
      v1::Money::descriptor(),
      v1::EventEnvelope::descriptor(),
      v1::FieldLimits::descriptor(),
      contact::v1::AccountRelation::descriptor(),
      contact::v1::EmailAddress::descriptor(),
      contact::v1::ConsentRecord::descriptor(),
      contact::v1::Appointment::descriptor(),
      contact::v1::CallingHours::descriptor(),
      contact::v1::MergeContactsRequest::descriptor(),
      pricing::v1::PriceList::descriptor(),
      pricing::v1::QuoteLine::descriptor(),
      pricing::v1::DiscountRule::descriptor(),
      pricing::v1::PricingPolicy::descriptor(),
      quality::v1::SpecialNeed::descriptor(),
      quality::v1::GetServiceReportRequest::descriptor(),
      quality::v1::SlaPolicy::descriptor(),
      quality::v1::Survey::descriptor(),
      example::v1::EchoRequest::descriptor(),
      webhooks::v1::Webhook::descriptor(),
  };
  return kAnchors;
}

// Every .proto under proto/accord in the source tree, as import paths ("accord/x/v1/y.proto").
// The bench's no-op protos are not an API and are not linked into the services.
std::vector<std::string> SourceProtoFiles() {
  const std::filesystem::path proto_root = std::filesystem::path(ACCORD_SOURCE_DIR) / "proto";
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(proto_root / "accord")) {
    if (entry.path().extension() != ".proto") continue;
    std::string relative = std::filesystem::relative(entry.path(), proto_root).generic_string();
    if (relative.rfind("accord/bench/", 0) == 0) continue;
    files.push_back(relative);
  }
  return files;
}

void CollectMessages(const Descriptor& message, std::vector<const Descriptor*>& out) {
  if (message.options().map_entry()) return;  // checked through the map field
  out.push_back(&message);
  for (int i = 0; i < message.nested_type_count(); ++i)
    CollectMessages(*message.nested_type(i), out);
}

// What `field` lacks, or "" when its limits cover every way it can grow.
std::string MissingLimits(const FieldDescriptor& field) {
  if (!FieldNeedsLimits(field)) return "";
  const auto& limits = field.options().GetExtension(v1::limits);
  std::vector<std::string> missing;
  auto is_text = [](const FieldDescriptor& f) {
    return f.type() == FieldDescriptor::TYPE_STRING || f.type() == FieldDescriptor::TYPE_BYTES;
  };
  if (field.is_repeated() && limits.max_items() <= 0) missing.push_back("max_items");
  if (field.is_map()) {
    const FieldDescriptor& key = *field.message_type()->map_key();
    const FieldDescriptor& value = *field.message_type()->map_value();
    if (key.type() == FieldDescriptor::TYPE_STRING && limits.max_key_length() <= 0) {
      missing.push_back("max_key_length");
    }
    if (is_text(value) && limits.max_length() <= 0) missing.push_back("max_length");
  } else if (is_text(field) && limits.max_length() <= 0) {
    missing.push_back("max_length");
  } else if (field.message_type() != nullptr && !IsAccordMessage(*field.message_type()) &&
             limits.max_length() <= 0) {
    missing.push_back("max_length (encoded bytes)");
  }
  std::string text;
  for (const auto& part : missing) text += (text.empty() ? "" : ", ") + part;
  return text;
}

TEST(FieldLimitsTest, EveryStringBytesRepeatedAndMapFieldOfEveryAccordProtoHasLimits) {
  ASSERT_FALSE(Anchors().empty());
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const std::vector<std::string> files = SourceProtoFiles();
  ASSERT_GE(files.size(), 10u) << "proto/accord not found under " << ACCORD_SOURCE_DIR;
  std::vector<std::string> unlimited;
  int fields_checked = 0;
  for (const auto& name : files) {
    const FileDescriptor* file = pool->FindFileByName(name);
    ASSERT_NE(file, nullptr) << name
                             << " is not linked into this test: link its proto library and add "
                                "one of its messages to Anchors()";
    std::vector<const Descriptor*> messages;
    for (int i = 0; i < file->message_type_count(); ++i) {
      CollectMessages(*file->message_type(i), messages);
    }
    for (const Descriptor* message : messages) {
      for (int i = 0; i < message->field_count(); ++i) {
        const FieldDescriptor& field = *message->field(i);
        ++fields_checked;
        if (auto missing = MissingLimits(field); !missing.empty()) {
          unlimited.push_back(field.full_name() + " lacks " + missing);
        }
      }
    }
  }
  EXPECT_GT(fields_checked, 100);
  std::string report;
  for (const auto& line : unlimited) report += "\n  " + line;
  EXPECT_TRUE(unlimited.empty()) << "fields without (accord.common.v1.limits):" << report;
}

std::vector<FieldViolation> ViolationsOf(const google::protobuf::Message& message) {
  const absl::Status status = CheckFieldLimits(message);
  if (!status.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(status), "FIELD_LIMIT_EXCEEDED");
  }
  return FieldViolationsOf(status);
}

account::v1::CreateAccountRequest ValidCreate() {
  account::v1::CreateAccountRequest request;
  auto& account = *request.mutable_account();
  account.set_display_name("Acme");
  account.add_labels("vip");
  (*account.mutable_external_ids())["erp"] = "C-1";
  account.mutable_billing_address()->set_locality("Taipei");
  account.mutable_billing_address()->add_address_lines("1 Main St");
  return request;
}

TEST(FieldLimitsTest, ValuesWithinLimitsPass) {
  EXPECT_TRUE(CheckFieldLimits(ValidCreate()).ok());
  EXPECT_TRUE(CheckFieldLimits(account::v1::GetAccountRequest()).ok());
  EXPECT_TRUE(CheckFieldLimits(v1::Date()).ok());
}

TEST(FieldLimitsTest, NestedStringPastItsLimitNamesThePathAndTheLimit) {
  auto request = ValidCreate();
  request.mutable_account()->mutable_billing_address()->set_locality(std::string(1 << 20, 'x'));
  const auto violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.billing_address.locality");
  EXPECT_EQ(violations[0].description, "at most 100 characters (got 1048576)");
}

TEST(FieldLimitsTest, LengthsAreCountedInCodePoints) {
  account::v1::CreateAccountRequest request;
  std::string name;
  for (int i = 0; i < 200; ++i) name += "\xE5\x8F\xB0";  // 200 characters, 600 bytes
  request.mutable_account()->set_display_name(name);
  EXPECT_TRUE(CheckFieldLimits(request).ok());
  request.mutable_account()->set_display_name(name + "x");
  const auto violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.display_name");
  EXPECT_EQ(violations[0].description, "at most 200 characters (got 201)");
}

TEST(FieldLimitsTest, RepeatedFieldsBoundTheirItemsAndEachItem) {
  auto request = ValidCreate();
  request.mutable_account()->add_labels(std::string(64, 'a'));
  auto violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.labels[1]");
  EXPECT_EQ(violations[0].description, "at most 63 characters (got 64)");

  request = ValidCreate();
  for (int i = 0; i < 60; ++i) request.mutable_account()->add_labels("x");
  violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.labels");
  EXPECT_EQ(violations[0].description, "at most 50 items (got 61)");
}

TEST(FieldLimitsTest, MapsBoundEntriesKeysAndValues) {
  auto request = ValidCreate();
  (*request.mutable_account()->mutable_external_ids())["erp"] = std::string(201, 'x');
  auto violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.external_ids[erp]");
  EXPECT_EQ(violations[0].description, "at most 200 characters (got 201)");

  request = ValidCreate();
  (*request.mutable_account()->mutable_external_ids())[std::string(65, 's')] = "1";
  violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.external_ids");
  EXPECT_EQ(violations[0].description, "each key at most 64 characters (got 65)");

  request = ValidCreate();
  for (int i = 0; i < 25; ++i) {
    (*request.mutable_account()->mutable_external_ids())["s" + std::to_string(i)] = "1";
  }
  violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "account.external_ids");
  EXPECT_EQ(violations[0].description, "at most 20 items (got 26)");
}

TEST(FieldLimitsTest, RepeatedMessagesAreWalkedWithTheirIndex) {
  account::v1::BatchUpsertAccountsByExternalIdRequest request;
  request.add_requests()->set_system("erp");
  request.add_requests()->mutable_account()->set_tax_id(std::string(65, '1'));
  const auto violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "requests[1].account.tax_id");
}

TEST(FieldLimitsTest, ForeignMessagesAreBoundedByTheirEncodedSize) {
  account::v1::UpdateAccountRequest request;
  for (int i = 0; i < 200; ++i) request.mutable_update_mask()->add_paths("display_name");
  const auto violations = ViolationsOf(request);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "update_mask");
  EXPECT_NE(violations[0].description.find("at most 1024 bytes encoded"), std::string::npos);
}

TEST(FieldLimitsTest, ReportsAtMostAFixedNumberOfViolations) {
  account::v1::BatchGetAccountsRequest request;
  for (int i = 0; i < 500; ++i) request.add_names(std::string(129, 'n'));
  EXPECT_EQ(ViolationsOf(request).size(), static_cast<size_t>(kMaxLimitViolations));
}

TEST(FieldLimitsTest, EveryViolationOfOneRequestIsReported) {
  auto request = ValidCreate();
  request.mutable_account()->set_legal_name(std::string(301, 'l'));
  request.mutable_account()->mutable_shipping_address()->set_postal_code(std::string(21, '9'));
  request.set_request_id(std::string(65, 'r'));
  std::set<std::string> fields;
  for (const auto& violation : ViolationsOf(request)) fields.insert(violation.field);
  EXPECT_EQ(fields, (std::set<std::string>{"account.legal_name",
                                           "account.shipping_address.postal_code", "request_id"}));
}

}  // namespace
}  // namespace accord::common
