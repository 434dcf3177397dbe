// TLS for servers and for the calls services make to each other. Plaintext stays the default (a
// local stack on loopback); anywhere a bearer token crosses a network, set the files below.
//
// Server (every service):
//   ACCORD_TLS_CERT_FILE, ACCORD_TLS_KEY_FILE  PEM certificate chain and key: serve TLS only
//   ACCORD_TLS_CLIENT_CA_FILE                  PEM CA bundle: also require a client certificate
//                                              it signed (mutual TLS between services)
// Client (ServiceClient, for calls to other services):
//   ACCORD_TLS_CA_FILE                         PEM CA bundle the callee's certificate must chain
//                                              to: call over TLS
//   ACCORD_TLS_CLIENT_CERT_FILE, _KEY_FILE     this service's certificate for mutual TLS
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/config.h"

namespace accord::common {

// PEM contents, read when the settings are read (a missing file fails start-up there).
struct ServerTls {
  std::string cert_chain;
  std::string private_key;
  std::string client_ca;  // non-empty: mutual TLS
  bool enabled() const { return !cert_chain.empty(); }
};

struct ClientTls {
  bool tls = false;  // ReadClientTls: when a CA is set
  std::string ca;    // empty with `tls`: the system's roots
  std::string cert_chain;
  std::string private_key;
  std::string server_name;  // overrides the name checked against the certificate (tests, IPs)
  bool enabled() const { return tls; }
};

ServerTls ReadServerTls(ConfigReader& config);
ClientTls ReadClientTls(ConfigReader& config);

// Reads a PEM file for a client's flag or setting: its contents, or an error message.
absl::StatusOr<std::string> ReadPemFile(const std::string& path);
// Insecure credentials when TLS is not enabled.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const ServerTls& tls);
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ClientTls& tls);
// A channel to `target` with `tls` (and its server name override, if any).
std::shared_ptr<grpc::Channel> CreateChannelFor(const std::string& target, const ClientTls& tls,
                                                grpc::ChannelArguments args = {});

}  // namespace accord::common
