// gRPC handlers of accord.contact.v1.ContactAccountRelationService: unpack, authenticate (via
// the runtime), call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "contact_components.h"
#include "pg_relation_repository.h"
#include "relation_logic.h"

namespace accord::contact {

class RelationServiceImpl final : public v1::ContactAccountRelationService::CallbackService {
 public:
  explicit RelationServiceImpl(std::shared_ptr<ContactComponents> components);

  grpc::ServerUnaryReactor* CreateAccountRelation(grpc::CallbackServerContext* context,
                                                  const v1::CreateAccountRelationRequest* request,
                                                  v1::AccountRelation* response) override;
  grpc::ServerUnaryReactor* GetAccountRelation(grpc::CallbackServerContext* context,
                                               const v1::GetAccountRelationRequest* request,
                                               v1::AccountRelation* response) override;
  grpc::ServerUnaryReactor* ListAccountRelations(
      grpc::CallbackServerContext* context, const v1::ListAccountRelationsRequest* request,
      v1::ListAccountRelationsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAccountRelation(grpc::CallbackServerContext* context,
                                                  const v1::UpdateAccountRelationRequest* request,
                                                  v1::AccountRelation* response) override;
  grpc::ServerUnaryReactor* DeleteAccountRelation(grpc::CallbackServerContext* context,
                                                  const v1::DeleteAccountRelationRequest* request,
                                                  v1::AccountRelation* response) override;
  grpc::ServerUnaryReactor* ListKeyContacts(grpc::CallbackServerContext* context,
                                            const v1::ListKeyContactsRequest* request,
                                            v1::ListKeyContactsResponse* response) override;

 private:
  std::shared_ptr<ContactComponents> components_;
  common::Runtime& runtime_;
  PgRelationRepository repository_;
  RelationLogic logic_;
  static constexpr const char* kService = "accord.contact.v1.ContactAccountRelationService";
  common::RpcMethod create_method_{kService, "CreateAccountRelation"};
  common::RpcMethod get_method_{kService, "GetAccountRelation"};
  common::RpcMethod list_method_{kService, "ListAccountRelations"};
  common::RpcMethod update_method_{kService, "UpdateAccountRelation"};
  common::RpcMethod delete_method_{kService, "DeleteAccountRelation"};
  common::RpcMethod key_contacts_method_{kService, "ListKeyContacts"};
};

}  // namespace accord::contact
