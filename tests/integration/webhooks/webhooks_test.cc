// The webhooks service end to end: a real account service publishes events, the webhooks service
// (in-process, its own database) follows them over gRPC and POSTs them to receivers on loopback.
// Signed and verifiable deliveries; a receiver that fails, times out and recovers gets every
// event in order per subject with its retries logged; redelivery; Redis flushed and the
// dispatcher restarted lose nothing; a webhook failing past the disable period is disabled with
// its event; an https receiver whose certificate the service verifies against a test CA (and
// refuses without it); validation and permissions.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "accord/webhooks/v1/webhooks.grpc.pb.h"
#include "account_service.h"
#include "receiver.h"
#include "support/certificates.h"
#include "support/servers.h"
#include "support/service_harness.h"
#include "webhook_policy.h"
#include "webhooks_service.h"

namespace accord::webhooks {
namespace {

using accord::testing::ContextAs;
using common::Role;
using std::chrono::milliseconds;
using testing::ReceivedRequest;
using testing::Receiver;

constexpr char kSecret[] = "whsec-integration-0123456789";
constexpr char kKey[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

std::unique_ptr<grpc::ClientContext> AsIntegration() {
  return ContextAs("erp-sync", {Role::kIntegration});
}

// The event ids of the requests answered 2xx, each once, in the order first delivered.
std::vector<std::string> DeliveredIds(const std::vector<ReceivedRequest>& requests) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& request : requests) {
    if (request.answered < 200 || request.answered > 299) continue;
    const std::string& id = request.headers.at("x-accord-event-id");
    if (seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

class WebhooksTest : public ::testing::Test {
 protected:
  WebhooksTest()
      : account_(account::AccountServiceDefinition(), account_db_.url(), redis_.url()),
        accounts_(account::v1::AccountService::NewStub(account_.channel())) {}

  WebhooksOptions Options() const {
    WebhooksOptions options;
    options.secret_key_base64 = kKey;
    common::ServiceClientOptions source;
    source.service = "account";
    source.address = "127.0.0.1:" + std::to_string(account_.port());
    source.service_token = accord::testing::TokenFor("webhooks", {Role::kIntegration});
    options.sources.push_back(source);
    options.timeout = timeout_;
    options.retry.min_backoff = milliseconds(50);
    options.retry.max_backoff = milliseconds(200);
    options.poll_interval = milliseconds(50);
    options.concurrency = 4;
    options.retry.disable_after = disable_after_;
    options.ca_file = ca_file_;
    return options;
  }

  void StartWebhooks() {
    webhooks_ = std::make_unique<accord::testing::ServiceHarness>(
        WebhooksServiceDefinition(Options()), webhooks_db_.url(), redis_.url());
    stub_ = v1::WebhookService::NewStub(webhooks_->channel());
  }
  void StopWebhooks() {
    stub_.reset();
    webhooks_.reset();
  }

  v1::Webhook CreateWebhook(const std::string& url, const std::string& type_prefix = "") {
    v1::CreateWebhookRequest request;
    request.mutable_webhook()->set_url(url);
    request.mutable_webhook()->set_secret(kSecret);
    if (!type_prefix.empty()) request.mutable_webhook()->add_event_type_prefixes(type_prefix);
    v1::Webhook webhook;
    auto status = stub_->CreateWebhook(AsIntegration().get(), request, &webhook);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return webhook;
  }

  account::v1::Account CreateAccount(const std::string& name) {
    account::v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    account::v1::Account account;
    auto status = accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(),
                                           request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  account::v1::Account Rename(const account::v1::Account& account, const std::string& name) {
    account::v1::UpdateAccountRequest request;
    request.mutable_account()->set_name(account.name());
    request.mutable_account()->set_display_name(name);
    request.mutable_update_mask()->add_paths("display_name");
    request.set_etag(account.etag());
    account::v1::Account updated;
    auto status = accounts_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(),
                                           request, &updated);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return updated;
  }

  std::vector<v1::WebhookDelivery> Deliveries(const v1::Webhook& webhook,
                                              const std::string& filter = "") {
    v1::ListWebhookDeliveriesRequest request;
    request.set_parent(webhook.name());
    request.set_page_size(1000);
    request.set_filter(filter);
    v1::ListWebhookDeliveriesResponse response;
    auto status = stub_->ListWebhookDeliveries(AsIntegration().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.deliveries().begin(), response.deliveries().end()};
  }

  // The deliveries once `count` of them are settled (none pending): the receiver sees a request
  // before the worker records its answer.
  std::vector<v1::WebhookDelivery> SettledDeliveries(const v1::Webhook& webhook, size_t count) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (true) {
      auto deliveries = Deliveries(webhook);
      const size_t settled = std::count_if(deliveries.begin(), deliveries.end(), [](const auto& d) {
        return d.state() != v1::DELIVERY_STATE_PENDING;
      });
      if (settled >= count || std::chrono::steady_clock::now() > until) return deliveries;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  // Every account event of the account service, in its order: (subject, event id).
  std::vector<std::pair<std::string, std::string>> AccountEvents(size_t expected) {
    auto events = events::v1::EventService::NewStub(account_.channel());
    events::v1::SubscribeRequest request;
    request.set_oldest(true);
    request.set_type_prefix("accord.account.v1.Account");
    auto context = ContextAs("reader", {Role::kIntegration});
    auto reader = events->Subscribe(context.get(), request);
    std::vector<std::pair<std::string, std::string>> out;
    events::v1::SubscribeResponse response;
    while (out.size() < expected && reader->Read(&response)) {
      out.emplace_back(response.event().subject(), response.event().id());
    }
    context->TryCancel();
    return out;
  }

  accord::testing::TestDatabase account_db_;
  accord::testing::TestDatabase webhooks_db_;
  accord::testing::ScopedRedisServer redis_;
  accord::testing::ServiceHarness account_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<accord::testing::ServiceHarness> webhooks_;
  std::unique_ptr<v1::WebhookService::Stub> stub_;
  milliseconds disable_after_{std::chrono::hours(1)};
  std::string ca_file_;  // "" = the system's CAs
  // Short, so a receiver that hangs is given up on quickly.
  milliseconds timeout_{400};
};

TEST_F(WebhooksTest, AccountEventsArriveSignedAndVerifiable) {
  Receiver receiver([](int, const ReceivedRequest&) { return 200; });
  StartWebhooks();
  const v1::Webhook webhook = CreateWebhook(receiver.url(), "accord.account.v1.Account");
  EXPECT_TRUE(webhook.secret().empty());
  EXPECT_EQ(webhook.state(), v1::WEBHOOK_STATE_ACTIVE);
  v1::GetWebhookRequest get;
  get.set_name(webhook.name());
  v1::Webhook fetched;
  ASSERT_TRUE(stub_->GetWebhook(AsIntegration().get(), get, &fetched).ok());
  EXPECT_TRUE(fetched.secret().empty());
  EXPECT_EQ(fetched.url(), receiver.url());
  // At rest the secret is sealed: its bytes appear nowhere in the row.
  {
    pqxx::connection connection(webhooks_db_.url());
    pqxx::work work(connection);
    const auto row = work.exec1("SELECT sealed_secret, attributes FROM webhooks.webhooks");
    EXPECT_EQ(pqxx::binarystring(row[0]).str().find(kSecret), std::string::npos);
    EXPECT_EQ(pqxx::binarystring(row[1]).str().find(kSecret), std::string::npos);
    EXPECT_GT(pqxx::binarystring(row[0]).size(), std::string(kSecret).size());
  }

  auto account = CreateAccount("Signed Ltd");
  Rename(account, "Signed Holdings Ltd");
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return DeliveredIds(r).size() >= 2; }));

  for (const auto& request : receiver.requests()) {
    const std::string timestamp = request.headers.at("x-accord-timestamp");
    // What a receiver does: recompute the signature over timestamp "." body with its secret,
    // and refuse a timestamp older than 5 minutes.
    EXPECT_EQ(request.headers.at("x-accord-signature"),
              Signature(kSecret, timestamp, request.body));
    EXPECT_NE(request.headers.at("x-accord-signature"),
              Signature("another-secret-0123456789", timestamp, request.body));
    const auto age =
        std::chrono::system_clock::now() -
        std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(timestamp)));
    EXPECT_LT(age, std::chrono::minutes(5));
    auto body = nlohmann::json::parse(request.body);
    EXPECT_EQ(body["id"], request.headers.at("x-accord-event-id"));
    EXPECT_EQ(body["subject"], account.name());
    EXPECT_EQ(body["payload"]["@type"], "type.googleapis.com/accord.account.v1.Account");
    EXPECT_EQ(request.headers.at("content-type"), "application/json");
  }
  const auto requests = receiver.requests();
  EXPECT_EQ(nlohmann::json::parse(requests[0].body)["type"], "accord.account.v1.AccountCreated");
  EXPECT_EQ(nlohmann::json::parse(requests[1].body)["type"], "accord.account.v1.AccountUpdated");

  // The log shows each delivery's one successful attempt.
  auto deliveries = SettledDeliveries(webhook, 2);
  ASSERT_EQ(deliveries.size(), 2u);
  for (const auto& delivery : deliveries) {
    EXPECT_EQ(delivery.state(), v1::DELIVERY_STATE_DELIVERED);
    ASSERT_EQ(delivery.attempts_size(), 1);
    EXPECT_EQ(delivery.attempts(0).attempt_number(), 1);
    EXPECT_EQ(delivery.attempts(0).status_code(), 200);
  }
}

TEST_F(WebhooksTest, AReceiverThatFailsTimesOutAndRecoversGetsEveryEventInOrderPerSubject) {
  // 500, 500, a hang past the 400 ms timeout, then fine.
  Receiver receiver([](int n, const ReceivedRequest&) { return n < 2    ? 500
                                                               : n == 2 ? 0
                                                                        : 200; },
                    milliseconds(1500));
  StartWebhooks();
  const v1::Webhook webhook = CreateWebhook(receiver.url(), "accord.account.v1.Account");
  auto first = CreateAccount("Order One");
  auto second = CreateAccount("Order Two");
  first = Rename(first, "Order One A");
  second = Rename(second, "Order Two A");
  Rename(first, "Order One B");
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return DeliveredIds(r).size() >= 5; }))
      << receiver.requests().size() << " requests";

  // Every event, and per subject in the order the account service published them.
  const auto published = AccountEvents(5);
  ASSERT_EQ(published.size(), 5u);
  std::map<std::string, std::vector<std::string>> expected;
  for (const auto& [subject, id] : published) expected[subject].push_back(id);
  std::map<std::string, std::vector<std::string>> delivered;
  for (const auto& request : receiver.requests()) {
    if (request.answered != 200) continue;
    auto body = nlohmann::json::parse(request.body);
    auto& ids = delivered[body["subject"].get<std::string>()];
    if (std::find(ids.begin(), ids.end(), body["id"].get<std::string>()) == ids.end()) {
      ids.push_back(body["id"]);
    }
  }
  EXPECT_EQ(delivered, expected);

  // The retries are in the log: two 500s and a timeout (no status) before a 200.
  int failed_with_500 = 0, timed_out = 0, retried = 0;
  for (const auto& delivery : SettledDeliveries(webhook, 5)) {
    EXPECT_EQ(delivery.state(), v1::DELIVERY_STATE_DELIVERED);
    if (delivery.attempts_size() > 1) ++retried;
    for (const auto& attempt : delivery.attempts()) {
      if (attempt.status_code() == 500) ++failed_with_500;
      if (attempt.status_code() == 0) {
        ++timed_out;
        EXPECT_FALSE(attempt.error().empty());
        EXPECT_GE(attempt.duration().nanos() + attempt.duration().seconds() * 1000000000LL,
                  300000000LL);
      }
    }
    EXPECT_EQ(delivery.attempts(delivery.attempts_size() - 1).status_code(), 200);
  }
  EXPECT_EQ(failed_with_500, 2);
  EXPECT_EQ(timed_out, 1);
  EXPECT_GE(retried, 1);

  // The log filters (AIP-160) and pages.
  EXPECT_EQ(Deliveries(webhook, "state = DELIVERED").size(), 5u);
  EXPECT_EQ(Deliveries(webhook, "state = FAILED").size(), 0u);
  EXPECT_EQ(Deliveries(webhook, "subject = \"" + second.name() + "\"").size(), 2u);
  v1::ListWebhookDeliveriesRequest page;
  page.set_parent(webhook.name());
  page.set_page_size(3);
  v1::ListWebhookDeliveriesResponse first_page, second_page;
  ASSERT_TRUE(stub_->ListWebhookDeliveries(AsIntegration().get(), page, &first_page).ok());
  ASSERT_EQ(first_page.deliveries_size(), 3);
  ASSERT_FALSE(first_page.next_page_token().empty());
  page.set_page_token(first_page.next_page_token());
  auto next = stub_->ListWebhookDeliveries(AsIntegration().get(), page, &second_page);
  ASSERT_TRUE(next.ok()) << next.error_message();
  EXPECT_EQ(second_page.deliveries_size(), 2);
  EXPECT_TRUE(second_page.next_page_token().empty());
  page.set_filter("nonsense ==");
  auto refused = stub_->ListWebhookDeliveries(AsIntegration().get(), page, &second_page);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // The webhook is healthy again.
  v1::GetWebhookRequest get;
  get.set_name(webhook.name());
  v1::Webhook fetched;
  ASSERT_TRUE(stub_->GetWebhook(AsIntegration().get(), get, &fetched).ok());
  EXPECT_FALSE(fetched.has_failing_since());
  EXPECT_EQ(fetched.state(), v1::WEBHOOK_STATE_ACTIVE);
}

TEST_F(WebhooksTest, HttpsReceiversAreVerifiedAgainstTheConfiguredCa) {
  accord::testing::Certificates certs;
  Receiver receiver([](int, const ReceivedRequest&) { return 200; }, std::chrono::seconds(2),
                    testing::ReceiverTls{certs.Path("server.pem"), certs.Path("server.key")});
  ASSERT_EQ(receiver.url().rfind("https://127.0.0.1:", 0), 0u);
  // A TLS handshake on a busy (or sanitized) machine can take longer than the usual 400 ms, and
  // the attempt must fail on the certificate, not on the clock.
  timeout_ = std::chrono::seconds(5);

  // Against the system's CAs the test CA's certificate does not verify: nothing is sent, and
  // the attempt is logged with curl's reason.
  StartWebhooks();
  const v1::Webhook webhook = CreateWebhook(receiver.url());
  const auto account = CreateAccount("Secure Ltd");
  auto deliveries = Deliveries(webhook);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((deliveries.empty() || deliveries[0].attempts_size() == 0) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
    deliveries = Deliveries(webhook);
  }
  ASSERT_EQ(deliveries.size(), 1u);
  ASSERT_GE(deliveries[0].attempts_size(), 1);
  EXPECT_EQ(deliveries[0].attempts(0).status_code(), 0);
  EXPECT_NE(deliveries[0].attempts(0).error().find("certificate"), std::string::npos)
      << deliveries[0].attempts(0).error();
  EXPECT_GE(receiver.failed_handshakes(), 1);
  EXPECT_TRUE(receiver.requests().empty());

  // A certificate from another CA does not verify either.
  StopWebhooks();
  ca_file_ = certs.Path("other-ca.pem");
  const int refused = receiver.failed_handshakes();
  StartWebhooks();
  const auto retried = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (receiver.failed_handshakes() == refused && std::chrono::steady_clock::now() < retried) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GT(receiver.failed_handshakes(), refused);
  EXPECT_TRUE(receiver.requests().empty());

  // With the test CA configured the retry goes through, signed as ever.
  StopWebhooks();
  ca_file_ = certs.Path("ca.pem");
  StartWebhooks();
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return DeliveredIds(r).size() == 1; }));
  const ReceivedRequest request = receiver.requests()[0];
  EXPECT_EQ(nlohmann::json::parse(request.body)["subject"], account.name());
  EXPECT_EQ(request.headers.at("x-accord-signature"),
            Signature(kSecret, request.headers.at("x-accord-timestamp"), request.body));
  deliveries = SettledDeliveries(webhook, 1);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(deliveries[0].attempts(deliveries[0].attempts_size() - 1).status_code(), 200);
  EXPECT_GE(deliveries[0].attempts_size(), 2);
}

TEST_F(WebhooksTest, RedeliverSendsTheEventAgain) {
  Receiver receiver([](int, const ReceivedRequest&) { return 204; });
  StartWebhooks();
  const v1::Webhook webhook = CreateWebhook(receiver.url());
  CreateAccount("Again Ltd");
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return r.size() >= 1; }));
  const std::string event_id = receiver.requests()[0].headers.at("x-accord-event-id");

  v1::RedeliverWebhookEventRequest request;
  request.set_name(webhook.name());
  request.set_event_id(event_id);
  v1::WebhookDelivery delivery;
  auto status = stub_->RedeliverWebhookEvent(AsIntegration().get(), request, &delivery);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(delivery.event_id(), event_id);
  EXPECT_EQ(delivery.state(), v1::DELIVERY_STATE_PENDING);
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return r.size() >= 2; }));
  EXPECT_EQ(receiver.requests()[1].headers.at("x-accord-event-id"), event_id);

  request.set_event_id("no-such-event");
  status = stub_->RedeliverWebhookEvent(AsIntegration().get(), request, &delivery);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(WebhooksTest, RedisFlushedAndTheDispatcherRestartedLoseNothing) {
  Receiver receiver([](int, const ReceivedRequest&) { return 200; });
  StartWebhooks();
  CreateWebhook(receiver.url(), "accord.account.v1.Account");
  CreateAccount("Durable 1");
  CreateAccount("Durable 2");
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return DeliveredIds(r).size() >= 2; }));

  // Redis loses everything mid-way; events keep coming.
  auto flushed = account_.runtime().redis().Command({"FLUSHALL"});
  ASSERT_TRUE(flushed.ok()) << flushed.status();
  CreateAccount("Durable 3");
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return DeliveredIds(r).size() >= 3; }));

  // The dispatcher stops; what happens meanwhile arrives after it resumes from its cursor.
  StopWebhooks();
  CreateAccount("Durable 4");
  CreateAccount("Durable 5");
  StartWebhooks();
  ASSERT_TRUE(receiver.WaitFor([](const auto& r) { return DeliveredIds(r).size() >= 5; }));
  std::this_thread::sleep_for(milliseconds(300));

  std::set<std::string> expected;
  for (const auto& [subject, id] : AccountEvents(5)) expected.insert(id);
  const auto ids = DeliveredIds(receiver.requests());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected);
  EXPECT_EQ(ids.size(), 5u);
}

TEST_F(WebhooksTest, AWebhookFailingPastTheDisablePeriodIsDisabledWithItsEvent) {
  disable_after_ = milliseconds(1000);
  Receiver receiver([](int, const ReceivedRequest&) { return 503; });
  StartWebhooks();
  const v1::Webhook webhook = CreateWebhook(receiver.url());
  CreateAccount("Down Ltd");

  v1::GetWebhookRequest get;
  get.set_name(webhook.name());
  v1::Webhook fetched;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(stub_->GetWebhook(AsIntegration().get(), get, &fetched).ok());
    if (fetched.state() == v1::WEBHOOK_STATE_DISABLED) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(fetched.state(), v1::WEBHOOK_STATE_DISABLED);
  EXPECT_TRUE(fetched.has_failing_since());
  v1::ListWebhooksRequest list;
  list.set_filter("state = DISABLED");
  v1::ListWebhooksResponse listed;
  ASSERT_TRUE(stub_->ListWebhooks(AsIntegration().get(), list, &listed).ok());
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_EQ(listed.webhooks(0).name(), webhook.name());
  list.set_filter("state = ACTIVE");
  ASSERT_TRUE(stub_->ListWebhooks(AsIntegration().get(), list, &listed).ok());
  EXPECT_EQ(listed.webhooks_size(), 0);
  EXPECT_GE(receiver.requests().size(), 2u);

  // Nothing more is sent while disabled.
  std::this_thread::sleep_for(milliseconds(400));
  const size_t sent = receiver.requests().size();
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(receiver.requests().size(), sent);

  // The webhooks service published accord.webhooks.v1.WebhookDisabled.
  auto events = events::v1::EventService::NewStub(webhooks_->channel());
  events::v1::SubscribeRequest subscribe;
  subscribe.set_oldest(true);
  subscribe.set_type_prefix("accord.webhooks.v1.WebhookDisabled");
  auto context = ContextAs("reader", {Role::kIntegration});
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto reader = events->Subscribe(context.get(), subscribe);
  events::v1::SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.event().subject(), webhook.name());
  v1::WebhookDisabled payload;
  ASSERT_TRUE(response.event().payload().UnpackTo(&payload));
  EXPECT_EQ(payload.webhook().state(), v1::WEBHOOK_STATE_DISABLED);
  EXPECT_NE(payload.last_error().find("503"), std::string::npos) << payload.last_error();
  EXPECT_TRUE(payload.webhook().secret().empty());
  context->TryCancel();
}

TEST_F(WebhooksTest, InvalidWebhooksAreRefusedWithFieldViolations) {
  StartWebhooks();
  auto violations = [&](const std::string& url, const std::string& secret) {
    v1::CreateWebhookRequest request;
    request.mutable_webhook()->set_url(url);
    request.mutable_webhook()->set_secret(secret);
    v1::Webhook webhook;
    auto status = stub_->CreateWebhook(AsIntegration().get(), request, &webhook);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << url;
    return accord::testing::ViolatedFields(status);
  };
  EXPECT_EQ(violations("not a url", kSecret), std::vector<std::string>{"webhook.url"});
  EXPECT_EQ(violations("ftp://files.example.com/drop", kSecret),
            std::vector<std::string>{"webhook.url"});
  EXPECT_EQ(violations("https://hooks.example.com/accord", ""),
            std::vector<std::string>{"webhook.secret"});
  EXPECT_EQ(violations("", ""), (std::vector<std::string>{"webhook.url", "webhook.secret"}));

  // An update with a stale etag is ABORTED; one with a bad url changes nothing.
  const v1::Webhook webhook = CreateWebhook("https://hooks.example.com/accord");
  v1::UpdateWebhookRequest update;
  update.mutable_webhook()->set_name(webhook.name());
  update.mutable_webhook()->set_url("mailto:ops@example.com");
  update.mutable_update_mask()->add_paths("url");
  update.set_etag(webhook.etag());
  v1::Webhook updated;
  auto status = stub_->UpdateWebhook(AsIntegration().get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(accord::testing::ViolatedFields(status), std::vector<std::string>{"webhook.url"});
  update.mutable_webhook()->set_url("https://hooks.example.com/v2");
  update.set_etag("999");
  EXPECT_EQ(stub_->UpdateWebhook(AsIntegration().get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.set_etag(webhook.etag());
  status = stub_->UpdateWebhook(AsIntegration().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.url(), "https://hooks.example.com/v2");
  EXPECT_NE(updated.etag(), webhook.etag());
}

TEST_F(WebhooksTest, OnlyIntegrationAndAdminManageWebhooks) {
  StartWebhooks();
  for (Role role : {Role::kAccountManager, Role::kSalesAssistant, Role::kServiceSupervisor}) {
    v1::CreateWebhookRequest create;
    create.mutable_webhook()->set_url("https://hooks.example.com/accord");
    create.mutable_webhook()->set_secret(kSecret);
    v1::Webhook webhook;
    EXPECT_EQ(
        stub_->CreateWebhook(ContextAs("someone", {role}).get(), create, &webhook).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
    v1::ListWebhooksRequest list;
    v1::ListWebhooksResponse listed;
    EXPECT_EQ(stub_->ListWebhooks(ContextAs("someone", {role}).get(), list, &listed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  const v1::Webhook created = CreateWebhook("https://hooks.example.com/accord");
  v1::ListWebhooksRequest list;
  v1::ListWebhooksResponse listed;
  ASSERT_TRUE(stub_->ListWebhooks(ContextAs("root", {Role::kAdmin}).get(), list, &listed).ok());
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_EQ(listed.webhooks(0).name(), created.name());
  EXPECT_TRUE(listed.webhooks(0).secret().empty());
  // Pages: one webhook more, one per page.
  const v1::Webhook later = CreateWebhook("https://hooks.example.com/later");
  list.set_page_size(1);
  ASSERT_TRUE(stub_->ListWebhooks(AsIntegration().get(), list, &listed).ok());
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_EQ(listed.webhooks(0).name(), created.name());
  list.set_page_token(listed.next_page_token());
  auto next = stub_->ListWebhooks(AsIntegration().get(), list, &listed);
  ASSERT_TRUE(next.ok()) << next.error_message();
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_EQ(listed.webhooks(0).name(), later.name());
  EXPECT_TRUE(listed.next_page_token().empty());

  v1::DeleteWebhookRequest remove;
  remove.set_name(created.name());
  v1::Webhook removed;
  EXPECT_EQ(stub_->DeleteWebhook(ContextAs("m", {Role::kAccountManager}).get(), remove, &removed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->DeleteWebhook(AsIntegration().get(), remove, &removed).ok());
  v1::GetWebhookRequest get;
  get.set_name(created.name());
  v1::Webhook fetched;
  EXPECT_EQ(stub_->GetWebhook(AsIntegration().get(), get, &fetched).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace accord::webhooks
