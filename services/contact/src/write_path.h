// The one way the contact service writes: every mutation of every resource of this service goes
// through WritePath::Run, which claims the request id (AIP-155), runs the change under its row
// locks, appends the change's event to the outbox and keeps the response for retries, all in one
// transaction. A change must return its event, so no writer can skip it. When the shared
// IdempotentWrite of services/common lands, this file is the only one to switch over.
//
// Kept responses hold personal data, so they are sealed like the rows (PiiCipher), and events
// carry the contact with its personal fields cleared: the event stream is not a way around the
// access rules.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "accord/common/server.h"
#include "pii_cipher.h"

namespace accord::contact {

// Who is writing and how a retry is recognised.
struct WriteMeta {
  std::string actor;
  std::string trace_id;
  std::string method;       // e.g. "CreateContact", scopes the request_id
  std::string request_id;   // empty: not idempotent
  std::string fingerprint;  // of the request, to refuse a request_id reused for another request
};

template <typename Request>
WriteMeta MetaFor(const common::RpcContext& rpc, const char* method, const Request& request) {
  WriteMeta meta;
  meta.actor = rpc.principal.subject;
  meta.trace_id = rpc.trace_id;
  meta.method = method;
  if constexpr (requires { request.request_id(); }) {
    meta.request_id = request.request_id();
    if (!request.request_id().empty()) {
      meta.fingerprint = common::IdempotencyKeys::Fingerprint(request);
    }
  }
  return meta;
}

// The event of one change. An empty type means the call changed nothing (an upsert that found
// the contact as sent), so there is nothing to announce.
struct ChangeEvent {
  std::string type;     // "accord.contact.v1.ContactCreated"
  std::string subject;  // resource name
  int64_t version = 0;
  std::shared_ptr<const google::protobuf::Message> payload;  // without personal data
  std::vector<std::string> changed_fields;
};

class WritePath {
 public:
  WritePath(common::PgPool& pool, const PiiCipher& cipher);

  // Runs `change` once per request id; `change` fills the response and returns its event.
  template <typename Response>
  absl::StatusOr<Response> Run(
      const WriteMeta& meta,
      const std::function<absl::StatusOr<ChangeEvent>(common::WriteTransaction&, Response*)>&
          change) {
    Response result;
    ACCORD_RETURN_IF_ERROR(RunRaw(
        meta,
        [&](common::WriteTransaction& transaction) -> absl::StatusOr<ChangeEvent> {
          result.Clear();
          return change(transaction, &result);
        },
        [&] { return result.SerializeAsString(); },
        [&](const std::string& stored) { return result.ParseFromString(stored); }));
    return result;
  }

 private:
  absl::Status RunRaw(
      const WriteMeta& meta,
      const std::function<absl::StatusOr<ChangeEvent>(common::WriteTransaction&)>& change,
      const std::function<std::string()>& serialize,
      const std::function<bool(const std::string&)>& parse);

  common::PgPool& pool_;
  const PiiCipher& cipher_;
  common::IdempotencyKeys idempotency_;
  common::OutboxWriter outbox_;
};

}  // namespace accord::contact
