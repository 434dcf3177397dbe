// Checks of request fields that every service makes the same way: text measured in code points,
// blank text, text limits, calendar dates, and collecting the field violations of parse helpers.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "accord/common/errors.h"

namespace accord::common {

// Unicode code points in UTF-8 text (the unit of every length limit).
size_t CodePoints(std::string_view text);
// ASCII letters lower-cased (ids, keywords; not text shown to people).
std::string Lower(std::string_view text);
// Empty, or white space only.
bool IsBlank(std::string_view text);
// Adds "at most `max` characters" on `field` when `text` is longer, or "required" when `required`
// and `text` is blank.
void CheckText(std::string_view text, const std::string& field, size_t max, bool required,
               Violations& violations);

// "YYYY-MM-DD" naming a real day of the years 0001-9999.
bool IsCalendarDate(std::string_view text);
// Adds a violation on `field` unless `value` is empty or a calendar date.
void ValidateOptionalDate(const std::string& value, const std::string& field,
                          Violations& violations);

// Copies the field violations of `status` (from a parse helper) into `violations`; a failure that
// names none becomes one violation on `field`.
void MergeViolations(const absl::Status& status, Violations& violations,
                     const std::string& field = "");

}  // namespace accord::common
