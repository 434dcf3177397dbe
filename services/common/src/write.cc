#include "accord/common/write.h"

#include "accord/common/message_diff.h"

namespace accord::common {

Event MakeEvent(std::string type, std::string subject, int64_t version,
                const google::protobuf::Message& payload, const google::protobuf::Message* before) {
  Event event;
  event.type = std::move(type);
  event.subject = std::move(subject);
  event.aggregate_version = version;
  event.payload.PackFrom(payload);
  if (before != nullptr) {
    event.changed_fields = ChangedFields(*before, payload, {"etag", "update_time"});
  }
  return event;
}

IdempotentWrite::IdempotentWrite(PgPool& pool, const std::string& schema,
                                 const std::string& source_service, const ResponseSealer* sealer)
    : pool_(pool), idempotency_(schema), outbox_(schema, source_service), sealer_(sealer) {}

absl::StatusOr<std::optional<std::string>> IdempotentWrite::Claim(WriteTransaction& transaction,
                                                                  const WriteMeta& meta) const {
  if (meta.request_id.empty()) return std::nullopt;
  ACCORD_ASSIGN_OR_RETURN(
      std::optional<std::string> stored,
      idempotency_.Claim(transaction, meta.request_id, meta.method, meta.fingerprint, meta.actor));
  if (!stored || sealer_ == nullptr) return stored;
  return sealer_->Open(*stored, meta.request_id);
}

absl::Status IdempotentWrite::Finish(WriteTransaction& transaction, const WriteMeta& meta,
                                     std::vector<Event>& events, bool unchanged,
                                     const google::protobuf::Message& response) const {
  if (events.empty() && !unchanged) {
    return Internal(meta.method + " wrote a change without an event");
  }
  for (auto& event : events) {
    outbox_.Append(transaction, std::move(event), meta.actor, meta.trace_id);
  }
  if (!meta.request_id.empty()) {
    std::string kept = response.SerializeAsString();
    if (sealer_ != nullptr) kept = sealer_->Seal(kept, meta.request_id);
    idempotency_.Store(transaction, meta.request_id, kept);
  }
  return absl::OkStatus();
}

}  // namespace accord::common
