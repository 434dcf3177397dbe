#include <iostream>

#include "accord/common/errors.h"
#include "accord/common/log.h"
#include "accord/common/server.h"

namespace accord::common {

PgOptions ReadPgOptions(ConfigReader& config, const std::string& service_name) {
  PgOptions pg;
  pg.url = config.RequiredString("ACCORD_PG_URL", "PostgreSQL connection URL");
  pg.pool_size = config.Int("ACCORD_PG_POOL_SIZE", 8, 1, 512, "database connections per process");
  pg.statement_timeout =
      config.Millis("ACCORD_PG_STATEMENT_TIMEOUT_MS", std::chrono::milliseconds(5000),
                    "longest a single SQL statement may run");
  pg.acquire_timeout =
      config.Millis("ACCORD_PG_ACQUIRE_TIMEOUT_MS", std::chrono::milliseconds(2000),
                    "longest a request waits for a free database connection");
  pg.connect_timeout = std::chrono::seconds(
      config.Int("ACCORD_PG_CONNECT_TIMEOUT_S", 3, 1, 60, "database connect timeout, seconds"));
  pg.application_name = "accord-" + service_name;
  return pg;
}

int MigrateCommand(ConfigReader& config, const ServiceDefinition& definition) {
  const bool help = config.Bool("ACCORD_HELP", false, "print this help and exit");
  const std::string level = config.Choice(
      "ACCORD_LOG_LEVEL", "info", {"debug", "info", "warn", "error"}, "least severe level logged");
  const std::string url = config.RequiredString("ACCORD_PG_URL", "PostgreSQL connection URL");
  const std::string program = "accord-" + definition.name;
  if (help) {
    std::cout << "usage: " << program << " migrate [--flag=value ...]\n"
              << "Applies the " << definition.schema
              << " schema's migrations. Every setting is an environment variable or the matching "
                 "flag:\n"
              << config.Usage();
    return 0;
  }
  if (config.positional().size() > 1) {
    std::cerr << program << ": migrate takes no arguments (got '" << config.positional()[1]
              << "')\n";
    return 2;
  }
  if (auto status = config.Finish(); !status.ok()) {
    std::cerr << program << ": " << status.message() << "\n";
    return 2;
  }
  log::Init(definition.name, level);
  SetErrorDomain(definition.name + ".accord");
  auto applied = ApplyMigrations(url, definition.schema, definition.migrations());
  if (!applied.ok()) {
    log::Error("migration failed", {{"error", std::string(applied.status().message())}});
    return 1;
  }
  log::Info("schema up to date",
            {{"schema", definition.schema}, {"applied", static_cast<int>(applied->size())}});
  return 0;
}

}  // namespace accord::common
