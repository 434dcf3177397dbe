// Follows the `contact_cache` channel (migration 0012): PostgreSQL announces there, as each
// transaction commits, every contact whose cached row changed ("id cache_version"), whichever
// write changed it (the contact itself, a relation, an interaction or sale counted by triggers,
// a merge, an erasure, a reseal). Every replica listens on a connection of its own and drops its
// older copies, in both cache levels. While the connection is down, fresh() is false and the
// caching repository reads PostgreSQL; once it is back, the rows changed since a minute before the
// last notice seen are dropped before fresh() turns true again, so nothing missed meanwhile is
// served.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace accord::contact {

class ContactCacheNotices {
 public:
  // `drop(id, version)`: drop cached copies of contact `id` older than `version`.
  using Drop = std::function<void(const std::string& id, int64_t version)>;
  ContactCacheNotices(std::string pg_url, Drop drop);
  ~ContactCacheNotices();
  ContactCacheNotices(const ContactCacheNotices&) = delete;
  ContactCacheNotices& operator=(const ContactCacheNotices&) = delete;

  void Start();
  // Listening, and caught up with what changed while it was not.
  bool fresh() const { return fresh_.load(std::memory_order_acquire); }

 private:
  void Run();
  void Listen();

  const std::string pg_url_;
  const Drop drop_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> fresh_{false};
  // Wall-clock time (PostgreSQL's) of the last notice or catch-up, as epoch microseconds text.
  std::string caught_up_to_;
  std::thread thread_;
};

}  // namespace accord::contact
