#include "need_service.h"

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

NeedServiceImpl::NeedServiceImpl(common::Runtime& runtime)
    : runtime_(runtime), repository_(runtime.pg()), logic_(repository_, runtime.page_tokens()) {}

grpc::ServerUnaryReactor* NeedServiceImpl::CreateNeed(grpc::CallbackServerContext* context,
                                                      const v1::CreateNeedRequest* request,
                                                      v1::Need* response) {
  return runtime_.Unary(context, create_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(
        *response, logic_.Create(rpc.principal, *request, MetaFor(rpc, "CreateNeed", *request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NeedServiceImpl::GetNeed(grpc::CallbackServerContext* context,
                                                   const v1::GetNeedRequest* request,
                                                   v1::Need* response) {
  return runtime_.Unary(context, get_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(*response, logic_.Get(rpc.principal, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NeedServiceImpl::ListNeeds(grpc::CallbackServerContext* context,
                                                     const v1::ListNeedsRequest* request,
                                                     v1::ListNeedsResponse* response) {
  return runtime_.Unary(context, list_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(*response, logic_.List(rpc.principal, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NeedServiceImpl::UpdateNeed(grpc::CallbackServerContext* context,
                                                      const v1::UpdateNeedRequest* request,
                                                      v1::Need* response) {
  return runtime_.Unary(context, update_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(
        *response, logic_.Update(rpc.principal, *request, MetaFor(rpc, "UpdateNeed", *request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NeedServiceImpl::DeleteNeed(grpc::CallbackServerContext* context,
                                                      const v1::DeleteNeedRequest* request,
                                                      v1::Need* response) {
  return runtime_.Unary(context, delete_method_, [=, this](const common::RpcContext& rpc) {
    ACCORD_ASSIGN_OR_RETURN(
        *response, logic_.Delete(rpc.principal, *request, MetaFor(rpc, "DeleteNeed", *request)));
    return absl::OkStatus();
  });
}

}  // namespace accord::account
