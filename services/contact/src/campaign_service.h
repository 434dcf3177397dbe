// gRPC handlers of accord.contact.v1.CampaignService: unpack, authenticate (via the runtime),
// call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/contact/v1/campaign.grpc.pb.h"
#include "campaign_logic.h"
#include "contact_components.h"
#include "pg_campaign_repository.h"
#include "pg_contact_repository.h"

namespace accord::contact {

class CampaignServiceImpl final : public v1::CampaignService::CallbackService {
 public:
  explicit CampaignServiceImpl(std::shared_ptr<ContactComponents> components);

  grpc::ServerUnaryReactor* CreateCampaign(grpc::CallbackServerContext* context,
                                           const v1::CreateCampaignRequest* request,
                                           v1::Campaign* response) override;
  grpc::ServerUnaryReactor* GetCampaign(grpc::CallbackServerContext* context,
                                        const v1::GetCampaignRequest* request,
                                        v1::Campaign* response) override;
  grpc::ServerUnaryReactor* ListCampaigns(grpc::CallbackServerContext* context,
                                          const v1::ListCampaignsRequest* request,
                                          v1::ListCampaignsResponse* response) override;
  grpc::ServerUnaryReactor* GetCampaignStatistics(grpc::CallbackServerContext* context,
                                                  const v1::GetCampaignStatisticsRequest* request,
                                                  v1::CampaignStatistics* response) override;
  grpc::ServerUnaryReactor* UpdateCampaign(grpc::CallbackServerContext* context,
                                           const v1::UpdateCampaignRequest* request,
                                           v1::Campaign* response) override;
  grpc::ServerUnaryReactor* BuildCallList(grpc::CallbackServerContext* context,
                                          const v1::BuildCallListRequest* request,
                                          v1::BuildCallListResponse* response) override;
  grpc::ServerUnaryReactor* NextCall(grpc::CallbackServerContext* context,
                                     const v1::NextCallRequest* request,
                                     v1::CallAssignment* response) override;
  grpc::ServerUnaryReactor* RecordCallOutcome(grpc::CallbackServerContext* context,
                                              const v1::RecordCallOutcomeRequest* request,
                                              v1::Interaction* response) override;

 private:
  std::shared_ptr<ContactComponents> components_;
  common::Runtime& runtime_;
  PgCampaignRepository repository_;
  PgContactRepository contacts_;
  CampaignLogic logic_;
  static constexpr const char* kService = "accord.contact.v1.CampaignService";
  common::RpcMethod CreateCampaign_method_{kService, "CreateCampaign"};
  common::RpcMethod GetCampaign_method_{kService, "GetCampaign"};
  common::RpcMethod ListCampaigns_method_{kService, "ListCampaigns"};
  common::RpcMethod GetCampaignStatistics_method_{kService, "GetCampaignStatistics"};
  common::RpcMethod UpdateCampaign_method_{kService, "UpdateCampaign"};
  common::RpcMethod BuildCallList_method_{kService, "BuildCallList"};
  common::RpcMethod NextCall_method_{kService, "NextCall"};
  common::RpcMethod RecordCallOutcome_method_{kService, "RecordCallOutcome"};
};

}  // namespace accord::contact
