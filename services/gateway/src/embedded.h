// What the build compiled into the gateway: the API's descriptor set and its OpenAPI document.
#pragma once

#include <string_view>

namespace accord::gateway {

std::string_view EmbeddedDescriptorSet();
std::string_view EmbeddedOpenApi();

}  // namespace accord::gateway
