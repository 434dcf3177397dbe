// Plain types the service-quality logic and its repository both use (what a report reads, what
// is known of an account), so that the repository interface depends on no logic header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/report.pb.h"

namespace accord::quality {

struct ReportCase {
  std::string id;
  std::string account;
  std::string team;
  std::string agent;
  v1::CaseCategory category = v1::CASE_CATEGORY_UNSPECIFIED;
  v1::CaseKind kind = v1::CASE_KIND_UNSPECIFIED;
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
  std::optional<int64_t> first_response_seconds;  // business time; nullopt: no response yet
  bool first_response_met = false;
  std::optional<int64_t> resolution_seconds;  // of the last resolution
  bool resolution_met = false;
  bool resolved = false;  // resolved at least once
  bool reopened = false;  // reopened at least once
};

struct ReportSurvey {
  std::string account;
  // Of the survey's case; empty for a survey without a case.
  std::string team;
  std::string agent;
  v1::CaseCategory category = v1::CASE_CATEGORY_UNSPECIFIED;
  std::optional<int> csat;
  std::optional<int> nps;
  std::optional<int> effort;
  int64_t answer_unix = 0;  // when it was answered, seconds since the epoch
};

struct ReportSignal {
  std::string account;
  v1::SignalKind kind = v1::SIGNAL_KIND_UNSPECIFIED;
  double figure = 0;
};

// What the service knows of an account (account_facts): its tier while live, else where it was
// merged or that it was deleted. `version` is the account's (its etag); 0 when unknown.
struct AccountFacts {
  std::string account;  // accounts/{id}
  int tier = 0;         // account::v1::AccountTier
  std::string merged_into;
  bool deleted = false;
  int64_t version = 0;
};

}  // namespace accord::quality
