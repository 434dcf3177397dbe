// absl::Status <-> grpc::Status with google.rpc.Status details in the standard trailer.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace accord::common {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace accord::common
