#include "accord/common/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

extern char** environ;

namespace accord::common {
namespace {

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto eq = text.find('=');
    if (eq != std::string::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

std::vector<std::string> Args(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return args;
}

}  // namespace

ConfigReader::ConfigReader(int argc, const char* const* argv)
    : ConfigReader(Args(argc, argv), ProcessEnvironment()) {}

ConfigReader::ConfigReader(std::vector<std::string> args, std::map<std::string, std::string> env)
    : env_(std::move(env)) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    if (eq != std::string::npos) {
      flags_[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      flags_[arg] = args[++i];
    } else {
      flags_[arg] = "true";  // a bare boolean flag
    }
  }
}

std::string ConfigReader::FlagNameFor(const std::string& env_name) {
  std::string name = env_name;
  if (name.rfind("ACCORD_", 0) == 0) name = name.substr(7);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
  });
  return "--" + name;
}

std::optional<std::string> ConfigReader::Lookup(const std::string& name) {
  const std::string flag = FlagNameFor(name);
  used_flags_[flag] = true;
  if (auto it = flags_.find(flag); it != flags_.end()) return it->second;
  if (auto it = env_.find(name); it != env_.end()) return it->second;
  return std::nullopt;
}

std::string ConfigReader::String(const std::string& name, const std::string& default_value,
                                 const std::string& help) {
  usage_.push_back(name + " (" + FlagNameFor(name) + ") default \"" + default_value +
                   "\": " + help);
  return Lookup(name).value_or(default_value);
}

std::string ConfigReader::RequiredString(const std::string& name, const std::string& help) {
  usage_.push_back(name + " (" + FlagNameFor(name) + ") required: " + help);
  auto value = Lookup(name);
  if (!value || value->empty()) {
    errors_.push_back(name + " is required (" + help + "); set it or pass " + FlagNameFor(name));
    return "";
  }
  return *value;
}

int ConfigReader::Int(const std::string& name, int default_value, int min, int max,
                      const std::string& help) {
  usage_.push_back(name + " (" + FlagNameFor(name) + ") default " + std::to_string(default_value) +
                   ": " + help);
  auto value = Lookup(name);
  if (!value) return default_value;
  int parsed = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (ec != std::errc() || end != value->data() + value->size()) {
    errors_.push_back(name + "=\"" + *value + "\" is not an integer");
    return default_value;
  }
  if (parsed < min || parsed > max) {
    errors_.push_back(name + "=" + *value + " is out of range [" + std::to_string(min) + ", " +
                      std::to_string(max) + "]");
    return default_value;
  }
  return parsed;
}

bool ConfigReader::Bool(const std::string& name, bool default_value, const std::string& help) {
  usage_.push_back(name + " (" + FlagNameFor(name) + ") default " +
                   (default_value ? "true" : "false") + ": " + help);
  auto value = Lookup(name);
  if (!value) return default_value;
  std::string lower = *value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  errors_.push_back(name + "=\"" + *value + "\" is not a boolean (true/false)");
  return default_value;
}

std::chrono::milliseconds ConfigReader::Millis(const std::string& name,
                                               std::chrono::milliseconds default_value,
                                               const std::string& help) {
  int value = Int(name, static_cast<int>(default_value.count()), 0, 24 * 3600 * 1000, help);
  return std::chrono::milliseconds(value);
}

std::string ConfigReader::Choice(const std::string& name, const std::string& default_value,
                                 const std::vector<std::string>& allowed, const std::string& help) {
  std::string value = String(name, default_value, help);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string options;
    for (const auto& option : allowed) options += (options.empty() ? "" : ", ") + option;
    errors_.push_back(name + "=\"" + value + "\" must be one of: " + options);
  }
  return value;
}

absl::Status ConfigReader::Finish() const {
  std::vector<std::string> errors = errors_;
  for (const auto& [flag, value] : flags_) {
    if (flag == "--help") continue;
    if (!used_flags_.count(flag)) errors.push_back("unknown flag " + flag);
  }
  if (errors.empty()) return absl::OkStatus();
  std::string message = "invalid configuration:";
  for (const auto& error : errors) message += "\n  " + error;
  return absl::InvalidArgumentError(message);
}

std::string ConfigReader::Usage() const {
  std::string out;
  for (const auto& line : usage_) out += "  " + line + "\n";
  return out;
}

}  // namespace accord::common
