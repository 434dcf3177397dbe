#include "contact_cache_notices.h"

#include "absl/strings/numbers.h"

namespace accord::contact {

ContactCacheNotices::ContactCacheNotices(std::string pg_url, Drop drop)
    : drop_(std::move(drop)),
      listener_(
          {.pg_url = std::move(pg_url),
           .channel = "contact_cache",
           .application_name = "accord-contact-cache-notices",
           .thread_name = "contact-notices",
           .on_listening = [this](pqxx::nontransaction& read, int64_t now) { CatchUp(read, now); },
           .on_notice = [this](const std::string& payload) { Notice(payload); },
           .on_probe = [this](int64_t now) { caught_up_to_ = now; }}) {}

void ContactCacheNotices::CatchUp(pqxx::nontransaction& read, int64_t now_micros) {
  if (caught_up_to_ != 0) {
    // Longer than any write transaction may run (statement timeouts are seconds), so a change
    // stamped before the connection was lost but committed after is among these.
    const auto rows = read.exec_params(
        "SELECT id::text, cache_version FROM contact.contacts "
        "WHERE cache_time >= to_timestamp($1::bigint / 1000000.0) - interval '1 minute'",
        caught_up_to_);
    for (const auto& row : rows) drop_(row[0].as<std::string>(), row[1].as<int64_t>());
  }
  caught_up_to_ = now_micros;
}

void ContactCacheNotices::Notice(const std::string& payload) {
  const size_t space = payload.find(' ');
  int64_t version = 0;
  if (space == std::string::npos || !absl::SimpleAtoi(payload.substr(space + 1), &version)) {
    return;
  }
  drop_(payload.substr(0, space), version);
}

}  // namespace accord::contact
