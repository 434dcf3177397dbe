// Every Accord service in-process on one fresh database, the gateway in front of them, and a raw
// HTTP/1.1 client (so the tests see exactly the bytes the gateway writes).
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "account_service.h"
#include "api_descriptors.h"
#include "contact_service.h"
#include "embedded.h"
#include "gateway.h"
#include "pricing_service.h"
#include "quality_service.h"
#include "support/servers.h"
#include "support/service_harness.h"
#include "webhooks_service.h"

namespace accord::gateway {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A connected loopback socket with a receive timeout.
class RawConnection {
 public:
  explicit RawConnection(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Appends what arrives to `received`; false at EOF, error or timeout.
  bool ReadSome() {
    char buffer[16384];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    received.append(buffer, static_cast<size_t>(n));
    return true;
  }
  // Reads until `text` has arrived (true) or the connection ends or times out (false).
  bool ReadUntil(const std::string& text) {
    while (received.find(text) == std::string::npos) {
      if (!ReadSome()) return false;
    }
    return true;
  }
  void ReadToEnd() {
    while (ReadSome()) {
    }
  }
  std::string received;

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Parses one response from raw bytes (Content-Length or read-to-end bodies).
inline HttpReply ParseReply(const std::string& raw) {
  HttpReply reply;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    size_t next = raw.find("\r\n", line);
    std::string header = raw.substr(line, next - line);
    size_t colon = header.find(':');
    std::string name = header.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t value = header.find_first_not_of(' ', colon + 1);
    reply.headers[name] = value == std::string::npos ? "" : header.substr(value);
    line = next + 2;
  }
  reply.body = raw.substr(end + 4);
  if (reply.headers.count("content-length")) {
    reply.body = reply.body.substr(0, std::stoul(reply.headers["content-length"]));
  }
  return reply;
}

inline HttpReply Http(int port, const std::string& method, const std::string& target,
                      const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  RawConnection connection(port);
  EXPECT_TRUE(connection.connected());
  std::string request = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  connection.Send(request);
  connection.ReadToEnd();
  return ParseReply(connection.received);
}

// The ErrorInfo reason of an error answer, and whether it carries a detail of `type`.
inline std::string ReasonOf(const HttpReply& reply) {
  auto json = reply.Json();
  if (!json.is_object() || !json.contains("details")) return "";
  for (const auto& detail : json["details"]) {
    if (detail.value("@type", "") == "type.googleapis.com/google.rpc.ErrorInfo") {
      return detail.value("reason", "");
    }
  }
  return "";
}
inline bool HasDetail(const HttpReply& reply, const std::string& type) {
  auto json = reply.Json();
  if (!json.is_object() || !json.contains("details")) return false;
  for (const auto& detail : json["details"]) {
    if (detail.value("@type", "") == type) return true;
  }
  return false;
}

inline std::string AdminToken() { return testing::TokenFor("admin-1", {common::Role::kAdmin}); }
inline std::pair<std::string, std::string> Bearer(const std::string& token = AdminToken()) {
  return {"Authorization", "Bearer " + token};
}

// Pricing-terms asks the account service about the accounts its writes name.
inline pricing::PricingSettings PricingSettingsFor(int account_port) {
  pricing::PricingSettings settings;
  settings.account.service = "account";
  settings.account.address = "127.0.0.1:" + std::to_string(account_port);
  settings.account.service_token = testing::TokenFor("pricing-sync", {common::Role::kIntegration});
  return settings;
}

// The four services on one database, shared by every test of a suite (start-up is the slow part).
class ServiceSuite {
 public:
  ServiceSuite()
      : account_(account::AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        contact_(contact::ContactServiceDefinition(ContactSettingsFor(account_.port())),
                 database_.url(), testing::SharedRedisUrl()),
        pricing_(pricing::PricingTermsServiceDefinition(PricingSettingsFor(account_.port())),
                 database_.url(), testing::SharedRedisUrl()),
        quality_(quality::QualityServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        webhooks_(webhooks::WebhooksServiceDefinition(WebhooksOptionsForTest()), database_.url(),
                  testing::SharedRedisUrl()) {}

  // Gateway settings that reach these services; HTTP on a free port.
  GatewaySettings Settings() const {
    GatewaySettings settings;
    settings.http.address = "127.0.0.1:0";
    settings.shutdown_deadline = std::chrono::milliseconds(200);
    for (const auto& [name, port] :
         std::vector<std::pair<std::string, int>>{{"account", account_.port()},
                                                  {"contact", contact_.port()},
                                                  {"pricing-terms", pricing_.port()},
                                                  {"service-quality", quality_.port()},
                                                  {"webhooks", webhooks_.port()}}) {
      common::ServiceClientOptions options;
      options.service = name;
      options.address = "127.0.0.1:" + std::to_string(port);
      options.deadline = std::chrono::milliseconds(5000);
      settings.backends[name] = options;
    }
    return settings;
  }
  std::shared_ptr<grpc::Channel> Channel(const std::string& backend) {
    if (backend == "account") return account_.channel();
    if (backend == "contact") return contact_.channel();
    if (backend == "pricing-terms") return pricing_.channel();
    if (backend == "webhooks") return webhooks_.channel();
    return quality_.channel();
  }

 private:
  // The webhooks service's API only: it follows no service's events here.
  static webhooks::WebhooksOptions WebhooksOptionsForTest() {
    webhooks::WebhooksOptions options;
    options.secret_key_base64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    return options;
  }
  static contact::ContactSettings ContactSettingsFor(int account_port) {
    contact::ContactSettings settings;
    settings.keys = *contact::ParsePiiKeys("test-k1:dGVzdC1waWkta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0=",
                                           "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0=");
    settings.default_region = "GB";
    settings.account.service = "account";
    settings.account.address = "127.0.0.1:" + std::to_string(account_port);
    settings.account.deadline = std::chrono::milliseconds(1500);
    return settings;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness account_;
  testing::ServiceHarness contact_;
  testing::ServiceHarness pricing_;
  testing::ServiceHarness quality_;
  testing::ServiceHarness webhooks_;
};

inline std::unique_ptr<Gateway> StartGateway(GatewaySettings settings) {
  auto gateway = Gateway::Create(std::move(settings), ApiDescriptors::Embedded(),
                                 std::string(EmbeddedOpenApi()));
  EXPECT_TRUE(gateway.ok()) << gateway.status();
  if (!gateway.ok()) return nullptr;
  EXPECT_TRUE((*gateway)->Start().ok());
  return std::move(*gateway);
}

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { backends_ = new ServiceSuite(); }
  static void TearDownTestSuite() {
    delete backends_;
    backends_ = nullptr;
  }
  void SetUp() override {
    gateway_ = StartGateway(backends_->Settings());
    ASSERT_NE(gateway_, nullptr);
    port_ = gateway_->port();
  }
  void TearDown() override { gateway_.reset(); }

  static ServiceSuite* backends_;
  std::unique_ptr<Gateway> gateway_;
  int port_ = 0;
};

}  // namespace accord::gateway
