#include "support/service_harness.h"

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <ctime>

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"

namespace accord::testing {

common::ServiceSettings TestSettings(const common::ServiceDefinition& definition,
                                     const std::string& pg_url, const std::string& redis_url) {
  common::ServiceSettings settings;
  settings.service_name = definition.name;
  settings.schema = definition.schema;
  settings.grpc_address = "127.0.0.1:0";
  settings.metrics_address = "127.0.0.1:0";
  settings.pg.url = pg_url;
  settings.pg.pool_size = 8;
  settings.pg.connect_timeout = std::chrono::seconds(2);
  settings.pg.application_name = "accord-test-" + definition.name;
  auto redis = common::ParseRedisUrl(redis_url);
  if (redis.ok()) settings.redis = *redis;
  settings.jwt.algorithm = "HS256";
  settings.jwt.hs256_secret = kTestJwtSecret;
  settings.jwt.issuer = kTestIssuer;
  settings.jwt.audience = kTestAudience;
  settings.page_token_secret = "integration-page-token-secret";
  settings.worker_threads = 8;
  settings.health_interval = std::chrono::milliseconds(100);
  settings.drain_delay = std::chrono::milliseconds(0);
  settings.shutdown_deadline = std::chrono::milliseconds(2000);
  return settings;
}

ServiceHarness::ServiceHarness(const common::ServiceDefinition& definition,
                               const std::string& pg_url, const std::string& redis_url) {
  Start(definition, TestSettings(definition, pg_url, redis_url));
}

ServiceHarness::ServiceHarness(const common::ServiceDefinition& definition,
                               common::ServiceSettings settings) {
  Start(definition, std::move(settings));
}

void ServiceHarness::Start(const common::ServiceDefinition& definition,
                           common::ServiceSettings settings) {
  common::SetErrorDomain(definition.name + ".accord");
  auto applied = common::ApplyMigrations(settings.pg.url, settings.schema, definition.migrations());
  if (!applied.ok()) throw std::runtime_error("migrations: " + applied.status().ToString());
  auto runtime = common::Runtime::Create(settings, definition.statements);
  if (!runtime.ok()) throw std::runtime_error("runtime: " + runtime.status().ToString());
  runtime_ = std::move(*runtime);
  services_ = definition.make_services(*runtime_);
  std::vector<grpc::Service*> raw;
  for (auto& service : services_) raw.push_back(service.get());
  auto server = common::GrpcServer::Start(*runtime_, raw);
  if (!server.ok()) throw std::runtime_error("server: " + server.status().ToString());
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                 grpc::InsecureChannelCredentials());
}

ServiceHarness::~ServiceHarness() { Stop(); }

void ServiceHarness::Stop() {
  if (server_) server_->Drain();
  server_.reset();
}

int ServiceHarness::port() const { return server_ ? server_->port() : 0; }
int ServiceHarness::metrics_port() const { return server_ ? server_->metrics_port() : 0; }

std::string TokenFor(const std::string& subject, std::vector<common::Role> roles) {
  common::TokenClaims claims;
  claims.subject = subject;
  claims.roles = std::move(roles);
  claims.issuer = kTestIssuer;
  claims.audience = kTestAudience;
  claims.expires_at = std::time(nullptr) + 3600;
  return common::MintHs256Token(claims, kTestJwtSecret);
}

std::unique_ptr<grpc::ClientContext> ContextAs(const std::string& subject,
                                               std::vector<common::Role> roles) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + TokenFor(subject, std::move(roles)));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

std::string ReasonOf(const grpc::Status& status) {
  return common::ReasonOf(common::FromGrpcStatus(status));
}

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const auto& violation : common::FieldViolationsOf(common::FromGrpcStatus(status))) {
    fields.push_back(violation.field);
  }
  return fields;
}

int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  // HealthCheckRequest{service = 1}: tag 0x0a, a one-byte length (names are short), the name;
  // "" encodes to zero bytes.
  std::string encoded;
  if (!service.empty()) {
    encoded = std::string(1, '\x0a') + static_cast<char>(service.size()) + service;
  }
  grpc::Slice slice(encoded);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status result;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) {
                   std::lock_guard lock(mutex);
                   result = std::move(status);
                   done = true;
                   done_cv.notify_one();
                 });
  std::unique_lock lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  if (!result.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  // HealthCheckResponse{status = 1}: tag 0x08 then a varint; absent means UNKNOWN (0).
  if (bytes.size() >= 2 && bytes[0] == 0x08) return static_cast<unsigned char>(bytes[1]);
  return 0;
}

}  // namespace accord::testing
