// ReadServiceSettings: every ACCORD_* setting the services share, read once at start-up.
#include <cstdio>
#include <optional>

#include "accord/common/server.h"

namespace accord::common {
namespace {

// The PEM blocks of a file (a bundle of public keys: any of them may verify a token); nullopt
// when it cannot be read.
std::optional<std::vector<std::string>> ReadPemBlocks(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return std::nullopt;
  std::string pem;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) pem.append(buffer, n);
  std::fclose(file);
  std::vector<std::string> blocks;
  const std::string end_marker = "-----END ";
  size_t begin = 0;
  while (true) {
    size_t start = pem.find("-----BEGIN ", begin);
    if (start == std::string::npos) break;
    size_t end = pem.find(end_marker, start);
    if (end == std::string::npos) break;
    size_t line_end = pem.find('\n', end);
    if (line_end == std::string::npos) line_end = pem.size();
    blocks.push_back(pem.substr(start, line_end - start + 1));
    begin = line_end;
  }
  return blocks;
}

}  // namespace

ServiceSettings ReadServiceSettings(ConfigReader& config, const std::string& service_name,
                                    int default_grpc_port, int default_metrics_port) {
  ServiceSettings s;
  s.service_name = service_name;
  s.grpc_address =
      config.String("ACCORD_GRPC_ADDRESS", "0.0.0.0:" + std::to_string(default_grpc_port),
                    "host:port the gRPC API listens on (port 0 picks a free one)");
  s.metrics_address =
      config.String("ACCORD_METRICS_ADDRESS", "0.0.0.0:" + std::to_string(default_metrics_port),
                    "host:port serving Prometheus metrics at /metrics");
  s.tls = ReadServerTls(config);
  s.pg = ReadPgOptions(config, service_name);
  std::string redis_url =
      config.String("ACCORD_REDIS_URL", "redis://127.0.0.1:6379", "Redis URL (cache and events)");
  RedisOptions redis_defaults;
  redis_defaults.command_timeout = config.Millis(
      "ACCORD_REDIS_TIMEOUT_MS", std::chrono::milliseconds(200), "Redis connect/command timeout");
  redis_defaults.connect_timeout = redis_defaults.command_timeout;
  redis_defaults.pool_size =
      config.Int("ACCORD_REDIS_POOL_SIZE", 8, 1, 256, "Redis connections per process");
  if (auto parsed = ParseRedisUrl(redis_url, redis_defaults); parsed.ok()) {
    s.redis = *parsed;
  } else {
    config.AddError("ACCORD_REDIS_URL=\"" + redis_url +
                    "\": " + std::string(parsed.status().message()));
  }
  s.jwt.algorithm = config.Choice("ACCORD_JWT_ALGORITHM", "HS256", {"HS256", "RS256", "ES256"},
                                  "token signature algorithm (pinned; tokens must match)");
  if (s.jwt.algorithm == "HS256") {
    s.jwt.hs256_secret = config.RequiredString("ACCORD_JWT_SECRET", "HS256 shared secret");
  } else {
    std::string path = config.RequiredString("ACCORD_JWT_PUBLIC_KEYS_FILE",
                                             "PEM file with the RS256/ES256 public key(s)");
    if (!path.empty()) {
      auto pems = ReadPemBlocks(path);
      if (!pems.has_value()) {
        config.AddError("ACCORD_JWT_PUBLIC_KEYS_FILE=\"" + path + "\" cannot be read");
      } else {
        s.jwt.public_keys_pem = std::move(*pems);
      }
    }
  }
  s.jwt.issuer = config.String("ACCORD_JWT_ISSUER", "accord-dev", "required token issuer (iss)");
  s.jwt.audience = config.String("ACCORD_JWT_AUDIENCE", "accord", "required token audience (aud)");
  s.jwt.allow_any_issuer =
      config.Bool("ACCORD_JWT_ALLOW_ANY_ISSUER", false,
                  "accept tokens of any issuer when ACCORD_JWT_ISSUER is empty");
  s.jwt.allow_any_audience =
      config.Bool("ACCORD_JWT_ALLOW_ANY_AUDIENCE", false,
                  "accept tokens for any audience when ACCORD_JWT_AUDIENCE is empty");
  // An empty value would silently switch its check off.
  if (s.jwt.issuer.empty() && !s.jwt.allow_any_issuer) {
    config.AddError(
        "ACCORD_JWT_ISSUER is empty, which would accept tokens of any issuer; set it, or set "
        "ACCORD_JWT_ALLOW_ANY_ISSUER=true to mean that");
  }
  if (s.jwt.audience.empty() && !s.jwt.allow_any_audience) {
    config.AddError(
        "ACCORD_JWT_AUDIENCE is empty, which would accept tokens meant for any audience; set it, "
        "or set ACCORD_JWT_ALLOW_ANY_AUDIENCE=true to mean that");
  }
  s.page_token_secret =
      config.RequiredString("ACCORD_PAGE_TOKEN_SECRET", "secret that signs page tokens");
  s.migrate_on_start =
      config.Bool("ACCORD_MIGRATE_ON_START", false, "apply migrations before serving");
  s.log_level = config.Choice("ACCORD_LOG_LEVEL", "info", {"debug", "info", "warn", "error"},
                              "least severe level logged");
  // One by default: while it fetches, misses pile up into the next batch, and bigger batches
  // cost the database and Redis less per read (measured on 2 cores: cold reads 10-40% faster,
  // PostgreSQL CPU per read 13 against 19 us, than with two). More help when fetches are slow.
  s.read_batch_threads = config.Int("ACCORD_READ_BATCH_THREADS", 1, 1, 256,
                                    "threads that fetch gathered point reads (cache misses)");
  // Workers kept for point reads (call_cost.h) come in addition to as many workers as there are
  // database connections, so that writes can still hold every connection at once (taken out of
  // that share, they left writes fewer transactions in flight than connections). More workers
  // than that only wait for a connection and cost context switches (docs/performance.md,
  // "UpdateAccount profiled").
  s.point_read_workers = config.Int(
      "ACCORD_POINT_READ_WORKERS", std::max(1, s.pg.pool_size / 4), 0, 1024,
      "workers kept for point reads (Get, BatchGet, Lookup), so slow calls cannot take them all");
  s.worker_threads =
      config.Int("ACCORD_WORKER_THREADS", s.pg.pool_size + s.point_read_workers, 1, 1024,
                 "threads running handlers that may block on the database, point-read ones "
                 "included");
  s.max_expensive_calls =
      config.Int("ACCORD_MAX_EXPENSIVE_CALLS", std::max(1, s.pg.pool_size / 2), 1, 1024,
                 "expensive calls (Lists with a filter, exports) running at once; more wait");
  s.max_expensive_calls_per_caller =
      config.Int("ACCORD_MAX_EXPENSIVE_CALLS_PER_CALLER", 2, 1, 1024,
                 "expensive calls one caller may have running; more are refused at once");
  s.health_interval = config.Millis("ACCORD_HEALTH_INTERVAL_MS", std::chrono::milliseconds(1000),
                                    "how often health re-checks the database");
  s.drain_delay = config.Millis("ACCORD_DRAIN_DELAY_MS", std::chrono::milliseconds(2000),
                                "after SIGTERM: NOT_SERVING this long before shutdown");
  s.shutdown_deadline =
      config.Millis("ACCORD_SHUTDOWN_DEADLINE_MS", std::chrono::milliseconds(10000),
                    "in-flight calls get this long to finish at shutdown");
  s.liveness_stall = config.Millis(
      "ACCORD_LIVENESS_STALL_MS", std::chrono::milliseconds(15000),
      "health name \"liveness\" turns NOT_SERVING when no worker took work for this long");
  s.max_connection_age = config.Millis(
      "ACCORD_GRPC_MAX_CONNECTION_AGE_MS", std::chrono::milliseconds(0),
      "clients are asked to reconnect after about this long, so new replicas get traffic "
      "(0: never; off by default because gRPC 1.51 pays it on every call, deploy/k8s sets it)");
  s.event_retention = std::chrono::hours(
      config.Int("ACCORD_EVENT_RETENTION_HOURS", 24 * 7, 1, 24 * 90,
                 "published events kept in Postgres for replay (Redis loss, slow subscribers)"));
  s.idempotency_retention = std::chrono::hours(
      config.Int("ACCORD_IDEMPOTENCY_RETENTION_HOURS", 24, 1, 24 * 90,
                 "how long a retried request_id returns the first call's result"));
  s.stream_maxlen = config.Int("ACCORD_STREAM_MAXLEN", 1000000, 1000, 100000000,
                               "approximate length the Redis event stream is trimmed to");
  s.cache_local_entries = static_cast<size_t>(config.Int(
      "ACCORD_CACHE_LOCAL_ENTRIES", 100000, 0, 10000000, "in-process cache capacity (0 = off)"));
  s.cache_local_ttl = config.Millis("ACCORD_CACHE_LOCAL_TTL_MS", std::chrono::milliseconds(60000),
                                    "how long an in-process cache entry is served");
  s.cache_redis_ttl = std::chrono::seconds(
      config.Int("ACCORD_CACHE_REDIS_TTL_S", 300, 1, 86400, "how long Redis keeps a cached entry"));
  s.max_metadata_bytes =
      config.Int("ACCORD_MAX_METADATA_BYTES", 64 * 1024, 16 * 1024, 1024 * 1024,
                 "largest header block (all metadata of one call) accepted; a larger one closes "
                 "the client's connection");
  s.max_message_bytes = config.Int("ACCORD_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, 1024,
                                   256 * 1024 * 1024, "largest gRPC message accepted or sent");
  return s;
}

}  // namespace accord::common
