#include "write_path.h"

namespace accord::contact {

WritePath::WritePath(common::PgPool& pool, const PiiCipher& cipher)
    : pool_(pool), cipher_(cipher), idempotency_("contact"), outbox_("contact", "contact") {}

absl::Status WritePath::RunRaw(
    const WriteMeta& meta,
    const std::function<absl::StatusOr<ChangeEvent>(common::WriteTransaction&)>& change,
    const std::function<std::string()>& serialize,
    const std::function<bool(const std::string&)>& parse) {
  // Kept responses are bound to their request id, so one cannot be replayed for another.
  const std::string associated = "idempotency/" + meta.request_id;
  return pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
    if (!meta.request_id.empty()) {
      ACCORD_ASSIGN_OR_RETURN(auto previous,
                              idempotency_.Claim(transaction, meta.request_id, meta.method,
                                                 meta.fingerprint, meta.actor));
      if (previous) {
        ACCORD_ASSIGN_OR_RETURN(std::string opened, cipher_.OpenString(*previous, associated));
        if (!parse(opened)) return common::Internal("corrupt stored response");
        return absl::OkStatus();
      }
    }
    ACCORD_ASSIGN_OR_RETURN(ChangeEvent event, change(transaction));
    common::EventSpec spec;
    spec.type = event.type;
    spec.subject = event.subject;
    spec.aggregate_version = event.version;
    spec.actor = meta.actor;
    spec.trace_id = meta.trace_id;
    spec.payload = event.payload.get();
    spec.changed_fields = event.changed_fields;
    if (!event.type.empty()) outbox_.Append(transaction, spec);
    if (!meta.request_id.empty()) {
      idempotency_.Store(transaction, meta.request_id,
                         cipher_.SealToString(serialize(), associated));
    }
    return absl::OkStatus();
  });
}

}  // namespace accord::contact
