#include "accord/common/outbox.h"

#include <chrono>

#include "accord/common/ids.h"

namespace accord::common {

OutboxWriter::OutboxWriter(std::string schema, std::string source_service)
    : schema_(std::move(schema)),
      source_(std::move(source_service)),
      statement_name_("accord_outbox_append_" + schema_),
      // The row and the NOTIFY that wakes the relay, in one round trip. The notification is
      // delivered at commit only, and folded with the other appends of the same transaction.
      append_sql_("WITH appended AS (INSERT INTO " + schema_ +
                  ".outbox (event_id, type, subject, aggregate_version, envelope) "
                  "VALUES ($1::uuid, $2, $3, $4, $5) RETURNING 1) "
                  "SELECT pg_notify('accord_outbox_" +
                  schema_ + "', '') FROM appended") {}

v1::EventEnvelope OutboxWriter::NewEnvelope() const {
  v1::EventEnvelope envelope;
  envelope.set_id(NewUuidV7());
  envelope.set_source(source_);
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  envelope.mutable_time()->set_seconds(seconds.count());
  envelope.mutable_time()->set_nanos(static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
  return envelope;
}

v1::EventEnvelope OutboxWriter::Envelope(const EventSpec& spec) const {
  v1::EventEnvelope envelope = NewEnvelope();
  envelope.set_type(spec.type);
  envelope.set_subject(spec.subject);
  envelope.set_aggregate_version(spec.aggregate_version);
  envelope.set_actor(spec.actor);
  envelope.set_trace_id(spec.trace_id);
  if (spec.payload != nullptr) envelope.mutable_payload()->PackFrom(*spec.payload);
  for (const auto& path : spec.changed_fields) envelope.mutable_changed_fields()->add_paths(path);
  return envelope;
}

v1::EventEnvelope OutboxWriter::Append(WriteTransaction& transaction, const EventSpec& spec) const {
  v1::EventEnvelope envelope = Envelope(spec);
  Insert(transaction, envelope);
  return envelope;
}

v1::EventEnvelope OutboxWriter::Append(WriteTransaction& transaction, Event event,
                                       const std::string& actor,
                                       const std::string& trace_id) const {
  v1::EventEnvelope envelope = NewEnvelope();
  envelope.set_type(std::move(event.type));
  envelope.set_subject(std::move(event.subject));
  envelope.set_aggregate_version(event.aggregate_version);
  envelope.set_actor(actor);
  envelope.set_trace_id(trace_id);
  envelope.mutable_payload()->Swap(&event.payload);
  for (auto& path : event.changed_fields) {
    envelope.mutable_changed_fields()->add_paths(std::move(path));
  }
  Insert(transaction, envelope);
  return envelope;
}

void OutboxWriter::Insert(WriteTransaction& transaction, const v1::EventEnvelope& envelope) const {
  const std::string bytes = envelope.SerializeAsString();
  // Prepared on each connection at its first append (registering is a map lookup afterwards).
  transaction.conn().prepare(statement_name_, append_sql_);
  // Nothing reads its result, and the row is the last thing a write adds: it travels with COMMIT,
  // which also keeps the outbox sequence value taken to the instant before the commit.
  transaction.exec_prepared_at_commit(statement_name_, envelope.id(), envelope.type(),
                                      envelope.subject(), envelope.aggregate_version(),
                                      pqxx::binarystring(bytes));
}

std::string EventStreamName(const std::string& service) { return "accord.events." + service; }

}  // namespace accord::common
