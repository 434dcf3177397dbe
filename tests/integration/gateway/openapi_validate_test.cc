// The OpenAPI document validates with an OpenAPI validator from npm (@apidevtools/swagger-parser,
// installed here into a scratch directory) and lists every route of the gateway.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api_descriptors.h"
#include "embedded.h"
#include "openapi.h"
#include "routes.h"

namespace accord::gateway {
namespace {

int Shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(GatewayOpenApiValidationTest, TheDocumentValidatesAndListsEveryRoute) {
  const auto dir = std::filesystem::temp_directory_path() / "accord-gateway-openapi-validator";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "openapi.json") << EmbeddedOpenApi();
  std::ofstream(dir / "validate.js") << R"js(
const SwaggerParser = require("@apidevtools/swagger-parser");
SwaggerParser.validate(process.argv[2])
  .then(api => { console.log("valid:", Object.keys(api.paths).length, "paths"); })
  .catch(err => { console.error(err.message); process.exit(1); });
)js";
  if (!std::filesystem::exists(dir / "node_modules" / "@apidevtools" / "swagger-parser")) {
    ASSERT_EQ(Shell("cd '" + dir.string() +
                    "' && npm install --no-audit --no-fund --silent @apidevtools/swagger-parser@10 "
                    ">npm.log 2>&1"),
              0)
        << "npm install failed; see " << (dir / "npm.log");
  }
  EXPECT_EQ(Shell("cd '" + dir.string() + "' && node validate.js openapi.json"), 0);

  // A document with a broken reference fails the same validator (the check can fail).
  auto broken = nlohmann::json::parse(EmbeddedOpenApi());
  broken["paths"]["/v1/accounts"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"] = {{"$ref", "#/components/schemas/NoSuchSchema"}};
  std::ofstream(dir / "broken.json") << broken.dump();
  EXPECT_NE(Shell("cd '" + dir.string() + "' && node validate.js broken.json 2>/dev/null"), 0);

  auto table = RouteTable::Build(ApiDescriptors::Embedded());
  ASSERT_TRUE(table.ok());
  auto document = nlohmann::json::parse(EmbeddedOpenApi());
  size_t operations = 0;
  for (const auto& [path, methods] : document["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, table->routes().size());
}

}  // namespace
}  // namespace accord::gateway
