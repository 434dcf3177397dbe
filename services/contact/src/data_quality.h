// GetDataQualityReport: which contacts need correcting, counted per kind of problem. The rules
// are SQL conditions over facts the database holds without plaintext (the blind index says
// whether a contact has an email or phone, the ledger whether it has consent), so one statement
// counts a whole account or owner.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "accord/common/pg.h"
#include "accord/contact/v1/stewardship.pb.h"
#include "contact_access.h"

namespace accord::contact {

inline constexpr int kDefaultStaleDays = 365;
inline constexpr int kMaxStaleDays = 3650;
inline constexpr int kIssueSamples = 20;

struct QualityScope {
  std::string account_id;  // empty: any
  std::string owner;       // empty: any
  int stale_after_days = kDefaultStaleDays;
};

class DataQualityRepository {
 public:
  virtual ~DataQualityRepository() = default;
  virtual absl::StatusOr<v1::DataQualityReport> Report(const QualityScope& scope) = 0;
};

class PgDataQualityRepository final : public DataQualityRepository {
 public:
  explicit PgDataQualityRepository(common::PgPool& pool) : pool_(pool) {}
  absl::StatusOr<v1::DataQualityReport> Report(const QualityScope& scope) override;

 private:
  common::PgPool& pool_;
};

// Validates the request and checks who may see the scope: admin any; an account_manager its own
// contacts (owner = itself) or those of an account it manages.
absl::StatusOr<v1::DataQualityReport> GetDataQualityReport(
    const Caller& caller, const v1::GetDataQualityReportRequest& request, ContactAccess& access,
    DataQualityRepository& repository);

}  // namespace accord::contact
