// accord-gateway-openapi <descriptor set> <out.json>: writes the OpenAPI document of the routes
// the descriptors declare. The build runs it; the gateway embeds and serves the result.
#include <fstream>
#include <iostream>
#include <sstream>

#include "api_descriptors.h"
#include "openapi.h"
#include "routes.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: accord-gateway-openapi <descriptor set> <out.json>\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto api = accord::gateway::ApiDescriptors::FromSerialized(bytes.str());
  if (!api.ok()) {
    std::cerr << "accord-gateway-openapi: " << api.status().message() << "\n";
    return 1;
  }
  auto routes = accord::gateway::RouteTable::Build(**api);
  if (!routes.ok()) {
    std::cerr << "accord-gateway-openapi: " << routes.status().message() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << accord::gateway::BuildOpenApi(**api, *routes).dump(1) << "\n";
  return out ? 0 : 1;
}
