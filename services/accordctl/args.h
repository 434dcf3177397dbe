// A small command-line parser for accordctl: `--flag value`, `--flag=value`, boolean flags,
// repeated flags, positional arguments and `--` to end flag parsing. Every command declares
// its flags up front, so unknown flags are rejected and `--help` can list them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace accord::accordctl {

struct FlagSpec {
  std::string name;        // without the leading dashes, e.g. "display-name"
  std::string value_name;  // e.g. "NAME"; empty means a boolean flag that takes no value
  std::string help;
  bool repeated = false;    // may be given more than once; values are kept in order
  bool connection = false;  // shared connection/auth flag, listed separately in --help
  bool required = false;    // the registry refuses the command without it, naming every one missing
  char short_name = 0;      // e.g. 'o' for `-o table`

  bool is_bool() const { return value_name.empty(); }
};

class ParsedArgs {
 public:
  // True if the flag was given at least once (for booleans: and not set to false).
  bool Has(const std::string& name) const;
  // The last value given, if any.
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& default_value) const;
  // Every value of a repeated flag, in order; comma-separated values are NOT split here.
  std::vector<std::string> GetAll(const std::string& name) const;
  bool Bool(const std::string& name) const { return Has(name); }

  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend struct ArgParser;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

struct ParseResult {
  ParsedArgs args;
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

struct ArgParser {
  // Parses `tokens` (the arguments after the command words) against `flags`. `-h` is an alias
  // of `--help` when a `help` flag is declared.
  static ParseResult Parse(const std::vector<FlagSpec>& flags,
                           const std::vector<std::string>& tokens);
};

// Splits "a,b,,c" into {"a","b","c"}, trimming blanks.
std::vector<std::string> SplitList(const std::string& text);

// Parses a duration such as "10s", "500ms", "8h", "1h30m" or a bare number of seconds into
// milliseconds. Returns nullopt when malformed or not positive.
std::optional<long long> ParseDurationMillis(const std::string& text);

// Parses a base-10 integer in [min, max].
std::optional<long long> ParseInt(const std::string& text, long long min, long long max);

}  // namespace accord::accordctl
