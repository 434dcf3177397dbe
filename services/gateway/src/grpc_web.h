// gRPC-Web framing (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md): messages as
// length-prefixed frames, the status as a trailer frame, optionally base64 (grpc-web-text).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::gateway {

// application/grpc-web[+proto] or application/grpc-web-text[+proto]; nullopt for anything else.
struct GrpcWebMode {
  bool text = false;
};
std::optional<GrpcWebMode> GrpcWebModeOf(std::string_view content_type);

// One data frame around `message`.
std::string GrpcWebFrame(std::string_view message);
// The trailer frame: "grpc-status: N\r\ngrpc-message: ...\r\n" (+ details, base64).
std::string GrpcWebTrailer(int code, std::string_view message, std::string_view details);
// The messages of a request body (already base64-decoded for text).
absl::StatusOr<std::vector<std::string>> GrpcWebMessages(std::string_view body);

}  // namespace accord::gateway
