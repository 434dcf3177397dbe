#pragma once

#include <google/protobuf/message.h>

#include <set>
#include <string>
#include <vector>

namespace accord::common {

// Top-level field names whose values differ between two messages of the same type, in field
// number order; `ignore` lists fields that always change (etag, update_time).
std::vector<std::string> ChangedFields(const google::protobuf::Message& before,
                                       const google::protobuf::Message& after,
                                       const std::set<std::string>& ignore = {});

}  // namespace accord::common
