#include "pricing_common.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "accord/common/ids.h"

namespace accord::pricing {
namespace {

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (true) {
    const size_t end = text.find(separator, at);
    parts.push_back(text.substr(at, end == std::string_view::npos ? end : end - at));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return parts;
}

constexpr int64_t kNanosPerUnit = 1'000'000'000;
constexpr int64_t kMaxUnits = 1'000'000'000'000;  // 10^12

}  // namespace

absl::StatusOr<ItemName> ParseItemName(std::string_view name, const std::string& field) {
  const std::string example = "priceLists/{price_list_id}/items/{sku}";
  if (name.empty()) return common::InvalidArgument(field, "required, e.g. " + example);
  auto parts = Split(name, '/');
  if (parts.size() != 4 || parts[0] != "priceLists" || parts[2] != "items") {
    return common::InvalidArgument(field, "must look like " + example);
  }
  ItemName out{common::Lower(parts[1]), std::string(parts[3])};
  if (!common::IsUuid(out.price_list_id)) {
    return common::InvalidArgument(field, "the price list id must be a UUID");
  }
  if (!IsValidSku(out.sku)) {
    return common::InvalidArgument(field, "the SKU must be 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  return out;
}

absl::StatusOr<TermsName> ParseTermsName(std::string_view name, const std::string& field) {
  ACCORD_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      common::ParseName(name, "accounts/{account_id}/tradingTerms/{id}", field));
  return TermsName{std::move(ids[0]), std::move(ids[1])};
}

absl::StatusOr<std::optional<std::string>> ParseAccountParent(std::string_view name,
                                                              const std::string& field,
                                                              bool allow_all) {
  if (allow_all && name == "accounts/-") return std::optional<std::string>();
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseTopName(name, "accounts", field));
  return std::optional<std::string>(std::move(id));
}

std::string PriceListName(std::string_view id) { return "priceLists/" + std::string(id); }
std::string ItemResourceName(std::string_view price_list_id, std::string_view sku) {
  return PriceListName(price_list_id) + "/items/" + std::string(sku);
}
std::string TermsResourceName(std::string_view account_id, std::string_view id) {
  return AccountName(account_id) + "/tradingTerms/" + std::string(id);
}
std::string AccountName(std::string_view id) { return "accounts/" + std::string(id); }
std::string QuoteName(std::string_view id) { return "quotes/" + std::string(id); }
std::string SaleName(std::string_view id) { return "sales/" + std::string(id); }

bool IsValidSku(std::string_view sku) {
  if (sku.empty() || sku.size() > 64) return false;
  return std::all_of(sku.begin(), sku.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
  });
}

bool IsValidCategory(std::string_view category) {
  if (category.empty() || category.size() > 200) return false;
  auto segments = Split(category, '/');
  if (segments.size() > 8) return false;
  for (auto segment : segments) {
    if (segment.empty()) return false;
    for (unsigned char c : segment) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
        return false;
      }
    }
  }
  return true;
}

bool CategoryCovers(std::string_view prefix, std::string_view category) {
  if (prefix.empty() || category.size() < prefix.size()) return false;
  if (category.substr(0, prefix.size()) != prefix) return false;
  return category.size() == prefix.size() || category[prefix.size()] == '/';
}

size_t CategoryDepth(std::string_view category) {
  if (category.empty()) return 0;
  return static_cast<size_t>(std::count(category.begin(), category.end(), '/')) + 1;
}

bool IsDateSet(const Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

bool IsValidDate(const Date& date) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = date.year(), month = date.month(), day = date.day();
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

void ValidateDate(const Date& date, const std::string& field, bool required,
                  common::Violations& violations) {
  if (!IsDateSet(date)) {
    if (required) violations.Add(field, "required");
    return;
  }
  if (!IsValidDate(date)) {
    violations.Add(field, "must be a real day of the years 1 to 9999 (year, month, day)");
  }
}

// Howard Hinnant's civil-calendar arithmetic (public domain algorithm), written out here.
int64_t DaysFromCivil(const Date& date) {
  int64_t y = date.year();
  const int64_t m = date.month();
  const int64_t d = date.day();
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return MakeDate(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
}

int CompareDates(const Date& a, const Date& b) {
  auto key = [](const Date& d) {
    return static_cast<int64_t>(d.year()) * 10000 + d.month() * 100 + d.day();
  };
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

std::string DateText(const Date& date) {
  if (!IsDateSet(date)) return "";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buffer;
}

Date MakeDate(int year, int month, int day) {
  Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

Date TodayUtc() {
  const auto now = std::chrono::system_clock::now();
  const auto days = std::chrono::duration_cast<std::chrono::hours>(now.time_since_epoch()).count();
  return CivilFromDays(days >= 0 ? days / 24 : (days - 23) / 24);
}

bool InWindow(const Date& day, const Date& from, const Date& until) {
  if (CompareDates(day, from) < 0) return false;
  return !IsDateSet(until) || CompareDates(day, until) <= 0;
}

int MinorUnitDigits(std::string_view currency) {
  static const std::vector<std::string_view> kZero = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                      "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                                                      "VUV", "XAF", "XOF", "XPF"};
  static const std::vector<std::string_view> kThree = {"BHD", "IQD", "JOD", "KWD",
                                                       "LYD", "OMR", "TND"};
  if (std::find(kZero.begin(), kZero.end(), currency) != kZero.end()) return 0;
  if (std::find(kThree.begin(), kThree.end(), currency) != kThree.end()) return 3;
  return 2;
}

int64_t MinorUnitNanos(std::string_view currency) {
  int64_t nanos = kNanosPerUnit;
  for (int i = 0; i < MinorUnitDigits(currency); ++i) nanos /= 10;
  return nanos;
}

bool IsMoneySet(const Money& money) {
  return !money.currency_code().empty() || money.units() != 0 || money.nanos() != 0;
}

void ValidateAmount(const Money& money, const std::string& field, const std::string& currency,
                    common::Violations& violations) {
  const absl::Status valid = common::ValidateMoney(money, field);
  if (!valid.ok()) {
    MergeViolations(valid, violations, field);
    return;
  }
  if (!currency.empty() && money.currency_code() != currency) {
    violations.Add(
        field + ".currency_code",
        "must be " + currency + " (the price list's currency), not " + money.currency_code());
  }
  if (money.units() < 0 || money.nanos() < 0) {
    violations.Add(field, "must not be negative");
  } else if (money.units() >= kMaxUnits) {
    violations.Add(field, "must be below 10^12 units");
  }
}

}  // namespace accord::pricing
