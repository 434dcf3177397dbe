#include "gateway.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/ids.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "grpc_web.h"
#include "http_error.h"
#include "transcode.h"
#include "wire_json.h"

namespace accord::gateway {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kJson[] = "application/json";
constexpr char kExposedHeaders[] =
    "ETag, Retry-After, X-Request-Id, Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin";
constexpr char kAllowedHeaders[] =
    "Authorization, Content-Type, If-Match, X-Request-Id, Traceparent, Last-Event-ID, X-Grpc-Web, "
    "X-User-Agent, X-Accord-Service, Grpc-Timeout";

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
  // The counter of each status seen, so the registry is asked once per route and status.
  std::mutex mutex;
  std::map<int, common::Counter*> by_status;
  void Record(int http_status, std::chrono::steady_clock::time_point start) {
    common::Counter* counter;
    {
      std::lock_guard lock(mutex);
      auto& slot = by_status[http_status];
      if (slot == nullptr) {
        slot = &common::MetricsRegistry::Global().GetCounter(
            "accord_gateway_requests_total", "HTTP requests answered, by route and status",
            {{"route", label}, {"status", std::to_string(http_status)}});
      }
      counter = slot;
    }
    counter->Increment();
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
      openapi_json_(std::move(openapi_json)),
      calls_(std::make_unique<UnaryCaller>(settings_.http.threads)) {
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
  // Gives the slot back when the exchange that holds it ends.
  struct Slot {
    Slot(Gateway* owner, std::string address) : gateway(owner), client(std::move(address)) {}
    Slot(const Slot&) = delete;
    Gateway* gateway;
    std::string client;
    ~Slot() {
      std::lock_guard lock(gateway->slots_mutex_);
      auto it = gateway->slots_.find(client);
      if (it != gateway->slots_.end() && --it->second <= 0) gateway->slots_.erase(it);
    }
  };
  return std::make_shared<Slot>(this, client);
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

  if (request.method == "POST") {
    if (auto mode = GrpcWebModeOf(request.Header("content-type"))) {
      return GrpcWeb(exchange, mode->text, std::move(cors));
    }
  }
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

// The client's grpc-timeout bounds the call when it is shorter than the backend's deadline.
absl::Status ApplyClientTimeout(const HttpRequest& request, grpc::ClientContext& context) {
  auto timeout = ParseGrpcTimeout(request.Header("grpc-timeout"));
  if (!timeout.ok()) return timeout.status();
  if (timeout->has_value()) {
    const auto deadline =
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(**timeout);
    if (deadline < context.deadline()) context.set_deadline(deadline);
  }
  return absl::OkStatus();
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
  if (auto status = ApplyClientTimeout(request, *call->context); !status.ok()) return fail(status);
  calls_->Call(
      client.channel(), call->context.get(), match.route->grpc_path(), call->request,
      &call->response, [this, call](grpc::Status status) {
        HttpResponse response;
        if (status.ok()) {
          const std::string bytes = BufferToString(call->response);
          const auto& output = *call->route->method->output_type();
          absl::StatusOr<std::string> json = absl::InternalError("response does not parse");
          std::string etag;
          if (call->route->response_body.empty()) {
            // Straight from the bytes; the message is parsed only for its etag.
            json = api_.BytesToJson(output, bytes);
            const auto* etag_field = output.FindFieldByName("etag");
            if (etag_field != nullptr &&
                etag_field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
                !etag_field->is_repeated()) {
              etag = WireStringField(bytes, etag_field->number()).value_or("");
            }
          } else if (auto reply = api_.NewMessage(&output); reply->ParseFromString(bytes)) {
            json = ResponseJson(*reply, *call->route);
            etag = EtagOf(*reply);
          }
          if (json.ok()) {
            response.headers = std::move(call->headers);
            response.headers.emplace_back("Content-Type", kJson);
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

// How a server-streaming call is written to the client: Server-Sent Events or gRPC-Web.
struct StreamFormat {
  std::string content_type;
  std::string preamble;   // written when the stream opens
  std::string heartbeat;  // written when the stream idles; "" for none
  std::function<std::string(const std::string& bytes)> message;
  std::function<std::string(const grpc::Status& status)> end;
  // The whole answer when the call fails before the stream opened.
  std::function<HttpResponse(const grpc::Status& status, Headers headers)> refused;
};

// One server-streaming call relayed to an HTTP client as it arrives, one message at a time (the
// next is read when the client took the last).
class StreamCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamCall(std::shared_ptr<HttpExchange> exchange, Headers headers, StreamFormat format,
             std::chrono::milliseconds heartbeat)
      : exchange_(std::move(exchange)),
        headers_(std::move(headers)),
        format_(std::move(format)),
        heartbeat_(heartbeat) {}

  void Begin(std::shared_ptr<StreamCall> self, const common::ServiceClient& client,
             const common::CallIdentity& identity, const std::string& grpc_path,
             const std::string& request_bytes) {
    self_ = self;
    context_ = client.NewContext(identity);
    // A stream lasts as long as the client stays, or until the client's own grpc-timeout.
    context_->set_deadline(std::chrono::system_clock::time_point::max());
    ApplyClientTimeout(exchange_->request(), *context_).IgnoreError();
    request_ = StringToBuffer(request_bytes);
    grpc::GenericStub stub(client.channel());
    stub.PrepareBidiStreamingCall(context_.get(), grpc_path, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&incoming_);
    StartCall();
    // A refused call (authentication, a bad cursor) fails at once; an accepted one may send
    // nothing until its first message. After a short wait the stream is taken as accepted.
    std::weak_ptr<StreamCall> weak = self;
    exchange_->After(std::chrono::milliseconds(300), [weak] {
      if (auto self = weak.lock()) self->OpenHttpStream();
    });
    if (!format_.heartbeat.empty()) ScheduleHeartbeat();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the status
    std::string frame = format_.message(BufferToString(incoming_));
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
      exchange_->Respond(format_.refused(status, headers_));
    } else {
      // The stream ended after it began: the status last, then the end of the response.
      auto self = self_;
      exchange_->Send(format_.end(status), [self](bool) { self->exchange_->Close(); });
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
    head.headers.emplace_back("Content-Type", format_.content_type);
    head.headers.emplace_back("Cache-Control", "no-cache");
    head.headers.emplace_back("X-Accel-Buffering", "no");
    auto self = self_;
    exchange_->StartStream(std::move(head), [self] { self->context_->TryCancel(); });
    if (!format_.preamble.empty()) exchange_->Send(format_.preamble, [](bool) {});
  }

  void ScheduleHeartbeat() {
    std::weak_ptr<StreamCall> weak = self_;
    exchange_->After(heartbeat_, [weak] {
      auto self = weak.lock();
      if (!self) return;
      {
        std::lock_guard lock(self->mutex_);
        if (self->done_) return;
        if (!self->opened_) return self->ScheduleHeartbeat();
      }
      self->exchange_->Send(self->format_.heartbeat, [](bool) {});
      self->ScheduleHeartbeat();
    });
  }

  std::shared_ptr<HttpExchange> exchange_;
  Headers headers_;
  StreamFormat format_;
  std::chrono::milliseconds heartbeat_;
  std::shared_ptr<StreamCall> self_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer incoming_;
  std::mutex mutex_;
  bool opened_ = false;
  bool done_ = false;
};

// Server-Sent Events: each message is an event whose data is its JSON and whose id is its
// `cursor` (when it has one), so a reconnecting EventSource resumes after it.
StreamFormat SseFormat(const ApiDescriptors& api, const Route& route) {
  StreamFormat format;
  format.content_type = "text/event-stream";
  // Tells EventSource to reconnect after 2 s, and flushes the headers to the client.
  format.preamble = "retry: 2000\n\n";
  format.heartbeat = ": keep-alive\n\n";
  format.message = [&api, &route](const std::string& bytes) {
    auto message = api.NewMessage(route.method->output_type());
    std::string json;
    if (!message->ParseFromString(bytes) ||
        !google::protobuf::util::MessageToJsonString(*message, &json).ok()) {
      return std::string();
    }
    std::string frame;
    const auto* cursor = message->GetDescriptor()->FindFieldByName("cursor");
    if (cursor != nullptr && cursor->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !cursor->is_repeated()) {
      frame += "id: " + message->GetReflection()->GetString(*message, cursor) + "\n";
    }
    return frame + "data: " + json + "\n\n";
  };
  format.end = [&api](const grpc::Status& status) {
    return "event: error\ndata: " + RenderError(api, status).json + "\n\n";
  };
  format.refused = [&api](const grpc::Status& status, Headers headers) {
    return ErrorResponse(RenderError(api, status), headers);
  };
  return format;
}

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
  if (auto timeout = ParseGrpcTimeout(request.Header("grpc-timeout")); !timeout.ok()) {
    return fail(timeout.status());
  }
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
  auto call = std::make_shared<StreamCall>(exchange, std::move(cors), SseFormat(api_, *match.route),
                                           settings_.stream_heartbeat);
  call->Begin(call, *client, identity, match.route->grpc_path(), (*message)->SerializeAsString());
}

namespace {

// gRPC-Web answers: frames, then the trailer frame; base64 for grpc-web-text.
StreamFormat GrpcWebFormat(bool text) {
  StreamFormat format;
  format.content_type = text ? "application/grpc-web-text+proto" : "application/grpc-web+proto";
  auto encode = [text](std::string bytes) { return text ? absl::Base64Escape(bytes) : bytes; };
  format.message = [encode](const std::string& bytes) { return encode(GrpcWebFrame(bytes)); };
  format.end = [encode](const grpc::Status& status) {
    return encode(GrpcWebTrailer(static_cast<int>(status.error_code()), status.error_message(),
                                 status.error_details()));
  };
  format.refused = [format](const grpc::Status& status, Headers headers) {
    HttpResponse response{200, std::move(headers), format.end(status)};
    response.headers.emplace_back("Content-Type", format.content_type);
    return response;
  };
  return format;
}

}  // namespace

// gRPC-Web: the method from the path (/package.Service/Method), the message bytes passed through
// untouched. A method every backend serves (the event stream) names its backend in the
// x-accord-service header.
void Gateway::GrpcWeb(std::shared_ptr<HttpExchange> exchange, bool text, Headers cors) {
  const HttpRequest& request = exchange->request();
  StreamFormat format = GrpcWebFormat(text);
  auto refuse = [&](const absl::Status& status) {
    exchange->Respond(format.refused(common::ToGrpcStatus(status), cors));
  };
  const std::string path = request.path.size() > 1 ? request.path.substr(1) : "";
  const size_t slash = path.find('/');
  const auto* service =
      slash == std::string::npos ? nullptr : api_.pool().FindServiceByName(path.substr(0, slash));
  const auto* method =
      service == nullptr ? nullptr : service->FindMethodByName(path.substr(slash + 1));
  if (method == nullptr || method->client_streaming()) {
    return refuse(absl::UnimplementedError("no such method"));
  }
  const Backend* backend = BackendFor(*service);
  std::string backend_name =
      backend != nullptr ? backend->name : std::string(request.Header("x-accord-service"));
  if (!clients_.count(backend_name)) {
    return refuse(common::InvalidArgument("x-accord-service", "must name the service to call"));
  }
  std::string body = request.body;
  if (text) {
    std::string decoded;
    if (!absl::Base64Unescape(body, &decoded)) {
      return refuse(common::InvalidArgument("body", "is not base64"));
    }
    body = std::move(decoded);
  }
  auto messages = GrpcWebMessages(body);
  if (!messages.ok() || messages->size() != 1) {
    return refuse(common::InvalidArgument("body", "must be exactly one gRPC-Web message"));
  }
  if (auto timeout = ParseGrpcTimeout(request.Header("grpc-timeout")); !timeout.ok()) {
    return refuse(timeout.status());
  }
  const common::ServiceClient& client = *clients_.at(backend_name);
  common::CallIdentity identity = IdentityFor(request, "");
  cors.emplace_back("X-Request-Id", identity.request_id);
  const std::string grpc_path = "/" + service->full_name() + "/" + method->name();
  if (method->server_streaming()) {
    auto call = std::make_shared<StreamCall>(exchange, std::move(cors), std::move(format),
                                             settings_.stream_heartbeat);
    call->Begin(call, client, identity, grpc_path, (*messages)[0]);
    return;
  }
  struct Call {
    std::shared_ptr<HttpExchange> exchange;
    Headers headers;
    StreamFormat format;
    std::unique_ptr<grpc::ClientContext> context;
    grpc::ByteBuffer request, response;
  };
  auto call = std::make_shared<Call>();
  call->exchange = exchange;
  call->headers = std::move(cors);
  call->format = std::move(format);
  call->context = client.NewContext(identity);
  ApplyClientTimeout(request, *call->context).IgnoreError();  // checked above
  call->request = StringToBuffer((*messages)[0]);
  calls_->Call(client.channel(), call->context.get(), grpc_path, call->request, &call->response,
               [call](grpc::Status status) {
                 HttpResponse response = call->format.refused(status, call->headers);
                 if (status.ok()) {
                   response.body =
                       call->format.message(BufferToString(call->response)) + response.body;
                 }
                 call->exchange->Respond(std::move(response));
               });
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
