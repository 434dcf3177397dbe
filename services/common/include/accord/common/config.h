// Configuration from environment variables (Kubernetes style), each overridable by a flag:
// ACCORD_PG_URL is also --pg-url=... on the command line. Readers record every problem so
// start-up fails once, naming each bad or missing setting.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace accord::common {

class ConfigReader {
 public:
  // `env` defaults to the process environment; tests pass their own.
  ConfigReader(int argc, const char* const* argv);
  ConfigReader(std::vector<std::string> args, std::map<std::string, std::string> env);

  std::string String(const std::string& name, const std::string& default_value,
                     const std::string& help);
  std::string RequiredString(const std::string& name, const std::string& help);
  int Int(const std::string& name, int default_value, int min, int max, const std::string& help);
  bool Bool(const std::string& name, bool default_value, const std::string& help);
  std::chrono::milliseconds Millis(const std::string& name, std::chrono::milliseconds default_value,
                                   const std::string& help);
  // One of `allowed`.
  std::string Choice(const std::string& name, const std::string& default_value,
                     const std::vector<std::string>& allowed, const std::string& help);

  // Records a problem found while interpreting a setting (e.g. an unparsable URL).
  void AddError(std::string error) { errors_.push_back(std::move(error)); }

  // Arguments that are not --flags (e.g. the `migrate` subcommand), in order.
  const std::vector<std::string>& positional() const { return positional_; }
  // OK, or INVALID_ARGUMENT listing every bad setting and every unknown flag.
  absl::Status Finish() const;
  // One line per setting read so far: name, flag, default, help.
  std::string Usage() const;

  // ACCORD_PG_URL -> --pg-url
  static std::string FlagNameFor(const std::string& env_name);

 private:
  std::optional<std::string> Lookup(const std::string& name);

  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> flags_;
  std::map<std::string, bool> used_flags_;
  std::vector<std::string> positional_;
  std::vector<std::string> errors_;
  std::vector<std::string> usage_;
};

}  // namespace accord::common
