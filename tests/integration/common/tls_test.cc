// TLS and mutual TLS, with certificates made by openssl for each run: a server with a certificate
// serves TLS only, a client verifies it against the CA it is given, and a server with a client CA
// accepts only clients presenting a certificate that CA signed.
#include "accord/common/tls.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "accord/common/service_client.h"
#include "command.h"
#include "commands.h"
#include "integration/common/do_nothing_service.h"
#include "support/certificates.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

namespace fs = std::filesystem;
namespace ex = accord::example::v1;

using accord::testing::Certificates;

class TlsTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::ServiceHarness> Serve(bool mutual) {
    auto definition = ExampleDefinition({{"accord.example.v1.*", MethodAccess::AnyRole()}});
    auto settings = testing::TestSettings(definition, database_.url(), testing::SharedRedisUrl());
    settings.tls.cert_chain = certs_.Read("server.pem");
    settings.tls.private_key = certs_.Read("server.key");
    if (mutual) settings.tls.client_ca = certs_.Read("ca.pem");
    return std::make_unique<testing::ServiceHarness>(definition, settings);
  }

  // Echo over a channel with `tls`; the status of the call.
  grpc::Status Call(int port, const ClientTls& tls, const std::string& host = "localhost") {
    auto stub =
        ex::KitProbeService::NewStub(CreateChannelFor(host + ":" + std::to_string(port), tls));
    ex::EchoRequest request;
    ex::EchoResponse response;
    auto context = testing::ContextAs("tls-caller", {Role::kIntegration});
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    auto status = stub->Echo(context.get(), request, &response);
    if (status.ok()) EXPECT_EQ(response.text(), "tls-caller");
    return status;
  }

  ClientTls Trusting(const std::string& ca) {
    ClientTls tls;
    tls.tls = true;
    tls.ca = certs_.Read(ca);
    return tls;
  }

  Certificates certs_;
  testing::TestDatabase database_;
};

TEST_F(TlsTest, ATlsServerAnswersOnlyClientsThatVerifyIt) {
  auto server = Serve(false);
  EXPECT_TRUE(Call(server->port(), Trusting("ca.pem")).ok());
  EXPECT_TRUE(Call(server->port(), Trusting("ca.pem"), "127.0.0.1").ok());
  // Plaintext is not served, and a certificate from an unknown CA is refused by the client.
  EXPECT_EQ(Call(server->port(), ClientTls{}).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(server->port(), Trusting("other-ca.pem")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificateTheClientCaSigned) {
  auto server = Serve(true);
  ClientTls anonymous = Trusting("ca.pem");
  EXPECT_EQ(Call(server->port(), anonymous).error_code(), grpc::StatusCode::UNAVAILABLE);
  ClientTls with_certificate = Trusting("ca.pem");
  with_certificate.cert_chain = certs_.Read("client.pem");
  with_certificate.private_key = certs_.Read("client.key");
  EXPECT_TRUE(Call(server->port(), with_certificate).ok());
}

TEST_F(TlsTest, AServiceClientCallsOverTlsFromItsSettings) {
  auto server = Serve(true);
  ConfigReader config({},
                      {{"ACCORD_EXAMPLE_ADDRESS", "localhost:" + std::to_string(server->port())},
                       {"ACCORD_TLS_CA_FILE", certs_.Path("ca.pem")},
                       {"ACCORD_TLS_CLIENT_CERT_FILE", certs_.Path("client.pem")},
                       {"ACCORD_TLS_CLIENT_KEY_FILE", certs_.Path("client.key")}});
  auto options = ReadServiceClientOptions(config, "example", "");
  ASSERT_TRUE(config.Finish().ok()) << config.Finish();
  ServiceClient client(options);
  auto stub = ex::KitProbeService::NewStub(client.channel());
  ex::EchoRequest request;
  ex::EchoResponse response;
  // The client watches grpc.health.v1, and the server turns SERVING only once its first database
  // check passed: until then calls fail fast as UNAVAILABLE, so wait for that.
  grpc::Status status;
  for (int i = 0; i < 50; ++i) {
    auto context = client.NewContext(
        CallIdentity::ForService(testing::TokenFor("background", {Role::kIntegration})));
    status = stub->Echo(context.get(), request, &response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.text(), "background");
}

TEST_F(TlsTest, AccordctlChecksHealthOverTlsWithItsCa) {
  auto server = Serve(false);
  accordctl::Registry registry;
  accordctl::RegisterHealthCommands(registry);
  auto health = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "health", "--service", "account", "--addr", "localhost:" + std::to_string(server->port()),
        "-o",     "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::ostringstream out;
    std::ostringstream err;
    const int code = registry.Run(args, out, err);
    return std::make_pair(code, out.str() + err.str());
  };
  // The server turns SERVING once its first database check passed.
  auto result = health({"--ca", certs_.Path("ca.pem")});
  for (int i = 0; i < 50 && result.first != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    result = health({"--ca", certs_.Path("ca.pem")});
  }
  EXPECT_EQ(result.first, 0) << result.second;
  EXPECT_NE(result.second.find("\"status\":\"SERVING\""), std::string::npos) << result.second;
  EXPECT_EQ(health({}).first, 1);  // plaintext against a TLS server
  EXPECT_EQ(health({"--ca", certs_.Path("other-ca.pem")}).first, 1);
  auto half = health({"--tls", "--cert", certs_.Path("client.pem")});
  EXPECT_EQ(half.first, 2);
  EXPECT_NE(half.second.find("--cert and --key go together"), std::string::npos) << half.second;
}

TEST(TlsSettingsTest, HalfAPairOrAnUnreadableFileFailsStartUp) {
  ConfigReader server({}, {{"ACCORD_TLS_CERT_FILE", "/nonexistent/cert.pem"}});
  ReadServerTls(server);
  const std::string errors(server.Finish().message());
  EXPECT_NE(errors.find("ACCORD_TLS_CERT_FILE: /nonexistent/cert.pem cannot be read"),
            std::string::npos)
      << errors;

  Certificates certs;
  ConfigReader half({}, {{"ACCORD_TLS_CERT_FILE", certs.Path("server.pem")}});
  auto tls = ReadServerTls(half);
  EXPECT_NE(std::string(half.Finish().message()).find("go together"), std::string::npos);
  ConfigReader client({}, {{"ACCORD_TLS_CLIENT_CERT_FILE", certs.Path("client.pem")},
                           {"ACCORD_TLS_CLIENT_KEY_FILE", certs.Path("client.key")}});
  ReadClientTls(client);
  EXPECT_NE(std::string(client.Finish().message()).find("needs ACCORD_TLS_CA_FILE"),
            std::string::npos);
  ConfigReader none({}, {});
  EXPECT_FALSE(ReadServerTls(none).enabled());
  EXPECT_FALSE(ReadClientTls(none).enabled());
  EXPECT_TRUE(none.Finish().ok());
}

}  // namespace
}  // namespace accord::common
