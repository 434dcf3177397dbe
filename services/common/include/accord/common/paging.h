// Keyset paging, the same for every List: page size rules (default 50, at most 1000), a page
// token bound to its query, and the next token from the rows a repository fetched (it fetches
// one row more than the page, to know whether another page follows).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/page_token.h"

namespace accord::common {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

struct PageStart {
  int limit = kDefaultPageSize;  // rows to return
  // Sort key and id of the last row of the previous page; nullopt on the first page.
  std::optional<std::vector<std::string>> after;
  std::string fingerprint;  // what the token is bound to: parent, filter, order
};

// INVALID_ARGUMENT on a negative page_size (field "page_size") or a token that was edited or
// belongs to another query (field "page_token").
absl::StatusOr<PageStart> StartPage(const PageTokenCodec& tokens, int page_size,
                                    const std::string& page_token, std::string fingerprint);

// The rows to return (at most start.limit) and the token of the next page ("" on the last).
// `keys[i]` is the sort key of fetched row i.
size_t RowsToReturn(const PageStart& start, size_t fetched);
std::string NextPageToken(const PageTokenCodec& tokens, const PageStart& start, size_t fetched,
                          const std::vector<std::vector<std::string>>& keys);

}  // namespace accord::common
