#include "stewardship_service.h"

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/stream_import.h"
#include "import_logic.h"

namespace accord::contact {

StewardshipServiceImpl::StewardshipServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      storage_(runtime_.pg(), components_->cipher, components_->writes),
      contacts_(storage_, storage_, runtime_.cache(), components_->cache_notices),
      stewardship_storage_(runtime_.pg(), components_->cipher, components_->writes, storage_),
      repository_(stewardship_storage_, runtime_.cache()),
      logic_(contacts_, repository_, components_->access, components_->presenter,
             components_->access_log, components_->settings.default_region),
      contact_logic_(contacts_, components_->access, components_->presenter, runtime_.page_tokens(),
                     components_->settings.default_region),
      quality_(runtime_.pg()) {}

grpc::ServerUnaryReactor* StewardshipServiceImpl::GetDataQualityReport(
    grpc::CallbackServerContext* context, const v1::GetDataQualityReportRequest* request,
    v1::DataQualityReport* response) {
  return runtime_.Respond(
      context, quality_method_, response, [=, this](const common::RpcContext& rpc) {
        return contact::GetDataQualityReport(CallerOf(*context, rpc, "GetDataQualityReport"),
                                             *request, components_->access, quality_);
      });
}

grpc::ServerUnaryReactor* StewardshipServiceImpl::RotateContactKeys(
    grpc::CallbackServerContext* context, const v1::RotateContactKeysRequest* request,
    v1::RotateContactKeysResponse* response) {
  return runtime_.Respond(
      context, rotate_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.RotateKeys(CallerOf(*context, rpc, "RotateContactKeys"), *request);
      });
}

grpc::ServerReadReactor<v1::ImportContactsRequest>* StewardshipServiceImpl::ImportContacts(
    grpc::CallbackServerContext* context, v1::ImportContactsResponse* response) {
  // ContactImport checks each row's sizes and text as well; the reactor checks each message.
  using Reactor =
      common::StreamImportReactor<v1::ImportContactsRequest, v1::ImportContactsResponse>;
  auto open = [this, context](const common::RpcContext& rpc) -> absl::StatusOr<Reactor::Steps> {
    ACCORD_RETURN_IF_ERROR(ContactImport::CheckCaller(rpc.principal));
    const Caller caller = CallerOf(*context, rpc, "ImportContacts");
    auto import = std::make_shared<ContactImport>(
        [this, caller, rpc](const v1::UpsertContactByExternalIdRequest& request) {
          return contact_logic_.UpsertRecord(caller, request,
                                             MetaFor(rpc, "ImportContacts", request));
        });
    return Reactor::Steps{
        [import](const v1::ImportContactsRequest& message) { return import->Apply(message); },
        [import] { return import->Result(); }};
  };
  return new Reactor(context, runtime_, import_method_, response, open);
}

grpc::ServerUnaryReactor* StewardshipServiceImpl::FindDuplicateContacts(
    grpc::CallbackServerContext* context, const v1::FindDuplicateContactsRequest* request,
    v1::FindDuplicateContactsResponse* response) {
  return runtime_.Respond(
      context, find_duplicates_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.FindDuplicates(CallerOf(*context, rpc, "FindDuplicateContacts"), *request);
      });
}

grpc::ServerUnaryReactor* StewardshipServiceImpl::MergeContacts(
    grpc::CallbackServerContext* context, const v1::MergeContactsRequest* request,
    v1::MergeContactsResponse* response) {
  return runtime_.Respond(context, merge_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Merge(CallerOf(*context, rpc, "MergeContacts"), *request,
                                                MetaFor(rpc, "MergeContacts", *request));
                          });
}

grpc::ServerUnaryReactor* StewardshipServiceImpl::ExportContactData(
    grpc::CallbackServerContext* context, const v1::ExportContactDataRequest* request,
    v1::ContactDataExport* response) {
  return runtime_.Respond(
      context, export_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Export(CallerOf(*context, rpc, "ExportContactData"), *request);
      });
}

grpc::ServerUnaryReactor* StewardshipServiceImpl::EraseContact(
    grpc::CallbackServerContext* context, const v1::EraseContactRequest* request,
    v1::EraseContactResponse* response) {
  return runtime_.Respond(context, erase_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Erase(CallerOf(*context, rpc, "EraseContact"), *request,
                                                MetaFor(rpc, "EraseContact", *request));
                          });
}

}  // namespace accord::contact
