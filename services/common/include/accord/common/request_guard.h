// The request guard: what the runtime does to every method of every service it serves before the
// service's handler sees the request.
//
// gRPC's callback API parses the request before any handler runs, and a body it cannot parse
// (not protobuf, or invalid UTF-8 in a proto3 string) ends the call with a bare UNIMPLEMENTED,
// in no metric and no log. GrpcServer::Start wraps each method's handler so that:
//  - a body that does not parse answers INVALID_ARGUMENT (reason MALFORMED_REQUEST);
//  - a parsed request with control characters in its text answers INVALID_ARGUMENT (reason
//    CONTROL_CHARACTER, validation.h);
// both after authentication (an unauthenticated caller learns only that), counted in
// accord_rpc_requests_total and accord_rpc_refused_requests_total{method,reason} and logged at
// warn level. Methods served on raw bytes (ByteBuffer) parse for themselves with ParseRequest.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "accord/common/method_access.h"

namespace accord::common {

class Runtime;
class RpcMethod;

// Wraps every method of `service` so that each call is authenticated and checked against the
// method's role rule (method_access.h) before its handler runs, and is counted and logged
// (call_observer.h). Fails, serving nothing, for a method without a rule in `access`, or one the
// runtime cannot serve (async, bidirectional streams). A method already wrapped is left as it is.
absl::Status GuardService(grpc::Service& service, Runtime& runtime, const AccessRules& access);

// For methods served on raw bytes: parses `bytes` into `message` and checks its text as the
// guard does, counting and logging a refusal under `method`.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& message,
                          const RpcMethod& method);

// For each message of a client stream, which the guard cannot see (gRPC parses it into the
// reactor's message): checks its field limits and text as the guard does for a request, counting
// and logging a refusal under `method` (reasons FIELD_LIMIT_EXCEEDED, CONTROL_CHARACTER).
absl::Status CheckStreamMessage(const google::protobuf::Message& message, const RpcMethod& method);

}  // namespace accord::common
