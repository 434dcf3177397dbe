#include "accord/common/migrations.h"

#include <pqxx/pqxx>
#include <set>

#include "accord/common/errors.h"
#include "accord/common/log.h"
#include "accord/common/pg.h"

namespace accord::common {
namespace {

// A stable 63-bit key per schema so different services never block each other.
long long AdvisoryKey(const std::string& schema) {
  unsigned long long hash = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : "accord.migrations." + schema) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return static_cast<long long>(hash >> 1);
}

// Tables every service has in its own schema; `{schema}` is replaced by the schema name.
const std::vector<Migration>& CommonMigrations() {
  static const std::vector<Migration> kCommon = {
      {"0000_common_idempotency_keys", R"sql(
CREATE TABLE {schema}.idempotency_keys (
  request_id text PRIMARY KEY,
  method text NOT NULL,
  fingerprint text NOT NULL,
  response bytea,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_at ON {schema}.idempotency_keys (created_at);
)sql"},
      // The transactional outbox (outbox.h) and the relay's publish order (relay.h).
      {"0001_common_outbox", R"sql(
CREATE TABLE {schema}.outbox (
  seq bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  subject text NOT NULL,
  aggregate_version bigint NOT NULL,
  envelope bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  publish_seq bigint UNIQUE,
  published_at timestamptz
);
-- What the relay scans: only the (few) unpublished rows.
CREATE INDEX outbox_unpublished ON {schema}.outbox (seq) WHERE published_at IS NULL;
-- Retention deletes and time lookups.
CREATE INDEX outbox_published_at ON {schema}.outbox (published_at);
CREATE SEQUENCE {schema}.outbox_publish_seq;
)sql"},
      // Effectively-once consumption (consumer.h).
      {"0002_common_consumers", R"sql(
CREATE TABLE {schema}.consumed_events (
  consumer_group text NOT NULL,
  event_id uuid NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
-- For pruning old dedupe records.
CREATE INDEX consumed_events_applied_at ON {schema}.consumed_events (applied_at);
CREATE TABLE {schema}.consumer_positions (
  consumer_group text NOT NULL,
  subject text NOT NULL,
  aggregate_version bigint NOT NULL,
  PRIMARY KEY (consumer_group, subject)
);
)sql"},
      // The outbox is a queue: every event leaves a dead row version behind (the relay's stamp),
      // and its unpublished-rows index keeps an entry for each until VACUUM, which the relay's
      // sweeps (relay.cc, once a second) walk. Measured with 1 000 000 of them: the first sweep
      // took 464 ms and every later one 5-14 ms, against 0.2-0.8 ms after a VACUUM. Autovacuum's
      // default waits for dead rows to make up a fifth of the table, which retention keeps at days
      // of events, so it is told to come after a fixed number instead.
      {"0003_common_outbox_vacuum", R"sql(
ALTER TABLE {schema}.outbox SET (autovacuum_vacuum_scale_factor = 0,
                                 autovacuum_vacuum_threshold = 20000);
)sql"},
      // Who claimed a request id: a stored response answers only its owner (idempotency.h).
      // Keys claimed before this column existed stay NULL and are answered to nobody.
      {"0004_common_idempotency_subject", R"sql(
ALTER TABLE {schema}.idempotency_keys ADD COLUMN subject text;
)sql"},
      // Where each feed of another service's events stands (peer_events.h).
      {"0005_common_peer_feeds", R"sql(
CREATE TABLE {schema}.peer_feeds (
  name text PRIMARY KEY,
  peer text NOT NULL,
  cursor text NOT NULL,
  applied bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
)sql"},
      // One number per relay session, drawn once it holds the relay lock: Redis refuses the XADDs
      // of an older session once a newer one has fenced the stream (relay.h).
      {"0006_common_relay_epoch", R"sql(
CREATE SEQUENCE {schema}.outbox_relay_epoch;
)sql"},
  };
  return kCommon;
}

std::string ForSchema(std::string sql, const std::string& schema) {
  const std::string placeholder = "{schema}";
  for (size_t at = sql.find(placeholder); at != std::string::npos;
       at = sql.find(placeholder, at + schema.size())) {
    sql.replace(at, placeholder.size(), schema);
  }
  return sql;
}

// The common migrations for `schema`, then the service's own: the order they are applied in.
std::vector<Migration> AllMigrations(const std::string& schema,
                                     const std::vector<Migration>& migrations) {
  std::vector<Migration> all;
  for (const auto& migration : CommonMigrations()) {
    all.push_back({migration.version, ForSchema(migration.sql, schema)});
  }
  all.insert(all.end(), migrations.begin(), migrations.end());
  return all;
}

std::set<std::string> AppliedVersions(pqxx::connection& connection, const std::string& schema) {
  std::set<std::string> done;
  pqxx::read_transaction read(connection);
  const std::string table = read.quote_name(schema) + ".schema_migrations";
  // A schema never migrated has no table yet: nothing is applied.
  if (read.exec1("SELECT to_regclass(" + read.quote(table) + ") IS NOT NULL")[0].as<bool>()) {
    for (const auto& row : read.exec("SELECT version FROM " + table)) {
      done.insert(row[0].as<std::string>());
    }
  }
  return done;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MissingMigrations(
    const std::string& pg_url, const std::string& schema,
    const std::vector<Migration>& migrations) {
  std::vector<std::string> missing;
  try {
    pqxx::connection connection(
        WithConnectOptions(pg_url, std::chrono::seconds(5), "accord-schema-check"));
    const std::set<std::string> done = AppliedVersions(connection, schema);
    for (const auto& migration : AllMigrations(schema, migrations)) {
      if (!done.count(migration.version)) missing.push_back(migration.version);
    }
  } catch (const std::exception& error) {
    absl::Status status = StatusFromPgException(error);
    return absl::Status(status.code(), "checking schema " + schema + ": " + error.what());
  }
  return missing;
}

absl::StatusOr<std::vector<std::string>> ApplyMigrations(const std::string& pg_url,
                                                         const std::string& schema,
                                                         const std::vector<Migration>& migrations) {
  std::vector<std::string> applied;
  try {
    pqxx::connection connection(
        WithConnectOptions(pg_url, std::chrono::seconds(5), "accord-migrate"));
    const long long key = AdvisoryKey(schema);
    {
      pqxx::nontransaction session(connection);
      session.exec("SELECT pg_advisory_lock(" + std::to_string(key) + ")");
    }
    // Everything below runs while this session holds the lock; it is released explicitly, or by
    // the server when the connection closes on any error path.
    {
      pqxx::work setup(connection);
      setup.exec0("CREATE SCHEMA IF NOT EXISTS " + setup.quote_name(schema));
      setup.exec0("CREATE TABLE IF NOT EXISTS " + setup.quote_name(schema) +
                  ".schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL "
                  "DEFAULT now())");
      setup.commit();
    }
    const std::set<std::string> done = AppliedVersions(connection, schema);
    for (const auto& migration : AllMigrations(schema, migrations)) {
      if (done.count(migration.version)) continue;
      pqxx::work step(connection);
      step.exec0("SET LOCAL search_path TO " + step.quote_name(schema) + ", public");
      step.exec(migration.sql);
      step.exec_params0(
          "INSERT INTO " + step.quote_name(schema) + ".schema_migrations (version) VALUES ($1)",
          migration.version);
      step.commit();
      applied.push_back(migration.version);
      log::Info("migration applied", {{"schema", schema}, {"version", migration.version}});
    }
    pqxx::nontransaction session(connection);
    session.exec("SELECT pg_advisory_unlock(" + std::to_string(key) + ")");
  } catch (const std::exception& error) {
    absl::Status status = StatusFromPgException(error);
    return absl::Status(status.code(), "migrating schema " + schema + ": " + error.what());
  }
  return applied;
}

}  // namespace accord::common
