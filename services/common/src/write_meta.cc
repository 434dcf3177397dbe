#include "accord/common/write_meta.h"

#include "accord/common/idempotency.h"

namespace accord::common {

std::string RequestFingerprint(const google::protobuf::Message& request) {
  return IdempotencyKeys::Fingerprint(request);
}

}  // namespace accord::common
