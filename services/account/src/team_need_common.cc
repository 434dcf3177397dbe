#include "team_need_common.h"

#include <algorithm>
#include <cctype>

#include "accord/common/ids.h"
#include "account_logic.h"

namespace accord::account {
namespace {

constexpr std::string_view kAccountsPrefix = "accounts/";

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && text[at] == ' ') ++at;
    size_t end = text.find(' ', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end;
  }
  return words;
}

}  // namespace

absl::StatusOr<ChildName> ParseChildName(std::string_view name, std::string_view collection,
                                         const std::string& field) {
  const std::string example =
      "accounts/{account_id}/" + std::string(collection) + "/{" + std::string(collection) + "_id}";
  if (name.empty()) return common::InvalidArgument(field, "required, e.g. " + example);
  if (name.substr(0, kAccountsPrefix.size()) != kAccountsPrefix) {
    return common::InvalidArgument(field, "must look like " + example);
  }
  std::string_view rest = name.substr(kAccountsPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return common::InvalidArgument(field, "must look like " + example);
  }
  const std::string account_id = Lower(rest.substr(0, slash));
  rest = rest.substr(slash + 1);
  if (rest.substr(0, collection.size()) != collection || rest.substr(collection.size(), 1) != "/") {
    return common::InvalidArgument(field, "must look like " + example);
  }
  const std::string id = Lower(rest.substr(collection.size() + 1));
  if (!common::IsUuid(account_id) || !common::IsUuid(id)) {
    return common::InvalidArgument(field, "both ids in " + example + " must be UUIDs");
  }
  return ChildName{account_id, id};
}

std::string ChildResourceName(std::string_view account_id, std::string_view collection,
                              std::string_view id) {
  return AccountName(account_id) + "/" + std::string(collection) + "/" + std::string(id);
}

absl::StatusOr<std::optional<std::string>> ParseListParent(std::string_view parent,
                                                           const std::string& field) {
  if (parent == "accounts/-") return std::optional<std::string>();
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseAccountName(parent, field));
  return std::optional<std::string>(std::move(id));
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
                          common::Violations& violations) {
  if (!value.empty() && !IsCalendarDate(value)) {
    violations.Add(field, "must be a date written YYYY-MM-DD, e.g. 2024-05-31");
  }
}

size_t CodePoints(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool IsBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

std::map<std::string, std::string> FilterEnumValues(
    const google::protobuf::EnumDescriptor* descriptor, std::string_view prefix) {
  std::map<std::string, std::string> values;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto* value = descriptor->value(i);
    if (value->number() == 0) continue;
    values[value->name()] = std::to_string(value->number());
    values[value->name().substr(prefix.size())] = std::to_string(value->number());
  }
  return values;
}

absl::StatusOr<OrderBy> ParseOrderBy(const std::string& order_by,
                                     const std::vector<std::string>& fields) {
  std::string choices;
  for (const auto& field : fields) {
    if (!choices.empty()) choices += ", ";
    choices += field;
  }
  const std::vector<std::string> words = Words(Lower(order_by));
  OrderBy order;
  if (words.empty()) {
    order.field = fields.front();
    order.canonical = order.field;
    return order;
  }
  if (words.size() > 2 || (words.size() == 2 && words[1] != "desc" && words[1] != "asc")) {
    return common::InvalidArgument(
        "order_by", "expected one of " + choices + ", optionally followed by ` desc`");
  }
  if (std::find(fields.begin(), fields.end(), words[0]) == fields.end()) {
    return common::InvalidArgument("order_by",
                                   "cannot order by `" + words[0] + "`; use one of " + choices);
  }
  order.field = words[0];
  order.descending = words.size() == 2 && words[1] == "desc";
  order.canonical = order.field + (order.descending ? " desc" : "");
  return order;
}

void MergeViolations(const absl::Status& status, common::Violations& violations) {
  for (auto& violation : common::FieldViolationsOf(status)) {
    violations.Add(violation.field, violation.description);
  }
}

}  // namespace accord::account
