// Tiny `--key=value` flag parsing shared by the benchmark tools (they are not services, so they
// do not use ConfigReader and read no ACCORD_* environment on their own).
#pragma once

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace accord::bench {

class Flags {
 public:
  Flags(int argc, char** argv, std::string usage) : usage_(std::move(usage)) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        std::cout << usage_;
        std::exit(0);
      }
      if (arg.rfind("--", 0) != 0) Fail("unexpected argument " + arg);
      auto eq = arg.find('=');
      if (eq == std::string::npos) {
        values_[arg.substr(2)] = "true";
      } else {
        values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
      }
    }
  }

  std::string Get(const std::string& key, const std::string& fallback = "") {
    used_[key] = true;
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }
  std::string Required(const std::string& key) {
    used_[key] = true;
    auto it = values_.find(key);
    if (it == values_.end()) Fail("--" + key + " is required");
    return it->second;
  }
  long long Int(const std::string& key, long long fallback) {
    std::string text = Get(key);
    if (text.empty()) return fallback;
    char* end = nullptr;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (end == nullptr || *end != '\0') Fail("--" + key + " must be an integer");
    return value;
  }
  double Double(const std::string& key, double fallback) {
    std::string text = Get(key);
    if (text.empty()) return fallback;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == nullptr || *end != '\0') Fail("--" + key + " must be a number");
    return value;
  }
  bool Has(const std::string& key) {
    used_[key] = true;
    return values_.count(key) > 0;
  }
  // Call after every Get: unknown flags are errors, so typos do not silently change a run.
  void Finish() const {
    for (const auto& [key, value] : values_) {
      if (!used_.count(key)) Fail("unknown flag --" + key);
    }
  }
  [[noreturn]] void Fail(const std::string& message) const {
    std::cerr << "error: " << message << "\n\n" << usage_;
    std::exit(2);
  }

 private:
  std::string usage_;
  std::map<std::string, std::string> values_;
  mutable std::map<std::string, bool> used_;
};

}  // namespace accord::bench
