// Who is writing, and how a retry is recognised: what every mutation carries from its RPC down
// to the write path (write.h), which stamps it on the change's event and binds its request id.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace accord::common {

struct WriteMeta {
  std::string actor;        // the caller's subject: the event's actor, and the request id's owner
  std::string trace_id;     // carried into the event
  std::string method;       // e.g. "CreateAccount", scopes the request_id
  std::string request_id;   // empty: not idempotent
  std::string fingerprint;  // of the request, to refuse a request_id reused for another request
  // The write may move a resource within a hierarchy: a repository that keeps one takes its
  // hierarchy lock before any row lock, so that racing moves queue instead of deadlocking.
  bool may_move = false;
};

// The fingerprint IdempotencyKeys compares (see idempotency.h), without its header.
std::string RequestFingerprint(const google::protobuf::Message& request);
// Whether `request_id` is one IdempotencyKeys accepts (a UUID).
bool IsValidRequestId(std::string_view request_id);

// The WriteMeta of an RPC: `rpc` is a RpcContext (server.h) or anything with principal.subject
// and trace_id. A valid request_id is carried, so a writer cannot lose its idempotency by
// forgetting it; an invalid one is left out, for the logic's validation to report.
template <typename Rpc, typename Request>
WriteMeta MetaFor(const Rpc& rpc, const char* method, const Request& request) {
  WriteMeta meta;
  meta.actor = rpc.principal.subject;
  meta.trace_id = rpc.trace_id;
  meta.method = method;
  // Only a request that can be retried (it carries a request_id) is ever compared with a stored
  // one; hashing the others would be wasted work on every write. (Upserts by external id have no
  // request_id: they are idempotent by their key.)
  if constexpr (requires { request.request_id(); }) {
    if (!request.request_id().empty() && IsValidRequestId(request.request_id())) {
      meta.request_id = request.request_id();
      meta.fingerprint = RequestFingerprint(request);
    }
  }
  return meta;
}

}  // namespace accord::common
