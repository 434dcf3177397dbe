#include "campaign_service.h"

namespace accord::contact {

CampaignServiceImpl::CampaignServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      repository_(runtime_.pg(), components_->cipher, components_->writes,
                  components_->settings.call_list),
      contacts_(runtime_.pg(), components_->cipher, components_->writes),
      logic_(repository_, contacts_, components_->access_log, runtime_.page_tokens()) {}

grpc::ServerUnaryReactor* CampaignServiceImpl::CreateCampaign(
    grpc::CallbackServerContext* context, const v1::CreateCampaignRequest* request,
    v1::Campaign* response) {
  return runtime_.Respond(
      context, CreateCampaign_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Create(CallerOf(*context, rpc, "CreateCampaign"), *request,
                             MetaFor(rpc, "CreateCampaign", *request));
      });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetCampaign(grpc::CallbackServerContext* context,
                                                           const v1::GetCampaignRequest* request,
                                                           v1::Campaign* response) {
  return runtime_.Respond(context, GetCampaign_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Get(CallerOf(*context, rpc, "GetCampaign"), *request);
                          });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ListCampaigns(
    grpc::CallbackServerContext* context, const v1::ListCampaignsRequest* request,
    v1::ListCampaignsResponse* response) {
  return runtime_.Respond(context, ListCampaigns_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.List(CallerOf(*context, rpc, "ListCampaigns"), *request);
                          });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetCampaignStatistics(
    grpc::CallbackServerContext* context, const v1::GetCampaignStatisticsRequest* request,
    v1::CampaignStatistics* response) {
  return runtime_.Respond(
      context, GetCampaignStatistics_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Statistics(CallerOf(*context, rpc, "GetCampaignStatistics"), *request);
      });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateCampaign(
    grpc::CallbackServerContext* context, const v1::UpdateCampaignRequest* request,
    v1::Campaign* response) {
  return runtime_.Respond(
      context, UpdateCampaign_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Update(CallerOf(*context, rpc, "UpdateCampaign"), *request,
                             MetaFor(rpc, "UpdateCampaign", *request));
      });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::BuildCallList(
    grpc::CallbackServerContext* context, const v1::BuildCallListRequest* request,
    v1::BuildCallListResponse* response) {
  return runtime_.Respond(
      context, BuildCallList_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.BuildCallList(CallerOf(*context, rpc, "BuildCallList"), *request,
                                    MetaFor(rpc, "BuildCallList", *request));
      });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::NextCall(grpc::CallbackServerContext* context,
                                                        const v1::NextCallRequest* request,
                                                        v1::CallAssignment* response) {
  return runtime_.Respond(context, NextCall_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.NextCall(CallerOf(*context, rpc, "NextCall"), *request,
                                                   MetaFor(rpc, "NextCall", *request));
                          });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::RecordCallOutcome(
    grpc::CallbackServerContext* context, const v1::RecordCallOutcomeRequest* request,
    v1::Interaction* response) {
  return runtime_.Respond(
      context, RecordCallOutcome_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.RecordCallOutcome(CallerOf(*context, rpc, "RecordCallOutcome"), *request,
                                        MetaFor(rpc, "RecordCallOutcome", *request));
      });
}

}  // namespace accord::contact
