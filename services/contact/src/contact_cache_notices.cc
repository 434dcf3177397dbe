#include "contact_cache_notices.h"

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "accord/common/log.h"

namespace accord::contact {
namespace {

constexpr char kChannel[] = "contact_cache";
constexpr auto kSlice = std::chrono::milliseconds(100);
constexpr auto kRetry = std::chrono::milliseconds(500);

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const ContactCacheNotices::Drop& drop)
      : pqxx::notification_receiver(connection, kChannel), drop_(drop) {}
  void operator()(const std::string& payload, int) override {
    const size_t space = payload.find(' ');
    int64_t version = 0;
    if (space == std::string::npos || !absl::SimpleAtoi(payload.substr(space + 1), &version)) {
      return;
    }
    drop_(payload.substr(0, space), version);
  }

 private:
  const ContactCacheNotices::Drop& drop_;
};

}  // namespace

ContactCacheNotices::ContactCacheNotices(std::string pg_url, Drop drop)
    : pg_url_(std::move(pg_url)), drop_(std::move(drop)) {}

ContactCacheNotices::~ContactCacheNotices() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ContactCacheNotices::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void ContactCacheNotices::Run() {
  while (!stopping_.load()) {
    try {
      Listen();
    } catch (const std::exception& e) {
      common::log::Warn("contact cache notices: connection lost; reading PostgreSQL until back",
                        {{"error", e.what()}});
    }
    fresh_.store(false, std::memory_order_release);
    const auto until = std::chrono::steady_clock::now() + kRetry;
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(kSlice);
    }
  }
}

void ContactCacheNotices::Listen() {
  pqxx::connection connection(pg_url_);
  Receiver receiver(connection, drop_);
  // LISTEN is in force from here: a change committed from now on arrives as a notice, so the
  // catch-up below covers what committed before.
  {
    pqxx::nontransaction read(connection);
    const std::string now =
        read.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<std::string>();
    if (!caught_up_to_.empty()) {
      // Longer than any write transaction may run (statement timeouts are seconds), so a change
      // stamped before the connection was lost but committed after is among these.
      const auto rows = read.exec_params(
          "SELECT id::text, cache_version FROM contact.contacts "
          "WHERE cache_time >= to_timestamp($1::bigint / 1000000.0) - interval '1 minute'",
          caught_up_to_);
      for (const auto& row : rows) drop_(row[0].as<std::string>(), row[1].as<int64_t>());
    }
    caught_up_to_ = now;
  }
  fresh_.store(true, std::memory_order_release);
  auto last_probe = std::chrono::steady_clock::now();
  while (!stopping_.load()) {
    connection.await_notification(0, std::chrono::microseconds(kSlice).count());
    // A quiet connection may have died unnoticed: a round trip a second finds out, and moves the
    // catch-up mark.
    if (std::chrono::steady_clock::now() - last_probe >= std::chrono::seconds(1)) {
      pqxx::nontransaction probe(connection);
      caught_up_to_ =
          probe.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<std::string>();
      last_probe = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace accord::contact
