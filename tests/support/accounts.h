// Accounts made in a real account service for integration tests of it and of the services that
// ask it.
#pragma once

#include <string>

#include "accord/account/v1/account.grpc.pb.h"

namespace accord::testing {

// A live commercial account `display_name` created by account manager `owner` (so owned by it);
// fails the test (non-fatally) when the service refuses.
account::v1::Account CreateAccountAs(account::v1::AccountService::Stub& accounts,
                                     const std::string& owner, const std::string& display_name);

}  // namespace accord::testing
