// Follows a PostgreSQL LISTEN channel on a connection of its own, for caches that each replica
// keeps in memory and that writers announce changes to with pg_notify. PostgreSQL delivers a
// notice when, and only if, its transaction commits, to every session listening; what it cannot
// do is tell a session what it missed while it was not listening. So a cache may trust its
// memory only while fresh(): the connection is up, was probed within about a second (a quiet
// connection can die unnoticed, or be re-opened by libpqxx with its LISTEN restored but the
// notices sent meanwhile lost), and the owner's catch-up ran after LISTEN took effect.
//
// One thread per listener: it connects, LISTENs, runs `on_listening` (drop or re-read what may
// have been missed; the connection's first round trip is done, so any commit from then on also
// arrives as a notice), turns fresh, then hands each payload to `on_notice`. A lost connection
// turns it stale at once and it reconnects every half second until stopped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>

namespace accord::common {

class PgNoticeListener {
 public:
  struct Options {
    std::string pg_url;
    std::string channel;
    // The session's application_name (pg_stat_activity) and the thread's name.
    std::string application_name;
    std::string thread_name;
    // Called, on the listener's thread, after each (re)connection before fresh() turns true, with
    // PostgreSQL's clock (epoch microseconds). A throw counts as a lost connection.
    std::function<void(pqxx::nontransaction& read, int64_t server_now_micros)> on_listening;
    // Called with each notice's payload, in commit order.
    std::function<void(const std::string& payload)> on_notice;
    // Called after each probe found the connection alive, with PostgreSQL's clock.
    std::function<void(int64_t server_now_micros)> on_probe;
  };
  explicit PgNoticeListener(Options options);
  ~PgNoticeListener();
  PgNoticeListener(const PgNoticeListener&) = delete;
  PgNoticeListener& operator=(const PgNoticeListener&) = delete;

  void Start();
  // Joins the thread; fresh() is false afterwards. Start after Stop does nothing.
  void Stop();
  bool fresh() const { return fresh_.load(std::memory_order_acquire); }

 private:
  void Run();
  void Listen();

  const Options options_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> fresh_{false};
  std::mutex start_mutex_;
  std::thread thread_;
};

}  // namespace accord::common
