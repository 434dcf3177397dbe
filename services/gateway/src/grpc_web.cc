#include "grpc_web.h"

#include "absl/strings/escaping.h"

namespace accord::gateway {

std::optional<GrpcWebMode> GrpcWebModeOf(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  if (content_type == "application/grpc-web" || content_type == "application/grpc-web+proto") {
    return GrpcWebMode{false};
  }
  if (content_type == "application/grpc-web-text" ||
      content_type == "application/grpc-web-text+proto") {
    return GrpcWebMode{true};
  }
  return std::nullopt;
}

namespace {

std::string Frame(char flags, std::string_view payload) {
  std::string frame(5, '\0');
  frame[0] = flags;
  const auto size = static_cast<uint32_t>(payload.size());
  frame[1] = static_cast<char>(size >> 24);
  frame[2] = static_cast<char>(size >> 16);
  frame[3] = static_cast<char>(size >> 8);
  frame[4] = static_cast<char>(size);
  frame.append(payload);
  return frame;
}

// Percent-encodes what a header value may not carry (grpc-message, PROTOCOL-HTTP2.md).
std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string GrpcWebFrame(std::string_view message) { return Frame(0, message); }

std::string GrpcWebTrailer(int code, std::string_view message, std::string_view details) {
  std::string trailers = "grpc-status: " + std::to_string(code) + "\r\n";
  if (!message.empty()) trailers += "grpc-message: " + PercentEncode(message) + "\r\n";
  if (!details.empty()) {
    trailers += "grpc-status-details-bin: " +
                absl::Base64Escape(absl::string_view(details.data(), details.size())) + "\r\n";
  }
  return Frame(static_cast<char>(0x80), trailers);
}

absl::StatusOr<std::vector<std::string>> GrpcWebMessages(std::string_view body) {
  std::vector<std::string> messages;
  size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < 5) return absl::InvalidArgumentError("truncated gRPC-Web frame");
    const auto flags = static_cast<unsigned char>(body[at]);
    const uint32_t size = (static_cast<uint32_t>(static_cast<unsigned char>(body[at + 1])) << 24) |
                          (static_cast<uint32_t>(static_cast<unsigned char>(body[at + 2])) << 16) |
                          (static_cast<uint32_t>(static_cast<unsigned char>(body[at + 3])) << 8) |
                          static_cast<uint32_t>(static_cast<unsigned char>(body[at + 4]));
    at += 5;
    if (body.size() - at < size) return absl::InvalidArgumentError("truncated gRPC-Web frame");
    if (flags & 0x01)
      return absl::InvalidArgumentError("compressed gRPC-Web frames are not accepted");
    if ((flags & 0x80) == 0) messages.emplace_back(body.substr(at, size));
    at += size;
  }
  return messages;
}

}  // namespace accord::gateway
