// PostgreSQL array literals, for statements that take a list as one parameter ($1::text[],
// $1::uuid[], $1::integer[]): one parameter whatever the list's length, so the statement can be
// prepared once.
#pragma once

#include <string>

namespace accord::common {

// `{"a","b"}`: every element quoted, `"` and `\` escaped, so any text (empty strings, commas,
// braces) is one element; also right for uuid[] and the other types Postgres reads from text.
// `Strings` is any range of std::string (a vector, a set, a repeated proto field).
template <typename Strings>
std::string TextArrayLiteral(const Strings& values) {
  std::string out = "{";
  bool first = true;
  for (const std::string& value : values) {
    if (!first) out += ',';
    first = false;
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// `{1,2,3}` for integer[] parameters.
template <typename Integers>
std::string IntArrayLiteral(const Integers& values) {
  std::string out = "{";
  bool first = true;
  for (const auto value : values) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(value);
  }
  return out + "}";
}

}  // namespace accord::common
