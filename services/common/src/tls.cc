#include "accord/common/tls.h"

#include <fstream>
#include <sstream>

namespace accord::common {
namespace {

// The file's contents, or "" (with a start-up error) when it cannot be read.
std::string ReadPem(ConfigReader& config, const std::string& setting, const std::string& help) {
  const std::string path = config.String(setting, "", help);
  if (path.empty()) return {};
  auto pem = ReadPemFile(path);
  if (!pem.ok()) {
    config.AddError(setting + ": " + std::string(pem.status().message()));
    return {};
  }
  return *pem;
}

}  // namespace

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) return absl::InvalidArgumentError(path + " cannot be read");
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(path + " holds no PEM block");
  }
  return text.str();
}

ServerTls ReadServerTls(ConfigReader& config) {
  ServerTls tls;
  tls.cert_chain = ReadPem(config, "ACCORD_TLS_CERT_FILE",
                           "PEM certificate chain: serve TLS only (with ACCORD_TLS_KEY_FILE)");
  tls.private_key =
      ReadPem(config, "ACCORD_TLS_KEY_FILE", "PEM private key of ACCORD_TLS_CERT_FILE");
  tls.client_ca = ReadPem(config, "ACCORD_TLS_CLIENT_CA_FILE",
                          "PEM CA bundle: require client certificates it signed (mutual TLS)");
  if (tls.cert_chain.empty() != tls.private_key.empty()) {
    config.AddError(
        "ACCORD_TLS_CERT_FILE and ACCORD_TLS_KEY_FILE go together: set both or neither");
  }
  if (!tls.client_ca.empty() && tls.cert_chain.empty()) {
    config.AddError("ACCORD_TLS_CLIENT_CA_FILE needs ACCORD_TLS_CERT_FILE and ACCORD_TLS_KEY_FILE");
  }
  return tls;
}

ClientTls ReadClientTls(ConfigReader& config) {
  ClientTls tls;
  tls.ca = ReadPem(config, "ACCORD_TLS_CA_FILE",
                   "PEM CA bundle: call other services over TLS, verifying them against it");
  tls.cert_chain = ReadPem(config, "ACCORD_TLS_CLIENT_CERT_FILE",
                           "PEM certificate this service presents to others (mutual TLS)");
  tls.private_key = ReadPem(config, "ACCORD_TLS_CLIENT_KEY_FILE",
                            "PEM private key of ACCORD_TLS_CLIENT_CERT_FILE");
  tls.server_name = config.String("ACCORD_TLS_SERVER_NAME", "",
                                  "name checked against the callee's certificate instead of the "
                                  "address's host");
  tls.tls = !tls.ca.empty();
  if (tls.cert_chain.empty() != tls.private_key.empty()) {
    config.AddError(
        "ACCORD_TLS_CLIENT_CERT_FILE and ACCORD_TLS_CLIENT_KEY_FILE go together: set both or "
        "neither");
  }
  if (!tls.cert_chain.empty() && tls.ca.empty()) {
    config.AddError("ACCORD_TLS_CLIENT_CERT_FILE needs ACCORD_TLS_CA_FILE (calls over TLS)");
  }
  return tls;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const ServerTls& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = tls.client_ca;
  options.pem_key_cert_pairs.push_back({tls.private_key, tls.cert_chain});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ClientTls& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca;
  options.pem_private_key = tls.private_key;
  options.pem_cert_chain = tls.cert_chain;
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> CreateChannelFor(const std::string& target, const ClientTls& tls,
                                                grpc::ChannelArguments args) {
  if (tls.enabled() && !tls.server_name.empty()) {
    args.SetSslTargetNameOverride(tls.server_name);
  }
  return grpc::CreateCustomChannel(target, ChannelCredentialsFor(tls), args);
}

}  // namespace accord::common
