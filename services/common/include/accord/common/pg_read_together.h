// Several repositories' reads in one read-only transaction: one pool acquisition and one snapshot
// instead of a BEGIN / statement / COMMIT and an acquisition per read. Inside `fn`, every
// PgPool::Read of `pool` on this thread runs its function in the shared transaction (nested
// ReadTogether calls join it too). Meant for a handler that gathers a page from several reads
// (the account overview: a dozen of them); a read that fails aborts the shared transaction, so
// the reads after it fail too, and `fn` should give up at the first error. `fn` may run twice (a
// connection lost before the first statement is retried once), so it starts from scratch.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "accord/common/pg.h"

namespace accord::common {

absl::Status ReadTogether(PgPool& pool, const std::function<absl::Status()>& fn);

}  // namespace accord::common
