// The route table from the descriptors: every RPC of every service proto carries a
// google.api.http binding (a new RPC without one fails here), templates parse and match as
// AIP-127 says, and requests transcode by the JSON mapping.
#include "routes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "accord/common/errors.h"
#include "api_descriptors.h"
#include "embedded.h"
#include "http_error.h"
#include "openapi.h"
#include "transcode.h"

namespace accord::gateway {
namespace {

const ApiDescriptors& Api() { return ApiDescriptors::Embedded(); }

TEST(GatewayRoutesTest, EveryServiceProtoIsInTheDescriptorSet) {
  // The set is globbed from proto/accord at build time; this catches a stale or partial one.
  const auto root = std::filesystem::path(ACCORD_SOURCE_DIR) / "proto";
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "accord")) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name = std::filesystem::relative(entry.path(), root).string();
    // Not part of the suite: the bench's no-op and the kit's example service.
    if (name.rfind("accord/bench/", 0) == 0 || name.rfind("accord/example/", 0) == 0) continue;
    EXPECT_NE(Api().pool().FindFileByName(name), nullptr) << name;
    ++files;
  }
  EXPECT_GT(files, 20);
}

TEST(GatewayRoutesTest, EveryRpcHasAnHttpBinding) {
  const auto services = Api().Services();
  ASSERT_GE(services.size(), 15u);
  int methods = 0;
  for (const auto* service : services) methods += service->method_count();
  EXPECT_GE(methods, 100);
  const auto missing = UnannotatedMethods(Api());
  EXPECT_TRUE(missing.empty()) << "RPCs without a google.api.http annotation (AIP-127): "
                               << ::testing::PrintToString(missing);
  // And the table builds: every binding parses and names real fields.
  auto table = RouteTable::Build(Api());
  ASSERT_TRUE(table.ok()) << table.status();
  // One route per binding: every method has its own, and additional_bindings add more.
  std::set<const google::protobuf::MethodDescriptor*> routed;
  for (const auto& route : table->routes()) routed.insert(route.method);
  EXPECT_EQ(static_cast<int>(routed.size()), methods);
  EXPECT_GE(static_cast<int>(table->routes().size()), methods);
}

TEST(GatewayRoutesTest, NoTwoRoutesShareAMethodAndPath) {
  auto table = RouteTable::Build(Api());
  ASSERT_TRUE(table.ok());
  std::set<std::string> seen;
  for (const auto& route : table->routes()) {
    EXPECT_TRUE(seen.insert(route.http_method + " " + OpenApiPath(Api(), route)).second)
        << route.method->full_name() << " repeats " << route.http_method << " "
        << route.path.text();
    // Every service but the event stream has a backend.
    if (route.method->service()->full_name() != "accord.events.v1.EventService") {
      EXPECT_NE(route.backend, nullptr) << route.method->full_name();
    }
  }
}

TEST(GatewayPathTemplateTest, ParsesAndMatchesResourceNames) {
  auto path = PathTemplate::Parse("/v1/{account.name=accounts/*}");
  ASSERT_TRUE(path.ok());
  auto match = path->Match("/v1/accounts/0190abc");
  ASSERT_TRUE(match.has_value());
  ASSERT_EQ(match->size(), 1u);
  EXPECT_EQ((*match)[0].first, "account.name");
  EXPECT_EQ((*match)[0].second, "accounts/0190abc");
  EXPECT_FALSE(path->Match("/v1/accounts").has_value());
  EXPECT_FALSE(path->Match("/v1/accounts/a/b").has_value());
  EXPECT_FALSE(path->Match("/v1/contacts/a").has_value());
  // A verb this route lacks does not match it.
  EXPECT_FALSE(path->Match("/v1/accounts/a:merge").has_value());

  auto custom = PathTemplate::Parse("/v1/{name=accounts/*/tradingTerms/*}:approve");
  ASSERT_TRUE(custom.ok());
  auto approve = custom->Match("/v1/accounts/a/tradingTerms/t:approve");
  ASSERT_TRUE(approve.has_value());
  EXPECT_EQ((*approve)[0].second, "accounts/a/tradingTerms/t");
  EXPECT_FALSE(custom->Match("/v1/accounts/a/tradingTerms/t:reject").has_value());
  EXPECT_FALSE(custom->Match("/v1/accounts/a/tradingTerms/t").has_value());

  auto rest = PathTemplate::Parse("/v1/{path=files/**}");
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ((*rest->Match("/v1/files/a/b/c"))[0].second, "files/a/b/c");

  for (const char* bad : {"v1/x", "/v1/{name", "/v1/{na me=x}", "/v1/**/x", "/v1/x:", "/v1//x"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(GatewayRoutesTest, FindPrefersLiteralsAndCustomMethods) {
  auto table = RouteTable::Build(Api());
  ASSERT_TRUE(table.ok());
  auto batch = table->Find("GET", "/v1/accounts:batchGet");
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->route->method->name(), "BatchGetAccounts");
  auto get = table->Find("GET", "/v1/accounts/abc");
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->route->method->name(), "GetAccount");
  auto terms = table->Find("GET", "/v1/accounts/abc/tradingTerms:effective");
  ASSERT_TRUE(terms.has_value());
  EXPECT_EQ(terms->route->method->name(), "GetEffectiveTradingTerms");
  bool path_matched = false;
  EXPECT_FALSE(table->Find("PUT", "/v1/accounts/abc", &path_matched).has_value());
  EXPECT_TRUE(path_matched);
  EXPECT_FALSE(table->Find("GET", "/v1/nothing", &path_matched).has_value());
  EXPECT_FALSE(path_matched);
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Transcode(
    const RouteTable& table, const std::string& method, const std::string& target,
    const std::string& body, const std::string& if_match = "") {
  const size_t question = target.find('?');
  auto match = table.Find(method, target.substr(0, question));
  if (!match) return absl::NotFoundError("no route");
  TranscodeInput input;
  input.match = &*match;
  auto query = ParseQuery(question == std::string::npos ? "" : target.substr(question + 1));
  if (!query.ok()) return query.status();
  input.query = *query;
  input.body = body;
  input.if_match = if_match;
  return BuildRequest(Api(), input);
}

std::string Text(const google::protobuf::Message& message) { return message.ShortDebugString(); }

TEST(GatewayTranscodeTest, BuildsRequestsFromPathQueryAndBody) {
  auto table = RouteTable::Build(Api());
  ASSERT_TRUE(table.ok());
  auto get = Transcode(*table, "GET", "/v1/accounts/a%2Db", "");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(Text(**get), R"(name: "accounts/a-b")");

  auto list =
      Transcode(*table, "GET",
                "/v1/accounts?pageSize=25&page_token=t&filter=tier%20%3D%20KEY&orderBy=x+desc", "");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(Text(**list),
            R"(page_size: 25 page_token: "t" filter: "tier = KEY" order_by: "x desc")");

  // Repeated query parameters append.
  auto batch =
      Transcode(*table, "GET", "/v1/accounts:batchGet?names=accounts/a&names=accounts/b", "");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(Text(**batch), R"(names: "accounts/a" names: "accounts/b")");

  // PATCH: the body is the resource, its name from the path, the mask from the body's fields.
  auto patch = Transcode(*table, "PATCH", "/v1/accounts/a",
                         R"({"displayName":"X","name":"accounts/other","website":"w"})", "e1");
  ASSERT_TRUE(patch.ok()) << patch.status();
  EXPECT_EQ(Text(**patch), R"(account { name: "accounts/a" display_name: "X" website: "w" } )"
                           R"(update_mask { paths: "display_name" paths: "website" } etag: "e1")");
  auto masked =
      Transcode(*table, "PATCH", "/v1/accounts/a?updateMask=website", R"({"website":"w"})");
  ASSERT_TRUE(masked.ok()) << masked.status();
  EXPECT_EQ(Text(**masked),
            R"(account { name: "accounts/a" website: "w" } update_mask { paths: "website" })");

  // Custom method with body "*": the path wins over the body.
  auto merge = Transcode(*table, "POST", "/v1/accounts/s:merge",
                         R"({"survivor":"accounts/z","duplicate":"accounts/d"})");
  ASSERT_TRUE(merge.ok()) << merge.status();
  EXPECT_EQ(Text(**merge), R"(survivor: "accounts/s" duplicate: "accounts/d")");

  // Timestamps and enums as query text.
  auto report = Transcode(
      *table, "GET",
      "/v1/serviceReport?startTime=2026-01-01T00:00:00Z&endTime=2026-02-01T00:00:00Z", "");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Text(**report),
            R"(start_time { seconds: 1767225600 } end_time { seconds: 1769904000 })");
}

TEST(GatewayTranscodeTest, RefusesWhatDoesNotFit) {
  auto table = RouteTable::Build(Api());
  ASSERT_TRUE(table.ok());
  for (const auto& [method, target, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/v1/accounts?color=red", ""},
           {"GET", "/v1/accounts?pageSize=x", ""},
           {"GET", "/v1/accounts?pageSize=1&pageSize=2", ""},
           {"GET", "/v1/accounts/a", "{}"},                             // GET takes no body
           {"POST", "/v1/accounts", "{nope"},                           // not JSON
           {"POST", "/v1/accounts", R"({"unknown":1})"},                // not a field
           {"POST", "/v1/accounts:upsertByExternalId?system=x", "{}"},  // body "*" and a query
           {"GET", "/v1/accounts/a%zz", ""},                            // bad escape
       }) {
    auto result = Transcode(*table, method, target, body);
    ASSERT_FALSE(result.ok()) << method << " " << target;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  }
  // If-Match on a method without an etag.
  EXPECT_FALSE(Transcode(*table, "GET", "/v1/accounts/a", "", "e").ok());
}

TEST(GatewayTranscodeTest, ReadsTheClientsGrpcTimeout) {
  using std::chrono::nanoseconds;
  EXPECT_FALSE(ParseGrpcTimeout("").value().has_value());
  EXPECT_EQ(ParseGrpcTimeout("250m").value(), nanoseconds(250'000'000));
  EXPECT_EQ(ParseGrpcTimeout("2S").value(), nanoseconds(2'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("3M").value(), nanoseconds(180'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("1H").value(), nanoseconds(3'600'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("7u").value(), nanoseconds(7'000));
  EXPECT_EQ(ParseGrpcTimeout("1n").value(), nanoseconds(1));
  // The largest the form allows does not overflow: a year at most.
  EXPECT_EQ(ParseGrpcTimeout("99999999H").value(),
            std::chrono::duration_cast<nanoseconds>(std::chrono::hours(365 * 24)));
  for (std::string_view bad : {"S", "5", "5s", "-5S", "123456789S", "1.5S", " 5S"}) {
    auto parsed = ParseGrpcTimeout(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(GatewayHttpErrorTest, EveryGrpcCodeMapsToItsHttpStatus) {
  const std::vector<std::pair<grpc::StatusCode, int>> expected = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::CANCELLED, 499},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 400},
      {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::OUT_OF_RANGE, 400},
      {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
  };
  for (const auto& [code, http] : expected) {
    EXPECT_EQ(HttpStatusFor(code), http) << code;
    if (code == grpc::StatusCode::OK) continue;
    // Without the service's details (a transport failure) the message is the gateway's own.
    HttpError error = RenderError(Api(), grpc::Status(code, "ipv4:10.1.2.3:50051 refused"));
    EXPECT_EQ(error.http_status, http);
    EXPECT_EQ(error.json.find("10.1.2.3"), std::string::npos) << error.json;
    EXPECT_EQ(nlohmann::json::parse(error.json)["code"], static_cast<int>(code));
  }
}

TEST(GatewayHttpErrorTest, KeepsTheServiceDetailsAndRetryDelay) {
  absl::Status status =
      common::WithRetryDelay(common::InvalidArgument("account.display_name", "must not be empty"),
                             std::chrono::milliseconds(2500));
  HttpError error = RenderError(Api(), status);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.retry_after_seconds, 3);
  auto json = nlohmann::json::parse(error.json);
  EXPECT_EQ(json["code"], 3);
  bool field_named = false;
  for (const auto& detail : json["details"]) {
    if (detail["@type"] == "type.googleapis.com/google.rpc.BadRequest") {
      field_named = detail["fieldViolations"][0]["field"] == "account.display_name";
    }
  }
  EXPECT_TRUE(field_named) << error.json;
}

TEST(GatewayOpenApiTest, ListsEveryRouteWithSchemasAndBearerAuth) {
  auto document = nlohmann::json::parse(EmbeddedOpenApi());
  auto table = RouteTable::Build(Api());
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(document["openapi"], "3.0.3");
  EXPECT_EQ(document["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  for (const auto& route : table->routes()) {
    std::string method = route.http_method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string path = OpenApiPath(Api(), route);
    ASSERT_TRUE(document["paths"].contains(path)) << path;
    ASSERT_TRUE(document["paths"][path].contains(method)) << method << " " << path;
    const auto& operation = document["paths"][path][method];
    EXPECT_TRUE(operation["responses"].contains("default")) << path;
  }
  EXPECT_TRUE(document["components"]["schemas"].contains("accord.account.v1.Account"));
  EXPECT_TRUE(document["components"]["schemas"].contains("google.rpc.Status"));
  EXPECT_EQ(document["paths"]["/v1/accounts/{account}"]["get"]["parameters"][0]["name"], "account");
}

}  // namespace
}  // namespace accord::gateway
