// Every HTTP route answers as its gRPC method does; the account resource end to end over JSON
// (create, read, PATCH with a derived mask, ETag / If-Match, list, delete); errors.
#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <future>

#include "accord/common/metrics.h"
#include "gateway_fixture.h"
#include "http_error.h"
#include "support/black_hole.h"
#include "transcode.h"

namespace accord::gateway {

ServiceSuite* GatewayTest::backends_ = nullptr;

namespace {

// The route's path with every `*` a placeholder id, e.g. /v1/accounts/gw-missing:merge.
std::string SamplePath(const Route& route) {
  std::string path;
  for (const auto& segment : route.path.segments()) {
    path +=
        "/" + (segment.kind == PathTemplate::Segment::Kind::kLiteral ? segment.literal
                                                                     : std::string("gw-missing"));
  }
  if (!route.path.verb().empty()) path += ":" + route.path.verb();
  return path;
}

std::string Slurp(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  (void)buffer.Dump(&slices);
  for (const auto& slice : slices)
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

// The same request made directly over gRPC: the status and, if OK, the response as JSON.
std::pair<grpc::Status, std::string> CallDirect(const std::shared_ptr<grpc::Channel>& channel,
                                                const Route& route,
                                                const google::protobuf::Message& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + AdminToken());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1), out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, route.grpc_path(), grpc::StubOptions(), &in, &out,
                 [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  std::string json;
  if (status.ok()) {
    auto response = ApiDescriptors::Embedded().NewMessage(route.method->output_type());
    EXPECT_TRUE(response->ParseFromString(Slurp(out)));
    json = *ResponseJson(*response, route);
  }
  return {status, json};
}

nlohmann::json SortedDetails(nlohmann::json status) {
  if (status.contains("details")) {
    std::sort(status["details"].begin(), status["details"].end(),
              [](const nlohmann::json& a, const nlohmann::json& b) { return a.dump() < b.dump(); });
  }
  return status;
}

// `answer` without any computeTime, at any depth (an overview carries its insights').
nlohmann::json WithoutComputeTime(nlohmann::json answer) {
  if (answer.is_object()) answer.erase("computeTime");
  if (answer.is_structured()) {
    for (auto& child : answer) child = WithoutComputeTime(std::move(child));
  }
  return answer;
}

TEST_F(GatewayTest, EveryRouteAnswersAsItsGrpcMethodDoes) {
  const auto& api = ApiDescriptors::Embedded();
  int compared = 0, ok_reads = 0;
  for (const auto& route : gateway_->routes().routes()) {
    if (route.method->server_streaming()) continue;  // the SSE tests cover the stream
    SCOPED_TRACE(route.method->full_name() + " " + route.http_method + " " + route.path.text());
    const std::string path = SamplePath(route);
    const std::string body = route.body.empty() ? "" : "{}";
    HttpReply reply = Http(port_, route.http_method, path, body, {Bearer()});

    // The request the gateway builds for it, sent directly.
    auto match = gateway_->routes().Find(route.http_method, path);
    ASSERT_TRUE(match.has_value());
    ASSERT_EQ(match->route, &route) << "another route shadows this one";
    TranscodeInput input;
    input.match = &*match;
    input.body = body;
    auto request = BuildRequest(api, input);
    ASSERT_TRUE(request.ok()) << request.status();
    const std::string backend = route.backend != nullptr ? route.backend->name : "account";
    auto [status, json] = CallDirect(backends_->Channel(backend), route, **request);

    EXPECT_EQ(reply.status, HttpStatusFor(status.error_code())) << reply.body;
    if (status.ok()) {
      if (route.http_method == "GET") {
        // A read answers the same both ways; a computed answer stamps its computeTime with the
        // second it was made, which two calls may straddle.
        EXPECT_EQ(WithoutComputeTime(reply.Json()),
                  WithoutComputeTime(nlohmann::json::parse(json)));
        ++ok_reads;
      } else {
        EXPECT_TRUE(reply.Json().is_object()) << reply.body;
      }
    } else {
      // The error is the service's own, with its details, code and message.
      // (A service lists its details in no set order: compare them as a set.)
      EXPECT_EQ(SortedDetails(reply.Json()),
                SortedDetails(nlohmann::json::parse(RenderError(api, status).json)));
      EXPECT_EQ(reply.Json()["code"], static_cast<int>(status.error_code()));
    }
    ++compared;
  }
  EXPECT_GE(compared, 100);
  EXPECT_GE(ok_reads, 10);  // the Lists
}

TEST_F(GatewayTest, AccountOverJsonWithEtags) {
  HttpReply created =
      Http(port_, "POST", "/v1/accounts",
           R"({"displayName":"Gateway Ltd","type":"ORGANIZATION_TYPE_COMMERCIAL"})", {Bearer()});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string name = created.Json()["name"];
  const std::string etag = created.Json()["etag"];
  EXPECT_EQ(created.Header("etag"), "\"" + etag + "\"");
  EXPECT_EQ(created.Header("content-type"), "application/json");
  EXPECT_FALSE(created.Header("x-request-id").empty());

  HttpReply got = Http(port_, "GET", "/v1/" + name, "", {Bearer()});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Json()["displayName"], "Gateway Ltd");
  EXPECT_EQ(got.Header("etag"), created.Header("etag"));

  // A stale If-Match is the service's ABORTED (409), reason ETAG_MISMATCH.
  HttpReply stale = Http(port_, "PATCH", "/v1/" + name, R"({"displayName":"Renamed"})",
                         {Bearer(), {"If-Match", "\"not-the-etag\""}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(stale.Json()["code"], 10);
  EXPECT_EQ(ReasonOf(stale), "ETAG_MISMATCH") << stale.body;

  // The update mask comes from the body's fields; other fields keep their values.
  HttpReply patched = Http(port_, "PATCH", "/v1/" + name, R"({"displayName":"Renamed"})",
                           {Bearer(), {"If-Match", created.Header("etag")}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["displayName"], "Renamed");
  EXPECT_EQ(patched.Json()["type"], "ORGANIZATION_TYPE_COMMERCIAL");
  EXPECT_NE(patched.Header("etag"), created.Header("etag"));

  // An explicit update_mask in the query wins over the body's fields.
  HttpReply masked = Http(port_, "PATCH", "/v1/" + name + "?updateMask=displayName",
                          R"({"displayName":"Masked","website":"https://x.example"})",
                          {Bearer(), {"If-Match", patched.Header("etag")}});
  ASSERT_EQ(masked.status, 200) << masked.body;
  EXPECT_EQ(masked.Json()["displayName"], "Masked");
  EXPECT_FALSE(masked.Json().contains("website"));

  HttpReply listed =
      Http(port_, "GET", "/v1/accounts?pageSize=1&orderBy=display_name", "", {Bearer()});
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.Json()["accounts"].size(), 1u);

  HttpReply deleted =
      Http(port_, "DELETE", "/v1/" + name, "", {Bearer(), {"If-Match", masked.Header("etag")}});
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Http(port_, "GET", "/v1/" + name, "", {Bearer()}).status, 404);
}

TEST_F(GatewayTest, ErrorsAreStatusJsonWithoutInternals) {
  // No token: the service's UNAUTHENTICATED; the gateway grants nothing.
  HttpReply anonymous = Http(port_, "GET", "/v1/accounts");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Json()["code"], 16);

  HttpReply no_route = Http(port_, "GET", "/v1/nothing-here", "", {Bearer()});
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(ReasonOf(no_route), "NO_ROUTE");
  EXPECT_EQ(Http(port_, "PUT", "/v1/accounts", "{}", {Bearer()}).status, 405);

  HttpReply bad_json = Http(port_, "POST", "/v1/accounts", "{not json", {Bearer()});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_TRUE(HasDetail(bad_json, "type.googleapis.com/google.rpc.BadRequest")) << bad_json.body;
  HttpReply unknown_field = Http(port_, "POST", "/v1/accounts", R"({"noSuchField":1})", {Bearer()});
  EXPECT_EQ(unknown_field.status, 400);
  HttpReply unknown_param = Http(port_, "GET", "/v1/accounts?color=red", "", {Bearer()});
  EXPECT_EQ(unknown_param.status, 400);
  EXPECT_NE(unknown_param.body.find("color"), std::string::npos);
  EXPECT_EQ(Http(port_, "GET", "/v1/accounts?pageSize=many", "", {Bearer()}).status, 400);

  // A service that cannot be reached: 503, Retry-After, and no address or gRPC text.
  GatewaySettings settings = backends_->Settings();
  settings.backends["account"].address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  settings.backends["account"].deadline = std::chrono::milliseconds(1000);
  auto down = StartGateway(settings);
  HttpReply unavailable = Http(down->port(), "GET", "/v1/accounts/x", "", {Bearer()});
  EXPECT_EQ(unavailable.status, 503) << unavailable.body;
  EXPECT_EQ(unavailable.Header("retry-after"), "1");
  EXPECT_EQ(unavailable.Json()["message"], "the service is unavailable; retry later");
  EXPECT_EQ(unavailable.body.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(ReasonOf(unavailable), "SERVICE_UNREACHABLE");
  // The other services still answer.
  EXPECT_EQ(Http(down->port(), "GET", "/v1/contacts", "", {Bearer()}).status, 200);
}

TEST_F(GatewayTest, TheClientsGrpcTimeoutShortensTheDeadline) {
  const std::string path = "/v1/accounts/00000000-0000-7000-8000-000000000000";
  // A timeout that leaves time: the service's own answer; one past the backend's deadline does
  // not lengthen it.
  EXPECT_EQ(Http(port_, "GET", path, "", {Bearer(), {"grpc-timeout", "10S"}}).status, 404);
  EXPECT_EQ(Http(port_, "GET", path, "", {Bearer(), {"grpc-timeout", "99999999H"}}).status, 404);
  HttpReply malformed = Http(port_, "GET", path, "", {Bearer(), {"grpc-timeout", "soon"}});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("grpc-timeout"), std::string::npos) << malformed.body;
  // An event stream refuses a malformed one before it opens.
  EXPECT_EQ(Http(port_, "GET", "/v1/events/account", "", {Bearer(), {"grpc-timeout", "x"}}).status,
            400);

  // A backend that never answers, with a deadline of a minute: the client's 300 ms end the call
  // (504, DEADLINE_EXCEEDED) long before.
  testing::BlackHole silent;
  ASSERT_TRUE(silent.listening());
  GatewaySettings settings = backends_->Settings();
  settings.backends["account"].address = "127.0.0.1:" + std::to_string(silent.port());
  settings.backends["account"].deadline = std::chrono::minutes(1);
  auto gateway = StartGateway(settings);
  const auto start = std::chrono::steady_clock::now();
  HttpReply late = Http(gateway->port(), "GET", path, "", {Bearer(), {"grpc-timeout", "300m"}});
  EXPECT_EQ(late.status, 504) << late.body;
  EXPECT_EQ(late.Json()["code"], 4);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(GatewayTest, CountsEachAnswerByRouteAndStatus) {
  auto counter = [](const std::string& status) -> common::Counter& {
    return common::MetricsRegistry::Global().GetCounter(
        "accord_gateway_requests_total", "HTTP requests answered, by route and status",
        {{"route", "accord.account.v1.AccountService/GetAccount"}, {"status", status}});
  };
  const double not_found = counter("404").value(), refused = counter("401").value();
  const std::string path = "/v1/accounts/00000000-0000-7000-8000-000000000000";
  EXPECT_EQ(Http(port_, "GET", path, "", {Bearer()}).status, 404);
  EXPECT_EQ(Http(port_, "GET", path, "", {Bearer()}).status, 404);
  EXPECT_EQ(Http(port_, "GET", path).status, 401);
  EXPECT_EQ(counter("404").value(), not_found + 2);
  EXPECT_EQ(counter("401").value(), refused + 1);
  const std::string text = common::MetricsRegistry::Global().RenderText();
  EXPECT_NE(text.find("accord_gateway_request_seconds_bucket{route=\"accord.account.v1."
                      "AccountService/GetAccount\""),
            std::string::npos);
}

TEST_F(GatewayTest, RequestIdIsKeptAndEchoed) {
  HttpReply reply =
      Http(port_, "GET", "/v1/accounts/00000000-0000-7000-8000-000000000000", "",
           {Bearer(),
            {"X-Request-Id", "gw-req-42"},
            {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
  EXPECT_EQ(reply.status, 404) << reply.body;
  EXPECT_EQ(reply.Header("x-request-id"), "gw-req-42");
}

}  // namespace
}  // namespace accord::gateway
