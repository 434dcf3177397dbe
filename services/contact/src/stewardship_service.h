// gRPC handlers of accord.contact.v1.ContactStewardshipService: unpack, authenticate (via the
// runtime), call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/contact/v1/stewardship.grpc.pb.h"
#include "caching_contact_repository.h"
#include "caching_stewardship_repository.h"
#include "contact_components.h"
#include "contact_logic.h"
#include "data_quality.h"
#include "pg_contact_repository.h"
#include "pg_stewardship_repository.h"
#include "stewardship_logic.h"

namespace accord::contact {

class StewardshipServiceImpl final : public v1::ContactStewardshipService::CallbackService {
 public:
  explicit StewardshipServiceImpl(std::shared_ptr<ContactComponents> components);

  grpc::ServerUnaryReactor* FindDuplicateContacts(
      grpc::CallbackServerContext* context, const v1::FindDuplicateContactsRequest* request,
      v1::FindDuplicateContactsResponse* response) override;
  grpc::ServerUnaryReactor* MergeContacts(grpc::CallbackServerContext* context,
                                          const v1::MergeContactsRequest* request,
                                          v1::MergeContactsResponse* response) override;
  grpc::ServerUnaryReactor* ExportContactData(grpc::CallbackServerContext* context,
                                              const v1::ExportContactDataRequest* request,
                                              v1::ContactDataExport* response) override;
  grpc::ServerUnaryReactor* EraseContact(grpc::CallbackServerContext* context,
                                         const v1::EraseContactRequest* request,
                                         v1::EraseContactResponse* response) override;
  grpc::ServerUnaryReactor* GetDataQualityReport(grpc::CallbackServerContext* context,
                                                 const v1::GetDataQualityReportRequest* request,
                                                 v1::DataQualityReport* response) override;
  grpc::ServerUnaryReactor* RotateContactKeys(grpc::CallbackServerContext* context,
                                              const v1::RotateContactKeysRequest* request,
                                              v1::RotateContactKeysResponse* response) override;
  grpc::ServerReadReactor<v1::ImportContactsRequest>* ImportContacts(
      grpc::CallbackServerContext* context, v1::ImportContactsResponse* response) override;

 private:
  std::shared_ptr<ContactComponents> components_;
  common::Runtime& runtime_;
  PgContactRepository storage_;
  // Imports (upserts), merges and erasures drop the cached copies they change before answering.
  CachingContactRepository contacts_;
  PgStewardshipRepository stewardship_storage_;
  CachingStewardshipRepository repository_;
  StewardshipLogic logic_;
  ContactLogic contact_logic_;
  PgDataQualityRepository quality_;
  static constexpr const char* kService = "accord.contact.v1.ContactStewardshipService";
  common::RpcMethod find_duplicates_method_{kService, "FindDuplicateContacts"};
  common::RpcMethod merge_method_{kService, "MergeContacts"};
  common::RpcMethod export_method_{kService, "ExportContactData"};
  common::RpcMethod erase_method_{kService, "EraseContact"};
  common::RpcMethod import_method_{kService, "ImportContacts"};
  common::RpcMethod quality_method_{kService, "GetDataQualityReport"};
  common::RpcMethod rotate_method_{kService, "RotateContactKeys"};
};

}  // namespace accord::contact
