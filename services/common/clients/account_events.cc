#include "accord/common/account_events.h"

#include "accord/account/v1/account.pb.h"
#include "accord/common/errors.h"
#include "accord/common/resource_name.h"

namespace accord::common {
namespace {

// The id of `name` (accounts/{id}), or INTERNAL naming the event: a peer's event is not caller
// input.
absl::StatusOr<std::string> AccountIdIn(const v1::EventEnvelope& event, const std::string& name,
                                        const char* field) {
  auto id = ParseTopName(name, "accounts", field);
  if (!id.ok()) {
    return Internal(event.type() + " event " + event.id() + " names no account in " + field +
                    ": \"" + name + "\"");
  }
  return id;
}

}  // namespace

absl::StatusOr<std::optional<AccountGone>> AccountGoneOf(const v1::EventEnvelope& event) {
  AccountGone gone;
  if (event.type() == kAccountMergedEvent) {
    account::v1::AccountMerged merged;
    if (!event.payload().UnpackTo(&merged)) {
      return Internal("AccountMerged event " + event.id() + " carries no AccountMerged");
    }
    gone.account = merged.duplicate();
    gone.survivor = merged.survivor();
    ACCORD_ASSIGN_OR_RETURN(gone.survivor_id, AccountIdIn(event, gone.survivor, "survivor"));
  } else if (event.type() == kAccountDeletedEvent) {
    gone.account = event.subject();
  } else {
    return std::nullopt;
  }
  ACCORD_ASSIGN_OR_RETURN(gone.account_id, AccountIdIn(event, gone.account, "account"));
  return gone;
}

}  // namespace accord::common
