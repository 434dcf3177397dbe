// gRPC handlers of accord.account.v1.AccountTeamService: unpack, authenticate (via the
// runtime), call the domain logic, map the result. Nothing else lives here.
#pragma once

#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/server.h"
#include "pg_team_repository.h"
#include "team_logic.h"

namespace accord::account {

class TeamServiceImpl final : public v1::AccountTeamService::CallbackService {
 public:
  explicit TeamServiceImpl(common::Runtime& runtime);

  grpc::ServerUnaryReactor* CreateTeamMember(grpc::CallbackServerContext* context,
                                             const v1::CreateTeamMemberRequest* request,
                                             v1::TeamMember* response) override;
  grpc::ServerUnaryReactor* GetTeamMember(grpc::CallbackServerContext* context,
                                          const v1::GetTeamMemberRequest* request,
                                          v1::TeamMember* response) override;
  grpc::ServerUnaryReactor* ListTeamMembers(grpc::CallbackServerContext* context,
                                            const v1::ListTeamMembersRequest* request,
                                            v1::ListTeamMembersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTeamMember(grpc::CallbackServerContext* context,
                                             const v1::UpdateTeamMemberRequest* request,
                                             v1::TeamMember* response) override;
  grpc::ServerUnaryReactor* DeleteTeamMember(grpc::CallbackServerContext* context,
                                             const v1::DeleteTeamMemberRequest* request,
                                             google::protobuf::Empty* response) override;

 private:
  common::Runtime& runtime_;
  PgTeamRepository repository_;
  TeamLogic logic_;
  common::RpcMethod create_method_{"accord.account.v1.AccountTeamService", "CreateTeamMember"};
  common::RpcMethod get_method_{"accord.account.v1.AccountTeamService", "GetTeamMember"};
  common::RpcMethod list_method_{"accord.account.v1.AccountTeamService", "ListTeamMembers"};
  common::RpcMethod update_method_{"accord.account.v1.AccountTeamService", "UpdateTeamMember"};
  common::RpcMethod delete_method_{"accord.account.v1.AccountTeamService", "DeleteTeamMember"};
};

}  // namespace accord::account
