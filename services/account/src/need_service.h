// gRPC handlers of accord.account.v1.AccountNeedService: unpack, authenticate (via the
// runtime), call the domain logic, map the result. Nothing else lives here.
#pragma once

#include "accord/account/v1/need.grpc.pb.h"
#include "accord/common/server.h"
#include "need_logic.h"
#include "pg_need_repository.h"

namespace accord::account {

class NeedServiceImpl final : public v1::AccountNeedService::CallbackService {
 public:
  explicit NeedServiceImpl(common::Runtime& runtime);

  grpc::ServerUnaryReactor* CreateNeed(grpc::CallbackServerContext* context,
                                       const v1::CreateNeedRequest* request,
                                       v1::Need* response) override;
  grpc::ServerUnaryReactor* GetNeed(grpc::CallbackServerContext* context,
                                    const v1::GetNeedRequest* request, v1::Need* response) override;
  grpc::ServerUnaryReactor* ListNeeds(grpc::CallbackServerContext* context,
                                      const v1::ListNeedsRequest* request,
                                      v1::ListNeedsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateNeed(grpc::CallbackServerContext* context,
                                       const v1::UpdateNeedRequest* request,
                                       v1::Need* response) override;
  grpc::ServerUnaryReactor* DeleteNeed(grpc::CallbackServerContext* context,
                                       const v1::DeleteNeedRequest* request,
                                       v1::Need* response) override;

 private:
  common::Runtime& runtime_;
  PgNeedRepository repository_;
  NeedLogic logic_;
  common::RpcMethod create_method_{"accord.account.v1.AccountNeedService", "CreateNeed"};
  common::RpcMethod get_method_{"accord.account.v1.AccountNeedService", "GetNeed"};
  common::RpcMethod list_method_{"accord.account.v1.AccountNeedService", "ListNeeds"};
  common::RpcMethod update_method_{"accord.account.v1.AccountNeedService", "UpdateNeed"};
  common::RpcMethod delete_method_{"accord.account.v1.AccountNeedService", "DeleteNeed"};
};

}  // namespace accord::account
