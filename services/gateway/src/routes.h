// The route table: one route per google.api.http binding of every RPC, built from the
// descriptors at start. A request finds its route by HTTP method and path; the route knows the
// RPC, which request fields the path binds, where the body goes and which service answers.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api_descriptors.h"
#include "path_template.h"

namespace accord::gateway {

// The services behind the gateway: each serves the Accord packages listed for it.
struct Backend {
  std::string name;  // "pricing-terms": settings prefix, `{service}` of the event stream
  std::vector<std::string> packages;
  int default_port = 0;
};
const std::vector<Backend>& Backends();
// The backend serving `service`, or nullptr for a service every backend serves (the event
// stream, whose route names the backend in its `{service}` segment).
const Backend* BackendFor(const google::protobuf::ServiceDescriptor& service);
// The path segment that names the backend on a route served by every backend.
inline constexpr char kBackendVariable[] = "service";

struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string http_method;  // GET POST PATCH PUT DELETE (or a custom kind)
  PathTemplate path;
  std::string body;                  // "", "*" or a top-level field
  std::string response_body;         // "" or a top-level field of the response
  const Backend* backend = nullptr;  // nullptr: chosen by the `{service}` segment
  // "/accord.account.v1.AccountService/GetAccount"
  std::string grpc_path() const;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> bindings;  // field path -> raw text
};

class RouteTable {
 public:
  // Fails on a malformed binding or one that names a field its request lacks.
  static absl::StatusOr<RouteTable> Build(const ApiDescriptors& api);

  // The best match for the method and path (query string removed). `path_matched` tells
  // whether the path matched some route under another method (405 rather than 404).
  std::optional<RouteMatch> Find(const std::string& http_method, const std::string& path,
                                 bool* path_matched = nullptr) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;  // most specific first
};

// RPCs that carry no google.api.http binding: "accord.x.v1.S/M".
std::vector<std::string> UnannotatedMethods(const ApiDescriptors& api);

// The field `path` ("account.name") of `type`, or nullptr.
const google::protobuf::FieldDescriptor* FieldAt(const google::protobuf::Descriptor& type,
                                                 const std::string& path);

}  // namespace accord::gateway
