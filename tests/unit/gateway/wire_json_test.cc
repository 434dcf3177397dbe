// The gateway's JSON printer (wire_json.h) against Protobuf's converter, the reference: for every
// message type of the API, filled field by field, it prints the same bytes or declines.
#include "wire_json.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <string>

#include "api_descriptors.h"

namespace accord::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const ApiDescriptors& Api() { return ApiDescriptors::Embedded(); }

std::string Reference(const Descriptor& type, const std::string& bytes) {
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(
      Api().resolver(), ApiDescriptors::TypeUrl(type), bytes, &json);
  EXPECT_TRUE(status.ok()) << type.full_name() << ": " << status.ToString();
  return json;
}

// Sets every field of `message` (two elements of a repeated field or map, nested messages to a
// few levels), with values that cover the mapping's cases: negative and 64-bit integers, the
// last enum value, nanos at each precision.
void Fill(Message& message, int depth, int seed) {
  const Descriptor& type = *message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  if (type.well_known_type() == Descriptor::WELLKNOWNTYPE_TIMESTAMP) {
    reflection->SetInt64(&message, type.FindFieldByName("seconds"), 1765000000 + seed);
    const int nanos[] = {0, 120000000, 123456000, 123456789};
    reflection->SetInt32(&message, type.FindFieldByName("nanos"), nanos[seed % 4]);
    return;
  }
  if (depth > 3) return;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->containing_oneof() != nullptr && field->containing_oneof()->field(0) != field) {
      continue;  // one member per oneof
    }
    const int count = field->is_repeated() ? 2 : 1;
    for (int n = 0; n < count; ++n) {
      const int v = seed + n + i;
      auto value = [&](auto set, auto add, auto x) {
        if (field->is_repeated()) {
          (reflection->*add)(&message, field, x);
        } else {
          (reflection->*set)(&message, field, x);
        }
      };
      using R = google::protobuf::Reflection;
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          if (field->type() == FieldDescriptor::TYPE_BYTES) break;
          value(&R::SetString, &R::AddString, "v-" + field->name() + "/" + std::to_string(v));
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          value(&R::SetInt32, &R::AddInt32, -v - 1);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          value(&R::SetUInt32, &R::AddUInt32, static_cast<uint32_t>(v + 1));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          value(&R::SetInt64, &R::AddInt64, int64_t{-9000000000} - v);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          value(&R::SetUInt64, &R::AddUInt64, uint64_t{18000000000000000000u} + v);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          value(&R::SetBool, &R::AddBool, (v % 2) == 0);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = field->enum_type();
          value(&R::SetEnumValue, &R::AddEnumValue, e->value(e->value_count() - 1)->number());
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          Message* child = field->is_repeated() ? reflection->AddMessage(&message, field)
                                                : reflection->MutableMessage(&message, field);
          Fill(*child, depth + 1, v);
          break;
        }
        default:  // float and double: the printer leaves them to the converter
          break;
      }
    }
  }
}

TEST(WireJsonTest, PrintsEveryApiMessageAsTheConverterDoesOrDeclines) {
  int printed = 0;
  int declined = 0;
  for (const auto& file : Api().files().file()) {
    const auto* descriptor_file = Api().pool().FindFileByName(file.name());
    if (descriptor_file->package().rfind("accord.", 0) != 0) continue;
    for (int i = 0; i < descriptor_file->message_type_count(); ++i) {
      const Descriptor& type = *descriptor_file->message_type(i);
      for (int seed : {0, 1, 2, 3}) {
        auto message = Api().NewMessage(&type);
        Fill(*message, 0, seed);
        const std::string bytes = message->SerializeAsString();
        auto json = WireToJson(type, bytes);
        if (!json) {
          ++declined;
          continue;
        }
        ++printed;
        EXPECT_EQ(*json, Reference(type, bytes)) << type.full_name() << " seed " << seed;
      }
    }
  }
  // Most of the API is strings, integers, enums, maps, nested messages and Timestamps.
  EXPECT_GT(printed, 3 * declined) << printed << " printed, " << declined << " declined";
}

TEST(WireJsonTest, AnAccountTakesTheFastPath) {
  const Descriptor* type = Api().pool().FindMessageTypeByName("accord.account.v1.Account");
  ASSERT_NE(type, nullptr);
  auto message = Api().NewMessage(type);
  Fill(*message, 0, 1);
  const std::string bytes = message->SerializeAsString();
  auto json = WireToJson(*type, bytes);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(*json, Reference(*type, bytes));
  EXPECT_EQ(WireToJson(*type, ""), "{}");
}

TEST(WireJsonTest, DeclinesWhatItLeavesToTheConverter) {
  const Descriptor* type = Api().pool().FindMessageTypeByName("accord.account.v1.Account");
  ASSERT_NE(type, nullptr);
  auto message = Api().NewMessage(type);
  const FieldDescriptor* name = type->FindFieldByName("display_name");
  ASSERT_NE(name, nullptr);
  for (const std::string text : {"A <b> & \"c\"", "tab\there", "caf\xc3\xa9", "back\\slash"}) {
    message->GetReflection()->SetString(message.get(), name, text);
    const std::string bytes = message->SerializeAsString();
    EXPECT_FALSE(WireToJson(*type, bytes).has_value()) << text;
    // ... and the gateway's conversion still answers, through the converter.
    auto json = Api().BytesToJson(*type, bytes);
    ASSERT_TRUE(json.ok());
    EXPECT_EQ(*json, Reference(*type, bytes));
  }
  // An unknown field, a truncated message.
  EXPECT_FALSE(WireToJson(*type, std::string("\xf8\x7f\x01", 3)).has_value());
  message->GetReflection()->SetString(message.get(), name, "Acme");
  const std::string bytes = message->SerializeAsString();
  EXPECT_FALSE(WireToJson(*type, bytes.substr(0, bytes.size() - 1)).has_value());
}

}  // namespace
}  // namespace accord::gateway
