#include "accord/common/message_diff.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/message_differencer.h>

namespace accord::common {

std::vector<std::string> ChangedFields(const google::protobuf::Message& before,
                                       const google::protobuf::Message& after,
                                       const std::set<std::string>& ignore) {
  std::vector<std::string> changed;
  const auto* descriptor = before.GetDescriptor();
  // One differencer for all fields: building one per field cost more than the comparisons.
  google::protobuf::util::MessageDifferencer differencer;
  std::vector<const google::protobuf::FieldDescriptor*> only(1);
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (ignore.count(field->name())) continue;
    only[0] = field;
    if (!differencer.CompareWithFields(before, after, only, only)) {
      changed.push_back(field->name());
    }
  }
  return changed;
}

}  // namespace accord::common
