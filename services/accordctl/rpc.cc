#include "rpc.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdlib>
#include <ctime>
#include <ostream>

#include "accord/common/auth.h"
#include "accord/common/ids.h"
#include "accord/common/tls.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace accord::accordctl {
namespace {

constexpr long long kOnTheFlyTokenTtlSeconds = 60 * 60;

}  // namespace

const std::vector<ServiceInfo>& Services() {
  static const std::vector<ServiceInfo> services = {
      {"account", "ACCORD_ACCOUNT_ADDR", "127.0.0.1:50051"},
      {"contact", "ACCORD_CONTACT_ADDR", "127.0.0.1:50052"},
      {"pricing-terms", "ACCORD_PRICING_TERMS_ADDR", "127.0.0.1:50053"},
      {"service-quality", "ACCORD_SERVICE_QUALITY_ADDR", "127.0.0.1:50054"},
      {"webhooks", "ACCORD_WEBHOOKS_ADDR", "127.0.0.1:50056"},
  };
  return services;
}

const ServiceInfo* FindService(const std::string& key) {
  for (const auto& service : Services()) {
    if (service.key == key) return &service;
  }
  return nullptr;
}

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string AddressFromEnv(const ServiceInfo& service) {
  return Env(service.env.c_str()).value_or(service.default_addr);
}

std::vector<FlagSpec> RpcFlags() {
  std::vector<FlagSpec> flags = {
      {"addr", "HOST:PORT", "Service address (default from the service's ACCORD_*_ADDR)."},
      {"token", "TOKEN", "Bearer token (default $ACCORD_TOKEN, else a minted one)."},
      {"as", "ROLE[,ROLE]",
       "Mint a token from $ACCORD_JWT_SECRET with these roles (default admin)."},
      {"subject", "S", "Subject of a minted token (default accordctl)."},
      {"timeout", "DURATION", "Deadline per RPC, e.g. 10s, 500ms, 1m (default 10s)."},
      {"tls", "", "Call over TLS, verifying the server (implied by --ca or $ACCORD_TLS_CA_FILE)."},
      {"ca", "FILE", "PEM CA bundle the server's certificate must chain to (default: system)."},
      {"cert", "FILE", "PEM client certificate, for servers requiring mutual TLS."},
      {"key", "FILE", "PEM key of --cert."},
      {"server-name", "NAME", "Name to check the server's certificate against."},
  };
  for (auto& flag : flags) flag.connection = true;
  return flags;
}

std::string RoleNamesForHelp() {
  return "account_manager, sales_assistant, service_agent, service_supervisor, "
         "pricing_manager, integration, admin";
}

std::string MintDevToken(const std::vector<std::string>& roles, const std::string& subject,
                         const std::vector<std::string>& territories, long long ttl_seconds,
                         std::string* token) {
  auto secret = Env("ACCORD_JWT_SECRET");
  if (!secret) return "ACCORD_JWT_SECRET is not set (needed to mint a token)";
  if (roles.empty()) return "no role given";
  if (subject.empty()) return "the subject must not be empty";
  common::TokenClaims claims;
  for (const auto& name : roles) {
    auto role = common::RoleFromString(name);
    if (!role) return "unknown role '" + name + "' (one of: " + RoleNamesForHelp() + ")";
    claims.roles.push_back(*role);
  }
  claims.subject = subject;
  claims.territories = territories;
  claims.issuer = Env("ACCORD_JWT_ISSUER").value_or("accord-dev");
  claims.audience = Env("ACCORD_JWT_AUDIENCE").value_or("accord");
  claims.expires_at = static_cast<int64_t>(std::time(nullptr)) + ttl_seconds;
  *token = common::MintHs256Token(claims, *secret);
  return "";
}

std::optional<CallOptions> CallOptionsFor(const Invocation& inv, const ServiceInfo& service,
                                          bool token_required,
                                          std::chrono::milliseconds default_timeout) {
  const ParsedArgs& args = inv.args;
  CallOptions options;
  options.address = args.GetOr("addr", AddressFromEnv(service));
  if (options.address.empty()) {
    inv.UsageError("--addr must not be empty");
    return std::nullopt;
  }
  options.timeout = default_timeout;
  if (auto text = args.Get("timeout")) {
    auto millis = ParseDurationMillis(*text);
    if (!millis) {
      inv.UsageError("bad --timeout '" + *text + "' (e.g. 10s, 500ms, 1m)");
      return std::nullopt;
    }
    options.timeout = std::chrono::milliseconds(*millis);
  }

  // An explicit flag wins over the environment: --token, then --as (mint), then $ACCORD_TOKEN,
  // then a minted admin token.
  auto env_token = Env("ACCORD_TOKEN");
  if (auto token = args.Get("token")) {
    options.token = *token;
  } else if (!args.Has("as") && env_token) {
    options.token = *env_token;
  } else if (!Env("ACCORD_JWT_SECRET")) {
    if (args.Has("as")) {
      inv.UsageError("--as mints a token and needs ACCORD_JWT_SECRET");
      return std::nullopt;
    }
    if (token_required) {
      inv.UsageError(
          "no token: set ACCORD_TOKEN, pass --token, or set ACCORD_JWT_SECRET to mint one");
      return std::nullopt;
    }
  } else {
    std::string error =
        MintDevToken(SplitList(args.GetOr("as", "admin")), args.GetOr("subject", "accordctl"), {},
                     kOnTheFlyTokenTtlSeconds, &options.token);
    if (!error.empty()) {
      inv.UsageError(error);
      return std::nullopt;
    }
  }
  // TLS: flags first, then the settings the services read (ACCORD_TLS_CA_FILE etc.).
  const auto ca = args.Get("ca") ? args.Get("ca") : Env("ACCORD_TLS_CA_FILE");
  const auto cert = args.Get("cert") ? args.Get("cert") : Env("ACCORD_TLS_CLIENT_CERT_FILE");
  const auto key = args.Get("key") ? args.Get("key") : Env("ACCORD_TLS_CLIENT_KEY_FILE");
  options.tls.tls = args.Has("tls") || ca.has_value();
  if (cert.has_value() != key.has_value()) {
    inv.UsageError("--cert and --key go together");
    return std::nullopt;
  }
  if (cert && !options.tls.tls) {
    inv.UsageError("--cert needs --tls (mutual TLS is TLS)");
    return std::nullopt;
  }
  for (const auto& [file, pem] :
       {std::pair{ca, &options.tls.ca}, std::pair{cert, &options.tls.cert_chain},
        std::pair{key, &options.tls.private_key}}) {
    if (!file) continue;
    auto contents = common::ReadPemFile(*file);
    if (!contents.ok()) {
      inv.UsageError(std::string(contents.status().message()));
      return std::nullopt;
    }
    *pem = std::move(*contents);
  }
  options.tls.server_name = args.GetOr("server-name", "");
  return options;
}

std::unique_ptr<grpc::ClientContext> CallOptions::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->AddMetadata("x-request-id", common::NewUuidV7());
  return context;
}

std::shared_ptr<grpc::Channel> CallOptions::NewChannel() const {
  return common::CreateChannelFor(address, tls);
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "CODE_" + std::to_string(static_cast<int>(code));
  }
}

int ReportRpcError(const grpc::Status& status, std::ostream& err) {
  google::rpc::Status details;
  bool have_details =
      !status.error_details().empty() && details.ParseFromString(status.error_details());
  std::string message = status.error_message();
  if (message.empty() && have_details) message = details.message();

  err << "error: " << StatusCodeName(status.error_code());
  if (!message.empty()) err << ": " << message;
  err << "\n";
  if (!have_details) return kExitFailure;

  // Field violations first, then preconditions, then the machine-readable reason.
  std::string reason_lines;
  for (const auto& any : details.details()) {
    if (google::rpc::BadRequest bad_request; any.Is<google::rpc::BadRequest>()) {
      if (!any.UnpackTo(&bad_request)) continue;
      for (const auto& violation : bad_request.field_violations()) {
        err << "  " << violation.field() << ": " << violation.description() << "\n";
      }
    } else if (google::rpc::PreconditionFailure failure;
               any.Is<google::rpc::PreconditionFailure>()) {
      if (!any.UnpackTo(&failure)) continue;
      for (const auto& violation : failure.violations()) {
        err << "  " << violation.type();
        if (!violation.subject().empty()) err << " " << violation.subject();
        err << ": " << violation.description() << "\n";
      }
    } else if (google::rpc::ErrorInfo info; any.Is<google::rpc::ErrorInfo>()) {
      if (!any.UnpackTo(&info) || info.reason().empty()) continue;
      reason_lines += "  reason: " + info.reason();
      if (!info.domain().empty()) reason_lines += " (" + info.domain() + ")";
      reason_lines += "\n";
    }
  }
  err << reason_lines;
  return kExitFailure;
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = false;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return "{\"error\": \"cannot print " + message.GetTypeName() + " as JSON\"}";
  while (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

}  // namespace accord::accordctl
