// Runs a service in-process on a free port against a real database, as ServiceMain would
// (migrations, runtime, gRPC server with health and reflection), for integration tests.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "accord/common/auth.h"
#include "accord/common/server.h"

namespace accord::testing {

inline constexpr char kTestJwtSecret[] = "integration-test-secret";
inline constexpr char kTestIssuer[] = "accord-test";
inline constexpr char kTestAudience[] = "accord";

// Settings for an in-process service: ports picked by the OS, fast health checks, short drain.
common::ServiceSettings TestSettings(const common::ServiceDefinition& definition,
                                     const std::string& pg_url, const std::string& redis_url);

class ServiceHarness {
 public:
  // Migrates `pg_url` and starts the service. Fails the test (fatal) on any error.
  ServiceHarness(const common::ServiceDefinition& definition, const std::string& pg_url,
                 const std::string& redis_url);
  explicit ServiceHarness(const common::ServiceDefinition& definition,
                          common::ServiceSettings settings);
  ~ServiceHarness();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  int port() const;
  int metrics_port() const;
  common::Runtime& runtime() { return *runtime_; }
  // Stops serving (as SIGTERM would, without the drain delay).
  void Stop();

 private:
  void Start(const common::ServiceDefinition& definition, common::ServiceSettings settings);

  std::unique_ptr<common::Runtime> runtime_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<common::GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A dev token for `subject` with `roles`, valid for an hour, signed with the test secret.
std::string TokenFor(const std::string& subject, std::vector<common::Role> roles);
// A client context carrying that token and a 10 s deadline.
std::unique_ptr<grpc::ClientContext> ContextAs(const std::string& subject,
                                               std::vector<common::Role> roles);

// Reads the ErrorInfo reason and field violations a stock client would see in the trailer.
std::string ReasonOf(const grpc::Status& status);
std::vector<std::string> ViolatedFields(const grpc::Status& status);

// grpc.health.v1.Health/Check for `service` ("" by default), via a generic stub; returns the
// status enum (1 SERVING, 2 NOT_SERVING) or -1 if the call failed (NOT_FOUND for an unknown name).
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service = "");

}  // namespace accord::testing
