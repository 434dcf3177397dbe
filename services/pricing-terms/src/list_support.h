// The List plumbing every pricing collection shares: page size and token, order_by, the
// compiled filter, and the next page's token.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/common/page_token.h"
#include "accord/common/paging.h"
#include "pricing_common.h"
#include "pricing_repository.h"

namespace accord::pricing {

struct PreparedList {
  ListQuery query;
  common::PageStart start;
};

// `scope` is what else shapes the result (the parent), bound into the page token.
inline absl::StatusOr<PreparedList> PrepareList(
    const common::PageTokenCodec& tokens, int page_size, const std::string& page_token,
    const std::string& filter, const std::string& order_by, const common::filter::Schema& schema,
    const std::vector<std::string>& orders, const std::string& scope) {
  if (page_size < 0) return common::InvalidArgument("page_size", "must not be negative");
  ACCORD_ASSIGN_OR_RETURN(OrderBy order, ParseOrderBy(order_by, orders));
  ACCORD_ASSIGN_OR_RETURN(common::filter::SqlFilter compiled,
                          common::filter::Compile(filter, schema));
  PreparedList prepared;
  ACCORD_ASSIGN_OR_RETURN(prepared.start,
                          common::StartPage(tokens, page_size, page_token,
                                            scope + "\n" + filter + "\n" + order.canonical));
  prepared.query.limit = prepared.start.limit;
  prepared.query.after = prepared.start.after;
  prepared.query.order = order.field;
  prepared.query.descending = order.descending;
  prepared.query.filter_sql = std::move(compiled.where);
  prepared.query.filter_params = std::move(compiled.params);
  return prepared;
}

// Moves the page's items into `out` (at most the page size) and returns the next page token.
template <typename T, typename Repeated>
std::string FinishList(const common::PageTokenCodec& tokens, const PreparedList& prepared,
                       Page<T>& page, Repeated* out) {
  const size_t returned = common::PageRows(prepared.start, page.items);
  for (size_t i = 0; i < returned; ++i) *out->Add() = std::move(page.items[i]);
  return common::NextPageToken(tokens, prepared.start, returned, page.items.size(), page.keys);
}

}  // namespace accord::pricing
