// Settings of service-quality beyond the common ones, read from the environment (see README
// "Service quality"):
//   ACCORD_QUALITY_PRIORITY_MATRIX        9 priorities, impact HIGH..LOW by urgency HIGH..LOW
//   ACCORD_QUALITY_RAISE_STRATEGIC        true: strategic accounts get one step more (default)
//   ACCORD_QUALITY_AGENT_COMPENSATION_LIMIT  e.g. "EUR 500, USD 500" (the default)
//   ACCORD_QUALITY_SWEEP_INTERVAL_MS      how often the SLA sweeper runs (default 30000; 0 off)
//   ACCORD_QUALITY_SWEEP_BATCH            cases per sweeper transaction (default 50)
//   ACCORD_QUALITY_SWEEP_BUDGET_MS        a pass takes no further batch past this (default 600;
//                                         0 unbounded); the next pass goes on at once
//   ACCORD_QUALITY_CLOSE_AFTER_HOURS      a resolved case nobody confirms closes after this
//                                         (default 168; 0 never)
//   ACCORD_QUALITY_MAX_REOPENS            how often a case may reopen (default 3)
//   ACCORD_QUALITY_FOLLOW_ACCOUNT_EVENTS  follow the account service's events (default true;
//                                         needs ACCORD_SERVICE_TOKEN with the integration role)
//   ACCORD_QUALITY_MANAGED_ACCOUNTS_TTL_MS  how long an account manager's accounts are reused
//                                         (default 30000)
//   ACCORD_ACCOUNT_ADDRESS / _DEADLINE, ACCORD_CONTACT_ADDRESS / _DEADLINE, ACCORD_SERVICE_TOKEN
//                                         the peers (common::ReadServiceClientOptions)
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "case_rules.h"
#include "customer_directory.h"
#include "report_logic.h"

namespace accord::quality {

struct QualityOptions {
  PriorityMatrix matrix;
  bool raise_strategic = true;
  CompensationLimits compensation;
  std::chrono::milliseconds sweep_interval{30000};
  int sweep_batch = 50;
  std::chrono::milliseconds sweep_budget{600};
  std::chrono::hours close_after{168};
  int max_reopens = 3;
  bool follow_account_events = true;
  // New cases and signals learn their account from account_facts before asking the account
  // service: set by the service when it follows the account events (which keep the facts).
  bool account_facts = false;
  ReportRules report_rules;
  DirectoryOptions directory;

  // The defaults: the matrix above, EUR 500 and USD 500 for service_agent.
  static QualityOptions Defaults();
  // From `env` (the process environment when empty); INVALID_ARGUMENT naming each bad setting.
  static absl::StatusOr<QualityOptions> FromEnvironment(
      const std::map<std::string, std::string>& env = {});
};

}  // namespace accord::quality
