// A bounded pool of libpqxx connections. Statements are registered once as named constants and
// prepared on every connection; each connection carries a statement timeout; a connection that
// breaks is dropped and replaced on demand; Postgres errors become typed statuses:
// unique violation -> ALREADY_EXISTS, serialization failure or deadlock -> ABORTED (after
// retries), connection loss -> UNAVAILABLE, statement timeout -> DEADLINE_EXCEEDED.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace accord::common {

struct PgOptions {
  std::string url;
  int pool_size = 8;
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::seconds connect_timeout{3};
  std::string application_name = "accord";
};

struct PreparedStatement {
  const char* name;
  const char* sql;
};

struct PgPoolStats {
  int size = 0;     // open connections
  int in_use = 0;   // leased right now
  int waiting = 0;  // callers waiting for a connection
  int capacity = 0;
};

// Converts an exception thrown by libpqxx (or anything else) into a status.
absl::Status StatusFromPgException(const std::exception& error);

// Adds connect_timeout and application_name to a libpq URL or keyword/value string.
std::string WithConnectOptions(const std::string& url, std::chrono::seconds connect_timeout,
                               const std::string& application_name);

// What every Accord session runs first: the statement timeout, and generic plans for prepared
// statements. The services' statements are point reads and writes whose best plan does not depend
// on the parameter values; left to choose, Postgres keeps planning some of them anew on every
// execution (a uuid[] parameter made every custom plan look cheaper: the batched account read
// cost three times the database CPU, and the relay's stamp statement was planned on every pass).
std::string SessionSettingsSql(std::chrono::milliseconds statement_timeout);

// `statement` with each $N replaced by params[N - 1] as a quoted literal, for a statement whose
// best plan depends on its values: a List with a filter (`display_name:zzzz` is best found through
// the trigram index, `lifecycle_stage = ACTIVE` by walking the ordering index). Every Accord
// session forces generic plans (above), and PostgreSQL applies that to parameters bound through
// the extended protocol too: a generic plan, blind to the values, walked the whole ordering index
// for a substring that matched nothing (1.5 s at a million accounts). Literals are planned for
// what they are. The placeholders must appear only outside string literals (true of the SQL the
// filter compiler and the repositories write).
std::string InlineParams(pqxx::connection_base& connection, const std::string& statement,
                         const std::vector<std::string>& params);

// Keyset paging in SQL, shared by every List: rows after the previous page's last (sort key, id),
// in a stable order, one more than the page so the caller knows whether another page follows.
struct KeysetOrder {
  std::string column;     // what rows are ordered by, e.g. "a.display_name"
  std::string id_column;  // the tie-breaker, e.g. "a.id" (a uuid)
  // The token's key text back into SQL; "{}" stands for its placeholder, e.g. "{}::date".
  std::string key_from_text = "{}";
  bool descending = false;
};

// Sort keys of timestamps travel as exact epoch microseconds: select them with
// `MicrosText(column)` and read them back with kMicrosToTimestamptz.
inline constexpr char kMicrosToTimestamptz[] =
    "(timestamptz 'epoch' + {}::bigint * interval '1 microsecond')";
std::string MicrosText(const std::string& column);

// Appends "AND (column, id) >|< (key, id)" when `after` is set (binding both in `params`).
void AppendKeysetAfter(std::string& statement, std::vector<std::string>& params,
                       const KeysetOrder& order,
                       const std::optional<std::vector<std::string>>& after);
// AppendKeysetAfter, then "ORDER BY column, id LIMIT limit + 1".
void AppendKeyset(std::string& statement, std::vector<std::string>& params,
                  const KeysetOrder& order, const std::optional<std::vector<std::string>>& after,
                  int limit);

// How much of the database a read sees at once.
enum class ReadScope {
  // Several statements, one snapshot: a read-only transaction (BEGIN ... COMMIT).
  kSnapshot,
  // One statement, which is its own snapshot: no transaction block, so one round trip, not three.
  kOneStatement,
};

// A read-write transaction that spends no round trip of its own. BEGIN travels in the same
// simple query as the first prepared statement, and the statements deferred with
// exec_prepared_at_commit travel with COMMIT. pqxx::work sends BEGIN and COMMIT on round trips of
// their own, and on a busy 2-core machine every round trip is a wake-up of the calling thread and
// of a backend: an account update took five round trips and now takes three.
//
// A statement folded with BEGIN or COMMIT runs as `EXECUTE name(literals)`, so its parameters
// travel as quoted text. Any other first statement sends BEGIN on its own first. The inheritance
// is private because transaction_base's own exec functions do not begin a transaction that has
// not begun yet: code that needs a transaction_base& takes Begun().
class WriteTransaction : private pqxx::transaction_base {
 public:
  explicit WriteTransaction(pqxx::connection_base& connection);
  ~WriteTransaction() override;

  using pqxx::transaction_base::conn;

  // This transaction, begun: BEGIN is sent now unless a statement already carried it.
  pqxx::transaction_base& Begun();

  template <typename... Args>
  pqxx::result exec_prepared(const std::string& statement, Args&&... args) {
    if (begun_) return transaction_base::exec_prepared(statement, std::forward<Args>(args)...);
    return BeginWith(statement, pqxx::internal::params(std::forward<Args>(args)...));
  }
  template <typename... Args>
  pqxx::row exec_prepared1(const std::string& statement, Args&&... args) {
    return ExpectRows(statement, 1, exec_prepared(statement, std::forward<Args>(args)...))[0];
  }
  template <typename... Args>
  pqxx::result exec_prepared0(const std::string& statement, Args&&... args) {
    return ExpectRows(statement, 0, exec_prepared(statement, std::forward<Args>(args)...));
  }

  // Runs a prepared statement whose result nobody reads (an outbox append, the response kept for
  // a request id) in COMMIT's round trip. Its errors are thrown by commit(), which then rolls
  // the transaction back.
  template <typename... Args>
  void exec_prepared_at_commit(const std::string& statement, Args&&... args) {
    at_commit_ += ExecuteSql(statement, pqxx::internal::params(std::forward<Args>(args)...));
    at_commit_ += ";";
  }

  // Unprepared statements, after a BEGIN of their own when they come first.
  template <typename... Args>
  pqxx::result exec_params(const std::string& query, Args&&... args) {
    return Begun().exec_params(query, std::forward<Args>(args)...);
  }
  template <typename... Args>
  pqxx::row exec_params1(const std::string& query, Args&&... args) {
    return Begun().exec_params1(query, std::forward<Args>(args)...);
  }
  template <typename... Args>
  pqxx::result exec_params0(const std::string& query, Args&&... args) {
    return Begun().exec_params0(query, std::forward<Args>(args)...);
  }
  pqxx::result exec(const std::string& query) { return Begun().exec(query); }
  pqxx::row exec1(const std::string& query) { return Begun().exec1(query); }
  pqxx::result exec0(const std::string& query) { return Begun().exec0(query); }

  // Commits, sending the deferred statements first. A connection lost on the way leaves the
  // outcome unknown: pqxx::in_doubt_error, never broken_connection, so nobody retries a write
  // that may have committed.
  void commit();

 private:
  pqxx::result BeginWith(const std::string& statement, const pqxx::internal::params& params);
  // "EXECUTE name(literal, ...)" with each parameter quoted for this connection.
  std::string ExecuteSql(const std::string& statement, const pqxx::internal::params& params);
  static const pqxx::result& ExpectRows(const std::string& statement, size_t rows,
                                        const pqxx::result& result);

  void do_begin() override;
  pqxx::result do_exec(const char query[]) override;
  void do_commit() override;
  void do_abort() override;

  bool begun_ = false;           // BEGIN has been sent, or is in the query being sent
  bool begin_in_query_ = false;  // do_begin leaves BEGIN to the query that follows
  std::string at_commit_;
};

class PgPool {
 public:
  PgPool(PgOptions options, std::vector<PreparedStatement> statements);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Runs `fn` in a read-write transaction and commits if it returns OK; otherwise rolls back and
  // returns its status. A serialization failure or deadlock reruns `fn` from the start up to
  // `retries` times, so `fn` must not have side effects outside the transaction.
  absl::Status Transact(const std::function<absl::Status(WriteTransaction&)>& fn, int retries = 2);
  // Runs `fn` in a read-only transaction, or (kOneStatement) outside a transaction block when `fn`
  // runs a single statement.
  absl::Status Read(const std::function<absl::Status(pqxx::transaction_base&)>& fn,
                    ReadScope scope = ReadScope::kSnapshot);
  // Round trip to the server on a connection of its own, so a busy pool never makes a healthy
  // database look down; UNAVAILABLE when it cannot be reached.
  absl::Status Ping();

  PgPoolStats stats() const;
  const PgOptions& options() const { return options_; }

 private:
  struct Lease;
  absl::Status Acquire(std::unique_ptr<pqxx::connection>* out);
  void Release(std::unique_ptr<pqxx::connection> connection, bool broken);
  std::unique_ptr<pqxx::connection> Connect();

  PgOptions options_;
  std::string conninfo_;
  std::vector<PreparedStatement> statements_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
  int in_use_ = 0;
  int waiting_ = 0;
  std::mutex ping_mutex_;
  std::unique_ptr<pqxx::connection> ping_connection_;
};

}  // namespace accord::common
