// Transactional outbox. A repository appends the event of a change in the same transaction as the
// change, so an event exists if and only if its change committed. A relay (relay.h) later
// publishes committed rows to the service's Redis Stream.
//
// Table {schema}.outbox (created by the common migrations, see migrations.cc):
//   seq bigserial PK            insertion order (NOT visibility order: see relay.h)
//   event_id uuid UNIQUE, type text, subject text, aggregate_version bigint,
//   envelope bytea               serialized accord.common.v1.EventEnvelope
//   created_at timestamptz       commit-ish time of the change
//   publish_seq bigint UNIQUE NULL   assigned by the relay when published, strictly increasing in
//                                    publish order; also the Redis Stream entry id
//                                    `<publish_seq>-0` and the position carried by public event
//                                    cursors
//   published_at timestamptz NULL
// Sequence {schema}.outbox_publish_seq feeds publish_seq. Appending also NOTIFYs channel
// `accord_outbox_{schema}` (delivered at commit) so the relay wakes at once.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "accord/common/pg.h"
#include "accord/common/v1/event.pb.h"

namespace accord::common {

struct EventSpec {
  std::string type;     // "accord.account.v1.AccountUpdated"
  std::string subject;  // "accounts/0190..."
  int64_t aggregate_version = 0;
  std::string actor;
  std::string trace_id;
  const google::protobuf::Message* payload = nullptr;  // the resource after the change
  std::vector<std::string> changed_fields;             // updates only
};

// An event whose payload is packed already and owned by it: what the write path (write.h) collects
// from a change before the change's transaction commits. Actor and trace id are the writer's.
struct Event {
  std::string type;     // "accord.account.v1.TeamMemberCreated"
  std::string subject;  // "accounts/0190.../teamMembers/0190..."
  int64_t aggregate_version = 0;
  google::protobuf::Any payload;            // the resource after the change
  std::vector<std::string> changed_fields;  // updates only
};

class OutboxWriter {
 public:
  OutboxWriter(std::string schema, std::string source_service);
  // Builds the envelope (new UUIDv7 id, now) and inserts it when the transaction commits, in
  // COMMIT's round trip; returns the envelope written.
  v1::EventEnvelope Append(WriteTransaction& transaction, const EventSpec& spec) const;
  // As above for an owned event, whose payload moves into the envelope.
  v1::EventEnvelope Append(WriteTransaction& transaction, Event event, const std::string& actor,
                           const std::string& trace_id) const;
  // The envelope Append writes for `spec`.
  v1::EventEnvelope Envelope(const EventSpec& spec) const;
  // The append statement; its parameters: event id, type, subject, aggregate version and the
  // serialized envelope (bytea). For callers that must insert at once, such as tests that hold a
  // row uncommitted.
  const std::string& append_sql() const { return append_sql_; }

 private:
  // A new envelope with its id, source and time.
  v1::EventEnvelope NewEnvelope() const;
  void Insert(WriteTransaction& transaction, const v1::EventEnvelope& envelope) const;

  std::string schema_;
  std::string source_;
  std::string statement_name_;
  std::string append_sql_;
};

// "accord.events.<service>": the Redis Stream a service publishes to.
std::string EventStreamName(const std::string& service);

}  // namespace accord::common
