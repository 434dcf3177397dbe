#include "accord/common/table_statistics.h"

namespace accord::common {

std::vector<std::string> AnalyzeGrowingTables(pqxx::connection& connection,
                                              const std::string& schema) {
  std::vector<std::string> tables;
  {
    pqxx::nontransaction query(connection, "table-statistics");
    // reltuples is -1 for a table never analyzed (PostgreSQL 14+); n_mod_since_analyze counts
    // inserted, updated and deleted rows. Both come from memory, so this costs microseconds.
    for (const auto& row : query.exec_params(
             "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname) FROM "
             "pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
             "WHERE s.schemaname = $1 AND s.n_mod_since_analyze >= $2 "
             "AND s.n_mod_since_analyze > greatest(c.reltuples, 0) ORDER BY s.relname",
             schema, kMinChangedRows)) {
      tables.push_back(row[0].as<std::string>());
    }
  }
  for (const auto& table : tables) {
    pqxx::nontransaction analyze(connection, "table-statistics");
    analyze.exec("ANALYZE " + table);
  }
  return tables;
}

}  // namespace accord::common
