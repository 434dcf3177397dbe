#include "support/accounts.h"

#include <gtest/gtest.h>

#include "support/service_harness.h"

namespace accord::testing {

account::v1::Account CreateAccountAs(account::v1::AccountService::Stub& accounts,
                                     const std::string& owner, const std::string& display_name) {
  account::v1::CreateAccountRequest request;
  request.mutable_account()->set_display_name(display_name);
  request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
  account::v1::Account account;
  auto status = accounts.CreateAccount(ContextAs(owner, {common::Role::kAccountManager}).get(),
                                       request, &account);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return account;
}

}  // namespace accord::testing
