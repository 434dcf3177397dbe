#include "accord/common/call_cost.h"

#include <string>

namespace accord::common {

CallCost ClassifyCall(std::string_view method, const google::protobuf::Message* request) {
  if (method.starts_with("Get") || method.starts_with("BatchGet") || method.starts_with("Lookup")) {
    return CallCost::kPointRead;
  }
  if (method.starts_with("Export")) return CallCost::kExpensive;
  if ((method.starts_with("List") || method.starts_with("Search")) && request != nullptr) {
    const auto* field = request->GetDescriptor()->FindFieldByName("filter");
    std::string scratch;  // the reference needs one; a filter is read without a copy
    if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !field->is_repeated() &&
        !request->GetReflection()->GetStringReference(*request, field, &scratch).empty()) {
      return CallCost::kExpensive;
    }
  }
  return CallCost::kDefault;
}

bool CallerLimiter::TryAcquire(const std::string& caller) {
  std::lock_guard lock(mutex_);
  int& count = in_flight_[caller];
  if (count >= per_caller_) return false;
  ++count;
  return true;
}

void CallerLimiter::Release(const std::string& caller) {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(caller);
  if (it == in_flight_.end()) return;
  if (--it->second <= 0) in_flight_.erase(it);
}

}  // namespace accord::common
