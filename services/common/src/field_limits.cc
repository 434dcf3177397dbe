#include "accord/common/field_limits.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "accord/common/catalog.h"
#include "accord/common/errors.h"
#include "accord/common/v1/limits.pb.h"

namespace accord::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct MessagePlan;

// One field with something to check. Fields without limits and nested messages with nothing to
// check are left out of the plan, so the walk never looks at them.
struct FieldPlan {
  enum class Kind { kString, kBytes, kMessage, kForeign, kMap };
  const FieldDescriptor* field = nullptr;
  Kind kind = Kind::kString;
  int max_length = 0;  // 0: none
  int max_items = 0;
  int max_key_length = 0;
  // kMessage, and kMap whose values are Accord messages.
  const MessagePlan* nested = nullptr;
};

struct MessagePlan {
  std::vector<FieldPlan> fields;
};

bool CanGrow(const Descriptor& descriptor, std::unordered_set<const Descriptor*>& seen) {
  if (!seen.insert(&descriptor).second) return false;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    if (field.is_repeated() || field.type() == FieldDescriptor::TYPE_STRING ||
        field.type() == FieldDescriptor::TYPE_BYTES) {
      return true;
    }
    if (field.message_type() != nullptr && CanGrow(*field.message_type(), seen)) return true;
  }
  return false;
}

bool IsText(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING ||
         field.type() == FieldDescriptor::TYPE_BYTES;
}

// Plans are built on first use of a message type and kept for the life of the process (message
// types are few and fixed). Readers share the lock; only a type's first request takes it alone.
class PlanCache {
 public:
  const MessagePlan& For(const Descriptor& descriptor) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = plans_.find(&descriptor); it != plans_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    std::unordered_set<const Descriptor*> building;
    return Build(descriptor, building);
  }

 private:
  const MessagePlan& Build(const Descriptor& descriptor,
                           std::unordered_set<const Descriptor*>& building) {
    if (auto it = plans_.find(&descriptor); it != plans_.end()) return *it->second;
    auto& slot = plans_[&descriptor];
    slot = std::make_unique<MessagePlan>();
    MessagePlan* plan = slot.get();
    building.insert(&descriptor);
    for (int i = 0; i < descriptor.field_count(); ++i) {
      const FieldDescriptor& field = *descriptor.field(i);
      const auto& limits = field.options().GetExtension(v1::limits);
      FieldPlan entry;
      entry.field = &field;
      entry.max_length = limits.max_length();
      entry.max_items = limits.max_items();
      entry.max_key_length = limits.max_key_length();
      const bool has_limits =
          entry.max_length > 0 || entry.max_items > 0 || entry.max_key_length > 0;
      // A nested plan is worth following if it checks something, or if it is still being built
      // (a recursive type): then it cannot yet tell.
      auto nested_plan = [&](const Descriptor& type) -> const MessagePlan* {
        if (!IsAccordMessage(type)) return nullptr;
        const MessagePlan& nested = Build(type, building);
        return nested.fields.empty() && !building.count(&type) ? nullptr : &nested;
      };
      if (field.is_map()) {
        entry.kind = FieldPlan::Kind::kMap;
        const FieldDescriptor* value = field.message_type()->map_value();
        if (value->message_type() != nullptr) entry.nested = nested_plan(*value->message_type());
        if (!has_limits && entry.nested == nullptr) continue;
      } else if (field.type() == FieldDescriptor::TYPE_STRING) {
        entry.kind = FieldPlan::Kind::kString;
        if (!has_limits) continue;
      } else if (field.type() == FieldDescriptor::TYPE_BYTES) {
        entry.kind = FieldPlan::Kind::kBytes;
        if (!has_limits) continue;
      } else if (field.message_type() != nullptr && IsAccordMessage(*field.message_type())) {
        entry.kind = FieldPlan::Kind::kMessage;
        entry.nested = nested_plan(*field.message_type());
        if (entry.nested == nullptr && entry.max_items == 0) continue;
      } else if (field.message_type() != nullptr) {
        entry.kind = FieldPlan::Kind::kForeign;
        if (!has_limits) continue;
      } else {
        // Scalars: only the number of entries of a repeated one.
        if (!field.is_repeated() || entry.max_items == 0) continue;
        entry.kind = FieldPlan::Kind::kForeign;
        entry.max_length = 0;
      }
      plan->fields.push_back(entry);
    }
    building.erase(&descriptor);
    return *plan;
  }

  std::shared_mutex mutex_;
  std::unordered_map<const Descriptor*, std::unique_ptr<MessagePlan>> plans_;
};

PlanCache& Plans() {
  static auto* cache = new PlanCache();  // never destroyed: requests may run during exit
  return *cache;
}

// The plan of a request type, from a small per-thread table first: the hot read paths then take
// no lock (a shared lock is still an atomic write to a shared cache line). Plans are never freed,
// so a cached pointer stays valid.
const MessagePlan& PlanFor(const Descriptor& descriptor) {
  struct Slot {
    const Descriptor* descriptor = nullptr;
    const MessagePlan* plan = nullptr;
  };
  thread_local Slot slots[16];
  Slot& slot = slots[(reinterpret_cast<uintptr_t>(&descriptor) >> 4) % 16];
  if (slot.descriptor != &descriptor) slot = {&descriptor, &Plans().For(descriptor)};
  return *slot.plan;
}

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// At most `max_bytes` of `text`, not cutting a UTF-8 sequence.
std::string_view Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

class Walker {
 public:
  absl::Status Run(const Message& message) {
    Walk(message, PlanFor(*message.GetDescriptor()));
    if (violations_.empty()) return absl::OkStatus();
    return WithReason(InvalidArgument(std::move(violations_)),
                      ReasonName(v1::FIELD_LIMIT_EXCEEDED));
  }

 private:
  // One step of the path from the request to the value being checked.
  struct Frame {
    const FieldDescriptor* field;
    int index;             // element of a repeated field, or -1
    std::string_view key;  // map entry key (string keys), if index is -1 and non-empty
  };

  bool Full() const { return violations_.size() >= static_cast<size_t>(kMaxLimitViolations); }

  void Report(std::string description) {
    if (Full()) return;
    std::string path;
    for (const Frame& frame : path_) {
      if (!path.empty()) path += '.';
      path += frame.field->name();
      if (frame.index >= 0) {
        absl::StrAppend(&path, "[", frame.index, "]");
      } else if (!frame.key.empty()) {
        const std::string_view key = Prefix(frame.key, 64);
        absl::StrAppend(&path, "[", absl::string_view(key.data(), key.size()), "]");
      }
    }
    violations_.push_back({std::move(path), std::move(description)});
  }

  void CheckText(std::string_view value, bool bytes, int max_length) {
    if (max_length <= 0 || value.size() <= static_cast<size_t>(max_length)) return;
    if (bytes) {
      Report(absl::StrCat("at most ", max_length, " bytes (got ", value.size(), ")"));
      return;
    }
    // Bytes bound code points from above, so only a long value is counted.
    const size_t code_points = CodePoints(value);
    if (code_points > static_cast<size_t>(max_length)) {
      Report(absl::StrCat("at most ", max_length, " characters (got ", code_points, ")"));
    }
  }

  void CheckForeign(const Message& value, int max_length) {
    if (max_length <= 0) return;
    const size_t size = value.ByteSizeLong();
    if (size > static_cast<size_t>(max_length)) {
      Report(absl::StrCat("at most ", max_length, " bytes encoded (got ", size, ")"));
    }
  }

  void CheckElement(const Message& message, const Reflection& reflection, const FieldPlan& plan,
                    int index) {
    std::string scratch;
    switch (plan.kind) {
      case FieldPlan::Kind::kString:
      case FieldPlan::Kind::kBytes:
        CheckText(index < 0
                      ? reflection.GetStringReference(message, plan.field, &scratch)
                      : reflection.GetRepeatedStringReference(message, plan.field, index, &scratch),
                  plan.kind == FieldPlan::Kind::kBytes, plan.max_length);
        break;
      case FieldPlan::Kind::kMessage:
        if (plan.nested == nullptr) break;
        if (index < 0) {
          if (reflection.HasField(message, plan.field)) {
            Walk(reflection.GetMessage(message, plan.field), *plan.nested);
          }
        } else {
          Walk(reflection.GetRepeatedMessage(message, plan.field, index), *plan.nested);
        }
        break;
      case FieldPlan::Kind::kForeign:
        if (plan.field->message_type() == nullptr) break;
        if (index < 0) {
          if (reflection.HasField(message, plan.field)) {
            CheckForeign(reflection.GetMessage(message, plan.field), plan.max_length);
          }
        } else {
          CheckForeign(reflection.GetRepeatedMessage(message, plan.field, index), plan.max_length);
        }
        break;
      case FieldPlan::Kind::kMap:
        break;
    }
  }

  void CheckMapEntry(const Message& entry, const FieldPlan& plan, int index) {
    const Reflection& reflection = *entry.GetReflection();
    const FieldDescriptor* key_field = entry.GetDescriptor()->map_key();
    const FieldDescriptor* value_field = entry.GetDescriptor()->map_value();
    std::string key_scratch;
    std::string_view key;
    if (key_field->type() == FieldDescriptor::TYPE_STRING) {
      key = reflection.GetStringReference(entry, key_field, &key_scratch);
      if (plan.max_key_length > 0 && key.size() > static_cast<size_t>(plan.max_key_length) &&
          CodePoints(key) > static_cast<size_t>(plan.max_key_length)) {
        Report(absl::StrCat("each key at most ", plan.max_key_length, " characters (got ",
                            CodePoints(key), ")"));
        return;
      }
    }
    Frame& frame = path_.back();
    if (key.empty()) {
      frame.index = index;
    } else {
      frame.key = key;
    }
    if (IsText(*value_field)) {
      std::string scratch;
      CheckText(reflection.GetStringReference(entry, value_field, &scratch),
                value_field->type() == FieldDescriptor::TYPE_BYTES, plan.max_length);
    } else if (plan.nested != nullptr && reflection.HasField(entry, value_field)) {
      Walk(reflection.GetMessage(entry, value_field), *plan.nested);
    }
    frame.index = -1;
    frame.key = {};
  }

  void Walk(const Message& message, const MessagePlan& plan) {
    const Reflection& reflection = *message.GetReflection();
    for (const FieldPlan& field : plan.fields) {
      if (Full()) return;
      path_.push_back({field.field, -1, {}});
      if (field.field->is_repeated()) {
        const int size = reflection.FieldSize(message, field.field);
        if (field.max_items > 0 && size > field.max_items) {
          Report(absl::StrCat("at most ", field.max_items, " items (got ", size, ")"));
        }
        // Entries past the limit are already wrong; checking them would only lengthen the error.
        const int checked = field.max_items > 0 ? std::min(size, field.max_items) : size;
        for (int i = 0; i < checked && !Full(); ++i) {
          if (field.kind == FieldPlan::Kind::kMap) {
            CheckMapEntry(reflection.GetRepeatedMessage(message, field.field, i), field, i);
          } else {
            path_.back().index = i;
            CheckElement(message, reflection, field, i);
          }
        }
      } else {
        CheckElement(message, reflection, field, -1);
      }
      path_.pop_back();
    }
  }

  absl::InlinedVector<Frame, 8> path_;
  std::vector<FieldViolation> violations_;
};

}  // namespace

bool IsAccordMessage(const Descriptor& descriptor) {
  const std::string& package = descriptor.file()->package();
  return package == "accord" || package.rfind("accord.", 0) == 0;
}

bool FieldNeedsLimits(const FieldDescriptor& field) {
  if (field.is_repeated() || IsText(field)) return true;
  if (field.message_type() == nullptr || IsAccordMessage(*field.message_type())) return false;
  std::unordered_set<const Descriptor*> seen;
  return CanGrow(*field.message_type(), seen);
}

absl::Status CheckFieldLimits(const Message& message) { return Walker().Run(message); }

}  // namespace accord::common
