// Postgres array literals for the account service's statements.
#pragma once

#include <string>

namespace accord::account {

// A Postgres array literal (text[], uuid[], ...) of `values`, each quoted.
template <typename Strings>
std::string ArrayLiteral(const Strings& values) {
  std::string out = "{";
  bool first = true;
  for (const std::string& value : values) {
    if (!first) out += ",";
    first = false;
    out += "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

}  // namespace accord::account
