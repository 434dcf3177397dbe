// The access log: one row per contact per response that carried its personal data unmasked.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "accord/common/pg.h"
#include "contact_access.h"

namespace accord::contact {

struct AccessRecord {
  std::string contact_id;
  std::vector<std::string> fields;  // personal fields that held a value, e.g. "emails"
};

class AccessLog {
 public:
  virtual ~AccessLog() = default;
  // Appends the records for `caller`; an error means the data must not be returned.
  virtual absl::Status Append(const Caller& caller, const std::vector<AccessRecord>& records) = 0;
};

// Appends the records for `caller` inside `transaction`: for a write whose own response carries
// the personal data it wrote or read (a created contact shown to its creator, the phones NextCall
// hands out), so that the write and its access-log row commit together, in one commit.
void AppendAccessIn(common::WriteTransaction& transaction, const Caller& caller,
                    const std::vector<AccessRecord>& records);

class PgAccessLog final : public AccessLog {
 public:
  explicit PgAccessLog(common::PgPool& pool) : pool_(pool) {}
  absl::Status Append(const Caller& caller, const std::vector<AccessRecord>& records) override;

 private:
  common::PgPool& pool_;
};

}  // namespace accord::contact
