#include "wire_json.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"

namespace accord::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Characters Protobuf's JSON writer prints as they are. It escapes control characters, '"', '\\',
// '<', '>', DEL and a list of invisible Unicode characters; rather than copy that list, any other
// byte sends the message to the converter.
bool PlainString(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>') return false;
  }
  return true;
}

// Timestamp.seconds bounds the JSON mapping accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

class Printer {
 public:
  explicit Printer(std::string& out) : out_(out) {}

  // The fields of a message of `type` until the end of `in`'s current limit.
  bool Message(const Descriptor& type, CodedInputStream& in) {
    if (type.well_known_type() == Descriptor::WELLKNOWNTYPE_TIMESTAMP) return Timestamp(in);
    if (type.well_known_type() != Descriptor::WELLKNOWNTYPE_UNSPECIFIED) return false;
    out_ += '{';
    bool first = true;
    uint32_t tag = in.ReadTag();
    while (tag != 0) {
      const FieldDescriptor* field = type.FindFieldByNumber(static_cast<int>(tag >> 3));
      if (field == nullptr) return false;  // unknown field: the converter decides
      if (!first) out_ += ',';
      first = false;
      out_ += '"';
      out_ += field->json_name();
      out_ += "\":";
      if (field->is_map()) {
        // Consecutive entries of the map, as the converter renders them.
        out_ += '{';
        bool first_entry = true;
        const uint32_t field_tag = tag;
        do {
          if (!first_entry) out_ += ',';
          first_entry = false;
          if (!MapEntry(*field->message_type(), in)) return false;
          tag = in.ReadTag();
        } while (tag == field_tag);
        out_ += '}';
      } else if (field->is_repeated()) {
        out_ += '[';
        bool first_value = true;
        const uint32_t field_tag = tag;
        do {
          if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
              field->is_packable()) {
            uint32_t length;
            if (!in.ReadVarint32(&length)) return false;
            const auto limit = in.PushLimit(static_cast<int>(length));
            while (in.BytesUntilLimit() > 0) {
              if (!first_value) out_ += ',';
              first_value = false;
              if (!Value(*field, in)) return false;
            }
            in.PopLimit(limit);
          } else {
            if (WireFormatLite::GetTagWireType(tag) != WireTypeOf(*field)) return false;
            if (!first_value) out_ += ',';
            first_value = false;
            if (!Value(*field, in)) return false;
          }
          tag = in.ReadTag();
        } while (tag == field_tag);
        out_ += ']';
      } else {
        if (WireFormatLite::GetTagWireType(tag) != WireTypeOf(*field)) return false;
        if (!Value(*field, in)) return false;
        tag = in.ReadTag();
      }
    }
    out_ += '}';
    return in.ConsumedEntireMessage() || in.BytesUntilLimit() == 0;
  }

 private:
  static WireFormatLite::WireType WireTypeOf(const FieldDescriptor& field) {
    return WireFormatLite::WireTypeForFieldType(
        static_cast<WireFormatLite::FieldType>(field.type()));
  }

  bool Delimited(CodedInputStream& in, std::string* bytes) {
    uint32_t length;
    if (!in.ReadVarint32(&length)) return false;
    return in.ReadString(bytes, static_cast<int>(length));
  }

  bool Nested(const Descriptor& type, CodedInputStream& in) {
    uint32_t length;
    if (!in.ReadVarint32(&length)) return false;
    if (++depth_ > kMaxDepth) return false;
    const auto limit = in.PushLimit(static_cast<int>(length));
    const bool ok = Message(type, in) && in.BytesUntilLimit() == 0;
    in.PopLimit(limit);
    --depth_;
    return ok;
  }

  // One value of `field` (a repeated field's element, or the singular value).
  bool Value(const FieldDescriptor& field, CodedInputStream& in) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_STRING: {
        std::string text;
        if (!Delimited(in, &text) || !PlainString(text)) return false;
        out_ += '"';
        out_ += text;
        out_ += '"';
        return true;
      }
      case FieldDescriptor::TYPE_MESSAGE:
        return Nested(*field.message_type(), in);
      case FieldDescriptor::TYPE_ENUM: {
        uint32_t raw;
        if (!in.ReadVarint32(&raw)) return false;
        // google.protobuf.NullValue prints as null; left to the converter.
        if (field.enum_type()->full_name() == "google.protobuf.NullValue") return false;
        const auto* value = field.enum_type()->FindValueByNumber(static_cast<int>(raw));
        if (value == nullptr) return false;
        out_ += '"';
        out_ += value->name();
        out_ += '"';
        return true;
      }
      default:
        break;
    }
    // Integers and bool: the raw value by wire type, printed by field type.
    uint64_t raw = 0;
    switch (WireTypeOf(field)) {
      case WireFormatLite::WIRETYPE_VARINT:
        if (!in.ReadVarint64(&raw)) return false;
        break;
      case WireFormatLite::WIRETYPE_FIXED32: {
        uint32_t raw32;
        if (!in.ReadLittleEndian32(&raw32)) return false;
        raw = raw32;
        break;
      }
      case WireFormatLite::WIRETYPE_FIXED64:
        if (!in.ReadLittleEndian64(&raw)) return false;
        break;
      default:  // bytes, groups
        return false;
    }
    switch (field.type()) {
      case FieldDescriptor::TYPE_BOOL:
        out_ += raw != 0 ? "true" : "false";
        return true;
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SFIXED32:
        absl::StrAppend(&out_, static_cast<int32_t>(raw));
        return true;
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        absl::StrAppend(&out_, static_cast<uint32_t>(raw));
        return true;
      case FieldDescriptor::TYPE_SINT32:
        absl::StrAppend(&out_, WireFormatLite::ZigZagDecode32(static_cast<uint32_t>(raw)));
        return true;
      // 64-bit integers are JSON strings.
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SFIXED64:
        absl::StrAppend(&out_, "\"", static_cast<int64_t>(raw), "\"");
        return true;
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        absl::StrAppend(&out_, "\"", raw, "\"");
        return true;
      case FieldDescriptor::TYPE_SINT64:
        absl::StrAppend(&out_, "\"", WireFormatLite::ZigZagDecode64(raw), "\"");
        return true;
      default:  // float and double (the converter's number formatting)
        return false;
    }
  }

  // A map entry: key then value, as `"key":value`; keys always quoted.
  bool MapEntry(const Descriptor& entry, CodedInputStream& in) {
    uint32_t length;
    if (!in.ReadVarint32(&length)) return false;
    const auto limit = in.PushLimit(static_cast<int>(length));
    const FieldDescriptor* key_field = entry.map_key();
    const FieldDescriptor* value_field = entry.map_value();
    std::string key;
    std::string value;
    bool has_key = false;
    bool has_value = false;
    for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
      const int number = static_cast<int>(tag >> 3);
      const FieldDescriptor* field = number == 1 ? key_field : number == 2 ? value_field : nullptr;
      if (field == nullptr || WireFormatLite::GetTagWireType(tag) != WireTypeOf(*field)) {
        return false;
      }
      std::string printed;
      Printer nested(printed);
      nested.depth_ = depth_;
      if (!nested.Value(*field, in)) return false;
      if (number == 1) {
        key = std::move(printed);
        has_key = true;
      } else {
        value = std::move(printed);
        has_value = true;
      }
    }
    if (in.BytesUntilLimit() != 0) return false;
    in.PopLimit(limit);
    // Entries missing their key or value (the default) are rare; leave them to the converter.
    if (!has_key || !has_value) return false;
    if (key_field->type() != FieldDescriptor::TYPE_STRING) return false;
    out_ += key;  // a plain string, already quoted
    out_ += ':';
    out_ += value;
    return true;
  }

  bool Timestamp(CodedInputStream& in) {
    int64_t seconds = 0;
    int32_t nanos = 0;
    for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
      uint64_t raw;
      if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_VARINT ||
          !in.ReadVarint64(&raw)) {
        return false;
      }
      if ((tag >> 3) == 1) {
        seconds = static_cast<int64_t>(raw);
      } else if ((tag >> 3) == 2) {
        nanos = static_cast<int32_t>(raw);
      } else {
        return false;
      }
    }
    if (seconds < kMinSeconds || seconds > kMaxSeconds || nanos < 0 || nanos > 999999999) {
      return false;
    }
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    if (gmtime_r(&time, &parts) == nullptr) return false;
    char text[64];
    const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    if (n == 0 || parts.tm_year + 1900 < 1000) return false;  // %Y pads nothing below 1000
    out_ += '"';
    out_.append(text, n);
    if (nanos != 0) {
      char fraction[16];
      if (nanos % 1000000 == 0) {
        std::snprintf(fraction, sizeof fraction, ".%03d", nanos / 1000000);
      } else if (nanos % 1000 == 0) {
        std::snprintf(fraction, sizeof fraction, ".%06d", nanos / 1000);
      } else {
        std::snprintf(fraction, sizeof fraction, ".%09d", nanos);
      }
      out_ += fraction;
    }
    out_ += "Z\"";
    return true;
  }

  static constexpr int kMaxDepth = 64;
  std::string& out_;
  int depth_ = 0;
};

}  // namespace

std::optional<std::string> WireToJson(const Descriptor& type, std::string_view bytes) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  std::string out;
  out.reserve(bytes.size() * 2 + 16);
  Printer printer(out);
  if (type.well_known_type() != Descriptor::WELLKNOWNTYPE_UNSPECIFIED) return std::nullopt;
  if (!printer.Message(type, in) || !in.ConsumedEntireMessage()) return std::nullopt;
  return out;
}

std::optional<std::string> WireStringField(std::string_view bytes, int number) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  std::string value;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (static_cast<int>(tag >> 3) == number &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length;
      if (!in.ReadVarint32(&length) || !in.ReadString(&value, static_cast<int>(length))) {
        return std::nullopt;
      }
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
  }
  if (!in.ConsumedEntireMessage()) return std::nullopt;
  return value;
}

}  // namespace accord::gateway
