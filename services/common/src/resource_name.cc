#include "accord/common/resource_name.h"

#include <cctype>

#include "accord/common/ids.h"

namespace accord::common {
namespace {

std::vector<std::string_view> Segments(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    out.push_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool IsVariable(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseName(std::string_view name, std::string_view pattern,
                                                   const std::string& field) {
  const std::string example(pattern);
  if (name.empty()) return InvalidArgument(field, "required, e.g. " + example);
  const auto expected = Segments(pattern);
  const auto given = Segments(name);
  std::vector<std::string> ids;
  bool fits = given.size() == expected.size();
  for (size_t i = 0; fits && i < expected.size(); ++i) {
    if (!IsVariable(expected[i])) {
      fits = given[i] == expected[i];
      continue;
    }
    std::string id(given[i]);
    for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ids.push_back(std::move(id));
  }
  if (!fits) return InvalidArgument(field, "must look like " + example);
  for (const auto& id : ids) {
    if (!IsUuid(id)) {
      return InvalidArgument(field, ids.size() == 1 ? "the id in " + example + " must be a UUID"
                                                    : "every id in " + example + " must be a UUID");
    }
  }
  return ids;
}

absl::StatusOr<std::string> ParseTopName(std::string_view name, std::string_view collection,
                                         const std::string& field) {
  // Nearly every name is well formed and spelled canonically (lower case): that one is read
  // without building the pattern (every point read pays for this); anything else gets the
  // general parse and its errors.
  if (name.size() == collection.size() + 37 && name.starts_with(collection) &&
      name[collection.size()] == '/') {
    const std::string_view id = name.substr(collection.size() + 1);
    if (IsUuid(id)) return std::string(id);
  }
  auto ids = ParseName(name, std::string(collection) + "/{id}", field);
  if (!ids.ok()) return ids.status();
  return std::move((*ids)[0]);
}

}  // namespace accord::common
