#include "accord/common/pg.h"

#include <cctype>
#include <utility>

#include "accord/common/errors.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/pg_read_together.h"

namespace accord::common {
namespace {

bool SqlStateIs(const std::string& state, const char* prefix) {
  return state.rfind(prefix, 0) == 0;
}

std::string FirstLine(const char* text) {
  std::string line(text);
  auto newline = line.find('\n');
  return newline == std::string::npos ? line : line.substr(0, newline);
}

// The shared read of ReadTogether running on this thread, if any.
struct SharedRead {
  const PgPool* pool;
  pqxx::transaction_base* transaction;
};
thread_local SharedRead* shared_read = nullptr;

}  // namespace

absl::Status ReadTogether(PgPool& pool, const std::function<absl::Status()>& fn) {
  if (shared_read != nullptr && shared_read->pool == &pool) return fn();
  return pool.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    SharedRead shared{&pool, &transaction};
    SharedRead* previous = std::exchange(shared_read, &shared);
    struct Restore {
      SharedRead* previous;
      ~Restore() { shared_read = previous; }
    } restore{previous};
    return fn();
  });
}

absl::Status StatusFromPgException(const std::exception& error) {
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    return Unavailable("DATABASE_UNAVAILABLE", "the database cannot be reached; retry later");
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr ||
      dynamic_cast<const pqxx::statement_completion_unknown*>(&error) != nullptr) {
    return Unavailable("COMMIT_OUTCOME_UNKNOWN",
                       "the connection broke during commit; retry with the same request_id");
  }
  // libpqxx 6 derives these from pqxx::failure, not sql_error, so they are matched by type.
  if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr ||
      dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr) {
    return Aborted("CONCURRENT_MODIFICATION", "a concurrent change conflicted; retry");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error); sql != nullptr) {
    const std::string state = sql->sqlstate();
    if (state == "23505") return AlreadyExists("ALREADY_EXISTS", FirstLine(sql->what()));
    if (state == "40001" || state == "40P01") {
      return Aborted("CONCURRENT_MODIFICATION", "a concurrent change conflicted; retry");
    }
    if (state == "57014") {
      return absl::DeadlineExceededError("a database statement exceeded its time limit");
    }
    if (state == "23503" || state == "23514") {
      return FailedPrecondition("CONSTRAINT_VIOLATION", FirstLine(sql->what()));
    }
    if (SqlStateIs(state, "22")) return InvalidArgument("request", FirstLine(sql->what()));
    if (SqlStateIs(state, "08") || SqlStateIs(state, "53") || SqlStateIs(state, "57P")) {
      return Unavailable("DATABASE_UNAVAILABLE", FirstLine(sql->what()));
    }
    log::Error("database error", {{"sqlstate", state}, {"error", FirstLine(sql->what())}});
    return Internal("database error " + state);
  }
  log::Error("unexpected error in database call", {{"error", error.what()}});
  return Internal("unexpected database error");
}

std::string WithConnectOptions(const std::string& url, std::chrono::seconds connect_timeout,
                               const std::string& application_name) {
  const std::string timeout = std::to_string(connect_timeout.count());
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    std::string out = url;
    char separator = url.find('?') == std::string::npos ? '?' : '&';
    if (url.find("connect_timeout=") == std::string::npos) {
      out += separator + std::string("connect_timeout=") + timeout;
      separator = '&';
    }
    if (url.find("application_name=") == std::string::npos) {
      out += separator + std::string("application_name=") + application_name;
    }
    return out;
  }
  std::string out = url;
  if (url.find("connect_timeout") == std::string::npos) out += " connect_timeout=" + timeout;
  if (url.find("application_name") == std::string::npos) {
    out += " application_name=" + application_name;
  }
  return out;
}

std::string MicrosText(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000000)::bigint::text";
}

void AppendKeysetAfter(std::string& statement, std::vector<std::string>& params,
                       const KeysetOrder& order,
                       const std::optional<std::vector<std::string>>& after) {
  if (after) {
    const std::string key_param = "$" + std::to_string(params.size() + 1);
    const std::string id_param = "$" + std::to_string(params.size() + 2) + "::uuid";
    std::string key_value = order.key_from_text;
    if (auto at = key_value.find("{}"); at != std::string::npos) {
      key_value.replace(at, 2, key_param);
    }
    statement += " AND (" + order.column + ", " + order.id_column + ") " +
                 (order.descending ? "<" : ">") + " (" + key_value + ", " + id_param + ")";
    params.push_back((*after)[0]);
    params.push_back((*after)[1]);
  }
}

void AppendKeyset(std::string& statement, std::vector<std::string>& params,
                  const KeysetOrder& order, const std::optional<std::vector<std::string>>& after,
                  int limit) {
  AppendKeysetAfter(statement, params, order, after);
  const char* direction = order.descending ? " DESC" : " ASC";
  statement += " ORDER BY " + order.column + direction + ", " + order.id_column + direction +
               " LIMIT " + std::to_string(limit + 1);
}

PgPool::PgPool(PgOptions options, std::vector<PreparedStatement> statements)
    : options_(std::move(options)),
      conninfo_(
          WithConnectOptions(options_.url, options_.connect_timeout, options_.application_name)),
      statements_(std::move(statements)) {}

PgPool::~PgPool() = default;

std::string InlineParams(pqxx::connection_base& connection, const std::string& statement,
                         const std::vector<std::string>& params) {
  std::string out;
  out.reserve(statement.size() + 16 * params.size());
  for (size_t i = 0; i < statement.size();) {
    if (statement[i] == '$' && i + 1 < statement.size() &&
        std::isdigit(static_cast<unsigned char>(statement[i + 1]))) {
      size_t end = i + 1;
      size_t index = 0;
      while (end < statement.size() && std::isdigit(static_cast<unsigned char>(statement[end]))) {
        index = index * 10 + static_cast<size_t>(statement[end] - '0');
        ++end;
      }
      if (index >= 1 && index <= params.size()) {
        out += connection.quote(params[index - 1]);
        i = end;
        continue;
      }
    }
    out += statement[i++];
  }
  return out;
}

std::string SessionSettingsSql(std::chrono::milliseconds statement_timeout) {
  return "SET statement_timeout = " + std::to_string(statement_timeout.count()) +
         "; SET plan_cache_mode = force_generic_plan";
}

std::unique_ptr<pqxx::connection> PgPool::Connect() {
  auto connection = std::make_unique<pqxx::connection>(conninfo_);
  {
    pqxx::nontransaction setup(*connection);
    setup.exec0(SessionSettingsSql(options_.statement_timeout));
  }
  for (const auto& statement : statements_) connection->prepare(statement.name, statement.sql);
  return connection;
}

absl::Status PgPool::Acquire(std::unique_ptr<pqxx::connection>* out) {
  std::unique_lock lock(mutex_);
  ++waiting_;
  bool ready = available_.wait_for(lock, options_.acquire_timeout,
                                   [&] { return !idle_.empty() || open_ < options_.pool_size; });
  --waiting_;
  if (!ready) {
    return Unavailable("DATABASE_POOL_EXHAUSTED",
                       "no database connection became free in time; retry later");
  }
  ++in_use_;
  if (!idle_.empty()) {
    *out = std::move(idle_.back());
    idle_.pop_back();
    return absl::OkStatus();
  }
  ++open_;
  lock.unlock();
  try {
    *out = Connect();
    return absl::OkStatus();
  } catch (const std::exception& error) {
    lock.lock();
    --open_;
    --in_use_;
    available_.notify_one();
    log::Warn("database connection failed", {{"error", FirstLine(error.what())}});
    return Unavailable("DATABASE_UNAVAILABLE", "the database cannot be reached; retry later");
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> connection, bool broken) {
  std::lock_guard lock(mutex_);
  --in_use_;
  if (broken || !connection->is_open()) {
    --open_;
  } else {
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

WriteTransaction::WriteTransaction(pqxx::connection_base& connection)
    : pqxx::internal::namedclass("WriteTransaction"), pqxx::transaction_base(connection) {
  // Nascent until its first statement: that statement's activate() or BeginWith begins it.
}

WriteTransaction::~WriteTransaction() { End(); }

pqxx::transaction_base& WriteTransaction::Begun() {
  if (!begun_) Begin();
  return *this;
}

pqxx::result WriteTransaction::BeginWith(const std::string& statement,
                                         const pqxx::internal::params& params) {
  std::string query = "BEGIN;" + ExecuteSql(statement, params);
  begin_in_query_ = true;
  Begin();
  begin_in_query_ = false;
  return direct_exec(query.c_str());
}

std::string WriteTransaction::ExecuteSql(const std::string& statement,
                                         const pqxx::internal::params& params) {
  // EXECUTE names the statement on the server, which libpqxx otherwise prepares lazily.
  conn().prepare_now(statement);
  std::string sql = "EXECUTE " + statement;
  if (params.nonnulls.empty()) return sql;  // "name()" is a syntax error
  sql += "(";
  size_t text = 0;
  size_t binary = 0;
  for (size_t i = 0; i < params.nonnulls.size(); ++i) {
    if (i > 0) sql += ",";
    if (params.binaries[i]) {
      const auto& bytes = params.bin_strings[binary++];
      sql += "'" + conn().esc_raw(bytes.data(), bytes.size()) + "'";
    } else if (params.nonnulls[i]) {
      sql += "'" + conn().esc(params.strings[text++]) + "'";
    } else {
      sql += "NULL";
    }
  }
  return sql + ")";
}

const pqxx::result& WriteTransaction::ExpectRows(const std::string& statement, size_t rows,
                                                 const pqxx::result& result) {
  if (result.size() != rows) {
    throw pqxx::unexpected_rows("prepared statement " + statement + " returned " +
                                std::to_string(result.size()) + " rows, expected " +
                                std::to_string(rows));
  }
  return result;
}

void WriteTransaction::commit() {
  if (!begun_ && !at_commit_.empty()) {
    at_commit_.insert(0, "BEGIN;");
    begin_in_query_ = true;
    Begin();
    begin_in_query_ = false;
  }
  transaction_base::commit();
}

void WriteTransaction::do_begin() {
  begun_ = true;
  if (!begin_in_query_) direct_exec("BEGIN");
}

pqxx::result WriteTransaction::do_exec(const char query[]) { return direct_exec(query); }

void WriteTransaction::do_commit() {
  const std::string query = std::move(at_commit_) + "COMMIT";
  at_commit_.clear();
  try {
    direct_exec(query.c_str());
  } catch (const pqxx::broken_connection& error) {
    throw pqxx::in_doubt_error(std::string("connection lost while committing: ") + error.what());
  } catch (...) {
    // A deferred statement failed, so COMMIT never ran and the transaction is still open, aborted.
    // (transaction_base::commit marks the transaction aborted without calling do_abort.)
    try {
      direct_exec("ROLLBACK");
    } catch (const std::exception&) {
      // The connection is unusable: the pool drops it, and the server rolls back.
    }
    throw;
  }
}

void WriteTransaction::do_abort() {
  at_commit_.clear();
  if (begun_) direct_exec("ROLLBACK");
}

namespace {

// Time on a leased connection (the wait for one is accord_pg_pool_waiting's): what PostgreSQL
// and the round trips to it cost each unit of work.
Histogram& PgCallLatency(std::string_view kind) {
  return MetricsRegistry::Global().GetHistogram(
      "accord_pg_call_seconds",
      "time a transaction or read held its connection, by kind (write, read, statement)",
      {{"kind", std::string(kind)}});
}

class CallTimer {
 public:
  explicit CallTimer(Histogram& histogram) : histogram_(histogram) {}
  ~CallTimer() {
    histogram_.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  Histogram& histogram_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

absl::Status PgPool::Transact(const std::function<absl::Status(WriteTransaction&)>& fn,
                              int retries) {
  static Histogram& latency = PgCallLatency("write");
  // A pooled connection may have died while idle (e.g. the server restarted): nothing was
  // committed on it, so one more try on a fresh connection is safe.
  bool reconnected = false;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<pqxx::connection> connection;
    ACCORD_RETURN_IF_ERROR(Acquire(&connection));
    absl::Status status;
    bool broken = false;
    bool retryable = false;
    try {
      CallTimer timer(latency);
      WriteTransaction transaction(*connection);
      status = fn(transaction);
      if (status.ok()) transaction.commit();
      // An error status leaves the transaction to roll back in its destructor.
    } catch (const pqxx::transaction_rollback& error) {
      retryable = dynamic_cast<const pqxx::statement_completion_unknown*>(&error) == nullptr;
      status = StatusFromPgException(error);
      broken = !retryable;
    } catch (const pqxx::broken_connection& error) {
      status = StatusFromPgException(error);
      broken = true;
      retryable = !reconnected;
      reconnected = true;
    } catch (const pqxx::in_doubt_error& error) {
      status = StatusFromPgException(error);
      broken = true;
    } catch (const std::exception& error) {
      status = StatusFromPgException(error);
    }
    Release(std::move(connection), broken);
    if (!retryable || attempt >= retries + (reconnected ? 1 : 0)) return status;
  }
}

absl::Status PgPool::Read(const std::function<absl::Status(pqxx::transaction_base&)>& fn,
                          ReadScope scope) {
  static Histogram& snapshot_latency = PgCallLatency("read");
  static Histogram& statement_latency = PgCallLatency("statement");
  if (shared_read != nullptr && shared_read->pool == this) {
    // Inside ReadTogether: its transaction, its connection.
    try {
      return fn(*shared_read->transaction);
    } catch (const std::exception& error) {
      return StatusFromPgException(error);
    }
  }
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<pqxx::connection> connection;
    ACCORD_RETURN_IF_ERROR(Acquire(&connection));
    absl::Status status;
    bool broken = false;
    try {
      CallTimer timer(scope == ReadScope::kOneStatement ? statement_latency : snapshot_latency);
      if (scope == ReadScope::kOneStatement) {
        pqxx::nontransaction statement(*connection);
        status = fn(statement);
      } else {
        pqxx::read_transaction transaction(*connection);
        status = fn(transaction);
        if (status.ok()) transaction.commit();
      }
    } catch (const pqxx::broken_connection& error) {
      status = StatusFromPgException(error);
      broken = true;
    } catch (const std::exception& error) {
      status = StatusFromPgException(error);
    }
    Release(std::move(connection), broken);
    if (!broken || attempt >= 1) return status;  // see Transact: one retry after a dead connection
  }
}

absl::Status PgPool::Ping() {
  std::lock_guard lock(ping_mutex_);
  try {
    if (!ping_connection_ || !ping_connection_->is_open()) ping_connection_ = Connect();
    pqxx::nontransaction ping(*ping_connection_);
    ping.exec("SELECT 1");
    return absl::OkStatus();
  } catch (const std::exception& error) {
    ping_connection_.reset();
    return StatusFromPgException(error);
  }
}

PgPoolStats PgPool::stats() const {
  std::lock_guard lock(mutex_);
  return {open_, in_use_, waiting_, options_.pool_size};
}

}  // namespace accord::common
