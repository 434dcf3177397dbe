// gRPC handlers of accord.contact.v1.ContactEngagementService: unpack, authenticate (via the
// runtime), call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/contact/v1/engagement.grpc.pb.h"
#include "contact_components.h"
#include "engagement_logic.h"
#include "pg_engagement_repository.h"

namespace accord::contact {

class EngagementServiceImpl final : public v1::ContactEngagementService::CallbackService {
 public:
  explicit EngagementServiceImpl(std::shared_ptr<ContactComponents> components);

  grpc::ServerUnaryReactor* RecordConsent(grpc::CallbackServerContext* context,
                                          const v1::RecordConsentRequest* request,
                                          v1::ConsentRecord* response) override;
  grpc::ServerUnaryReactor* ListConsents(grpc::CallbackServerContext* context,
                                         const v1::ListConsentsRequest* request,
                                         v1::ListConsentsResponse* response) override;
  grpc::ServerUnaryReactor* GetConsentState(grpc::CallbackServerContext* context,
                                            const v1::GetConsentStateRequest* request,
                                            v1::ConsentState* response) override;
  grpc::ServerUnaryReactor* UpdateContactFlags(grpc::CallbackServerContext* context,
                                               const v1::UpdateContactFlagsRequest* request,
                                               v1::ConsentState* response) override;
  grpc::ServerUnaryReactor* CreateInteraction(grpc::CallbackServerContext* context,
                                              const v1::CreateInteractionRequest* request,
                                              v1::Interaction* response) override;
  grpc::ServerUnaryReactor* GetInteraction(grpc::CallbackServerContext* context,
                                           const v1::GetInteractionRequest* request,
                                           v1::Interaction* response) override;
  grpc::ServerUnaryReactor* ListInteractions(grpc::CallbackServerContext* context,
                                             const v1::ListInteractionsRequest* request,
                                             v1::ListInteractionsResponse* response) override;
  grpc::ServerUnaryReactor* CreateFollowUp(grpc::CallbackServerContext* context,
                                           const v1::CreateFollowUpRequest* request,
                                           v1::FollowUp* response) override;
  grpc::ServerUnaryReactor* GetFollowUp(grpc::CallbackServerContext* context,
                                        const v1::GetFollowUpRequest* request,
                                        v1::FollowUp* response) override;
  grpc::ServerUnaryReactor* ListFollowUps(grpc::CallbackServerContext* context,
                                          const v1::ListFollowUpsRequest* request,
                                          v1::ListFollowUpsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateFollowUp(grpc::CallbackServerContext* context,
                                           const v1::UpdateFollowUpRequest* request,
                                           v1::FollowUp* response) override;
  grpc::ServerUnaryReactor* ListDueFollowUps(grpc::CallbackServerContext* context,
                                             const v1::ListDueFollowUpsRequest* request,
                                             v1::ListDueFollowUpsResponse* response) override;

 private:
  std::shared_ptr<ContactComponents> components_;
  common::Runtime& runtime_;
  PgEngagementRepository repository_;
  EngagementLogic logic_;
  static constexpr const char* kService = "accord.contact.v1.ContactEngagementService";
  common::RpcMethod RecordConsent_method_{kService, "RecordConsent"};
  common::RpcMethod ListConsents_method_{kService, "ListConsents"};
  common::RpcMethod GetConsentState_method_{kService, "GetConsentState"};
  common::RpcMethod UpdateContactFlags_method_{kService, "UpdateContactFlags"};
  common::RpcMethod CreateInteraction_method_{kService, "CreateInteraction"};
  common::RpcMethod GetInteraction_method_{kService, "GetInteraction"};
  common::RpcMethod ListInteractions_method_{kService, "ListInteractions"};
  common::RpcMethod CreateFollowUp_method_{kService, "CreateFollowUp"};
  common::RpcMethod GetFollowUp_method_{kService, "GetFollowUp"};
  common::RpcMethod ListFollowUps_method_{kService, "ListFollowUps"};
  common::RpcMethod UpdateFollowUp_method_{kService, "UpdateFollowUp"};
  common::RpcMethod ListDueFollowUps_method_{kService, "ListDueFollowUps"};
};

}  // namespace accord::contact
