#include "relation_service.h"

namespace accord::contact {

RelationServiceImpl::RelationServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      repository_(runtime_.pg(), components_->cipher, components_->writes),
      logic_(repository_, components_->access, components_->presenter, runtime_.page_tokens()) {}

grpc::ServerUnaryReactor* RelationServiceImpl::CreateAccountRelation(
    grpc::CallbackServerContext* context, const v1::CreateAccountRelationRequest* request,
    v1::AccountRelation* response) {
  return runtime_.Respond(
      context, create_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Create(CallerOf(*context, rpc, "CreateAccountRelation"), *request,
                             MetaFor(rpc, "CreateAccountRelation", *request));
      });
}

grpc::ServerUnaryReactor* RelationServiceImpl::GetAccountRelation(
    grpc::CallbackServerContext* context, const v1::GetAccountRelationRequest* request,
    v1::AccountRelation* response) {
  return runtime_.Respond(context, get_method_, response, [=, this](const common::RpcContext& rpc) {
    return logic_.Get(CallerOf(*context, rpc, "GetAccountRelation"), *request);
  });
}

grpc::ServerUnaryReactor* RelationServiceImpl::ListAccountRelations(
    grpc::CallbackServerContext* context, const v1::ListAccountRelationsRequest* request,
    v1::ListAccountRelationsResponse* response) {
  return runtime_.Respond(
      context, list_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.List(CallerOf(*context, rpc, "ListAccountRelations"), *request);
      });
}

grpc::ServerUnaryReactor* RelationServiceImpl::UpdateAccountRelation(
    grpc::CallbackServerContext* context, const v1::UpdateAccountRelationRequest* request,
    v1::AccountRelation* response) {
  return runtime_.Respond(
      context, update_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Update(CallerOf(*context, rpc, "UpdateAccountRelation"), *request,
                             MetaFor(rpc, "UpdateAccountRelation", *request));
      });
}

grpc::ServerUnaryReactor* RelationServiceImpl::DeleteAccountRelation(
    grpc::CallbackServerContext* context, const v1::DeleteAccountRelationRequest* request,
    v1::AccountRelation* response) {
  return runtime_.Respond(
      context, delete_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Delete(CallerOf(*context, rpc, "DeleteAccountRelation"), *request,
                             MetaFor(rpc, "DeleteAccountRelation", *request));
      });
}

grpc::ServerUnaryReactor* RelationServiceImpl::ListKeyContacts(
    grpc::CallbackServerContext* context, const v1::ListKeyContactsRequest* request,
    v1::ListKeyContactsResponse* response) {
  return runtime_.Respond(
      context, key_contacts_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.ListKeyContacts(CallerOf(*context, rpc, "ListKeyContacts"), *request);
      });
}

}  // namespace accord::contact
