// A service whose one method does nothing, for tests of what the runtime does around every
// method (handler shape, TLS).
#pragma once

#include <memory>
#include <vector>

#include "accord/common/call_observer.h"
#include "accord/common/server.h"
#include "accord/example/v1/example.grpc.pb.h"

namespace accord::common {

// Answers with the caller the runtime authenticated, and does nothing else.
class DoNothing final : public example::v1::KitProbeService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const example::v1::EchoRequest*,
                                 example::v1::EchoResponse* response) override {
    auto* observer = CallObserver::Of(*context);
    if (observer != nullptr && observer->context()) {
      response->set_text(observer->context()->principal.subject);
    }
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

inline ServiceDefinition ExampleDefinition(AccessRules access) {
  ServiceDefinition definition;
  definition.name = "example";
  definition.schema = "example";
  definition.migrations = []() -> const std::vector<Migration>& {
    static const std::vector<Migration> kNone;
    return kNone;
  };
  definition.make_services = [](Runtime&) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<DoNothing>());
    return services;
  };
  definition.access = std::move(access);
  return definition;
}

}  // namespace accord::common
