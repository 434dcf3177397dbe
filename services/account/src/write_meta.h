// Who is writing, and how a retry is recognised, from an RPC's context and request.
#pragma once

#include <google/protobuf/message.h>

#include "accord/common/idempotency.h"
#include "accord/common/server.h"
#include "account_repository.h"

namespace accord::account {

template <typename Request>
WriteMeta MetaFor(const common::RpcContext& rpc, const char* method, const Request& request) {
  WriteMeta meta;
  meta.actor = rpc.principal.subject;
  meta.trace_id = rpc.trace_id;
  meta.method = method;
  // Only a request that can be retried (it carries a request_id) is ever compared with a stored
  // one; hashing the others would be wasted work on every write. (Upserts by external id have no
  // request_id: they are idempotent by their key.)
  if constexpr (requires { request.request_id(); }) {
    if (!request.request_id().empty()) {
      meta.fingerprint = common::IdempotencyKeys::Fingerprint(request);
    }
  }
  return meta;
}

}  // namespace accord::account
