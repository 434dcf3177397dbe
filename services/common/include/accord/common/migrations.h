// Each service ships ordered SQL files for its own schema (embedded in its binary at build time,
// see cmake/EmbedSql.cmake). ApplyMigrations applies those not yet recorded in
// <schema>.schema_migrations, each in its own transaction, while holding a Postgres advisory lock
// keyed by the schema, so replicas starting together apply each migration exactly once.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::common {

struct Migration {
  std::string version;  // the file name without .sql, e.g. "0001_accounts"; applied in order
  std::string sql;
};

// Returns the versions it applied (empty when the schema was up to date).
absl::StatusOr<std::vector<std::string>> ApplyMigrations(const std::string& pg_url,
                                                         const std::string& schema,
                                                         const std::vector<Migration>& migrations);

// The versions this binary carries (the common ones and `migrations`) that <schema> has not
// recorded as applied, in order: a service refuses to serve while any is missing. Versions the
// schema has beyond these (a newer release's, mid-rollout) do not stop an older binary.
absl::StatusOr<std::vector<std::string>> MissingMigrations(
    const std::string& pg_url, const std::string& schema, const std::vector<Migration>& migrations);

}  // namespace accord::common
