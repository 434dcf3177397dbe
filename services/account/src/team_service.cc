#include "team_service.h"

#include "accord/common/errors.h"
#include "accord/common/idempotency.h"

namespace accord::account {
namespace {

WriteMeta MetaFor(const common::RpcContext& rpc, const char* method,
                  const google::protobuf::Message& request) {
  WriteMeta meta;
  meta.actor = rpc.principal.subject;
  meta.trace_id = rpc.trace_id;
  meta.method = method;
  meta.fingerprint = common::IdempotencyKeys::Fingerprint(request);
  return meta;
}

}  // namespace

TeamServiceImpl::TeamServiceImpl(common::Runtime& runtime)
    : runtime_(runtime), repository_(runtime.pg()), logic_(repository_, runtime.page_tokens()) {}

grpc::ServerUnaryReactor* TeamServiceImpl::CreateTeamMember(
    grpc::CallbackServerContext* context, const v1::CreateTeamMemberRequest* request,
    v1::TeamMember* response) {
  return runtime_.Unary(context, create_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(*response, logic_.Create(rpc.principal, *request,
                                                     MetaFor(rpc, "CreateTeamMember", *request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TeamServiceImpl::GetTeamMember(grpc::CallbackServerContext* context,
                                                         const v1::GetTeamMemberRequest* request,
                                                         v1::TeamMember* response) {
  return runtime_.Unary(context, get_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(*response, logic_.Get(rpc.principal, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TeamServiceImpl::ListTeamMembers(
    grpc::CallbackServerContext* context, const v1::ListTeamMembersRequest* request,
    v1::ListTeamMembersResponse* response) {
  return runtime_.Unary(context, list_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(*response, logic_.List(rpc.principal, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TeamServiceImpl::UpdateTeamMember(
    grpc::CallbackServerContext* context, const v1::UpdateTeamMemberRequest* request,
    v1::TeamMember* response) {
  return runtime_.Unary(context, update_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(*response, logic_.Update(rpc.principal, *request,
                                                     MetaFor(rpc, "UpdateTeamMember", *request)));
    return absl::OkStatus();
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
