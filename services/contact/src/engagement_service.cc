#include "engagement_service.h"

namespace accord::contact {

EngagementServiceImpl::EngagementServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      repository_(runtime_.pg(), components_->cipher, components_->writes),
      logic_(repository_, components_->access, runtime_.page_tokens()) {}

grpc::ServerUnaryReactor* EngagementServiceImpl::RecordConsent(
    grpc::CallbackServerContext* context, const v1::RecordConsentRequest* request,
    v1::ConsentRecord* response) {
  return runtime_.Respond(
      context, RecordConsent_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.RecordConsent(CallerOf(*context, rpc, "RecordConsent"), *request,
                                    MetaFor(rpc, "RecordConsent", *request));
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::ListConsents(
    grpc::CallbackServerContext* context, const v1::ListConsentsRequest* request,
    v1::ListConsentsResponse* response) {
  return runtime_.Respond(
      context, ListConsents_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.ListConsents(CallerOf(*context, rpc, "ListConsents"), *request);
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::GetConsentState(
    grpc::CallbackServerContext* context, const v1::GetConsentStateRequest* request,
    v1::ConsentState* response) {
  return runtime_.Respond(
      context, GetConsentState_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.GetConsentState(CallerOf(*context, rpc, "GetConsentState"), *request);
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::UpdateContactFlags(
    grpc::CallbackServerContext* context, const v1::UpdateContactFlagsRequest* request,
    v1::ConsentState* response) {
  return runtime_.Respond(
      context, UpdateContactFlags_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.UpdateContactFlags(CallerOf(*context, rpc, "UpdateContactFlags"), *request,
                                         MetaFor(rpc, "UpdateContactFlags", *request));
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::CreateInteraction(
    grpc::CallbackServerContext* context, const v1::CreateInteractionRequest* request,
    v1::Interaction* response) {
  return runtime_.Respond(
      context, CreateInteraction_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.CreateInteraction(CallerOf(*context, rpc, "CreateInteraction"), *request,
                                        MetaFor(rpc, "CreateInteraction", *request));
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::GetInteraction(
    grpc::CallbackServerContext* context, const v1::GetInteractionRequest* request,
    v1::Interaction* response) {
  return runtime_.Respond(
      context, GetInteraction_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.GetInteraction(CallerOf(*context, rpc, "GetInteraction"), *request);
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::ListInteractions(
    grpc::CallbackServerContext* context, const v1::ListInteractionsRequest* request,
    v1::ListInteractionsResponse* response) {
  return runtime_.Respond(
      context, ListInteractions_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.ListInteractions(CallerOf(*context, rpc, "ListInteractions"), *request);
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::CreateFollowUp(
    grpc::CallbackServerContext* context, const v1::CreateFollowUpRequest* request,
    v1::FollowUp* response) {
  return runtime_.Respond(
      context, CreateFollowUp_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.CreateFollowUp(CallerOf(*context, rpc, "CreateFollowUp"), *request,
                                     MetaFor(rpc, "CreateFollowUp", *request));
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::GetFollowUp(grpc::CallbackServerContext* context,
                                                             const v1::GetFollowUpRequest* request,
                                                             v1::FollowUp* response) {
  return runtime_.Respond(
      context, GetFollowUp_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.GetFollowUp(CallerOf(*context, rpc, "GetFollowUp"), *request);
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::ListFollowUps(
    grpc::CallbackServerContext* context, const v1::ListFollowUpsRequest* request,
    v1::ListFollowUpsResponse* response) {
  return runtime_.Respond(
      context, ListFollowUps_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.ListFollowUps(CallerOf(*context, rpc, "ListFollowUps"), *request);
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::UpdateFollowUp(
    grpc::CallbackServerContext* context, const v1::UpdateFollowUpRequest* request,
    v1::FollowUp* response) {
  return runtime_.Respond(
      context, UpdateFollowUp_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.UpdateFollowUp(CallerOf(*context, rpc, "UpdateFollowUp"), *request,
                                     MetaFor(rpc, "UpdateFollowUp", *request));
      });
}

grpc::ServerUnaryReactor* EngagementServiceImpl::ListDueFollowUps(
    grpc::CallbackServerContext* context, const v1::ListDueFollowUpsRequest* request,
    v1::ListDueFollowUpsResponse* response) {
  return runtime_.Respond(
      context, ListDueFollowUps_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.ListDueFollowUps(CallerOf(*context, rpc, "ListDueFollowUps"), *request);
      });
}

}  // namespace accord::contact
