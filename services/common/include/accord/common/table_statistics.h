// Planner statistics for young tables.
//
// Every Accord session prepares its statements with generic plans (pg.h), made once per
// connection. A plan made while a table was new and small (a sequential scan is cheapest there)
// stays in use as the table grows, until something invalidates it; ANALYZE does, but
// autovacuum's first one comes only after its nap and thresholds, so a new deployment under load
// ran its point statements as scans of tens of thousands of rows (measured: the idempotency
// update at 50 000 rows, 5.7 ms instead of 0.06 ms). The active relay therefore analyzes, every
// few seconds, each table of its schema that has changed by more than its own size since its
// last ANALYZE (at least kMinChangedRows rows): a table growing from empty is analyzed at about
// 1 000, 2 000, 4 000, ... rows, so a handful of cheap ANALYZEs over its youth, and rarely later.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace accord::common {

inline constexpr int kMinChangedRows = 1000;

// ANALYZEs the tables of `schema` that changed more than their estimated size since their last
// ANALYZE; returns their names. Tables the connection's role does not own are skipped by
// PostgreSQL with a warning.
std::vector<std::string> AnalyzeGrowingTables(pqxx::connection& connection,
                                              const std::string& schema);

}  // namespace accord::common
