// Follows the `contact_cache` channel (migration 0012): PostgreSQL announces there, as each
// transaction commits, every contact whose cached row changed ("id cache_version"), whichever
// write changed it (the contact itself, a relation, an interaction or sale counted by triggers,
// a merge, an erasure, a reseal). Every replica listens on a connection of its own
// (common::PgNoticeListener) and drops its older copies, in both cache levels. While the
// connection is down, fresh() is false and the caching repository reads PostgreSQL; once it is
// back, the rows changed since a minute before the last probe seen alive are dropped before
// fresh() turns true again, so nothing missed meanwhile is served.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "accord/common/pg_notices.h"

namespace accord::contact {

class ContactCacheNotices {
 public:
  // `drop(id, version)`: drop cached copies of contact `id` older than `version`.
  using Drop = std::function<void(const std::string& id, int64_t version)>;
  ContactCacheNotices(std::string pg_url, Drop drop);

  void Start() { listener_.Start(); }
  // Listening, and caught up with what changed while it was not.
  bool fresh() const { return listener_.fresh(); }

 private:
  void CatchUp(pqxx::nontransaction& read, int64_t now_micros);
  void Notice(const std::string& payload);

  const Drop drop_;
  // PostgreSQL's clock at the last catch-up or live probe (epoch microseconds); 0 before the
  // first. Touched only on the listener's thread.
  int64_t caught_up_to_ = 0;
  common::PgNoticeListener listener_;
};

}  // namespace accord::contact
