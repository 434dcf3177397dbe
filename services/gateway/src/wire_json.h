// Protobuf's JSON mapping of a serialized message, printed straight from its bytes by walking its
// descriptor: the same output as BinaryToJsonString with the default options (fields in wire
// order, lowerCamelCase names, defaults left out, 64-bit integers quoted, enums by name,
// Timestamps in RFC 3339), without what makes that one slow in Protobuf 3.21 (a
// google.protobuf.Type copied from the resolver for each message type of every call, and the
// converter's object writers). It handles what the Accord API's answers are made of; for
// anything else (floating point, bytes, strings needing escapes, well-known types other than
// Timestamp, unknown fields or enum values, malformed input) it answers nothing and the caller
// uses Protobuf's converter, which stays the reference.
#pragma once

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <string_view>

namespace accord::gateway {

std::optional<std::string> WireToJson(const google::protobuf::Descriptor& type,
                                      std::string_view bytes);

// The value of the top-level string field `number` of a serialized message ("" when absent; the
// last one when repeated on the wire, as a parse keeps), without parsing the rest; nullopt when
// the bytes do not parse.
std::optional<std::string> WireStringField(std::string_view bytes, int number);

}  // namespace accord::gateway
