#include "accord/common/list_query.h"

#include <algorithm>
#include <cctype>

#include "accord/common/errors.h"
#include "accord/common/fields.h"

namespace accord::common {
namespace {

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
    return InvalidArgument("order_by",
                           "expected one of " + choices + ", optionally followed by ` desc`");
  }
  if (std::find(fields.begin(), fields.end(), words[0]) == fields.end()) {
    return InvalidArgument("order_by", "cannot order by `" + words[0] + "`; use one of " + choices);
  }
  order.field = words[0];
  order.descending = words.size() == 2 && words[1] == "desc";
  order.canonical = order.field + (order.descending ? " desc" : "");
  return order;
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

}  // namespace accord::common
