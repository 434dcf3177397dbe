#include "team_service.h"

#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "write_meta.h"

namespace accord::account {
TeamServiceImpl::TeamServiceImpl(common::Runtime& runtime)
    : runtime_(runtime),
      repository_(runtime.pg()),
      logic_(repository_, runtime.page_tokens(),
             common::ResponseBudget(static_cast<size_t>(runtime.settings().max_message_bytes))) {}

grpc::ServerUnaryReactor* TeamServiceImpl::CreateTeamMember(
    grpc::CallbackServerContext* context, const v1::CreateTeamMemberRequest* request,
    v1::TeamMember* response) {
  return runtime_.Respond(
      context, create_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Create(rpc.principal, *request, MetaFor(rpc, "CreateTeamMember", *request));
      });
}

grpc::ServerUnaryReactor* TeamServiceImpl::GetTeamMember(grpc::CallbackServerContext* context,
                                                         const v1::GetTeamMemberRequest* request,
                                                         v1::TeamMember* response) {
  return runtime_.Respond(context, get_method_, response, [=, this](const common::RpcContext& rpc) {
    return logic_.Get(rpc.principal, *request);
  });
}

grpc::ServerUnaryReactor* TeamServiceImpl::ListTeamMembers(
    grpc::CallbackServerContext* context, const v1::ListTeamMembersRequest* request,
    v1::ListTeamMembersResponse* response) {
  return runtime_.Respond(
      context, list_method_, response,
      [=, this](const common::RpcContext& rpc) { return logic_.List(rpc.principal, *request); });
}

grpc::ServerUnaryReactor* TeamServiceImpl::UpdateTeamMember(
    grpc::CallbackServerContext* context, const v1::UpdateTeamMemberRequest* request,
    v1::TeamMember* response) {
  return runtime_.Respond(
      context, update_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Update(rpc.principal, *request, MetaFor(rpc, "UpdateTeamMember", *request));
      });
}

grpc::ServerUnaryReactor* TeamServiceImpl::DeleteTeamMember(
    grpc::CallbackServerContext* context, const v1::DeleteTeamMemberRequest* request,
    google::protobuf::Empty* response) {
  return runtime_.Unary(context, delete_method_, [=, this](const common::RpcContext& rpc) {
    return logic_.Delete(rpc.principal, *request, MetaFor(rpc, "DeleteTeamMember", *request));
  });
}

}  // namespace accord::account
