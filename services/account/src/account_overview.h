// GetAccountOverview's calls to the other services for what the account service does not keep:
// key contacts (contact), open cases with their SLA state (service-quality) and active terms
// (pricing-terms); recent sales it knows from pricing-terms' events. All three go out at once, each
// under the same absolute deadline and with the caller's own identity (each service applies its own
// rules to the user, masking included); a part whose service fails or does not answer in time is
// named in `missing` instead. The wait never outlasts the deadline: calls still open then are
// cancelled and reported DEADLINE_EXCEEDED.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "accord/account/v1/insights.pb.h"
#include "accord/common/service_client.h"
#include "insights_settings.h"

namespace accord::account {

class OverviewPeers {
 public:
  explicit OverviewPeers(const InsightsSettings& settings);
  ~OverviewPeers();

  // A started fan-out; Finish waits for it (at most until its deadline) and fills the parts.
  class Pending;
  std::shared_ptr<Pending> Start(const common::CallIdentity& identity,
                                 const std::string& account_name,
                                 std::chrono::system_clock::time_point deadline);
  static void Finish(const std::shared_ptr<Pending>& pending, v1::AccountOverview& overview);

 private:
  struct Clients;
  std::unique_ptr<Clients> clients_;
};

}  // namespace accord::account
