#include "contact_service.h"

#include "accord/common/errors.h"

namespace accord::contact {

Caller CallerOf(const grpc::ServerContextBase& context, const common::RpcContext& rpc,
                const char* method) {
  Caller caller;
  caller.principal = rpc.principal;
  caller.identity = common::CallIdentity::ForUser(context, rpc);
  caller.method = method;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("x-access-reason"); it != metadata.end()) {
    size_t length = std::min<size_t>(it->second.size(), 500);
    // Cut on a character boundary: the log column is UTF-8 text.
    while (length > 0 && length < it->second.size() &&
           (static_cast<unsigned char>(it->second.data()[length]) & 0xC0) == 0x80) {
      --length;
    }
    caller.access_reason = std::string(it->second.data(), length);
  }
  return caller;
}

ContactServiceImpl::ContactServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      storage_(runtime_.pg(), components_->cipher, components_->writes),
      repository_(storage_, storage_, runtime_.cache(), components_->cache_notices),
      logic_(repository_, components_->access, components_->presenter, runtime_.page_tokens(),
             components_->settings.default_region) {}

grpc::ServerUnaryReactor* ContactServiceImpl::CreateContact(grpc::CallbackServerContext* context,
                                                            const v1::CreateContactRequest* request,
                                                            v1::Contact* response) {
  return runtime_.Respond(context, create_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Create(CallerOf(*context, rpc, "CreateContact"), *request,
                                                 MetaFor(rpc, "CreateContact", *request));
                          });
}

grpc::ServerUnaryReactor* ContactServiceImpl::GetContact(grpc::CallbackServerContext* context,
                                                         const v1::GetContactRequest* request,
                                                         v1::Contact* response) {
  // A contact held in this process and shown masked is answered on gRPC's thread; everything
  // else (a miss, a caller who sees personal data and whose read is logged) on the worker pool.
  return runtime_.Unary(
      context, get_method_,
      [=, this](const common::RpcContext& rpc) -> std::optional<absl::Status> {
        auto done = logic_.GetWithoutIo(CallerOf(*context, rpc, "GetContact"), *request);
        if (!done) return std::nullopt;
        if (!done->ok()) return done->status();
        *response = std::move(**done);
        return absl::OkStatus();
      },
      [=, this](const common::RpcContext& rpc) -> absl::Status {
        auto contact = logic_.Get(CallerOf(*context, rpc, "GetContact"), *request);
        if (!contact.ok()) return contact.status();
        *response = std::move(*contact);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ContactServiceImpl::ListContacts(grpc::CallbackServerContext* context,
                                                           const v1::ListContactsRequest* request,
                                                           v1::ListContactsResponse* response) {
  return runtime_.Respond(context, list_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.List(CallerOf(*context, rpc, "ListContacts"), *request);
                          });
}

grpc::ServerUnaryReactor* ContactServiceImpl::UpdateContact(grpc::CallbackServerContext* context,
                                                            const v1::UpdateContactRequest* request,
                                                            v1::Contact* response) {
  return runtime_.Respond(context, update_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Update(CallerOf(*context, rpc, "UpdateContact"), *request,
                                                 MetaFor(rpc, "UpdateContact", *request));
                          });
}

grpc::ServerUnaryReactor* ContactServiceImpl::DeleteContact(grpc::CallbackServerContext* context,
                                                            const v1::DeleteContactRequest* request,
                                                            v1::Contact* response) {
  return runtime_.Respond(context, delete_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Delete(CallerOf(*context, rpc, "DeleteContact"), *request,
                                                 MetaFor(rpc, "DeleteContact", *request));
                          });
}

grpc::ServerUnaryReactor* ContactServiceImpl::LookupContacts(
    grpc::CallbackServerContext* context, const v1::LookupContactsRequest* request,
    v1::LookupContactsResponse* response) {
  return runtime_.Respond(
      context, lookup_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Lookup(CallerOf(*context, rpc, "LookupContacts"), *request);
      });
}

grpc::ServerUnaryReactor* ContactServiceImpl::LookupContactByExternalId(
    grpc::CallbackServerContext* context, const v1::LookupContactByExternalIdRequest* request,
    v1::Contact* response) {
  return runtime_.Respond(context, lookup_external_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.LookupByExternalId(
                                CallerOf(*context, rpc, "LookupContactByExternalId"), *request);
                          });
}

grpc::ServerUnaryReactor* ContactServiceImpl::UpsertContactByExternalId(
    grpc::CallbackServerContext* context, const v1::UpsertContactByExternalIdRequest* request,
    v1::UpsertContactByExternalIdResponse* response) {
  return runtime_.Respond(
      context, upsert_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Upsert(CallerOf(*context, rpc, "UpsertContactByExternalId"), *request,
                             MetaFor(rpc, "UpsertContactByExternalId", *request));
      });
}

}  // namespace accord::contact
