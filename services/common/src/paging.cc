#include "accord/common/paging.h"

#include <algorithm>

#include "accord/common/errors.h"

namespace accord::common {

absl::StatusOr<PageStart> StartPage(const PageTokenCodec& tokens, int page_size,
                                    const std::string& page_token, std::string fingerprint) {
  if (page_size < 0) return InvalidArgument("page_size", "must not be negative");
  PageStart start;
  start.limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  start.fingerprint = std::move(fingerprint);
  if (!page_token.empty()) {
    auto cursor = tokens.Decode(page_token, start.fingerprint);
    if (!cursor.ok()) return cursor.status();
    if (cursor->last_key.size() != 2) {
      return InvalidArgument("page_token", "not a token for this list");
    }
    start.after = std::move(cursor->last_key);
  }
  return start;
}

size_t RowsToReturn(const PageStart& start, size_t fetched) {
  return std::min(fetched, static_cast<size_t>(start.limit));
}

std::string NextPageToken(const PageTokenCodec& tokens, const PageStart& start, size_t fetched,
                          const std::vector<std::vector<std::string>>& keys) {
  const size_t returned = RowsToReturn(start, fetched);
  if (fetched <= returned || returned == 0) return "";
  return tokens.Encode({start.fingerprint, keys[returned - 1]});
}

}  // namespace accord::common
