#include "accord/common/pg_notices.h"

#include <chrono>

#include "accord/common/log.h"
#include "accord/common/thread_name.h"

namespace accord::common {
namespace {

constexpr auto kSlice = std::chrono::milliseconds(100);
constexpr auto kProbeEvery = std::chrono::seconds(1);
constexpr auto kRetry = std::chrono::milliseconds(500);

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel,
           const std::function<void(const std::string&)>& on_notice)
      : pqxx::notification_receiver(connection, channel), on_notice_(on_notice) {}
  void operator()(const std::string& payload, int) override {
    if (on_notice_) on_notice_(payload);
  }

 private:
  const std::function<void(const std::string&)>& on_notice_;
};

int64_t ServerNow(pqxx::nontransaction& read) {
  return read.exec1("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")[0]
      .as<int64_t>();
}

}  // namespace

PgNoticeListener::PgNoticeListener(Options options) : options_(std::move(options)) {}

PgNoticeListener::~PgNoticeListener() { Stop(); }

void PgNoticeListener::Start() {
  std::lock_guard lock(start_mutex_);
  if (!thread_.joinable() && !stopping_.load()) thread_ = std::thread([this] { Run(); });
}

void PgNoticeListener::Stop() {
  std::lock_guard lock(start_mutex_);
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  fresh_.store(false, std::memory_order_release);
}

void PgNoticeListener::Run() {
  if (!options_.thread_name.empty()) NameCurrentThread(options_.thread_name);
  while (!stopping_.load()) {
    try {
      Listen();
    } catch (const std::exception& e) {
      log::Warn("notices lost; the cache reads PostgreSQL until they are back",
                {{"channel", options_.channel}, {"error", e.what()}});
    }
    fresh_.store(false, std::memory_order_release);
    const auto until = std::chrono::steady_clock::now() + kRetry;
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(kSlice);
    }
  }
}

void PgNoticeListener::Listen() {
  pqxx::connection connection(options_.pg_url);
  Receiver receiver(connection, options_.channel, options_.on_notice);
  // LISTEN is in force once the receiver exists and a round trip is done: whatever commits from
  // here on arrives as a notice, and the catch-up covers what committed before.
  int backend = 0;
  {
    pqxx::nontransaction read(connection);
    if (!options_.application_name.empty()) {
      read.exec_params("SELECT set_config('application_name', $1, false)",
                       options_.application_name);
    }
    backend = connection.backendpid();
    const int64_t now = ServerNow(read);
    if (options_.on_listening) options_.on_listening(read, now);
  }
  fresh_.store(true, std::memory_order_release);
  auto last_probe = std::chrono::steady_clock::now();
  while (!stopping_.load()) {
    connection.await_notification(0, std::chrono::microseconds(kSlice).count());
    if (std::chrono::steady_clock::now() - last_probe < kProbeEvery) continue;
    int64_t now = 0;
    {
      pqxx::nontransaction probe(connection);
      now = ServerNow(probe);
    }
    if (connection.backendpid() != backend) {
      throw std::runtime_error("the listening connection was re-opened");
    }
    connection.get_notifs();
    last_probe = std::chrono::steady_clock::now();
    if (options_.on_probe) options_.on_probe(now);
  }
  fresh_.store(false, std::memory_order_release);
}

}  // namespace accord::common
