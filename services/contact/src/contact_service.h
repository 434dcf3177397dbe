// gRPC handlers of accord.contact.v1.ContactService: unpack, authenticate (via the runtime),
// call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "caching_contact_repository.h"
#include "contact_components.h"
#include "contact_logic.h"
#include "contact_settings.h"
#include "pg_contact_repository.h"

namespace accord::contact {

class ContactServiceImpl final : public v1::ContactService::CallbackService {
 public:
  explicit ContactServiceImpl(std::shared_ptr<ContactComponents> components);

  grpc::ServerUnaryReactor* CreateContact(grpc::CallbackServerContext* context,
                                          const v1::CreateContactRequest* request,
                                          v1::Contact* response) override;
  grpc::ServerUnaryReactor* GetContact(grpc::CallbackServerContext* context,
                                       const v1::GetContactRequest* request,
                                       v1::Contact* response) override;
  grpc::ServerUnaryReactor* ListContacts(grpc::CallbackServerContext* context,
                                         const v1::ListContactsRequest* request,
                                         v1::ListContactsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateContact(grpc::CallbackServerContext* context,
                                          const v1::UpdateContactRequest* request,
                                          v1::Contact* response) override;
  grpc::ServerUnaryReactor* DeleteContact(grpc::CallbackServerContext* context,
                                          const v1::DeleteContactRequest* request,
                                          v1::Contact* response) override;
  grpc::ServerUnaryReactor* LookupContacts(grpc::CallbackServerContext* context,
                                           const v1::LookupContactsRequest* request,
                                           v1::LookupContactsResponse* response) override;
  grpc::ServerUnaryReactor* LookupContactByExternalId(
      grpc::CallbackServerContext* context, const v1::LookupContactByExternalIdRequest* request,
      v1::Contact* response) override;
  grpc::ServerUnaryReactor* UpsertContactByExternalId(
      grpc::CallbackServerContext* context, const v1::UpsertContactByExternalIdRequest* request,
      v1::UpsertContactByExternalIdResponse* response) override;

 private:
  std::shared_ptr<ContactComponents> components_;
  common::Runtime& runtime_;
  PgContactRepository storage_;
  CachingContactRepository repository_;
  ContactLogic logic_;
  common::RpcMethod create_method_{"accord.contact.v1.ContactService", "CreateContact"};
  common::RpcMethod get_method_{"accord.contact.v1.ContactService", "GetContact"};
  common::RpcMethod list_method_{"accord.contact.v1.ContactService", "ListContacts"};
  common::RpcMethod update_method_{"accord.contact.v1.ContactService", "UpdateContact"};
  common::RpcMethod delete_method_{"accord.contact.v1.ContactService", "DeleteContact"};
  common::RpcMethod lookup_method_{"accord.contact.v1.ContactService", "LookupContacts"};
  common::RpcMethod lookup_external_method_{"accord.contact.v1.ContactService",
                                            "LookupContactByExternalId"};
  common::RpcMethod upsert_method_{"accord.contact.v1.ContactService", "UpsertContactByExternalId"};
};

// Everything ServiceMain (and the integration tests) need to run the contact service.
common::ServiceDefinition ContactServiceDefinition(ContactSettings settings);

}  // namespace accord::contact
