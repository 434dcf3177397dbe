#include "accord/common/catalog.h"

#include <algorithm>
#include <vector>

namespace accord::common {

const std::string& ReasonName(v1::ErrorReason reason) { return v1::ErrorReason_Name(reason); }

const std::string& EventTypeName(v1::EventType type) {
  // Read once from the descriptor's options, indexed by value number.
  static const std::vector<std::string> kNames = [] {
    const auto* descriptor = v1::EventType_descriptor();
    int largest = 0;
    for (int i = 0; i < descriptor->value_count(); ++i) {
      largest = std::max(largest, descriptor->value(i)->number());
    }
    std::vector<std::string> names(static_cast<size_t>(largest) + 1);
    for (int i = 0; i < descriptor->value_count(); ++i) {
      const auto* value = descriptor->value(i);
      names[static_cast<size_t>(value->number())] =
          value->options().GetExtension(v1::event_type_name);
    }
    return names;
  }();
  static const std::string kNone;
  const auto index = static_cast<size_t>(type);
  return type >= 0 && index < kNames.size() ? kNames[index] : kNone;
}

}  // namespace accord::common
