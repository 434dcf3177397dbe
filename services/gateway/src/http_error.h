// gRPC status -> HTTP: the standard code mapping and the JSON form of google.rpc.Status with its
// details (from the grpc-status-details-bin trailer). Transport failures, which carry no details
// and may name internal hosts, are answered with a fixed message instead of gRPC's.
#pragma once

#include <grpcpp/support/status.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "api_descriptors.h"

namespace accord::gateway {

// google.rpc.Code -> HTTP status (as google.api.http / grpc-gateway map it).
int HttpStatusFor(grpc::StatusCode code);

struct HttpError {
  int http_status = 500;
  std::string json;                        // google.rpc.Status in Protobuf's JSON mapping
  std::optional<int> retry_after_seconds;  // from a google.rpc.RetryInfo detail
};

HttpError RenderError(const ApiDescriptors& api, const grpc::Status& status);
// The gateway's own errors (built with accord/common/errors.h).
HttpError RenderError(const ApiDescriptors& api, const absl::Status& status);

}  // namespace accord::gateway
