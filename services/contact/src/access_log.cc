#include "access_log.h"

#include "absl/strings/str_join.h"
#include "accord/common/pg_array.h"
#include "contact_sql.h"

namespace accord::contact {

void AppendAccessIn(common::WriteTransaction& transaction, const Caller& caller,
                    const std::vector<AccessRecord>& records) {
  if (records.empty()) return;
  // Two parallel arrays, one statement: a page of 1000 contacts costs one round trip; each
  // record's fields as one comma-separated element.
  std::vector<std::string> ids, fields;
  for (const auto& record : records) {
    ids.push_back(record.contact_id);
    fields.push_back(absl::StrJoin(record.fields, ","));
  }
  std::string roles;
  for (auto role : caller.principal.roles) {
    if (!roles.empty()) roles += ',';
    roles += common::RoleName(role);
  }
  transaction.exec_prepared0(sql::kAppendAccessLog.name, caller.principal.subject, roles,
                             caller.method, caller.access_reason, caller.identity.request_id,
                             common::TextArrayLiteral(ids), common::TextArrayLiteral(fields));
}

absl::Status PgAccessLog::Append(const Caller& caller, const std::vector<AccessRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  return pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
    AppendAccessIn(transaction, caller, records);
    return absl::OkStatus();
  });
}

}  // namespace accord::contact
