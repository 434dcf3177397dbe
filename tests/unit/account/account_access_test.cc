#include "account_access.h"

#include <gtest/gtest.h>

#include "accord/common/errors.h"

namespace accord::account {
namespace {

using common::Principal;
using common::Role;

Principal As(std::string subject, std::vector<Role> roles) {
  Principal principal;
  principal.subject = std::move(subject);
  principal.roles = std::move(roles);
  return principal;
}

struct Case {
  std::vector<Role> roles;
  bool owner;
  bool on_team;
  IntegrationWrites integration;
  bool allowed;
};

TEST(AccountWriteAccessTest, OneRuleForEveryRoleAndFact) {
  using enum IntegrationWrites;
  const std::vector<Case> cases = {
      {{Role::kAdmin}, false, false, kDenied, true},
      {{Role::kAccountManager}, true, false, kDenied, true},
      {{Role::kAccountManager}, false, true, kDenied, true},
      {{Role::kAccountManager}, false, false, kDenied, false},
      {{Role::kAccountManager}, false, false, kAllowed, false},
      {{Role::kIntegration}, false, false, kAllowed, true},
      {{Role::kIntegration}, false, false, kDenied, false},
      {{Role::kIntegration}, true, true, kDenied, false},
      {{Role::kSalesAssistant}, true, true, kAllowed, false},
      {{Role::kServiceAgent}, true, true, kAllowed, false},
      {{Role::kServiceSupervisor}, true, true, kAllowed, false},
      {{Role::kPricingManager}, true, true, kAllowed, false},
      {{Role::kSalesAssistant, Role::kAccountManager}, false, true, kDenied, true},
      {{}, true, true, kAllowed, false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    AccountAccessFacts facts{"accounts/a", c.owner ? "pat" : "someone-else", c.on_team};
    absl::Status status = CheckAccountWriteAccess(As("pat", c.roles), facts, c.integration);
    EXPECT_EQ(status.ok(), c.allowed) << "case " << i;
    if (!c.allowed) {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << "case " << i;
      EXPECT_EQ(common::ReasonOf(status), "NOT_ALLOWED") << "case " << i;
    }
  }
}

TEST(AccountWriteAccessTest, MessageNamesCallerAndAction) {
  AccountAccessFacts facts{"accounts/a", "someone-else", false};
  absl::Status status = CheckAccountWriteAccess(As("pat", {Role::kSalesAssistant}), facts);
  EXPECT_EQ(std::string(status.message()), "pat may not write to accounts/a");
  status = CheckAccountWriteAccess(As("pat", {Role::kSalesAssistant}), facts,
                                   IntegrationWrites::kDenied, "rename accounts/a");
  EXPECT_EQ(std::string(status.message()), "pat may not rename accounts/a");
}

}  // namespace
}  // namespace accord::account
