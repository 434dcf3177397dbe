// GetAccountOverview's calls to the other services for what the account service does not keep:
// key contacts (contact), open cases with their SLA state (service-quality) and active terms
// (pricing-terms); recent sales it knows from pricing-terms' events. All three go out at once, each
// under the same absolute deadline and with the caller's own identity (each service applies its own
// rules to the user, masking included); a part whose service fails or does not answer in time is
// named in `missing` instead. Nothing waits on a thread: the fan-out calls a continuation when
// every call has answered, or at the deadline (plus a short grace), when the calls still open are
// cancelled and reported DEADLINE_EXCEEDED; so the overview holds no worker while its peers answer.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "accord/account/v1/insights.pb.h"
#include "accord/common/service_client.h"
#include "insights_overview_cache.h"
#include "insights_settings.h"

namespace accord::account {

class OverviewPeers {
 public:
  explicit OverviewPeers(const InsightsSettings& settings);
  ~OverviewPeers();

  // A started fan-out of the parts `wanted` (the others the overview has from its cache).
  // WhenDone runs `then` once, on whichever thread ends the wait (a gRPC callback or timer
  // thread, or the caller's when the wait is already over); Finish, called from `then`, fills the
  // parts asked for and names the missing ones, and returns which parts the peers answered.
  // Cancel gives up on the calls still open.
  class Pending;
  using Parts = std::array<bool, kOverviewParts>;
  std::shared_ptr<Pending> Start(const common::CallIdentity& identity,
                                 const std::string& account_name,
                                 std::chrono::system_clock::time_point deadline, Parts wanted);
  static void WhenDone(const std::shared_ptr<Pending>& pending, std::function<void()> then);
  static Parts Finish(const std::shared_ptr<Pending>& pending, v1::AccountOverview& overview);
  static void Cancel(const std::shared_ptr<Pending>& pending);

 private:
  struct Clients;
  std::unique_ptr<Clients> clients_;
};

}  // namespace accord::account
