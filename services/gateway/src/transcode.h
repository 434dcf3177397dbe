// HTTP/JSON <-> protobuf by a route's binding (AIP-127, Protobuf's JSON mapping): the request
// message from the path variables, the query parameters and the body; the JSON of a response.
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api_descriptors.h"
#include "routes.h"

namespace accord::gateway {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits "a=1&b=x%20y" into decoded pairs; '+' is a space.
absl::StatusOr<QueryParams> ParseQuery(std::string_view query);
// %XX decoding of a path segment or query part; fails on a malformed escape.
absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space);

struct TranscodeInput {
  const RouteMatch* match = nullptr;
  QueryParams query;      // parameters the gateway itself consumed are already removed
  std::string_view body;  // JSON, may be empty
  std::string if_match;   // the If-Match header's entity tag, unquoted ("" if absent)
};

// The request message, or INVALID_ARGUMENT naming what does not fit (no internal names).
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const ApiDescriptors& api, const TranscodeInput& input);

// The JSON of `message` (the route's response_body field of it, if set).
absl::StatusOr<std::string> ResponseJson(const google::protobuf::Message& message,
                                         const Route& route);

// A client's own deadline, in gRPC's `grpc-timeout` form (up to 8 digits and a unit: H, M, S,
// m, u or n; "250m" is 250 ms), which the grpc-web client sends and a JSON client may send:
// nullopt when the header is absent, INVALID_ARGUMENT when it is malformed.
absl::StatusOr<std::optional<std::chrono::nanoseconds>> ParseGrpcTimeout(std::string_view header);

// The top-level string field `etag` of a message, if it has one.
std::string EtagOf(const google::protobuf::Message& message);

}  // namespace accord::gateway
