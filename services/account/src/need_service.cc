#include "need_service.h"

#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "write_meta.h"

namespace accord::account {
NeedServiceImpl::NeedServiceImpl(common::Runtime& runtime)
    : runtime_(runtime),
      repository_(runtime.pg()),
      logic_(repository_, runtime.page_tokens(),
             common::ResponseBudget(static_cast<size_t>(runtime.settings().max_message_bytes))) {}

grpc::ServerUnaryReactor* NeedServiceImpl::CreateNeed(grpc::CallbackServerContext* context,
                                                      const v1::CreateNeedRequest* request,
                                                      v1::Need* response) {
  return runtime_.Respond(
      context, create_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Create(rpc.principal, *request, MetaFor(rpc, "CreateNeed", *request));
      });
}

grpc::ServerUnaryReactor* NeedServiceImpl::GetNeed(grpc::CallbackServerContext* context,
                                                   const v1::GetNeedRequest* request,
                                                   v1::Need* response) {
  return runtime_.Respond(context, get_method_, response, [=, this](const common::RpcContext& rpc) {
    return logic_.Get(rpc.principal, *request);
  });
}

grpc::ServerUnaryReactor* NeedServiceImpl::ListNeeds(grpc::CallbackServerContext* context,
                                                     const v1::ListNeedsRequest* request,
                                                     v1::ListNeedsResponse* response) {
  return runtime_.Respond(
      context, list_method_, response,
      [=, this](const common::RpcContext& rpc) { return logic_.List(rpc.principal, *request); });
}

grpc::ServerUnaryReactor* NeedServiceImpl::UpdateNeed(grpc::CallbackServerContext* context,
                                                      const v1::UpdateNeedRequest* request,
                                                      v1::Need* response) {
  return runtime_.Respond(
      context, update_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Update(rpc.principal, *request, MetaFor(rpc, "UpdateNeed", *request));
      });
}

grpc::ServerUnaryReactor* NeedServiceImpl::DeleteNeed(grpc::CallbackServerContext* context,
                                                      const v1::DeleteNeedRequest* request,
                                                      v1::Need* response) {
  return runtime_.Respond(
      context, delete_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Delete(rpc.principal, *request, MetaFor(rpc, "DeleteNeed", *request));
      });
}

}  // namespace accord::account
