// Safety at the edge: CORS, body and header limits, a slow client, the per-client concurrency
// limit; static files; Server-Sent Events resumed with Last-Event-ID across a gateway restart.
#include <filesystem>
#include <fstream>
#include <thread>

#include "gateway_fixture.h"

namespace accord::gateway {
namespace {

TEST_F(GatewayTest, CorsAllowsOnlyConfiguredOrigins) {
  // None by default: a cross-origin call is refused, a same-origin one is not.
  HttpReply refused =
      Http(port_, "GET", "/v1/accounts", "", {Bearer(), {"Origin", "https://evil.example"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Json()["details"][0]["reason"], "ORIGIN_NOT_ALLOWED");
  EXPECT_EQ(refused.Header("access-control-allow-origin"), "");
  HttpReply same = Http(port_, "GET", "/v1/accounts", "",
                        {Bearer(), {"Origin", "http://127.0.0.1:" + std::to_string(port_)}});
  EXPECT_EQ(same.status, 200) << same.body;

  GatewaySettings settings = backends_->Settings();
  settings.cors_origins = {"https://console.example"};
  auto gateway = StartGateway(settings);
  HttpReply preflight = Http(gateway->port(), "OPTIONS", "/v1/accounts", "",
                             {{"Origin", "https://console.example"},
                              {"Access-Control-Request-Method", "PATCH"},
                              {"Access-Control-Request-Headers", "authorization, if-match"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), "https://console.example");
  EXPECT_NE(preflight.Header("access-control-allow-methods").find("PATCH"), std::string::npos);
  EXPECT_NE(preflight.Header("access-control-allow-headers").find("If-Match"), std::string::npos);
  HttpReply allowed = Http(gateway->port(), "GET", "/v1/accounts", "",
                           {Bearer(), {"Origin", "https://console.example"}});
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), "https://console.example");
  EXPECT_NE(allowed.Header("access-control-expose-headers").find("ETag"), std::string::npos);
  HttpReply other_preflight =
      Http(gateway->port(), "OPTIONS", "/v1/accounts", "",
           {{"Origin", "https://other.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(other_preflight.status, 403);
}

TEST_F(GatewayTest, LimitsOnBodyHeadersAndSlowClients) {
  // A 10 MiB body: 413 before the service sees it.
  const std::string big(10 * 1024 * 1024, 'x');
  HttpReply too_big = Http(port_, "POST", "/v1/accounts", big, {Bearer()});
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.Json()["details"][0]["reason"], "REQUEST_TOO_LARGE");

  // 10 000 headers: 431.
  std::vector<std::pair<std::string, std::string>> many = {Bearer()};
  for (int i = 0; i < 10000; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(Http(port_, "GET", "/v1/accounts", "", many).status, 431);
  // Within the byte limit but past the count.
  std::vector<std::pair<std::string, std::string>> counted = {Bearer()};
  for (int i = 0; i < 150; ++i) counted.emplace_back("X-" + std::to_string(i), "v");
  EXPECT_EQ(Http(port_, "GET", "/v1/accounts", "", counted).status, 431);

  // A client that stops half-way through its headers is cut off.
  GatewaySettings settings = backends_->Settings();
  settings.http.read_timeout = std::chrono::milliseconds(300);
  auto gateway = StartGateway(settings);
  RawConnection slow(gateway->port(), std::chrono::seconds(5));
  ASSERT_TRUE(slow.Send("GET /v1/accounts HTTP/1.1\r\nHost: x\r\n"));
  const auto start = std::chrono::steady_clock::now();
  slow.ReadToEnd();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(slow.received, "");

  // The server still serves others.
  EXPECT_EQ(Http(gateway->port(), "GET", "/v1/accounts", "", {Bearer()}).status, 200);
}

TEST_F(GatewayTest, ConcurrencyLimitPerClientAnswers429WithRetryAfter) {
  GatewaySettings settings = backends_->Settings();
  settings.max_calls_per_client = 1;
  auto gateway = StartGateway(settings);
  // An open event stream holds the client's only slot.
  RawConnection stream(gateway->port());
  ASSERT_TRUE(
      stream.Send("GET /v1/events/account HTTP/1.1\r\nHost: x\r\nAccept: "
                  "text/event-stream\r\nAuthorization: Bearer " +
                  AdminToken() + "\r\n\r\n"));
  ASSERT_TRUE(stream.ReadUntil("\n\n")) << stream.received;
  EXPECT_EQ(ParseReply(stream.received).status, 200);
  HttpReply limited = Http(gateway->port(), "GET", "/v1/accounts", "", {Bearer()});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("retry-after"), "1");
  EXPECT_EQ(limited.Json()["details"][0]["reason"], "TOO_MANY_CONCURRENT_CALLS") << limited.body;
}

// Reads SSE frames until one whose data mentions `needle`; returns its id.
std::string ReadEventId(RawConnection& stream, const std::string& needle) {
  while (true) {
    size_t at = stream.received.find(needle);
    if (at != std::string::npos) {
      size_t frame = stream.received.rfind("\n\n", at);
      frame = frame == std::string::npos ? 0 : frame + 2;
      size_t id = stream.received.find("id: ", frame);
      if (id == std::string::npos || id > at) return "";
      return stream.received.substr(id + 4, stream.received.find('\n', id) - id - 4);
    }
    if (!stream.ReadSome()) return "";
  }
}

std::string CreateAccount(int port, const std::string& display_name) {
  HttpReply created =
      Http(port, "POST", "/v1/accounts",
           R"({"displayName":")" + display_name + R"(","type":"ORGANIZATION_TYPE_COMMERCIAL"})",
           {Bearer()});
  EXPECT_EQ(created.status, 200) << created.body;
  return created.Json().value("name", "");
}

TEST_F(GatewayTest, EventStreamResumesAfterLastEventIdAcrossARestart) {
  // EventSource cannot set headers: the token as access_token, on streams only.
  RawConnection stream(port_);
  ASSERT_TRUE(stream.Send(
      "GET /v1/events/account?typePrefix=accord.account.v1.AccountCreated&access_token=" +
      AdminToken() + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
  ASSERT_TRUE(stream.ReadUntil("retry: 2000\n\n")) << stream.received;
  const std::string first = CreateAccount(port_, "SSE First");
  const std::string id = ReadEventId(stream, first);
  ASSERT_FALSE(id.empty()) << stream.received;
  EXPECT_EQ(ParseReply(stream.received).Header("content-type"), "text/event-stream");

  // The gateway restarts (the stream breaks with it); another account is created before the
  // client reconnects.
  gateway_.reset();
  EXPECT_FALSE(stream.ReadUntil("never sent")) << "the stream ends with the gateway";
  gateway_ = StartGateway(backends_->Settings());
  port_ = gateway_->port();
  const std::string second = CreateAccount(port_, "SSE Second");

  RawConnection resumed(port_);
  ASSERT_TRUE(
      resumed.Send("GET /v1/events/account?typePrefix=accord.account.v1.AccountCreated "
                   "HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nLast-Event-ID: " +
                   id + "\r\nAuthorization: Bearer " + AdminToken() + "\r\n\r\n"));
  const std::string next = ReadEventId(resumed, second);
  EXPECT_FALSE(next.empty()) << resumed.received;
  // Exactly after the last event seen: the first account is not sent again.
  EXPECT_EQ(resumed.received.find("\"" + first + "\""), std::string::npos) << resumed.received;

  // A refused stream is an HTTP error, not an event stream (EventSource then stops retrying).
  HttpReply anonymous = Http(port_, "GET", "/v1/events/account");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  HttpReply sales = Http(port_, "GET", "/v1/events/account", "",
                         {Bearer(testing::TokenFor("sam", {common::Role::kAccountManager}))});
  EXPECT_EQ(sales.status, 403);
  EXPECT_EQ(Http(port_, "GET", "/v1/events/nothing", "", {Bearer()}).status, 404);
  // access_token is for streams only.
  EXPECT_EQ(Http(port_, "GET", "/v1/accounts?access_token=" + AdminToken()).status, 400);
}

TEST_F(GatewayTest, ServesStaticFilesWithIndexFallback) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gateway-static-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html><title>console</title>";
  std::ofstream(dir / "assets" / "app.js") << "console.log(1)";
  std::ofstream(dir / "assets" / "app.css") << "body{}";
  std::ofstream(dir.parent_path() / "gateway-secret.txt") << "secret";
  GatewaySettings settings = backends_->Settings();
  settings.static_dir = dir.string();
  auto gateway = StartGateway(settings);
  const int port = gateway->port();

  HttpReply index = Http(port, "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("console"), std::string::npos);
  HttpReply js = Http(port, "GET", "/assets/app.js");
  EXPECT_EQ(js.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(Http(port, "GET", "/assets/app.css").Header("content-type"), "text/css; charset=utf-8");
  // A client-side route gets index.html; the API keeps its JSON 404.
  HttpReply route = Http(port, "GET", "/accounts/123/edit");
  EXPECT_EQ(route.status, 200);
  EXPECT_NE(route.body.find("console"), std::string::npos);
  EXPECT_EQ(Http(port, "GET", "/v1/unknown", "", {Bearer()}).Header("content-type"),
            "application/json");
  // No way out of the directory.
  for (const char* escape : {"/../gateway-secret.txt", "/%2e%2e/gateway-secret.txt",
                             "/assets/..%2f..%2fgateway-secret.txt"}) {
    HttpReply reply = Http(port, "GET", escape);
    EXPECT_EQ(reply.body.find("secret"), std::string::npos) << escape;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir.parent_path() / "gateway-secret.txt");
}

TEST_F(GatewayTest, ServesItsOpenApiDocument) {
  HttpReply reply = Http(port_, "GET", "/openapi.json");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, std::string(EmbeddedOpenApi()));
}

}  // namespace
}  // namespace accord::gateway
