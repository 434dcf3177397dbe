#include "access_log.h"

#include "contact_sql.h"

namespace accord::contact {

absl::Status PgAccessLog::Append(const Caller& caller, const std::vector<AccessRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  // Two parallel arrays, one statement: a page of 1000 contacts costs one round trip. Ids are
  // UUIDs and field names come from this service, so neither needs quoting beyond the commas.
  std::string ids = "{", fields = "{";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) {
      ids += ",";
      fields += ",";
    }
    ids += records[i].contact_id;
    fields += '"';
    for (size_t f = 0; f < records[i].fields.size(); ++f) {
      if (f > 0) fields += ',';
      fields += records[i].fields[f];
    }
    fields += '"';
  }
  ids += "}";
  fields += "}";
  std::string roles;
  for (auto role : caller.principal.roles) {
    if (!roles.empty()) roles += ',';
    roles += common::RoleName(role);
  }
  return pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
    transaction.exec_prepared0(sql::kAppendAccessLog.name, caller.principal.subject, roles,
                               caller.method, caller.access_reason, caller.identity.request_id, ids,
                               fields);
    return absl::OkStatus();
  });
}

}  // namespace accord::contact
