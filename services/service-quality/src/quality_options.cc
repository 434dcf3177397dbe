#include "quality_options.h"

#include <cstdlib>

#include "accord/common/config.h"
#include "accord/common/errors.h"

namespace accord::quality {

QualityOptions QualityOptions::Defaults() {
  QualityOptions options;
  options.compensation.by_role[common::Role::kServiceAgent] =
      *CompensationLimits::ParseList("EUR 500, USD 500");
  options.directory.account.service = "account";
  options.directory.account.address = "dns:///127.0.0.1:50051";
  options.directory.contact.service = "contact";
  options.directory.contact.address = "dns:///127.0.0.1:50052";
  return options;
}

absl::StatusOr<QualityOptions> QualityOptions::FromEnvironment(
    const std::map<std::string, std::string>& env) {
  auto get = [&](const char* name) -> std::optional<std::string> {
    if (!env.empty()) {
      auto found = env.find(name);
      if (found == env.end()) return std::nullopt;
      return found->second;
    }
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  QualityOptions options = Defaults();
  std::vector<std::string> errors;
  if (auto text = get("ACCORD_QUALITY_PRIORITY_MATRIX")) {
    auto matrix = PriorityMatrix::Parse(*text);
    if (matrix.ok()) {
      options.matrix = *matrix;
    } else {
      errors.push_back("ACCORD_QUALITY_PRIORITY_MATRIX: " + std::string(matrix.status().message()));
    }
  }
  auto flag = [&](const char* name, bool* out) {
    auto text = get(name);
    if (!text) return;
    if (*text == "true" || *text == "1") {
      *out = true;
    } else if (*text == "false" || *text == "0") {
      *out = false;
    } else {
      errors.push_back(std::string(name) + ": expected true or false");
    }
  };
  flag("ACCORD_QUALITY_RAISE_STRATEGIC", &options.raise_strategic);
  flag("ACCORD_QUALITY_FOLLOW_ACCOUNT_EVENTS", &options.follow_account_events);
  if (auto text = get("ACCORD_QUALITY_AGENT_COMPENSATION_LIMIT")) {
    auto limits = CompensationLimits::ParseList(*text);
    if (limits.ok()) {
      options.compensation.by_role[common::Role::kServiceAgent] = *limits;
    } else {
      errors.push_back("ACCORD_QUALITY_AGENT_COMPENSATION_LIMIT: " +
                       std::string(limits.status().message()));
    }
  }
  auto number = [&](const char* name, long min, long max, long* out) {
    auto text = get(name);
    if (!text) return;
    char* end = nullptr;
    const long value = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || value < min || value > max) {
      errors.push_back(std::string(name) + ": expected a number from " + std::to_string(min) +
                       " to " + std::to_string(max));
      return;
    }
    *out = value;
  };
  long interval = options.sweep_interval.count();
  number("ACCORD_QUALITY_SWEEP_INTERVAL_MS", 0, 3600000, &interval);
  options.sweep_interval = std::chrono::milliseconds(interval);
  long batch = options.sweep_batch;
  number("ACCORD_QUALITY_SWEEP_BATCH", 1, 100000, &batch);
  options.sweep_batch = static_cast<int>(batch);
  long budget = options.sweep_budget.count();
  number("ACCORD_QUALITY_SWEEP_BUDGET_MS", 0, 3600000, &budget);
  options.sweep_budget = std::chrono::milliseconds(budget);
  long close_after = options.close_after.count();
  number("ACCORD_QUALITY_CLOSE_AFTER_HOURS", 0, 24 * 366, &close_after);
  options.close_after = std::chrono::hours(close_after);
  long max_reopens = options.max_reopens;
  number("ACCORD_QUALITY_MAX_REOPENS", 0, 100, &max_reopens);
  options.max_reopens = static_cast<int>(max_reopens);
  long managed_ttl = options.directory.managed_ttl.count();
  number("ACCORD_QUALITY_MANAGED_ACCOUNTS_TTL_MS", 0, 3600000, &managed_ttl);
  options.directory.managed_ttl = std::chrono::milliseconds(managed_ttl);
  {
    auto config = env.empty()
                      ? std::make_unique<common::ConfigReader>(0, nullptr)
                      : std::make_unique<common::ConfigReader>(std::vector<std::string>{}, env);
    options.directory.account =
        common::ReadServiceClientOptions(*config, "account", "dns:///127.0.0.1:50051");
    options.directory.contact =
        common::ReadServiceClientOptions(*config, "contact", "dns:///127.0.0.1:50052");
    if (auto status = config->Finish(); !status.ok()) errors.emplace_back(status.message());
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& error : errors) message += (message.empty() ? "" : "; ") + error;
    return absl::InvalidArgumentError(message);
  }
  return options;
}

}  // namespace accord::quality
