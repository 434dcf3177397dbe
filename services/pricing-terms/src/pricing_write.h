// The service's schema and name, and its writes: every mutation of the pricing repository goes
// through common::IdempotentWrite (accord/common/write.h), which claims the request_id (AIP-155),
// runs the change, appends its events to the outbox and keeps the response for retries.
#pragma once

#include "accord/common/write.h"

namespace accord::pricing {

inline constexpr char kSchema[] = "pricing_terms";
inline constexpr char kServiceName[] = "pricing-terms";

}  // namespace accord::pricing
