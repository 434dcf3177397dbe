#include "stewardship_service.h"

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"
#include "accord/common/request_guard.h"
#include "import_logic.h"

namespace accord::contact {
namespace {

// One ImportContacts call. It reads a message, applies it on the worker pool and only then reads
// the next, so a call holds one message (at most 500 rows) however long the import, and gRPC's
// threads never wait on the database. Client-streaming methods are not wrapped by the request
// guard, so ContactImport checks each row's sizes and text itself.
class ImportReactor final : public grpc::ServerReadReactor<v1::ImportContactsRequest> {
 public:
  ImportReactor(grpc::CallbackServerContext* context, common::Runtime& runtime, ContactLogic& logic,
                common::RpcMethod& method, v1::ImportContactsResponse* response)
      : runtime_(runtime),
        method_(method),
        response_(response),
        start_(std::chrono::steady_clock::now()),
        import_([this, &logic](const v1::UpsertContactByExternalIdRequest& request) {
          return logic.UpsertRecord(caller_, request, MetaFor(rpc_, "ImportContacts", request));
        }) {
    auto rpc = runtime.Authenticate(*context);
    if (!rpc.ok()) {
      Done(rpc.status());
      return;
    }
    rpc_ = std::move(*rpc);
    caller_ = CallerOf(*context, rpc_, "ImportContacts");
    if (auto allowed = ContactImport::CheckCaller(rpc_.principal); !allowed.ok()) {
      Done(allowed);
      return;
    }
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side: answer with the tally
      auto result = import_.Result();
      if (result.ok()) *response_ = std::move(*result);
      Done(result.status());
      return;
    }
    // The request guard cannot see a stream's messages: each one is checked here as it would be.
    if (absl::Status refused = common::CheckStreamMessage(message_, method_); !refused.ok()) {
      Done(refused);
      return;
    }
    const bool queued = runtime_.workers().Submit([this] {
      if (absl::Status applied = import_.Apply(message_); !applied.ok()) {
        Done(applied);
        return;
      }
      StartRead(&message_);
    });
    if (!queued) {
      Done(common::Unavailable("WORKERS_BUSY", "no worker is free for the import; retry it"));
    }
  }

  void OnDone() override { delete this; }

 private:
  void Done(const absl::Status& status) {
    const grpc::Status answer = common::ToGrpcStatus(status);
    method_.Record(answer.error_code(), std::chrono::steady_clock::now() - start_);
    Finish(answer);
  }

  common::Runtime& runtime_;
  common::RpcMethod& method_;
  v1::ImportContactsResponse* response_;
  std::chrono::steady_clock::time_point start_;
  common::RpcContext rpc_;
  Caller caller_;
  ContactImport import_;
  v1::ImportContactsRequest message_;
};

}  // namespace

StewardshipServiceImpl::StewardshipServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      contacts_(runtime_.pg(), components_->cipher, components_->writes),
      repository_(runtime_.pg(), components_->cipher, components_->writes, contacts_),
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
  return new ImportReactor(context, runtime_, contact_logic_, import_method_, response);
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
