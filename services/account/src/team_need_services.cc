#include "team_need_services.h"

#include "need_service.h"
#include "need_sql.h"
#include "team_service.h"
#include "team_sql.h"

namespace accord::account {

void AddTeamAndNeedStatements(std::vector<common::PreparedStatement>& statements) {
  for (const auto& statement : sql::TeamStatements()) statements.push_back(statement);
  for (const auto& statement : sql::NeedStatements()) statements.push_back(statement);
}

void AddTeamAndNeedServices(common::Runtime& runtime,
                            std::vector<std::unique_ptr<grpc::Service>>& services) {
  services.push_back(std::make_unique<TeamServiceImpl>(runtime));
  services.push_back(std::make_unique<NeedServiceImpl>(runtime));
}

}  // namespace accord::account
