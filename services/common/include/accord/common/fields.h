// Checks of request fields that every service makes the same way: text measured in code points,
// blank text, calendar dates, and collecting the field violations of parse helpers.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "accord/common/errors.h"

namespace accord::common {

// Unicode code points in UTF-8 text (the unit of every length limit).
size_t CodePoints(const std::string& text);
// Empty, or white space only.
bool IsBlank(const std::string& text);

// "YYYY-MM-DD" naming a real day of the years 0001-9999.
bool IsCalendarDate(std::string_view text);
// Adds a violation on `field` unless `value` is empty or a calendar date.
void ValidateOptionalDate(const std::string& value, const std::string& field,
                          Violations& violations);

// Copies the field violations of `status` (from a parse helper) into `violations`.
void MergeViolations(const absl::Status& status, Violations& violations);

}  // namespace accord::common
