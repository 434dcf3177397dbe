#include "accord/common/write_meta.h"

#include "accord/common/idempotency.h"

namespace accord::common {

std::string RequestFingerprint(const google::protobuf::Message& request) {
  return IdempotencyKeys::Fingerprint(request);
}

bool IsValidRequestId(std::string_view request_id) {
  return IdempotencyKeys::Validate(request_id).ok();
}

}  // namespace accord::common
