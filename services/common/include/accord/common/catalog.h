// The catalog of error reasons and event types (proto/accord/common/v1/error_reason.proto and
// event_type.proto) as the strings that travel: ErrorInfo.reason and EventEnvelope.type.
#pragma once

#include <string>

#include "accord/common/v1/error_reason.pb.h"
#include "accord/common/v1/event_type.pb.h"

namespace accord::common {

// "ACCOUNT_MERGED" for v1::ACCOUNT_MERGED.
const std::string& ReasonName(v1::ErrorReason reason);

// "accord.account.v1.AccountCreated" for v1::EVENT_TYPE_ACCOUNT_CREATED; "" for values without a
// name.
const std::string& EventTypeName(v1::EventType type);

}  // namespace accord::common
