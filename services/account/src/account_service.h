// gRPC handlers of accord.account.v1.AccountService: unpack, authenticate (via the runtime),
// call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>
#include <vector>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/common/server.h"
#include "account_logic.h"
#include "caching_account_repository.h"
#include "insights_settings.h"
#include "pg_account_repository.h"

namespace accord::account {

// GetAccount is served on raw bytes (a cache hit answers with the cached encoding itself); every
// other method on messages.
class AccountServiceImpl final : public v1::AccountService::WithRawCallbackMethod_GetAccount<
                                     v1::AccountService::CallbackService> {
 public:
  explicit AccountServiceImpl(common::Runtime& runtime);

  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* context,
                                          const v1::CreateAccountRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* context,
                                         const v1::ListAccountsRequest* request,
                                         v1::ListAccountsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAccount(grpc::CallbackServerContext* context,
                                          const v1::UpdateAccountRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* DeleteAccount(grpc::CallbackServerContext* context,
                                          const v1::DeleteAccountRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* BatchGetAccounts(grpc::CallbackServerContext* context,
                                             const v1::BatchGetAccountsRequest* request,
                                             v1::BatchGetAccountsResponse* response) override;
  grpc::ServerUnaryReactor* LookupAccountByExternalId(
      grpc::CallbackServerContext* context, const v1::LookupAccountByExternalIdRequest* request,
      v1::Account* response) override;
  grpc::ServerUnaryReactor* UpsertAccountByExternalId(
      grpc::CallbackServerContext* context, const v1::UpsertAccountByExternalIdRequest* request,
      v1::UpsertAccountByExternalIdResponse* response) override;
  grpc::ServerUnaryReactor* BatchUpsertAccountsByExternalId(
      grpc::CallbackServerContext* context,
      const v1::BatchUpsertAccountsByExternalIdRequest* request,
      v1::BatchUpsertAccountsByExternalIdResponse* response) override;
  grpc::ServerUnaryReactor* GetAccountTree(grpc::CallbackServerContext* context,
                                           const v1::GetAccountTreeRequest* request,
                                           v1::AccountTree* response) override;
  grpc::ServerUnaryReactor* MergeAccounts(grpc::CallbackServerContext* context,
                                          const v1::MergeAccountsRequest* request,
                                          v1::MergeAccountsResponse* response) override;

 private:
  common::Runtime& runtime_;
  PgAccountRepository storage_;
  CachingAccountRepository repository_;
  AccountLogic logic_;
  common::RpcMethod create_method_{"accord.account.v1.AccountService", "CreateAccount"};
  common::RpcMethod get_method_{"accord.account.v1.AccountService", "GetAccount"};
  common::RpcMethod list_method_{"accord.account.v1.AccountService", "ListAccounts"};
  common::RpcMethod update_method_{"accord.account.v1.AccountService", "UpdateAccount"};
  common::RpcMethod delete_method_{"accord.account.v1.AccountService", "DeleteAccount"};
  common::RpcMethod batch_get_method_{"accord.account.v1.AccountService", "BatchGetAccounts"};
  common::RpcMethod lookup_method_{"accord.account.v1.AccountService", "LookupAccountByExternalId"};
  common::RpcMethod upsert_method_{"accord.account.v1.AccountService", "UpsertAccountByExternalId"};
  common::RpcMethod batch_upsert_method_{"accord.account.v1.AccountService",
                                         "BatchUpsertAccountsByExternalId"};
  common::RpcMethod tree_method_{"accord.account.v1.AccountService", "GetAccountTree"};
  common::RpcMethod merge_method_{"accord.account.v1.AccountService", "MergeAccounts"};
};

// Everything ServiceMain (and the integration tests) need to run the account service. Without
// settings, insights do not follow the other services' events (the overview still asks them at
// their default addresses).
common::ServiceDefinition AccountServiceDefinition();
common::ServiceDefinition AccountServiceDefinition(InsightsSettings insights);

}  // namespace accord::account
