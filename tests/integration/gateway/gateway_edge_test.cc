// Safety at the edge: CORS, body and header limits, a slow client, the per-client concurrency
// limit; static files; Server-Sent Events resumed with Last-Event-ID across a gateway restart.
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "accord/account/v1/account.pb.h"
#include "accord/events/v1/events.pb.h"
#include "gateway_fixture.h"
#include "grpc_web.h"

namespace accord::gateway {
namespace {

TEST_F(GatewayTest, CorsAllowsOnlyConfiguredOrigins) {
  // None by default: a cross-origin call is refused, a same-origin one is not.
  HttpReply refused =
      Http(port_, "GET", "/v1/accounts", "", {Bearer(), {"Origin", "https://evil.example"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(ReasonOf(refused), "ORIGIN_NOT_ALLOWED");
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
  EXPECT_EQ(ReasonOf(too_big), "REQUEST_TOO_LARGE");

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
  EXPECT_EQ(ReasonOf(limited), "TOO_MANY_CONCURRENT_CALLS") << limited.body;
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
  HttpReply roleless =
      Http(port_, "GET", "/v1/events/account", "", {Bearer(testing::TokenFor("sam", {}))});
  EXPECT_EQ(roleless.status, 403);
  EXPECT_EQ(Http(port_, "GET", "/v1/events/nothing", "", {Bearer()}).status, 404);
  // access_token is for streams only.
  EXPECT_EQ(Http(port_, "GET", "/v1/accounts?access_token=" + AdminToken()).status, 400);
}

// A gRPC-Web call as a browser's grpc-web client sends it: one framed message in a POST.
RawConnection GrpcWebCall(int port, const std::string& path, const std::string& message, bool text,
                          const std::string& extra_headers = "") {
  RawConnection connection(port);
  std::string body = GrpcWebFrame(message);
  if (text) body = absl::Base64Escape(body);
  connection.Send("POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                  "Content-Type: application/grpc-web" + (text ? "-text" : "") +
                  "+proto\r\nX-Grpc-Web: 1\r\nAuthorization: Bearer " + AdminToken() + "\r\n" +
                  extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                  body);
  return connection;
}

// grpc-web-text bodies are base64 chunks, each padded on its own.
std::string DecodeChunks(const std::string& text) {
  std::string out, chunk;
  for (size_t i = 0; i + 4 <= text.size(); i += 4) {
    chunk += text.substr(i, 4);
    if (text.substr(i, 4).find('=') != std::string::npos || i + 4 == text.size()) {
      std::string decoded;
      absl::Base64Unescape(chunk, &decoded);
      out += decoded;
      chunk.clear();
    }
  }
  return out;
}

TEST_F(GatewayTest, GrpcWebUnaryAndServerStreaming) {
  const std::string name = CreateAccount(port_, "Web Ltd");
  account::v1::GetAccountRequest get;
  get.set_name(name);
  for (bool text : {false, true}) {
    SCOPED_TRACE(text ? "grpc-web-text" : "grpc-web");
    auto call = GrpcWebCall(port_, "/accord.account.v1.AccountService/GetAccount",
                            get.SerializeAsString(), text);
    call.ReadToEnd();
    HttpReply reply = ParseReply(call.received);
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.Header("content-type"),
              text ? "application/grpc-web-text+proto" : "application/grpc-web+proto");
    const std::string body = text ? DecodeChunks(reply.body) : reply.body;
    auto messages = GrpcWebMessages(body);
    ASSERT_TRUE(messages.ok());
    ASSERT_EQ(messages->size(), 1u);
    account::v1::Account account;
    ASSERT_TRUE(account.ParseFromString((*messages)[0]));
    EXPECT_EQ(account.name(), name);
    EXPECT_NE(body.find("grpc-status: 0\r\n"), std::string::npos);
  }
  // An error is the trailer alone, with the service's details.
  account::v1::GetAccountRequest missing;
  missing.set_name("accounts/00000000-0000-7000-8000-000000000000");
  auto error = GrpcWebCall(port_, "/accord.account.v1.AccountService/GetAccount",
                           missing.SerializeAsString(), false);
  error.ReadToEnd();
  HttpReply refused = ParseReply(error.received);
  EXPECT_EQ(refused.status, 200);
  EXPECT_NE(refused.body.find("grpc-status: 5\r\n"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("grpc-status-details-bin: "), std::string::npos);
  // A malformed grpc-timeout is refused before any call.
  auto malformed = GrpcWebCall(port_, "/accord.account.v1.AccountService/GetAccount",
                               get.SerializeAsString(), false, "grpc-timeout: soon\r\n");
  malformed.ReadToEnd();
  EXPECT_NE(ParseReply(malformed.received).body.find("grpc-status: 3\r\n"), std::string::npos)
      << malformed.received;
  auto unknown = GrpcWebCall(port_, "/accord.account.v1.AccountService/NoSuchMethod", "", false);
  unknown.ReadToEnd();
  EXPECT_NE(ParseReply(unknown.received).body.find("grpc-status: 12\r\n"), std::string::npos);

  // Server streaming: Subscribe on the account service's stream, frame by frame.
  events::v1::SubscribeRequest subscribe;
  subscribe.set_type_prefix("accord.account.v1.AccountCreated");
  auto stream = GrpcWebCall(port_, "/accord.events.v1.EventService/Subscribe",
                            subscribe.SerializeAsString(), false, "X-Accord-Service: account\r\n");
  ASSERT_TRUE(stream.ReadUntil("\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the subscription is open
  const std::string created = CreateAccount(port_, "Web Streamed");
  ASSERT_TRUE(stream.ReadUntil(created)) << stream.received;
  HttpReply head = ParseReply(stream.received);
  EXPECT_EQ(head.status, 200);
  // The body so far is whole frames up to the event (the stream stays open).
  std::string body = head.body;
  events::v1::SubscribeResponse event;
  std::string cursor;
  size_t at = 0;
  while (at + 5 <= body.size()) {
    const uint32_t size =
        (static_cast<uint8_t>(body[at + 1]) << 24) | (static_cast<uint8_t>(body[at + 2]) << 16) |
        (static_cast<uint8_t>(body[at + 3]) << 8) | static_cast<uint8_t>(body[at + 4]);
    if (at + 5 + size > body.size()) break;
    if (event.ParseFromString(body.substr(at + 5, size)) && event.event().subject() == created) {
      cursor = event.cursor();
    }
    at += 5 + size;
  }
  EXPECT_FALSE(cursor.empty()) << "no frame carried the new account's event";
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
