#include "args.h"

#include <cctype>
#include <charconv>
#include <limits>

namespace accord::accordctl {

bool ParsedArgs::Has(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->second.empty();
}

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::GetOr(const std::string& name, const std::string& default_value) const {
  auto value = Get(name);
  return value ? *value : default_value;
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

ParseResult ArgParser::Parse(const std::vector<FlagSpec>& flags,
                             const std::vector<std::string>& tokens) {
  ParseResult result;
  auto find = [&](const std::string& name) -> const FlagSpec* {
    for (const auto& flag : flags) {
      if (flag.name == name) return &flag;
    }
    return nullptr;
  };

  bool flags_done = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (flags_done || token == "-" || token.size() < 2 || token[0] != '-') {
      result.args.positional_.push_back(token);
      continue;
    }
    if (token == "--") {
      flags_done = true;
      continue;
    }
    std::string name;
    std::optional<std::string> inline_value;
    const FlagSpec* short_flag = nullptr;
    if (token.size() == 2 && token[0] == '-') {
      for (const auto& flag : flags) {
        if (flag.short_name == token[1]) short_flag = &flag;
      }
    }
    if (token == "-h") {
      name = "help";
    } else if (short_flag != nullptr) {
      name = short_flag->name;
    } else if (token.rfind("--", 0) == 0) {
      std::string body = token.substr(2);
      auto eq = body.find('=');
      if (eq != std::string::npos) {
        inline_value = body.substr(eq + 1);
        body.resize(eq);
      }
      name = body;
    } else {
      result.error = "unknown flag '" + token + "' (flags are written --name)";
      return result;
    }

    const FlagSpec* spec = find(name);
    if (spec == nullptr) {
      result.error = "unknown flag '--" + name + "'";
      return result;
    }
    auto& values = result.args.values_[name];
    if (spec->is_bool()) {
      if (inline_value) {
        if (*inline_value == "true" || *inline_value == "1") {
          values.assign(1, "true");
        } else if (*inline_value == "false" || *inline_value == "0") {
          values.clear();
        } else {
          result.error = "flag '--" + name + "' takes no value (or =true/=false)";
          return result;
        }
      } else {
        values.assign(1, "true");
      }
      continue;
    }

    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < tokens.size()) {
      value = tokens[++i];
    } else {
      result.error = "flag '--" + name + "' needs a value (" + spec->value_name + ")";
      return result;
    }
    if (!spec->repeated && !values.empty()) {
      result.error = "flag '--" + name + "' given more than once";
      return result;
    }
    values.push_back(std::move(value));
  }
  return result;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    size_t first = item.find_first_not_of(" \t");
    size_t last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
    start = comma + 1;
  }
  return out;
}

std::optional<long long> ParseInt(const std::string& text, long long min, long long max) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<long long> ParseDurationMillis(const std::string& text) {
  if (text.empty()) return std::nullopt;
  // A bare number means seconds.
  if (auto seconds = ParseInt(text, 1, std::numeric_limits<long long>::max() / 1000)) {
    return *seconds * 1000;
  }
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits_start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == digits_start) return std::nullopt;
    auto number = ParseInt(text.substr(digits_start, i - digits_start), 0, 1'000'000'000);
    if (!number) return std::nullopt;
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    long long factor = 0;
    if (unit == "ms") {
      factor = 1;
    } else if (unit == "s") {
      factor = 1000;
    } else if (unit == "m") {
      factor = 60 * 1000;
    } else if (unit == "h") {
      factor = 60 * 60 * 1000;
    } else if (unit == "d") {
      factor = 24 * 60 * 60 * 1000;
    } else {
      return std::nullopt;
    }
    total += *number * factor;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

}  // namespace accord::accordctl
