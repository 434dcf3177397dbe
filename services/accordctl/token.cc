// `accordctl token`: mints a dev HS256 token, e.g. `export ACCORD_TOKEN=$(accordctl token
// --role account_manager --subject alice)`.
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

int RunToken(const Invocation& inv) {
  std::vector<std::string> roles;
  for (const auto& value : inv.args.GetAll("role")) {
    for (auto& role : SplitList(value)) roles.push_back(std::move(role));
  }
  if (roles.empty()) return inv.UsageError("--role is empty (" + RoleNamesForHelp() + ")");
  std::vector<std::string> territories;
  for (const auto& value : inv.args.GetAll("territory")) {
    for (auto& territory : SplitList(value)) territories.push_back(std::move(territory));
  }
  std::string ttl_text = inv.args.GetOr("ttl", "8h");
  auto ttl_millis = ParseDurationMillis(ttl_text);
  if (!ttl_millis || *ttl_millis < 1000) {
    return inv.UsageError("bad --ttl '" + ttl_text + "' (e.g. 8h, 30m, 1h30m)");
  }
  std::string token;
  std::string error = MintDevToken(roles, inv.args.GetOr("subject", "accordctl"), territories,
                                   *ttl_millis / 1000, &token);
  if (!error.empty()) return inv.UsageError(error);
  if (inv.wants_json()) {
    inv.out << nlohmann::json{{"token", token}}.dump() << "\n";
  } else {
    inv.out << token << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterTokenCommands(Registry& registry) {
  registry.Add({
      .path = {"token"},
      .synopsis = "--role ROLE[,ROLE...]",
      .summary = "Mint a dev HS256 token and print it.",
      .description =
          "Signs with $ACCORD_JWT_SECRET; issuer $ACCORD_JWT_ISSUER (default accord-dev),\n"
          "audience $ACCORD_JWT_AUDIENCE (default accord). Prints only the token\n"
          "(-o json: {\"token\": ...}).\n\n"
          "Roles: account_manager, sales_assistant, service_agent, service_supervisor,\n"
          "pricing_manager, integration, admin.\n\n"
          "Example:\n"
          "  export ACCORD_TOKEN=$(accordctl token --role account_manager --subject alice)",
      .flags =
          {
              {.name = "role",
               .value_name = "ROLE[,ROLE...]",
               .help = "Role(s) to grant.",
               .repeated = true,
               .required = true},
              {"subject", "S", "Token subject (default accordctl)."},
              {"territory", "T", "Territory claim.", true},
              {"ttl", "DURATION", "Lifetime, e.g. 8h, 30m (default 8h)."},
          },
      .run = RunToken,
  });
}

}  // namespace accord::accordctl
