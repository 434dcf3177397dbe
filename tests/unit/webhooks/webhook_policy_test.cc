// The webhooks' pure rules: signatures (against a vector computed with Python's hmac), backoff
// with full jitter, the order per subject, validation, matching, disabling, sealed secrets.
#include "webhook_policy.h"

#include <gtest/gtest.h>

#include "accord/common/errors.h"
#include "accord/webhooks/v1/webhooks.grpc.pb.h"
#include "delivery_worker.h"
#include "google/api/annotations.pb.h"
#include "secret_box.h"

namespace accord::webhooks {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SignatureTest, IsHexHmacSha256OfTimestampDotBody) {
  // python3: hmac.new(b'whsec-test-0123456789', b'1767225600.{"id":"e1"}', hashlib.sha256)
  EXPECT_EQ(Signature("whsec-test-0123456789", "1767225600", R"({"id":"e1"})"),
            "v1=0255e5514d1f29c83e9a89f810b6517192e26da348a2111ec59cfa185e85cf48");
  // Any change of secret, timestamp or body changes it.
  EXPECT_NE(Signature("whsec-test-0123456780", "1767225600", R"({"id":"e1"})"),
            Signature("whsec-test-0123456789", "1767225600", R"({"id":"e1"})"));
  EXPECT_NE(Signature("whsec-test-0123456789", "1767225601", R"({"id":"e1"})"),
            Signature("whsec-test-0123456789", "1767225600", R"({"id":"e1"})"));
  EXPECT_NE(Signature("whsec-test-0123456789", "1767225600", R"({"id":"e2"})"),
            Signature("whsec-test-0123456789", "1767225600", R"({"id":"e1"})"));
}

TEST(SignatureTest, DeliveryHeadersSignTheBodyWithTheTimestampTheyCarry) {
  ClaimedDelivery delivery;
  delivery.id = 42;
  delivery.webhook_id = "0190a000-0000-7000-8000-000000000001";
  delivery.secret = "whsec-test-0123456789";
  delivery.envelope.set_id("e1");
  delivery.envelope.set_type("accord.account.v1.AccountCreated");
  delivery.envelope.set_subject("accounts/a");
  const std::string body = DeliveryBody(delivery.envelope);
  EXPECT_NE(body.find(R"("subject":"accounts/a")"), std::string::npos) << body;
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : DeliveryHeaders(delivery, body, 1767225600)) {
    headers[name] = value;
  }
  EXPECT_EQ(headers["X-Accord-Event-Id"], "e1");
  EXPECT_EQ(headers["X-Accord-Timestamp"], "1767225600");
  EXPECT_EQ(headers["X-Accord-Signature"], Signature(delivery.secret, "1767225600", body));
  EXPECT_EQ(headers["X-Accord-Attempt"], "1");
  EXPECT_EQ(headers["X-Accord-Delivery"], "webhooks/" + delivery.webhook_id + "/deliveries/42");
}

TEST(BackoffTest, FullJitterUnderADoublingCeilingCappedByTheMaximum) {
  RetryPolicy policy;
  policy.min_backoff = milliseconds(1000);
  policy.max_backoff = milliseconds(10000);
  EXPECT_EQ(Backoff(policy, 1, 0.0), milliseconds(0));
  EXPECT_EQ(Backoff(policy, 1, 0.5), milliseconds(500));
  EXPECT_EQ(Backoff(policy, 2, 0.5), milliseconds(1000));
  EXPECT_EQ(Backoff(policy, 3, 0.5), milliseconds(2000));
  EXPECT_EQ(Backoff(policy, 4, 0.999), milliseconds(7992));
  // From the fifth failure on, the ceiling is the maximum; far on, no overflow.
  EXPECT_EQ(Backoff(policy, 5, 0.5), milliseconds(5000));
  EXPECT_EQ(Backoff(policy, 500, 0.5), milliseconds(5000));
  EXPECT_EQ(Backoff(policy, 0, 1.0), milliseconds(1000));
}

TEST(GiveUpTest, AfterTheRetryPeriodAndDisableAfterTheDisablePeriod) {
  RetryPolicy policy;
  const auto t0 = Clock::time_point(hours(1000));
  EXPECT_FALSE(GiveUp(policy, t0, t0 + hours(23)));
  EXPECT_TRUE(GiveUp(policy, t0, t0 + hours(24)));
  EXPECT_FALSE(ShouldDisable(policy, std::nullopt, t0 + hours(100)));
  EXPECT_FALSE(ShouldDisable(policy, t0, t0 + hours(23) + std::chrono::minutes(59)));
  EXPECT_TRUE(ShouldDisable(policy, t0, t0 + hours(24)));
}

TEST(DueHeadsTest, OnlyTheFirstPendingOfEachWebhookAndSubjectGoesWhenDue) {
  const std::vector<Pending> pending = {
      {1, "w1", "accounts/a", false},  // retrying later: a/w1 waits behind it
      {2, "w1", "accounts/b", true},   // head of b/w1
      {3, "w1", "accounts/a", true},   // behind 1
      {4, "w2", "accounts/a", true},   // another webhook: its own order
      {5, "w1", "accounts/b", true},   // behind 2
      {6, "w1", "accounts/c", true},
  };
  EXPECT_EQ(DueHeads(pending), (std::vector<int64_t>{2, 4, 6}));
  // Once 1 is delivered (gone from the queue), 3 is the head of a/w1.
  std::vector<Pending> after(pending.begin() + 1, pending.end());
  EXPECT_EQ(DueHeads(after), (std::vector<int64_t>{2, 3, 4, 6}));
  EXPECT_TRUE(DueHeads({}).empty());
}

TEST(ValidateTest, UrlSchemeAndSecret) {
  EXPECT_EQ(CheckUrl("https://hooks.example.com/accord"), "");
  EXPECT_EQ(CheckUrl("http://127.0.0.1:8080/"), "");
  EXPECT_NE(CheckUrl("ftp://example.com/"), "");
  EXPECT_NE(CheckUrl("example.com/hook"), "");
  EXPECT_NE(CheckUrl("http://"), "");
  EXPECT_NE(CheckUrl(""), "");
  EXPECT_NE(CheckUrl("not a url at all"), "");

  Webhook webhook;
  webhook.set_url("gopher://example.com");
  webhook.add_event_type_prefixes("");
  ApplyWebhookDefaults(webhook);
  common::Violations violations;
  ValidateWebhook(webhook, "webhook.", true, violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations.items()) fields.push_back(violation.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"webhook.url", "webhook.event_type_prefixes[0]",
                                              "webhook.secret"}));
}

TEST(MatchesTest, AnyPrefixOfEachListOrNone) {
  Webhook webhook;
  EXPECT_TRUE(Matches(webhook, "accord.account.v1.AccountCreated", "accounts/x"));
  webhook.add_event_type_prefixes("accord.account.v1.Account");
  webhook.add_event_type_prefixes("accord.contact.");
  EXPECT_TRUE(Matches(webhook, "accord.account.v1.AccountCreated", "accounts/x"));
  EXPECT_TRUE(Matches(webhook, "accord.contact.v1.ContactCreated", "contacts/y"));
  EXPECT_FALSE(Matches(webhook, "accord.account.v1.NeedCreated", "accounts/x/needs/1"));
  webhook.add_subject_prefixes("accounts/x");
  EXPECT_TRUE(Matches(webhook, "accord.account.v1.AccountUpdated", "accounts/x"));
  EXPECT_FALSE(Matches(webhook, "accord.account.v1.AccountUpdated", "accounts/z"));
}

TEST(PermissionTest, IntegrationAndAdminOnly) {
  EXPECT_TRUE(CheckManage({"i", {common::Role::kIntegration}}).ok());
  EXPECT_TRUE(CheckManage({"a", {common::Role::kAdmin}}).ok());
  EXPECT_EQ(CheckManage({"m", {common::Role::kAccountManager}}).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(SecretBoxTest, OpensOnlyForTheWebhookItWasSealedFor) {
  auto box = SecretBox::Create("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
  ASSERT_TRUE(box.ok()) << box.status();
  const std::string sealed = box->Seal("whsec-test-0123456789", "w1");
  EXPECT_EQ(sealed.find("whsec"), std::string::npos);
  auto opened = box->Open(sealed, "w1");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "whsec-test-0123456789");
  EXPECT_FALSE(box->Open(sealed, "w2").ok());
  EXPECT_FALSE(SecretBox::Create("c2hvcnQ=").ok());
}

// AIP-127: the gateway transcodes by these, so every method needs its route.
TEST(HttpRoutesTest, EveryMethodHasItsRoute) {
  const auto* service = v1::Webhook::descriptor()->file()->FindServiceByName("WebhookService");
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->method_count(), 7);
  std::map<std::string, std::string> routes;
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* method = service->method(i);
    ASSERT_TRUE(method->options().HasExtension(google::api::http)) << method->name();
    const auto& rule = method->options().GetExtension(google::api::http);
    std::string route;
    if (!rule.get().empty()) route = "GET " + rule.get();
    if (!rule.post().empty()) route = "POST " + rule.post();
    if (!rule.patch().empty()) route = "PATCH " + rule.patch();
    if (!rule.delete_().empty()) route = "DELETE " + rule.delete_();
    routes[method->name()] = route;
  }
  EXPECT_EQ(routes["CreateWebhook"], "POST /v1/webhooks");
  EXPECT_EQ(routes["GetWebhook"], "GET /v1/{name=webhooks/*}");
  EXPECT_EQ(routes["ListWebhooks"], "GET /v1/webhooks");
  EXPECT_EQ(routes["UpdateWebhook"], "PATCH /v1/{webhook.name=webhooks/*}");
  EXPECT_EQ(routes["DeleteWebhook"], "DELETE /v1/{name=webhooks/*}");
  EXPECT_EQ(routes["ListWebhookDeliveries"], "GET /v1/{parent=webhooks/*}/deliveries");
  EXPECT_EQ(routes["RedeliverWebhookEvent"], "POST /v1/{name=webhooks/*}:redeliver");
}

}  // namespace
}  // namespace accord::webhooks
