// Exact arithmetic on accord.common.v1.Money. Every operation checks currency and overflow.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/v1/money.pb.h"

namespace accord::common {

using accord::common::v1::Money;
// __int128 spelled through __extension__ so -Wpedantic stays quiet in every includer.
__extension__ typedef __int128 Int128;

// OK when the code is three upper-case letters, nanos are within range and share the sign of units.
absl::Status ValidateMoney(const Money& money, const std::string& field);
Money MakeMoney(std::string currency, int64_t units, int32_t nanos = 0);
absl::StatusOr<Money> Add(const Money& a, const Money& b);
absl::StatusOr<Money> Subtract(const Money& a, const Money& b);
absl::StatusOr<Money> Multiply(const Money& a, int64_t factor);
// Multiplies by parts-per-million (e.g. a 12.5% discount is 125000 ppm), rounding half away
// from zero to the nano.
absl::StatusOr<Money> MultiplyPpm(const Money& a, int64_t ppm);
// -1, 0, 1; INVALID_ARGUMENT when currencies differ.
absl::StatusOr<int> Compare(const Money& a, const Money& b);
// Total nanos as a 128-bit integer (exact).
Int128 ToNanos(const Money& money);
absl::StatusOr<Money> FromNanos(std::string currency, Int128 nanos);
// "EUR 12.500000000" trimmed to "EUR 12.50".
std::string FormatMoney(const Money& money);

}  // namespace accord::common
