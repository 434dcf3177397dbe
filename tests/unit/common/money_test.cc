#include "accord/common/money.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

void ExpectMoney(const absl::StatusOr<Money>& actual, const std::string& currency, int64_t units,
                 int32_t nanos) {
  ASSERT_TRUE(actual.ok()) << actual.status();
  EXPECT_EQ(actual->currency_code(), currency);
  EXPECT_EQ(actual->units(), units);
  EXPECT_EQ(actual->nanos(), nanos);
  EXPECT_TRUE(ValidateMoney(*actual, "result").ok()) << ValidateMoney(*actual, "result");
}

bool IsOverflow(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange ||
         status.code() == absl::StatusCode::kInvalidArgument;
}

TEST(MoneyTest, AddCarriesAcrossNanos) {
  ExpectMoney(Add(MakeMoney("EUR", 1, 600'000'000), MakeMoney("EUR", 2, 500'000'000)), "EUR", 4,
              100'000'000);
  ExpectMoney(Add(MakeMoney("EUR", 0, 999'999'999), MakeMoney("EUR", 0, 1)), "EUR", 1, 0);
  ExpectMoney(Add(MakeMoney("USD", 10), MakeMoney("USD", 0, 50'000'000)), "USD", 10, 50'000'000);
}

TEST(MoneyTest, SubtractBorrowsAcrossNanos) {
  ExpectMoney(Subtract(MakeMoney("EUR", 5, 100'000'000), MakeMoney("EUR", 2, 600'000'000)), "EUR",
              2, 500'000'000);
  ExpectMoney(Subtract(MakeMoney("EUR", 1), MakeMoney("EUR", 0, 1)), "EUR", 0, 999'999'999);
}

TEST(MoneyTest, NegativeResultsKeepSignsAligned) {
  // 1.25 - 3.50 = -2.25: units and nanos both negative.
  ExpectMoney(Subtract(MakeMoney("EUR", 1, 250'000'000), MakeMoney("EUR", 3, 500'000'000)), "EUR",
              -2, -250'000'000);
  // 0.10 - 0.30 = -0.20: zero units, negative nanos.
  ExpectMoney(Subtract(MakeMoney("EUR", 0, 100'000'000), MakeMoney("EUR", 0, 300'000'000)), "EUR",
              0, -200'000'000);
  // -1.75 + 2.00 = 0.25
  ExpectMoney(Add(MakeMoney("EUR", -1, -750'000'000), MakeMoney("EUR", 2)), "EUR", 0, 250'000'000);
  ExpectMoney(Add(MakeMoney("EUR", -1, -500'000'000), MakeMoney("EUR", 1, 500'000'000)), "EUR", 0,
              0);
}

TEST(MoneyTest, CurrencyMismatchIsInvalidArgumentWithFieldViolation) {
  const Money eur = MakeMoney("EUR", 1);
  const Money usd = MakeMoney("USD", 1);
  for (const absl::Status& status :
       {Add(eur, usd).status(), Subtract(eur, usd).status(), Compare(eur, usd).status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    const auto violations = FieldViolationsOf(status);
    ASSERT_EQ(violations.size(), 1u) << status;
    EXPECT_EQ(violations[0].field, "currency_code");
  }
}

TEST(MoneyTest, AddOverflowIsAnError) {
  auto sum = Add(MakeMoney("EUR", kMax, 999'999'999), MakeMoney("EUR", 0, 1));
  ASSERT_FALSE(sum.ok());
  EXPECT_TRUE(IsOverflow(sum.status())) << sum.status();
  auto difference = Subtract(MakeMoney("EUR", kMin, -999'999'999), MakeMoney("EUR", 1));
  ASSERT_FALSE(difference.ok());
  EXPECT_TRUE(IsOverflow(difference.status())) << difference.status();
  // The largest representable value itself is fine.
  ExpectMoney(Add(MakeMoney("EUR", kMax - 1, 999'999'999), MakeMoney("EUR", 1)), "EUR", kMax,
              999'999'999);
}

TEST(MoneyTest, Multiply) {
  ExpectMoney(Multiply(MakeMoney("EUR", 2, 500'000'000), 3), "EUR", 7, 500'000'000);
  ExpectMoney(Multiply(MakeMoney("EUR", 2, 500'000'000), -3), "EUR", -7, -500'000'000);
  ExpectMoney(Multiply(MakeMoney("EUR", -1, -1), 0), "EUR", 0, 0);
  ExpectMoney(Multiply(MakeMoney("EUR", 0, 333'333'333), 3), "EUR", 0, 999'999'999);

  auto overflow = Multiply(MakeMoney("EUR", kMax / 2 + 1), 2);
  ASSERT_FALSE(overflow.ok());
  EXPECT_TRUE(IsOverflow(overflow.status())) << overflow.status();
  // Overflows even the 128-bit intermediate.
  auto huge = Multiply(MakeMoney("EUR", kMax, 999'999'999), kMax);
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(IsOverflow(huge.status())) << huge.status();
}

TEST(MoneyTest, MultiplyPpmRoundsHalfAwayFromZero) {
  // 12.5% of 100.00
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 100), 125'000), "EUR", 12, 500'000'000);
  // 1 nano * 0.5 = 0.5 nano -> 1 nano; 1 nano * 0.499999 -> 0.
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, 1), 500'000), "EUR", 0, 1);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, 1), 499'999), "EUR", 0, 0);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, -1), 500'000), "EUR", 0, -1);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, 1), -500'000), "EUR", 0, -1);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, -1), 499'999), "EUR", 0, 0);
  // 3 nanos * 1/6 = 0.5 nano -> 1; 5 nanos * 0.3 = 1.5 -> 2; -5 * 0.3 = -1.5 -> -2.
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, 3), 166'667), "EUR", 0, 1);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, 5), 300'000), "EUR", 0, 2);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 0, -5), 300'000), "EUR", 0, -2);
  // 19.99 * 19% = 3.7981
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 19, 990'000'000), 190'000), "EUR", 3, 798'100'000);
  // Identity and large factors.
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", -7, -123'456'789), 1'000'000), "EUR", -7, -123'456'789);
  ExpectMoney(MultiplyPpm(MakeMoney("EUR", 1), 2'500'000), "EUR", 2, 500'000'000);

  auto overflow = MultiplyPpm(MakeMoney("EUR", kMax), 2'000'000);
  ASSERT_FALSE(overflow.ok());
  EXPECT_TRUE(IsOverflow(overflow.status()));
}

TEST(MoneyTest, Compare) {
  EXPECT_EQ(*Compare(MakeMoney("EUR", 1, 1), MakeMoney("EUR", 1, 2)), -1);
  EXPECT_EQ(*Compare(MakeMoney("EUR", 2), MakeMoney("EUR", 1, 999'999'999)), 1);
  EXPECT_EQ(*Compare(MakeMoney("EUR", -1), MakeMoney("EUR", 0, -1)), -1);
  EXPECT_EQ(*Compare(MakeMoney("EUR", 0, -500'000'000), MakeMoney("EUR", 0, -400'000'000)), -1);
  EXPECT_EQ(*Compare(MakeMoney("EUR", 3, 3), MakeMoney("EUR", 3, 3)), 0);
  EXPECT_EQ(*Compare(MakeMoney("EUR", kMax, 999'999'999), MakeMoney("EUR", kMin, -999'999'999)), 1);
}

TEST(MoneyTest, ValidateAcceptsWellFormedAmounts) {
  EXPECT_TRUE(ValidateMoney(MakeMoney("EUR", 0), "price").ok());
  EXPECT_TRUE(ValidateMoney(MakeMoney("JPY", -5, -999'999'999), "price").ok());
  EXPECT_TRUE(ValidateMoney(MakeMoney("USD", 0, -1), "price").ok());
  EXPECT_TRUE(ValidateMoney(MakeMoney("USD", kMax, 999'999'999), "price").ok());
}

TEST(MoneyTest, ValidateRejectsBadCurrencyCodes) {
  for (const std::string& code :
       std::vector<std::string>{"", "EU", "EURO", "eur", "Eur", "E1R", "€UR", "EU "}) {
    const absl::Status status = ValidateMoney(MakeMoney(code, 1), "line.price");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << code;
    const auto violations = FieldViolationsOf(status);
    ASSERT_EQ(violations.size(), 1u) << code;
    EXPECT_EQ(violations[0].field, "line.price.currency_code");
  }
}

TEST(MoneyTest, ValidateRejectsNanosOutOfRange) {
  for (int32_t nanos : {1'000'000'000, -1'000'000'000, std::numeric_limits<int32_t>::max(),
                        std::numeric_limits<int32_t>::min()}) {
    const int64_t units = nanos > 0 ? 1 : -1;
    const absl::Status status = ValidateMoney(MakeMoney("EUR", units, nanos), "price");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << nanos;
    const auto violations = FieldViolationsOf(status);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field, "price.nanos");
  }
}

TEST(MoneyTest, ValidateRejectsMixedSigns) {
  for (const Money& money : {MakeMoney("EUR", 1, -1), MakeMoney("EUR", -1, 1)}) {
    const absl::Status status = ValidateMoney(money, "price");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    const auto violations = FieldViolationsOf(status);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field, "price.nanos");
  }
}

TEST(MoneyTest, ValidateReportsEveryViolation) {
  const auto violations = FieldViolationsOf(ValidateMoney(MakeMoney("eur", 1, -5), "price"));
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "price.currency_code");
  EXPECT_EQ(violations[1].field, "price.nanos");
}

TEST(MoneyTest, ArithmeticRefusesInvalidOperands) {
  EXPECT_EQ(Add(MakeMoney("EUR", 1, -1), MakeMoney("EUR", 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Multiply(MakeMoney("EUR", 0, 1'000'000'000), 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MultiplyPpm(MakeMoney("eur", 1), 2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MoneyTest, NanosConversionRoundTrips) {
  const Money money = MakeMoney("EUR", -12, -345'000'000);
  EXPECT_TRUE(ToNanos(money) == static_cast<Int128>(-12'345'000'000LL));
  ExpectMoney(FromNanos("EUR", ToNanos(money)), "EUR", -12, -345'000'000);
  const Money extreme = MakeMoney("EUR", kMin, -999'999'999);
  ExpectMoney(FromNanos("EUR", ToNanos(extreme)), "EUR", kMin, -999'999'999);
  EXPECT_FALSE(FromNanos("EUR", ToNanos(extreme) - 1'000'000'000).ok());
  EXPECT_FALSE(FromNanos("euro", 5).ok());
}

TEST(MoneyTest, FormatMoney) {
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", 12, 500'000'000)), "EUR 12.50");
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", 12)), "EUR 12.00");
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", 0)), "EUR 0.00");
  EXPECT_EQ(FormatMoney(MakeMoney("USD", 0, 5'000'000)), "USD 0.005");
  EXPECT_EQ(FormatMoney(MakeMoney("USD", 1, 1)), "USD 1.000000001");
  EXPECT_EQ(FormatMoney(MakeMoney("USD", 1, 120'000'000)), "USD 1.12");
  EXPECT_EQ(FormatMoney(MakeMoney("USD", 1, 123'400'000)), "USD 1.1234");
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", -3, -750'000'000)), "EUR -3.75");
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", 0, -10'000'000)), "EUR -0.01");
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", kMax, 999'999'999)), "EUR 9223372036854775807.999999999");
  EXPECT_EQ(FormatMoney(MakeMoney("EUR", kMin, -990'000'000)), "EUR -9223372036854775808.99");
}

}  // namespace
}  // namespace accord::common
