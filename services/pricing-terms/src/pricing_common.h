// Helpers shared by the pricing-terms domain: resource names, calendar dates (accord.common.v1.
// Date), currencies' minor units, order_by, filter enums and who is writing. Pure functions; no
// gRPC or database types.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/fields.h"
#include "accord/common/list_query.h"
#include "accord/common/money.h"
#include "accord/common/resource_name.h"
#include "accord/common/v1/date.pb.h"
#include "accord/common/write_meta.h"

namespace accord::pricing {

// The pricing policy's resource name (there is one policy).
inline constexpr char kPolicyName[] = "pricingPolicy";

using common::v1::Date;
using common::v1::Money;

// Who is writing and how a retry is recognised: stamped on the change and its event.
using common::WriteMeta;

// `<collection>/{uuid}` -> the id; INVALID_ARGUMENT naming `field` otherwise.
using common::ParseTopName;
// `priceLists/{uuid}/items/{sku}` -> {list id, sku}.
struct ItemName {
  std::string price_list_id;
  std::string sku;
};
absl::StatusOr<ItemName> ParseItemName(std::string_view name, const std::string& field);
// `accounts/{uuid}/tradingTerms/{uuid}` -> {account id, terms id}.
struct TermsName {
  std::string account_id;
  std::string id;
};
absl::StatusOr<TermsName> ParseTermsName(std::string_view name, const std::string& field);
// `accounts/{uuid}` -> the id; with `allow_all`, `accounts/-` -> nullopt (AIP-159).
absl::StatusOr<std::optional<std::string>> ParseAccountParent(std::string_view name,
                                                              const std::string& field,
                                                              bool allow_all);

std::string PriceListName(std::string_view id);
std::string ItemResourceName(std::string_view price_list_id, std::string_view sku);
std::string TermsResourceName(std::string_view account_id, std::string_view id);
std::string AccountName(std::string_view id);
std::string QuoteName(std::string_view id);
std::string SaleName(std::string_view id);

// 1 to 64 of A-Z a-z 0-9 . _ -.
bool IsValidSku(std::string_view sku);
// Lower-case segments of [a-z0-9_-], joined by "/", 1 to 8 segments.
bool IsValidCategory(std::string_view category);
// Whether `prefix` covers `category` by whole segments ("tools/power" covers
// "tools/power/drills", not "tools/powerful").
bool CategoryCovers(std::string_view prefix, std::string_view category);
size_t CategoryDepth(std::string_view category);

// Dates. A Date with all fields zero is "not set".
bool IsDateSet(const Date& date);
bool IsValidDate(const Date& date);
// Adds a violation unless the date is unset (when optional) or a real day of years 1-9999.
void ValidateDate(const Date& date, const std::string& field, bool required,
                  common::Violations& violations);
// Days since 1970-01-01 (negative before), and back.
int64_t DaysFromCivil(const Date& date);
Date CivilFromDays(int64_t days);
int CompareDates(const Date& a, const Date& b);  // -1, 0, 1
std::string DateText(const Date& date);          // "YYYY-MM-DD", "" when unset
Date MakeDate(int year, int month, int day);
Date TodayUtc();
// Whether `day` is in [from, until], until unset meaning open-ended.
bool InWindow(const Date& day, const Date& from, const Date& until);

// Decimal places of the currency's minor unit: 0 (JPY, KRW, ...), 3 (BHD, KWD, ...), else 2.
int MinorUnitDigits(std::string_view currency);
// The minor unit in nanos (10^(9 - digits)).
int64_t MinorUnitNanos(std::string_view currency);
// A money field: valid, in `currency` when given, at least zero, at most 10^12 units (so that
// no product of a price and a quantity overflows 128 bits), in whole nanos of course.
void ValidateAmount(const Money& money, const std::string& field, const std::string& currency,
                    common::Violations& violations);
bool IsMoneySet(const Money& money);

using common::CheckText;
using common::CodePoints;
using common::IsBlank;
using common::MergeViolations;
using common::OrderBy;
using common::ParseOrderBy;

}  // namespace accord::pricing
