#include "accord/common/pg.h"

#include "accord/common/errors.h"
#include "accord/common/log.h"

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

}  // namespace

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

void AppendKeyset(std::string& statement, std::vector<std::string>& params,
                  const KeysetOrder& order, const std::optional<std::vector<std::string>>& after,
                  int limit) {
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

absl::Status PgPool::Transact(const std::function<absl::Status(pqxx::work&)>& fn, int retries) {
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
      pqxx::work transaction(*connection);
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
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<pqxx::connection> connection;
    ACCORD_RETURN_IF_ERROR(Acquire(&connection));
    absl::Status status;
    bool broken = false;
    try {
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
