// Wiring of the services that live under an account (AccountTeamService, AccountNeedService)
// into the account binary. AccountServiceDefinition() calls both functions:
//
//   AddTeamAndNeedStatements(definition.statements);
//   ... make_services: AddTeamAndNeedServices(runtime, services);
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "accord/common/pg.h"
#include "accord/common/server.h"

namespace accord::account {

// The prepared statements the team and need repositories use (the runtime prepares them on
// every pooled connection, so they must be in ServiceDefinition::statements).
void AddTeamAndNeedStatements(std::vector<common::PreparedStatement>& statements);

// Appends the AccountTeamService and AccountNeedService implementations.
void AddTeamAndNeedServices(common::Runtime& runtime,
                            std::vector<std::unique_ptr<grpc::Service>>& services);

}  // namespace accord::account
