#include "accord/common/fields.h"

#include <algorithm>
#include <cctype>

namespace accord::common {

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

void CheckText(std::string_view text, const std::string& field, size_t max, bool required,
               Violations& violations) {
  if (required && IsBlank(text)) {
    violations.Add(field, "required");
  } else if (CodePoints(text) > max) {
    violations.Add(field, "at most " + std::to_string(max) + " characters");
  }
}

bool IsCalendarDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto number = [&](size_t at, size_t count, int* out) {
    int value = 0;
    for (size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  int year, month, day;
  if (!number(0, 4, &year) || !number(5, 2, &month) || !number(8, 2, &day)) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
         day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

void ValidateOptionalDate(const std::string& value, const std::string& field,
                          Violations& violations) {
  if (!value.empty() && !IsCalendarDate(value)) {
    violations.Add(field, "must be a date written YYYY-MM-DD, e.g. 2024-05-31");
  }
}

void MergeViolations(const absl::Status& status, Violations& violations, const std::string& field) {
  if (status.ok()) return;
  auto items = FieldViolationsOf(status);
  if (items.empty()) {
    violations.Add(field, std::string(status.message()));
    return;
  }
  for (auto& violation : items) violations.Add(violation.field, violation.description);
}

}  // namespace accord::common
