// What every RPC command shares: service addresses, the bearer token, per-call metadata and
// deadline, printing resources as JSON and reporting errors from google.rpc.Status details.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accord/common/tls.h"
#include "args.h"
#include "command.h"

namespace google::protobuf {
class Message;
}

namespace accord::accordctl {

struct ServiceInfo {
  std::string key;           // "account", as given to --service
  std::string env;           // "ACCORD_ACCOUNT_ADDR"
  std::string default_addr;  // "127.0.0.1:50051"
};

// Every Accord service, in port order.
const std::vector<ServiceInfo>& Services();
const ServiceInfo* FindService(const std::string& key);
// The service's address from its environment variable, else its default.
std::string AddressFromEnv(const ServiceInfo& service);

std::optional<std::string> Env(const char* name);

// Flags every RPC command accepts: --addr, --token, --as, --subject, --timeout, and TLS: --tls,
// --ca, --cert, --key, --server-name.
std::vector<FlagSpec> RpcFlags();

// Everything needed to make calls for one invocation of an RPC command.
struct CallOptions {
  std::string address;
  std::string token;  // empty: no authorization header
  std::chrono::milliseconds timeout{10'000};
  common::ClientTls tls;  // plaintext unless --tls, --ca or $ACCORD_TLS_CA_FILE

  // A fresh context: deadline, `authorization: Bearer ...` and a new `x-request-id`.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  std::shared_ptr<grpc::Channel> NewChannel() const;
};

// Builds CallOptions for `service` from the RPC flags and the environment. The token is
// ACCORD_TOKEN, else --token, else minted from ACCORD_JWT_SECRET for --as/--subject. When
// `token_required` and no token can be had, prints a usage error and returns nullopt (the caller
// returns kExitUsage); otherwise a missing token just means no authorization header.
std::optional<CallOptions> CallOptionsFor(
    const Invocation& inv, const ServiceInfo& service, bool token_required = true,
    std::chrono::milliseconds default_timeout = std::chrono::seconds(10));

// Claims for a dev token. Returns an error message, or empty on success with `*token` set.
std::string MintDevToken(const std::vector<std::string>& roles, const std::string& subject,
                         const std::vector<std::string>& territories, long long ttl_seconds,
                         std::string* token);

// The role names accepted by --role/--as, comma-separated, for messages.
std::string RoleNamesForHelp();

// "NOT_FOUND" for grpc::StatusCode::NOT_FOUND.
std::string StatusCodeName(grpc::StatusCode code);

// Prints `error: CODE: message`, each field violation and the ErrorInfo reason. Returns
// kExitFailure.
int ReportRpcError(const grpc::Status& status, std::ostream& err);

// MessageToJsonString with always_print_primitive_fields=false; `pretty` adds whitespace.
std::string ToJson(const google::protobuf::Message& message, bool pretty);

}  // namespace accord::accordctl
