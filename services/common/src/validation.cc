#include "accord/common/validation.h"

#include <google/protobuf/descriptor.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsMultiLineField(const FieldDescriptor& field) {
  static constexpr std::array<std::string_view, 5> kNames = {"description", "note", "notes",
                                                             "comment", "filter"};
  for (auto name : kNames) {
    if (field.name() == name) return true;
  }
  return false;
}

// `path()` names the field; built only for a violation, since nearly every request has none.
template <typename Path>
void CheckString(std::string_view text, bool multi_line, const Path& path,
                 std::vector<FieldViolation>& out) {
  if (!HasControlCharacter(text, multi_line)) return;
  out.push_back({path(), text.find('\0') != std::string_view::npos
                             ? "must not contain NUL characters"
                             : (multi_line ? "must not contain control characters other than tab, "
                                             "line feed and carriage return"
                                           : "must not contain control characters (line breaks "
                                             "and tabs included)")});
}

// The value of a map entry's key as it appears in a path: "external_ids[erp]".
std::string MapKey(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  const Reflection* reflection = entry.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = reflection->GetString(entry, key);
      // A key that is itself refused is named by position instead of echoed.
      if (HasControlCharacter(value, false) || value.size() > 64) return "?";
      return value;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(reflection->GetInt32(entry, key));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(reflection->GetInt64(entry, key));
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(reflection->GetUInt32(entry, key));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(reflection->GetUInt64(entry, key));
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(entry, key) ? "true" : "false";
    default:
      return "?";
  }
}

void Walk(const Message& message, const std::string& prefix, int depth,
          std::vector<FieldViolation>& out) {
  // Protobuf's parser already limits nesting to 100; this only keeps the walk finite.
  if (depth > 100) return;
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // set fields only: cheap on small requests
  std::string scratch;
  for (const FieldDescriptor* field : fields) {
    const bool is_string = field->type() == FieldDescriptor::TYPE_STRING;
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!is_string && !is_message) continue;
    const auto field_path = [&] {
      return prefix.empty() ? field->name() : prefix + "." + field->name();
    };
    const bool multi_line = IsMultiLineField(*field);
    if (field->is_map()) {
      const std::string path = field_path();
      const FieldDescriptor* value = field->message_type()->map_value();
      for (int i = 0, n = reflection->FieldSize(message, field); i < n; ++i) {
        const Message& entry = reflection->GetRepeatedMessage(message, field, i);
        const Reflection* entry_reflection = entry.GetReflection();
        const std::string entry_path = path + "[" + MapKey(entry) + "]";
        const FieldDescriptor* key = field->message_type()->map_key();
        if (key->type() == FieldDescriptor::TYPE_STRING) {
          CheckString(
              entry_reflection->GetStringReference(entry, key, &scratch), false,
              [&] { return entry_path + ".key"; }, out);
        }
        if (value->type() == FieldDescriptor::TYPE_STRING) {
          CheckString(
              entry_reflection->GetStringReference(entry, value, &scratch), multi_line,
              [&] { return entry_path; }, out);
        } else if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          Walk(entry_reflection->GetMessage(entry, value), entry_path, depth + 1, out);
        }
      }
    } else if (field->is_repeated()) {
      for (int i = 0, n = reflection->FieldSize(message, field); i < n; ++i) {
        const auto item = [&] { return field_path() + "[" + std::to_string(i) + "]"; };
        if (is_string) {
          CheckString(reflection->GetRepeatedStringReference(message, field, i, &scratch),
                      multi_line, item, out);
        } else {
          Walk(reflection->GetRepeatedMessage(message, field, i), item(), depth + 1, out);
        }
      }
    } else if (is_string) {
      CheckString(reflection->GetStringReference(message, field, &scratch), multi_line, field_path,
                  out);
    } else {
      Walk(reflection->GetMessage(message, field), field_path(), depth + 1, out);
    }
  }
}

}  // namespace

bool HasControlCharacter(std::string_view text, bool multi_line) {
  // Eight bytes at a time first: every request's text is checked, and nearly all of it is clean.
  // A word with a byte below 0x20 or equal to 0x7f goes to the exact check below.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    const uint64_t del = word ^ (0x7f * kOnes);
    if ((((word - 0x20 * kOnes) & ~word) | ((del - kOnes) & ~del)) & kHigh) break;
  }
  text.remove_prefix(i);
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) continue;
    if (multi_line && (c == '\t' || c == '\n' || c == '\r')) continue;
    return true;
  }
  return false;
}

absl::Status CheckTextFields(const Message& message) {
  std::vector<FieldViolation> violations;
  Walk(message, "", 0, violations);
  if (violations.empty()) return absl::OkStatus();
  return WithReason(InvalidArgument(std::move(violations)), "CONTROL_CHARACTER");
}

}  // namespace accord::common
