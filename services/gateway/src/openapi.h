// The OpenAPI 3 document of the HTTP API, derived from the descriptors and the route table (the
// build runs accord-gateway-openapi; the gateway serves the result at /openapi.json).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api_descriptors.h"
#include "routes.h"

namespace accord::gateway {

// The route's path in OpenAPI form: each `*` of a variable becomes a parameter named after the
// resource pattern with the same shape ("/v1/accounts/{account}/needs/{need}").
std::string OpenApiPath(const ApiDescriptors& api, const Route& route);

nlohmann::json BuildOpenApi(const ApiDescriptors& api, const RouteTable& routes);

}  // namespace accord::gateway
