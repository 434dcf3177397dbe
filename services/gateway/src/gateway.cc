#include "gateway.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "http_error.h"
#include "transcode.h"

namespace accord::gateway {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kJson[] = "application/json";
constexpr char kExposedHeaders[] = "ETag, Retry-After, X-Request-Id";
constexpr char kAllowedHeaders[] =
    "Authorization, Content-Type, If-Match, X-Request-Id, Traceparent, Last-Event-ID";

HttpResponse ErrorResponse(const HttpError& error, const Headers& extra) {
  HttpResponse response;
  response.status = error.http_status;
  response.headers = extra;
  response.headers.emplace_back("Content-Type", kJson);
  if (error.retry_after_seconds) {
    response.headers.emplace_back("Retry-After", std::to_string(*error.retry_after_seconds));
  }
  response.body = error.json;
  return response;
}

// "http://host:port" names the same origin as a request to Host "host:port".
bool SameOrigin(std::string_view origin, std::string_view host) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.substr(0, scheme.size()) == scheme) {
      return !host.empty() && origin.substr(scheme.size()) == host;
    }
  }
  return false;
}

// x-request-id from the client if it is a sane token, else a new one.
std::string RequestIdFrom(std::string_view header) {
  if (header.empty() || header.size() > 128) return common::NewUuidV7();
  for (char c : header) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return common::NewUuidV7();
    }
  }
  return std::string(header);
}

std::string TraceIdFrom(std::string_view traceparent) {
  if (traceparent.size() >= 55 && traceparent[2] == '-' && traceparent[35] == '-') {
    return std::string(traceparent.substr(3, 32));
  }
  return {};
}

std::string Unquote(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
    tag = tag.substr(1, tag.size() - 2);
  }
  return std::string(tag);
}

std::string BufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

grpc::ByteBuffer StringToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string ContentTypeFor(const std::filesystem::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  auto it = types.find(absl::AsciiStrToLower(file.extension().string()));
  return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace

struct Gateway::CallMetrics {
  std::string label;
  common::Histogram* latency = nullptr;
  void Record(int http_status, std::chrono::steady_clock::time_point start) {
    common::MetricsRegistry::Global()
        .GetCounter("accord_gateway_requests_total", "HTTP requests answered, by route and status",
                    {{"route", label}, {"status", std::to_string(http_status)}})
        .Increment();
    latency->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
};

GatewaySettings ReadGatewaySettings(common::ConfigReader& config) {
  GatewaySettings s;
  s.http_address = config.String("ACCORD_GATEWAY_HTTP_ADDRESS", s.http_address,
                                 "host:port the HTTP API listens on (port 0 picks a free one)");
  s.http.address = s.http_address;
  s.grpc_address = config.String("ACCORD_GRPC_ADDRESS", s.grpc_address,
                                 "host:port of the gateway's gRPC health service");
  s.metrics_address = config.String("ACCORD_METRICS_ADDRESS", s.metrics_address,
                                    "host:port serving Prometheus metrics at /metrics");
  s.log_level = config.Choice("ACCORD_LOG_LEVEL", "info", {"debug", "info", "warn", "error"},
                              "least severe level logged");
  s.http.threads = config.Int("ACCORD_GATEWAY_THREADS", 2, 1, 256, "threads serving HTTP");
  s.http.max_body_bytes = static_cast<size_t>(
      config.Int("ACCORD_GATEWAY_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024,
                 "largest request body accepted (413 beyond)"));
  s.http.max_header_bytes =
      static_cast<size_t>(config.Int("ACCORD_GATEWAY_MAX_HEADER_BYTES", 32 * 1024, 4 * 1024,
                                     1024 * 1024, "largest header block accepted (431 beyond)"));
  s.http.max_headers = static_cast<size_t>(config.Int("ACCORD_GATEWAY_MAX_HEADERS", 100, 10, 10000,
                                                      "most header lines accepted (431 beyond)"));
  s.http.read_timeout =
      config.Millis("ACCORD_GATEWAY_READ_TIMEOUT_MS", s.http.read_timeout,
                    "a client must send its whole request within this (408 beyond)");
  s.http.idle_timeout = config.Millis("ACCORD_GATEWAY_IDLE_TIMEOUT_MS", s.http.idle_timeout,
                                      "an idle kept-alive connection is closed after this");
  const std::string origins =
      config.String("ACCORD_GATEWAY_CORS_ORIGINS", "",
                    "comma-separated origins browsers may call from (none by default; * = any)");
  for (auto origin : absl::StrSplit(origins, ',', absl::SkipWhitespace())) {
    s.cors_origins.emplace_back(absl::StripAsciiWhitespace(origin));
  }
  s.max_calls_per_client =
      config.Int("ACCORD_GATEWAY_MAX_CALLS_PER_CLIENT", s.max_calls_per_client, 1, 1000000,
                 "calls (and event streams) one client address may have open (429 beyond)");
  s.static_dir = config.String("ACCORD_GATEWAY_STATIC_DIR", "",
                               "directory served at / (e.g. the web console); empty: none");
  s.stream_heartbeat =
      config.Millis("ACCORD_GATEWAY_STREAM_HEARTBEAT_MS", s.stream_heartbeat,
                    "an idle event stream sends a comment this often (keeps proxies open)");
  s.drain_delay = config.Millis("ACCORD_DRAIN_DELAY_MS", s.drain_delay,
                                "after SIGTERM: NOT_SERVING this long before shutdown");
  s.shutdown_deadline = config.Millis("ACCORD_SHUTDOWN_DEADLINE_MS", s.shutdown_deadline,
                                      "in-flight requests get this long to finish at shutdown");
  for (const auto& backend : Backends()) {
    s.backends[backend.name] = common::ReadServiceClientOptions(
        config, backend.name, "dns:///127.0.0.1:" + std::to_string(backend.default_port));
  }
  return s;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewaySettings settings,
                                                         const ApiDescriptors& api,
                                                         std::string openapi_json) {
  auto routes = RouteTable::Build(api);
  if (!routes.ok()) return routes.status();
  std::unique_ptr<Gateway> gateway(
      new Gateway(std::move(settings), api, std::move(*routes), std::move(openapi_json)));
  return gateway;
}

Gateway::Gateway(GatewaySettings settings, const ApiDescriptors& api, RouteTable routes,
                 std::string openapi_json)
    : settings_(std::move(settings)),
      api_(api),
      routes_(std::move(routes)),
      openapi_json_(std::move(openapi_json)) {
  auto& registry = common::MetricsRegistry::Global();
  for (const auto& route : routes_.routes()) {
    auto metrics = std::make_unique<CallMetrics>();
    metrics->label = route.method->service()->full_name() + "/" + route.method->name();
    metrics->latency = &registry.GetHistogram("accord_gateway_request_seconds",
                                              "HTTP request latency through the gateway, by route",
                                              {{"route", metrics->label}});
    metrics_[&route] = std::move(metrics);
  }
  // Reads (GET routes) may be retried on UNAVAILABLE; writes only by the client, with request_id.
  for (const auto& [name, options] : settings_.backends) {
    common::ServiceClientOptions with_retries = options;
    for (const auto& route : routes_.routes()) {
      if (route.backend != nullptr && route.backend->name == name && route.http_method == "GET") {
        with_retries.idempotent_methods.push_back(route.method->service()->full_name() + "/" +
                                                  route.method->name());
      }
    }
    clients_[name] = std::make_unique<common::ServiceClient>(std::move(with_retries));
  }
  server_ = std::make_unique<HttpServer>(
      settings_.http,
      [this](std::shared_ptr<HttpExchange> exchange) { Handle(std::move(exchange)); },
      [this](int status) {
        absl::Status error;
        switch (status) {
          case 408:
            error = common::WithReason(
                absl::DeadlineExceededError("the request did not arrive in time"),
                "REQUEST_TIMEOUT");
            break;
          case 413:
            error = common::WithReason(
                absl::ResourceExhaustedError("the request body is too large"), "REQUEST_TOO_LARGE");
            break;
          case 431:
            error = common::WithReason(
                absl::ResourceExhaustedError("the request headers are too large"),
                "REQUEST_TOO_LARGE");
            break;
          default:
            error = common::InvalidArgument("request", "is not a valid HTTP/1.1 request");
        }
        HttpError rendered = RenderError(api_, error);
        rendered.http_status = status;
        rendered.retry_after_seconds.reset();
        return ErrorResponse(rendered, {});
      });
}

Gateway::~Gateway() { Stop(); }

absl::Status Gateway::Start() { return server_->Start(); }

void Gateway::Stop() {
  if (server_) server_->Stop(settings_.shutdown_deadline);
}

std::shared_ptr<void> Gateway::AcquireSlot(const std::string& client) {
  std::lock_guard lock(slots_mutex_);
  int& used = slots_[client];
  if (used >= settings_.max_calls_per_client) {
    if (used == 0) slots_.erase(client);
    return nullptr;
  }
  ++used;
  return std::shared_ptr<void>(nullptr, [this, client](void*) {
    std::lock_guard lock(slots_mutex_);
    auto it = slots_.find(client);
    if (it != slots_.end() && --it->second <= 0) slots_.erase(it);
  });
}

void Gateway::Handle(std::shared_ptr<HttpExchange> exchange) {
  const HttpRequest& request = exchange->request();
  auto fail = [&](const absl::Status& status, const Headers& headers, int http_status = 0) {
    HttpError error = RenderError(api_, status);
    if (http_status != 0) error.http_status = http_status;
    exchange->Respond(ErrorResponse(error, headers));
  };

  // CORS: a browser on another origin may call only from a configured origin.
  Headers cors;
  const std::string_view origin = request.Header("origin");
  if (!origin.empty() && !SameOrigin(origin, request.Header("host"))) {
    bool allowed = false;
    for (const auto& configured : settings_.cors_origins) {
      if (configured == "*" || configured == origin) allowed = true;
    }
    if (!allowed) {
      return fail(common::PermissionDenied("ORIGIN_NOT_ALLOWED",
                                           "this origin may not call the API from a browser"),
                  {});
    }
    cors = {{"Access-Control-Allow-Origin", std::string(origin)},
            {"Vary", "Origin"},
            {"Access-Control-Expose-Headers", kExposedHeaders}};
  }
  if (request.method == "OPTIONS" && !request.Header("access-control-request-method").empty()) {
    HttpResponse preflight;
    preflight.status = 204;
    preflight.headers = cors;
    preflight.headers.emplace_back("Access-Control-Allow-Methods",
                                   "GET, POST, PATCH, PUT, DELETE, OPTIONS");
    preflight.headers.emplace_back("Access-Control-Allow-Headers", kAllowedHeaders);
    preflight.headers.emplace_back("Access-Control-Max-Age", "600");
    return exchange->Respond(std::move(preflight));
  }

  auto slot = AcquireSlot(request.client_address);
  if (!slot) {
    HttpError error = RenderError(
        api_, common::WithRetryDelay(
                  common::WithReason(absl::ResourceExhaustedError(
                                         "too many calls open from this client; retry later"),
                                     "TOO_MANY_CONCURRENT_CALLS"),
                  std::chrono::seconds(1)));
    return exchange->Respond(ErrorResponse(error, cors));
  }
  exchange->Hold(std::move(slot));

  if (request.path == "/openapi.json" && request.method == "GET") {
    HttpResponse response{200, cors, openapi_json_};
    response.headers.emplace_back("Content-Type", kJson);
    return exchange->Respond(std::move(response));
  }
  if (request.path == "/v1" || request.path.rfind("/v1/", 0) == 0) {
    bool path_matched = false;
    auto match = routes_.Find(request.method, request.path, &path_matched);
    if (!match) {
      absl::Status status = common::WithReason(
          absl::NotFoundError(path_matched ? "this path does not take " + request.method
                                           : "no API method at this path"),
          "NO_ROUTE");
      return fail(status, cors, path_matched ? 405 : 0);
    }
    if (match->route->method->server_streaming()) return Stream(exchange, *match, std::move(cors));
    return Unary(exchange, *match, std::move(cors));
  }
  if (ServeStatic(exchange, cors)) return;
  fail(common::WithReason(absl::NotFoundError("nothing at this path"), "NO_ROUTE"), cors);
}

namespace {

common::CallIdentity IdentityFor(const HttpRequest& request, std::string_view query_token) {
  common::CallIdentity identity;
  identity.authorization = std::string(request.Header("authorization"));
  if (identity.authorization.empty() && !query_token.empty()) {
    identity.authorization = "Bearer " + std::string(query_token);
  }
  identity.request_id = RequestIdFrom(request.Header("x-request-id"));
  identity.traceparent = common::ChildTraceparent(TraceIdFrom(request.Header("traceparent")));
  return identity;
}

struct UnaryCall {
  std::shared_ptr<HttpExchange> exchange;
  const Route* route = nullptr;
  Gateway::CallMetrics* metrics = nullptr;
  Headers headers;
  std::unique_ptr<grpc::ClientContext> context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  std::chrono::steady_clock::time_point start;
};

}  // namespace

void Gateway::Unary(std::shared_ptr<HttpExchange> exchange, const RouteMatch& match, Headers cors) {
  const HttpRequest& request = exchange->request();
  const auto start = std::chrono::steady_clock::now();
  CallMetrics* metrics = metrics_.at(match.route).get();
  auto query = ParseQuery(request.query);
  common::CallIdentity identity = IdentityFor(request, "");
  cors.emplace_back("X-Request-Id", identity.request_id);
  auto fail = [&](const absl::Status& status) {
    HttpError error = RenderError(api_, status);
    metrics->Record(error.http_status, start);
    exchange->Respond(ErrorResponse(error, cors));
  };
  if (!query.ok()) return fail(common::InvalidArgument("query", "is not a valid query string"));
  TranscodeInput input;
  input.match = &match;
  input.query = std::move(*query);
  input.body = request.body;
  input.if_match = Unquote(request.Header("if-match"));
  auto message = BuildRequest(api_, input);
  if (!message.ok()) return fail(message.status());

  auto call = std::make_shared<UnaryCall>();
  call->exchange = exchange;
  call->route = match.route;
  call->metrics = metrics;
  call->headers = std::move(cors);
  call->start = start;
  call->request = StringToBuffer((*message)->SerializeAsString());
  const auto& client = *clients_.at(match.route->backend->name);
  call->context = client.NewContext(identity);
  grpc::GenericStub stub(client.channel());
  stub.UnaryCall(
      call->context.get(), match.route->grpc_path(), grpc::StubOptions(), &call->request,
      &call->response, [this, call](grpc::Status status) {
        HttpResponse response;
        if (status.ok()) {
          auto reply = api_.NewMessage(call->route->method->output_type());
          absl::StatusOr<std::string> json = absl::InternalError("response does not parse");
          if (reply->ParseFromString(BufferToString(call->response))) {
            json = ResponseJson(*reply, *call->route);
          }
          if (json.ok()) {
            response.headers = call->headers;
            response.headers.emplace_back("Content-Type", kJson);
            const std::string etag = EtagOf(*reply);
            if (!etag.empty()) response.headers.emplace_back("ETag", "\"" + etag + "\"");
            response.body = std::move(*json);
          } else {
            common::log::Error("response not transcoded", {{"route", call->metrics->label}});
            response =
                ErrorResponse(RenderError(api_, common::Internal("internal error")), call->headers);
          }
        } else {
          response = ErrorResponse(RenderError(api_, status), call->headers);
        }
        call->metrics->Record(response.status, call->start);
        call->exchange->Respond(std::move(response));
      });
}

namespace {

// One Server-Sent Events stream over a server-streaming RPC. Each message is an event whose id is
// the message's `cursor` (when it has one), so a reconnecting EventSource resumes after it.
class SseCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  SseCall(const ApiDescriptors& api, const Route& route, std::shared_ptr<HttpExchange> exchange,
          Headers headers, std::chrono::milliseconds heartbeat)
      : api_(api),
        route_(route),
        exchange_(std::move(exchange)),
        headers_(std::move(headers)),
        heartbeat_(heartbeat) {}

  void Begin(std::shared_ptr<SseCall> self, const common::ServiceClient& client,
             const common::CallIdentity& identity, const std::string& request_bytes) {
    self_ = self;
    context_ = client.NewContext(identity);
    // A stream lasts as long as the client stays.
    context_->set_deadline(std::chrono::system_clock::time_point::max());
    request_ = StringToBuffer(request_bytes);
    grpc::GenericStub stub(client.channel());
    stub.PrepareBidiStreamingCall(context_.get(), route_.grpc_path(), grpc::StubOptions(), this);
    AddHold();  // released in OnWriteDone
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&incoming_);
    StartCall();
    // A refused call (authentication, a bad cursor) fails at once; an accepted one sends
    // nothing until its first event. After a short wait the stream is taken as accepted.
    std::weak_ptr<SseCall> weak = self;
    exchange_->After(std::chrono::milliseconds(300), [weak] {
      if (auto self = weak.lock()) self->OpenHttpStream();
    });
    ScheduleHeartbeat();
  }

  void OnWriteDone(bool) override { RemoveHold(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the status
    auto message = api_.NewMessage(route_.method->output_type());
    std::string frame;
    if (message->ParseFromString(BufferToString(incoming_))) {
      std::string json;
      if (google::protobuf::util::MessageToJsonString(*message, &json).ok()) {
        const auto* cursor = message->GetDescriptor()->FindFieldByName("cursor");
        if (cursor != nullptr && cursor->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
            !cursor->is_repeated()) {
          frame += "id: " + message->GetReflection()->GetString(*message, cursor) + "\n";
        }
        frame += "data: " + json + "\n\n";
      }
    }
    OpenHttpStream();
    auto self = self_;
    exchange_->Send(std::move(frame), [self](bool ok) {
      if (!ok) return self->context_->TryCancel();
      self->StartRead(&self->incoming_);
    });
  }

  void OnDone(const grpc::Status& status) override {
    bool opened;
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      opened = opened_;
      opened_ = true;  // nothing opens it any more
    }
    if (!opened) {
      exchange_->Respond(ErrorResponse(RenderError(api_, status), headers_));
    } else {
      // The stream ended after it began: the status as a last event, then the end.
      auto self = self_;
      exchange_->Send("event: error\ndata: " + RenderError(api_, status).json + "\n\n",
                      [self](bool) { self->exchange_->Close(); });
    }
    self_.reset();
  }

 private:
  void OpenHttpStream() {
    {
      std::lock_guard lock(mutex_);
      if (opened_) return;
      opened_ = true;
    }
    HttpResponse head;
    head.status = 200;
    head.headers = headers_;
    head.headers.emplace_back("Content-Type", "text/event-stream");
    head.headers.emplace_back("Cache-Control", "no-cache");
    head.headers.emplace_back("X-Accel-Buffering", "no");
    auto self = self_;
    exchange_->StartStream(std::move(head), [self] { self->context_->TryCancel(); });
    // Tells EventSource to reconnect after 2 s, and flushes the headers to the client.
    exchange_->Send("retry: 2000\n\n", [](bool) {});
  }

  void ScheduleHeartbeat() {
    std::weak_ptr<SseCall> weak = self_;
    exchange_->After(heartbeat_, [weak] {
      auto self = weak.lock();
      if (!self) return;
      {
        std::lock_guard lock(self->mutex_);
        if (self->done_) return;
        if (!self->opened_) return self->ScheduleHeartbeat();
      }
      self->exchange_->Send(": keep-alive\n\n", [](bool) {});
      self->ScheduleHeartbeat();
    });
  }

  const ApiDescriptors& api_;
  const Route& route_;
  std::shared_ptr<HttpExchange> exchange_;
  Headers headers_;
  std::chrono::milliseconds heartbeat_;
  std::shared_ptr<SseCall> self_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer incoming_;
  std::mutex mutex_;
  bool opened_ = false;
  bool done_ = false;
};

}  // namespace

void Gateway::Stream(std::shared_ptr<HttpExchange> exchange, const RouteMatch& match,
                     Headers cors) {
  const HttpRequest& request = exchange->request();
  auto fail = [&](const absl::Status& status) {
    exchange->Respond(ErrorResponse(RenderError(api_, status), cors));
  };
  const common::ServiceClient* client = nullptr;
  if (match.route->backend != nullptr) {
    client = clients_.at(match.route->backend->name).get();
  } else {
    for (const auto& [name, value] : match.bindings) {
      if (name == kBackendVariable && clients_.count(value)) client = clients_.at(value).get();
    }
  }
  if (client == nullptr) {
    return fail(common::WithReason(absl::NotFoundError("no such event stream"), "NO_ROUTE"));
  }
  auto query = ParseQuery(request.query);
  if (!query.ok()) return fail(common::InvalidArgument("query", "is not a valid query string"));
  // EventSource cannot set headers: on streams only, the token and the resume position may come
  // as query parameters.
  std::string query_token, last_event_id(request.Header("last-event-id"));
  QueryParams rest;
  for (auto& [key, value] : *query) {
    if (key == "access_token") {
      query_token = value;
    } else if (key == "last_event_id") {
      if (last_event_id.empty()) last_event_id = value;
    } else {
      rest.emplace_back(std::move(key), std::move(value));
    }
  }
  const auto* cursor = match.route->method->input_type()->FindFieldByName("cursor");
  if (!last_event_id.empty() && cursor != nullptr) rest.emplace_back("cursor", last_event_id);
  TranscodeInput input;
  input.match = &match;
  input.query = std::move(rest);
  input.body = request.body;
  auto message = BuildRequest(api_, input);
  if (!message.ok()) return fail(message.status());
  common::CallIdentity identity = IdentityFor(request, query_token);
  cors.emplace_back("X-Request-Id", identity.request_id);
  auto call = std::make_shared<SseCall>(api_, *match.route, exchange, std::move(cors),
                                        settings_.stream_heartbeat);
  call->Begin(call, *client, identity, (*message)->SerializeAsString());
}

bool Gateway::ServeStatic(const std::shared_ptr<HttpExchange>& exchange, const Headers& cors) {
  const HttpRequest& request = exchange->request();
  if (settings_.static_dir.empty() || request.method != "GET") {
    return false;
  }
  namespace fs = std::filesystem;
  auto decoded = PercentDecode(request.path, false);
  if (!decoded.ok() || decoded->find('\0') != std::string::npos) return false;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(settings_.static_dir, ec);
  if (ec) return false;
  // Only plain names: no "..", no hidden files.
  fs::path relative;
  for (auto part : absl::StrSplit(*decoded, '/', absl::SkipEmpty())) {
    if (part == "." || part == ".." || part.front() == '.' ||
        part.find('\\') != std::string_view::npos) {
      return false;
    }
    relative /= std::string(part);
  }
  fs::path file = fs::weakly_canonical(root / relative, ec);
  const auto inside = [&](const fs::path& candidate) {
    auto rel = candidate.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
  };
  if (ec || !inside(file) || !fs::is_regular_file(file, ec)) {
    if (!ec && inside(file) && fs::is_directory(file, ec) &&
        fs::is_regular_file(file / "index.html", ec)) {
      file = file / "index.html";
    } else {
      // A client-side route of the single-page app: its index.html.
      file = root / "index.html";
      if (!fs::is_regular_file(file, ec)) return false;
    }
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::stringstream content;
  content << in.rdbuf();
  HttpResponse response;
  response.headers = cors;
  response.headers.emplace_back("Content-Type", ContentTypeFor(file));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (file.filename() == "index.html") response.headers.emplace_back("Cache-Control", "no-cache");
  response.body = content.str();
  exchange->Respond(std::move(response));
  return true;
}

}  // namespace accord::gateway
