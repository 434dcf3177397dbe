// Calls from one Accord service to another. Every service that calls another builds one
// ServiceClient per callee from settings and makes each call's ClientContext with it, so that
// every call has a deadline, is retried only when that is safe, spreads over the callee's
// replicas, and carries the caller's identity and trace.
//
// Settings, for a callee named e.g. "account":
//   ACCORD_ACCOUNT_ADDRESS       gRPC target; `dns:///account.internal:50051` resolves every A
//                                record and round_robin spreads calls over them
//   ACCORD_ACCOUNT_DEADLINE      per call (ms, default 2000)
//   ACCORD_SERVICE_TOKEN[_FILE]  the calling service's own bearer token, for background work
//   ACCORD_TLS_CA_FILE etc.      TLS and mutual TLS to the callee (tls.h)
//
// Identity: a call made while serving a user forwards that user's `authorization` header, so the
// callee applies its own access rules to the user and never trusts the caller more than the
// user; background work (no user) sends the service's own token, whose roles should be the
// least that work needs. Retries: only the methods listed as idempotent, only on UNAVAILABLE,
// through gRPC's own retry policy (service config), within the call's deadline.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/server.h"
#include "accord/common/tls.h"

namespace accord::common {

struct ServiceClientOptions {
  std::string service;  // callee, e.g. "account" (settings prefix, logs)
  std::string address;  // gRPC target
  std::chrono::milliseconds deadline{2000};
  // Fully qualified methods safe to repeat, e.g. "accord.account.v1.AccountService/GetAccount";
  // "accord.account.v1.AccountService/" (empty method) means every method of the service.
  std::vector<std::string> idempotent_methods;
  int max_attempts = 3;  // first try included
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{1000};
  // HTTP/2 pings while calls are open, so a dead connection is noticed within about
  // keepalive_time + keepalive_timeout instead of at the deadline of every call on it.
  std::chrono::milliseconds keepalive_time{60000};
  std::chrono::milliseconds keepalive_timeout{10000};
  std::string service_token;  // bearer token for background work; empty: none configured
  ClientTls tls;              // ACCORD_TLS_CA_FILE etc. (tls.h); plaintext when unset
};

// Reads ACCORD_<SERVICE>_ADDRESS (default `default_address`), ACCORD_<SERVICE>_DEADLINE and
// ACCORD_SERVICE_TOKEN / ACCORD_SERVICE_TOKEN_FILE. <SERVICE> is `service` upper-cased with
// '-' as '_'.
ServiceClientOptions ReadServiceClientOptions(ConfigReader& config, const std::string& service,
                                              const std::string& default_address);

// For whom a call is made, and the request it belongs to.
struct CallIdentity {
  std::string authorization;  // the full header value, "Bearer <token>"
  std::string request_id;     // x-request-id, passed on so logs join across services
  std::string traceparent;    // W3C trace context, passed on (a new span id under the trace)

  // The user of the call being served: its authorization header, request id and trace.
  static CallIdentity ForUser(const grpc::ServerContextBase& context, const RpcContext& rpc);
  // Background work: the service's own token, a new request id and trace.
  static CallIdentity ForService(const std::string& service_token);
};

// "00-<trace_id>-<new span id>-01" for a 32-hex-digit trace id (a new trace otherwise).
std::string ChildTraceparent(const std::string& trace_id);

class ServiceClient {
 public:
  explicit ServiceClient(ServiceClientOptions options);

  const ServiceClientOptions& options() const { return options_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // A context for one call: the deadline and the identity's metadata.
  std::unique_ptr<grpc::ClientContext> NewContext(const CallIdentity& identity) const;
  // The service config the channel runs with: round_robin, and the retry policy for
  // options.idempotent_methods.
  static std::string ServiceConfigJson(const ServiceClientOptions& options);

 private:
  ServiceClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

// What a caller makes of a callee's failures. After the callee failed to answer (UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED), calls fail at once for `open_for` instead of
// each waiting out its deadline: a page whose rows each need the callee must not take a deadline
// per row while it is down.
class CalleeBreaker {
 public:
  // `service` names the callee in messages ("account"); `unavailable_reason` is the reason of
  // the UNAVAILABLE errors (ACCOUNT_SERVICE_UNAVAILABLE), `refused_reason` that of the
  // PERMISSION_DENIED the caller gets when the callee refused the user (ACCOUNT_NOT_VISIBLE).
  CalleeBreaker(std::string service, std::string unavailable_reason, std::string refused_reason,
                std::chrono::milliseconds open_for = std::chrono::seconds(1));

  // UNAVAILABLE while open; `what` names what could not be checked.
  absl::Status Check(const std::string& what) const;
  // The callee's non-OK answer as this service's error: unavailability (which opens the
  // breaker), refusal, or the callee's own status otherwise.
  absl::Status Failure(const grpc::Status& status, const std::string& what);

 private:
  std::string service_;
  std::string unavailable_reason_;
  std::string refused_reason_;
  std::chrono::nanoseconds open_for_;
  std::atomic<int64_t> open_until_{0};  // steady clock, ns
};

}  // namespace accord::common
