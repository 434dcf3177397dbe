// GetAccountOverview against peers that never answer: a listener that accepts connections and
// says nothing (a hung service), and addresses where nothing listens (services down). The
// overview still answers by its own deadline, every part named missing: the hung service's out
// of time, the down ones' unavailable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/insights.grpc.pb.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;
using ::testing::UnorderedElementsAre;

// A TCP socket listening on a free loopback port that never accepts: connections complete in
// the kernel's backlog and then hear nothing, as from a hung process.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

common::ServiceClientOptions PeerAt(const std::string& service, int port) {
  common::ServiceClientOptions options;
  options.service = service;
  options.address = "127.0.0.1:" + std::to_string(port);
  return options;
}

class InsightsOverviewTest : public ::testing::Test {
 protected:
  InsightsOverviewTest()
      : account_(AccountServiceDefinition(Settings()), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(account_.channel())),
        insights_(v1::AccountInsightsService::NewStub(account_.channel())) {}

  InsightsSettings Settings() {
    InsightsSettings settings;
    settings.contact = PeerAt("contact", hung_.port());
    settings.pricing = PeerAt("pricing-terms", testing::FreeLoopbackPort());
    settings.quality = PeerAt("service-quality", testing::FreeLoopbackPort());
    settings.overview_deadline = std::chrono::milliseconds(1000);
    settings.feeds = false;
    return settings;
  }

  SilentListener hung_;
  testing::TestDatabase database_;
  testing::ServiceHarness account_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountInsightsService::Stub> insights_;
};

TEST_F(InsightsOverviewTest, HungAndDownServicesLeaveTheirPartsMissing) {
  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Acme");
  create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  v1::Account account;
  ASSERT_TRUE(
      accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), create, &account)
          .ok());

  v1::GetAccountOverviewRequest request;
  request.set_name(account.name() + "/overview");
  for (int attempt = 0; attempt < 2; ++attempt) {  // the second finds the channels as left
    v1::AccountOverview overview;
    // The client allows 10 s; the overview's own deadline is 1 s.
    auto status = insights_->GetAccountOverview(ContextAs("alice", {Role::kAccountManager}).get(),
                                                request, &overview);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(overview.account().name(), account.name());
    EXPECT_EQ(overview.insights().months_size(), 12);
    std::vector<std::string> parts;
    for (const auto& part : overview.missing()) {
      parts.push_back(part.part() + "@" + part.service() + ":" + part.code());
    }
    EXPECT_THAT(parts, UnorderedElementsAre("key_contacts@contact:DEADLINE_EXCEEDED",
                                            "open_cases@service-quality:UNAVAILABLE",
                                            "active_terms@pricing-terms:UNAVAILABLE"))
        << attempt;
  }
}

}  // namespace
}  // namespace accord::account
