// The account service's events as the services that follow them read them (contact,
// pricing-terms, service-quality, each through its own common::PeerEventFeed): one reading of
// AccountMerged and AccountDeleted, so the three agree on what a merge or a deletion names.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/v1/event.pb.h"

namespace accord::common {

inline constexpr char kAccountMergedEvent[] = "accord.account.v1.AccountMerged";
inline constexpr char kAccountDeletedEvent[] = "accord.account.v1.AccountDeleted";

// An account that stopped being live: merged into `survivor`, or deleted (`survivor` empty).
// Names are resource names (accounts/{id}), checked, with their ids beside them.
struct AccountGone {
  std::string account;
  std::string account_id;
  std::string survivor;  // "" for a deletion
  std::string survivor_id;
};

// The account an AccountMerged or AccountDeleted event ends; nullopt for any other event. An
// event it cannot read is INTERNAL (a feed retries it rather than skip it).
absl::StatusOr<std::optional<AccountGone>> AccountGoneOf(const v1::EventEnvelope& event);

}  // namespace accord::common
