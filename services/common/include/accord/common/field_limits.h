// Size limits of request fields, declared once in the protos with the `(accord.common.v1.limits)`
// field option and checked here for any message by reflection: strings (code points), bytes,
// repeated and map fields (entries, map keys and values), nested messages, and fields of foreign
// message types such as FieldMask (encoded bytes). The walk follows a plan built once per message
// type that lists only the fields with something to check, so a small request costs a few length
// comparisons and no allocation.
#pragma once

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace accord::common {

// Reports at most this many violations; a hostile request could otherwise make the error as large
// as the request.
inline constexpr int kMaxLimitViolations = 50;

// OK, or INVALID_ARGUMENT (reason FIELD_LIMIT_EXCEEDED) with a google.rpc.BadRequest violation per
// field past its limit, with the path from `message` (`account.billing_address.locality`,
// `account.labels[3]`, `account.external_ids[erp]`) and the limit in the description.
absl::Status CheckFieldLimits(const google::protobuf::Message& message);

// Whether a field must declare `(accord.common.v1.limits)`: strings, bytes, repeated and map
// fields, and singular fields of a message type from outside Accord that can grow (FieldMask, Any,
// Struct; not Timestamp). Fields of Accord message types are checked through their own fields.
bool FieldNeedsLimits(const google::protobuf::FieldDescriptor& field);

// Whether `descriptor` belongs to one of Accord's own packages (`accord.*`), whose fields carry
// limits; other message types are measured as a whole.
bool IsAccordMessage(const google::protobuf::Descriptor& descriptor);

}  // namespace accord::common
