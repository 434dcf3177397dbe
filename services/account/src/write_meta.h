// Who is writing, and how a retry is recognised, from an RPC's context and request.
#pragma once

#include <google/protobuf/message.h>

#include "accord/common/idempotency.h"
#include "accord/common/server.h"
#include "account_repository.h"

namespace accord::account {

inline WriteMeta MetaFor(const common::RpcContext& rpc, const char* method,
                         const google::protobuf::Message& request) {
  WriteMeta meta;
  meta.actor = rpc.principal.subject;
  meta.trace_id = rpc.trace_id;
  meta.method = method;
  meta.fingerprint = common::IdempotencyKeys::Fingerprint(request);
  return meta;
}

}  // namespace accord::account
