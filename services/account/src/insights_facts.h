// The facts account insights are computed from, as storage hands them to the logic
// (insights_logic.h) and the repository interface (insights_repository.h) names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace accord::account {

// ---- Facts, one per resource of another service (the latest state its events told).
struct SaleFact {
  std::string account_id;
  int64_t time = 0;          // epoch seconds
  int64_t total_micros = 0;  // in the reporting currency (others are not counted)
  std::vector<std::string> skus;
};
struct CaseFact {
  std::string account_id;
  bool complaint = false;
  int64_t open_time = 0;
  std::optional<int64_t> resolve_time;  // resolved (or closed) at
  bool open = true;                     // not resolved or closed now
};
struct BreachFact {
  std::string account_id;
  int64_t time = 0;
};
struct SurveyFact {
  std::string account_id;
  int64_t time = 0;  // answered at
  std::optional<int> csat;
  std::optional<int> nps;
};
struct InteractionFact {
  std::string account_id;
  std::string owner;
  int64_t time = 0;
  bool call = false;        // an outbound or inbound call
  bool conversion = false;  // outcome SALE
};

struct ActivityFacts {
  std::vector<SaleFact> sales;
  std::vector<CaseFact> cases;
  std::vector<BreachFact> breaches;
  std::vector<SurveyFact> surveys;
  std::vector<InteractionFact> interactions;
};

}  // namespace accord::account
