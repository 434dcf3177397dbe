// The one write path every mutation of every service goes through. In one transaction:
//   1. the request id is claimed for the caller (a retry by the same caller is answered from the
//      store; anyone else's reuse is refused, see idempotency.h);
//   2. the change runs: it loads and locks its rows, checks etag and permission under the lock,
//      and writes;
//   3. the events the change returns are appended to the outbox, and the response is stored for
//      the request id.
// A change cannot leave its event out: it returns a Written, which holds the response together
// with its events, and a Written without events says so by name (Written::Unchanged).
//
// Round trips are WriteTransaction's: BEGIN travels with the first statement (the claim, when
// there is a request id), and the outbox rows and the stored response travel with COMMIT, so the
// write path costs none of its own.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "accord/common/write_meta.h"

namespace accord::common {

// An event whose subject is `subject` at version `version`, carrying `payload`; for updates
// (`before` set) it lists the fields that differ from `before` (etag and update_time aside).
Event MakeEvent(std::string type, std::string subject, int64_t version,
                const google::protobuf::Message& payload,
                const google::protobuf::Message* before = nullptr);

// The event of a resource (a message with `name` and a numeric `etag`, its version) now in
// state `after`.
template <typename Resource>
Event ResourceEvent(std::string type, const Resource& after, const Resource* before = nullptr) {
  return MakeEvent(std::move(type), after.name(), std::stoll(after.etag()), after, before);
}

// What a change produced: the response to answer (and store for a retry) and the events that
// describe the change, appended in its transaction.
template <typename Response>
class Written {
 public:
  Written(Response response, Event event) : response_(std::move(response)) {
    events_.push_back(std::move(event));
  }
  // A change described by several events (a merge: one per resource it changed). An empty
  // list is refused by IdempotentWrite as INTERNAL.
  Written(Response response, std::vector<Event> events)
      : response_(std::move(response)), events_(std::move(events)) {}
  // Nothing changed, so no event is due (a sync that found the resource as it should be).
  static Written Unchanged(Response response) { return Written(std::move(response)); }

  Written& And(Event event) {
    events_.push_back(std::move(event));
    return *this;
  }

  Response& response() { return response_; }
  const Response& response() const { return response_; }
  std::vector<Event>& events() { return events_; }
  bool unchanged() const { return unchanged_; }

 private:
  explicit Written(Response response) : response_(std::move(response)), unchanged_(true) {}

  Response response_;
  std::vector<Event> events_;
  bool unchanged_ = false;
};

// Seals the responses kept for retries, for a service whose responses carry personal data, and
// opens them again. Both are bound to the request id, so that one kept response cannot be
// replayed for another.
class ResponseSealer {
 public:
  virtual ~ResponseSealer() = default;
  virtual std::string Seal(const std::string& response, const std::string& request_id) const = 0;
  virtual absl::StatusOr<std::string> Open(const std::string& stored,
                                           const std::string& request_id) const = 0;
};

class IdempotentWrite {
 public:
  // Writes to `schema`'s outbox and idempotency keys, as service `source_service`. With a
  // `sealer` (which must outlive this), kept responses are stored sealed; without, as they are.
  IdempotentWrite(PgPool& pool, const std::string& schema, const std::string& source_service,
                  const ResponseSealer* sealer = nullptr);

  template <typename Response>
  using Change = std::function<absl::StatusOr<Written<Response>>(WriteTransaction&)>;

  // Runs `change` as described at the top of this file and returns its response, or the
  // response stored for meta.request_id by this caller's earlier call. An error from `change`
  // rolls everything back. A serialization failure or deadlock reruns the whole transaction (see
  // PgPool::Transact), so `change` must not have effects outside it.
  template <typename Response>
  absl::StatusOr<Response> Run(const WriteMeta& meta, const Change<Response>& change) {
    Response result;
    ACCORD_RETURN_IF_ERROR(pool_.Transact([&](WriteTransaction& transaction) -> absl::Status {
      ACCORD_ASSIGN_OR_RETURN(std::optional<std::string> stored, Claim(transaction, meta));
      if (stored) {
        if (!result.ParseFromString(*stored)) return Internal("corrupt stored response");
        return absl::OkStatus();
      }
      ACCORD_ASSIGN_OR_RETURN(Written<Response> written, change(transaction));
      ACCORD_RETURN_IF_ERROR(
          Finish(transaction, meta, written.events(), written.unchanged(), written.response()));
      result = std::move(written.response());
      return absl::OkStatus();
    }));
    return result;
  }

  PgPool& pool() { return pool_; }

 private:
  // The stored response (opened) of the caller's earlier call with meta.request_id, or nullopt
  // when this call claimed it (or carries none).
  absl::StatusOr<std::optional<std::string>> Claim(WriteTransaction& transaction,
                                                   const WriteMeta& meta) const;
  // Appends the events and stores the response, both in COMMIT's round trip.
  absl::Status Finish(WriteTransaction& transaction, const WriteMeta& meta,
                      std::vector<Event>& events, bool unchanged,
                      const google::protobuf::Message& response) const;

  PgPool& pool_;
  IdempotencyKeys idempotency_;
  OutboxWriter outbox_;
  const ResponseSealer* sealer_;
};

}  // namespace accord::common
