#include "accord/common/message_diff.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/message_differencer.h>

#include <optional>

namespace accord::common {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// What a direct look at one field can tell without MessageDifferencer.
enum class Verdict { kSame, kChanged, kAsk };

template <typename Get, typename GetRepeated>
bool SameBy(const Reflection& reflection, const Message& a, const Message& b,
            const FieldDescriptor& field, int index, Get get, GetRepeated get_repeated) {
  if (index < 0) return (reflection.*get)(a, &field) == (reflection.*get)(b, &field);
  return (reflection.*get_repeated)(a, &field, index) ==
         (reflection.*get_repeated)(b, &field, index);
}

// Whether a singular field (index < 0) or element `index` of a repeated one holds the same
// value in both; not for floats and messages.
bool SameValue(const Reflection& reflection, const Message& a, const Message& b,
               const FieldDescriptor& field, int index) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return SameBy(reflection, a, b, field, index, &Reflection::GetInt32,
                    &Reflection::GetRepeatedInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return SameBy(reflection, a, b, field, index, &Reflection::GetInt64,
                    &Reflection::GetRepeatedInt64);
    case FieldDescriptor::CPPTYPE_UINT32:
      return SameBy(reflection, a, b, field, index, &Reflection::GetUInt32,
                    &Reflection::GetRepeatedUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return SameBy(reflection, a, b, field, index, &Reflection::GetUInt64,
                    &Reflection::GetRepeatedUInt64);
    case FieldDescriptor::CPPTYPE_BOOL:
      return SameBy(reflection, a, b, field, index, &Reflection::GetBool,
                    &Reflection::GetRepeatedBool);
    case FieldDescriptor::CPPTYPE_ENUM:
      return SameBy(reflection, a, b, field, index, &Reflection::GetEnumValue,
                    &Reflection::GetRepeatedEnumValue);
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch_a, scratch_b;
      if (index < 0) {
        return reflection.GetStringReference(a, &field, &scratch_a) ==
               reflection.GetStringReference(b, &field, &scratch_b);
      }
      return reflection.GetRepeatedStringReference(a, &field, index, &scratch_a) ==
             reflection.GetRepeatedStringReference(b, &field, index, &scratch_b);
    }
    default:
      return false;
  }
}

bool IsFloat(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT ||
         field.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE;
}

// kSame and kChanged only where MessageDifferencer (as ChangedFields configures it) is certain to
// agree: equal presence and equal values are equal to it; different scalar values, lists of
// different lengths or elements, and maps of different sizes differ to it. The rest (a message or
// map whose bytes differ, presence that differs, floats) it decides.
Verdict Look(const Reflection& reflection, const Message& a, const Message& b,
             const FieldDescriptor& field) {
  if (IsFloat(field)) return Verdict::kAsk;
  if (field.is_repeated()) {
    const int size = reflection.FieldSize(a, &field);
    if (size != reflection.FieldSize(b, &field)) return Verdict::kChanged;
    if (size == 0) return Verdict::kSame;
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return Verdict::kAsk;
    for (int i = 0; i < size; ++i) {
      if (!SameValue(reflection, a, b, field, i)) return Verdict::kChanged;
    }
    return Verdict::kSame;
  }
  if (field.has_presence() && reflection.HasField(a, &field) != reflection.HasField(b, &field)) {
    return Verdict::kAsk;
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (!reflection.HasField(a, &field)) return Verdict::kSame;  // neither has it
    const std::string bytes_a = reflection.GetMessage(a, &field).SerializeAsString();
    const std::string bytes_b = reflection.GetMessage(b, &field).SerializeAsString();
    return bytes_a == bytes_b ? Verdict::kSame : Verdict::kAsk;
  }
  return SameValue(reflection, a, b, field, -1) ? Verdict::kSame : Verdict::kChanged;
}

}  // namespace

std::vector<std::string> ChangedFields(const google::protobuf::Message& before,
                                       const google::protobuf::Message& after,
                                       const std::set<std::string>& ignore) {
  std::vector<std::string> changed;
  const auto* descriptor = before.GetDescriptor();
  const Reflection& reflection = *before.GetReflection();
  // Every write's event is diffed, and MessageDifferencer costs far more than a look at the
  // fields by reflection (it compared every field of every update): it is asked only about
  // fields that look can't settle, one differencer for all of them.
  std::optional<google::protobuf::util::MessageDifferencer> differencer;
  std::vector<const FieldDescriptor*> only(1);
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (ignore.count(field->name())) continue;
    Verdict verdict = Look(reflection, before, after, *field);
    if (verdict == Verdict::kAsk) {
      if (!differencer) differencer.emplace();
      only[0] = field;
      verdict = differencer->CompareWithFields(before, after, only, only) ? Verdict::kSame
                                                                          : Verdict::kChanged;
    }
    if (verdict == Verdict::kChanged) changed.push_back(field->name());
  }
  return changed;
}

}  // namespace accord::common
