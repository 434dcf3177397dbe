#include "accord/common/money.h"

#include <limits>
#include <utility>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

constexpr int64_t kNanosPerUnit = 1'000'000'000;
constexpr int64_t kPpm = 1'000'000;

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

absl::Status Overflow() {
  return WithReason(absl::OutOfRangeError("the amount does not fit in a Money value"),
                    "MONEY_OVERFLOW");
}

// Operands of arithmetic are validated here too: a malformed amount must not yield a plausible
// result.
absl::Status CheckSameCurrency(const Money& a, const Money& b) {
  ACCORD_RETURN_IF_ERROR(ValidateMoney(a, "money"));
  ACCORD_RETURN_IF_ERROR(ValidateMoney(b, "money"));
  if (a.currency_code() != b.currency_code()) {
    return InvalidArgument("currency_code", "amounts in " + a.currency_code() + " and " +
                                                b.currency_code() + " cannot be combined");
  }
  return absl::OkStatus();
}

Int128 Abs(Int128 value) { return value < 0 ? -value : value; }

}  // namespace

absl::Status ValidateMoney(const Money& money, const std::string& field) {
  const std::string prefix = field.empty() ? "" : field + ".";
  Violations violations;
  if (!IsCurrencyCode(money.currency_code())) {
    violations.Add(prefix + "currency_code", "must be a three-letter upper-case ISO 4217 code");
  }
  if (money.nanos() <= -kNanosPerUnit || money.nanos() >= kNanosPerUnit) {
    violations.Add(prefix + "nanos", "must be between -999999999 and 999999999");
  } else if ((money.units() > 0 && money.nanos() < 0) || (money.units() < 0 && money.nanos() > 0)) {
    violations.Add(prefix + "nanos", "must have the same sign as units");
  }
  return violations.ToStatus();
}

Money MakeMoney(std::string currency, int64_t units, int32_t nanos) {
  Money money;
  money.set_currency_code(std::move(currency));
  money.set_units(units);
  money.set_nanos(nanos);
  return money;
}

Int128 ToNanos(const Money& money) {
  return static_cast<Int128>(money.units()) * kNanosPerUnit + money.nanos();
}

absl::StatusOr<Money> FromNanos(std::string currency, Int128 nanos) {
  if (!IsCurrencyCode(currency)) {
    return InvalidArgument("currency_code", "must be a three-letter upper-case ISO 4217 code");
  }
  // Truncating division keeps units and nanos on the same side of zero.
  const Int128 units = nanos / kNanosPerUnit;
  if (units > std::numeric_limits<int64_t>::max() || units < std::numeric_limits<int64_t>::min()) {
    return Overflow();
  }
  return MakeMoney(std::move(currency), static_cast<int64_t>(units),
                   static_cast<int32_t>(nanos % kNanosPerUnit));
}

absl::StatusOr<Money> Add(const Money& a, const Money& b) {
  ACCORD_RETURN_IF_ERROR(CheckSameCurrency(a, b));
  return FromNanos(a.currency_code(), ToNanos(a) + ToNanos(b));
}

absl::StatusOr<Money> Subtract(const Money& a, const Money& b) {
  ACCORD_RETURN_IF_ERROR(CheckSameCurrency(a, b));
  return FromNanos(a.currency_code(), ToNanos(a) - ToNanos(b));
}

absl::StatusOr<Money> Multiply(const Money& a, int64_t factor) {
  ACCORD_RETURN_IF_ERROR(ValidateMoney(a, "money"));
  Int128 product = 0;
  if (__builtin_mul_overflow(ToNanos(a), static_cast<Int128>(factor), &product)) return Overflow();
  return FromNanos(a.currency_code(), product);
}

absl::StatusOr<Money> MultiplyPpm(const Money& a, int64_t ppm) {
  ACCORD_RETURN_IF_ERROR(ValidateMoney(a, "money"));
  Int128 product = 0;
  if (__builtin_mul_overflow(ToNanos(a), static_cast<Int128>(ppm), &product)) return Overflow();
  Int128 quotient = product / kPpm;
  const Int128 remainder = product % kPpm;
  // Half away from zero: |remainder| >= 0.5 ppm rounds the magnitude up.
  if (Abs(remainder) * 2 >= kPpm) quotient += product < 0 ? -1 : 1;
  return FromNanos(a.currency_code(), quotient);
}

absl::StatusOr<int> Compare(const Money& a, const Money& b) {
  ACCORD_RETURN_IF_ERROR(CheckSameCurrency(a, b));
  const Int128 x = ToNanos(a);
  const Int128 y = ToNanos(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

std::string FormatMoney(const Money& money) {
  const Int128 total = ToNanos(money);
  Int128 magnitude = Abs(total);
  Int128 units = magnitude / kNanosPerUnit;
  const int64_t nanos = static_cast<int64_t>(magnitude % kNanosPerUnit);

  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(units % 10)));
    units /= 10;
  } while (units > 0);

  std::string fraction = std::to_string(nanos);
  fraction.insert(0, 9 - fraction.size(), '0');
  // At least two decimals, more only when they carry information.
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();

  std::string out = money.currency_code();
  out += ' ';
  if (total < 0) out += '-';
  out += digits;
  out += '.';
  out += fraction;
  return out;
}

}  // namespace accord::common
