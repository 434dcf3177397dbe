#include "account_service.h"

#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "accord/common/request_guard.h"
#include "account_sql.h"
#include "insights_service.h"
#include "insights_sql.h"
#include "team_need_services.h"
#include "write_meta.h"

namespace accord::account {

const std::vector<common::Migration>& Migrations();  // generated from migrations/*.sql

AccountServiceImpl::AccountServiceImpl(common::Runtime& runtime)
    : runtime_(runtime),
      storage_(runtime.pg()),
      repository_(storage_, runtime.cache(), runtime.settings().read_batch_threads),
      logic_(repository_, runtime.page_tokens(),
             common::ResponseBudget(static_cast<size_t>(runtime.settings().max_message_bytes))) {}

grpc::ServerUnaryReactor* AccountServiceImpl::CreateAccount(grpc::CallbackServerContext* context,
                                                            const v1::CreateAccountRequest* request,
                                                            v1::Account* response) {
  return runtime_.Respond(
      context, create_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Create(rpc.principal, *request, MetaFor(rpc, "CreateAccount", *request));
      });
}

namespace {

// GetAccount is served on raw bytes, so it parses (and is checked) here rather than in the
// runtime's request guard.
absl::StatusOr<v1::GetAccountRequest> ParseGetAccountRequest(const grpc::ByteBuffer& bytes,
                                                             const common::RpcMethod& method) {
  v1::GetAccountRequest request;
  ACCORD_RETURN_IF_ERROR(common::ParseRequest(bytes, request, method));
  return request;
}

void SetBytes(grpc::ByteBuffer* out, const std::string& bytes) {
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
}

}  // namespace

grpc::ServerUnaryReactor* AccountServiceImpl::GetAccount(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  // A cached account is answered on gRPC's thread with its stored encoding; a miss joins the
  // repository's gathered reads, whose thread finishes the call. (The request buffer lives until
  // the call finishes.)
  return runtime_.UnaryDeferred(
      context, get_method_,
      [=, this](const common::RpcContext& rpc) -> std::optional<absl::Status> {
        auto parsed = ParseGetAccountRequest(*request, get_method_);
        if (!parsed.ok()) return parsed.status();
        auto done = logic_.GetEncodedWithoutIo(rpc.principal, *parsed);
        if (!done) return std::nullopt;
        if (!done->ok()) return done->status();
        SetBytes(response, **done);
        return absl::OkStatus();
      },
      [=, this](std::shared_ptr<const common::RpcContext> rpc, common::Runtime::Completion done) {
        auto parsed = ParseGetAccountRequest(*request, get_method_);
        if (!parsed.ok()) return done(parsed.status());
        logic_.GetEncodedAsync(
            rpc->principal, *parsed,
            [response, done = std::move(done)](absl::StatusOr<std::string> account) {
              if (!account.ok()) return done(account.status());
              SetBytes(response, *account);
              done(absl::OkStatus());
            });
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAccounts(grpc::CallbackServerContext* context,
                                                           const v1::ListAccountsRequest* request,
                                                           v1::ListAccountsResponse* response) {
  return runtime_.Respond(
      context, list_method_, response,
      [=, this](const common::RpcContext& rpc) { return logic_.List(rpc.principal, *request); });
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpdateAccount(grpc::CallbackServerContext* context,
                                                            const v1::UpdateAccountRequest* request,
                                                            v1::Account* response) {
  return runtime_.Respond(
      context, update_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Update(rpc.principal, *request, MetaFor(rpc, "UpdateAccount", *request));
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::DeleteAccount(grpc::CallbackServerContext* context,
                                                            const v1::DeleteAccountRequest* request,
                                                            v1::Account* response) {
  return runtime_.Respond(
      context, delete_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Delete(rpc.principal, *request, MetaFor(rpc, "DeleteAccount", *request));
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::BatchGetAccounts(
    grpc::CallbackServerContext* context, const v1::BatchGetAccountsRequest* request,
    v1::BatchGetAccountsResponse* response) {
  return runtime_.Respond(context, batch_get_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.BatchGet(rpc.principal, *request);
                          });
}

grpc::ServerUnaryReactor* AccountServiceImpl::LookupAccountByExternalId(
    grpc::CallbackServerContext* context, const v1::LookupAccountByExternalIdRequest* request,
    v1::Account* response) {
  return runtime_.Respond(context, lookup_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.LookupByExternalId(rpc.principal, *request);
                          });
}

grpc::ServerUnaryReactor* AccountServiceImpl::UpsertAccountByExternalId(
    grpc::CallbackServerContext* context, const v1::UpsertAccountByExternalIdRequest* request,
    v1::UpsertAccountByExternalIdResponse* response) {
  return runtime_.Respond(
      context, upsert_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.UpsertByExternalId(rpc.principal, *request,
                                         MetaFor(rpc, "UpsertAccountByExternalId", *request));
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::BatchUpsertAccountsByExternalId(
    grpc::CallbackServerContext* context, const v1::BatchUpsertAccountsByExternalIdRequest* request,
    v1::BatchUpsertAccountsByExternalIdResponse* response) {
  return runtime_.Respond(
      context, batch_upsert_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.BatchUpsertByExternalId(
            rpc.principal, *request, MetaFor(rpc, "BatchUpsertAccountsByExternalId", *request));
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetAccountTree(
    grpc::CallbackServerContext* context, const v1::GetAccountTreeRequest* request,
    v1::AccountTree* response) {
  return runtime_.Respond(
      context, tree_method_, response,
      [=, this](const common::RpcContext& rpc) { return logic_.GetTree(rpc.principal, *request); });
}

grpc::ServerUnaryReactor* AccountServiceImpl::MergeAccounts(grpc::CallbackServerContext* context,
                                                            const v1::MergeAccountsRequest* request,
                                                            v1::MergeAccountsResponse* response) {
  return runtime_.Respond(
      context, merge_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Merge(rpc.principal, *request, MetaFor(rpc, "MergeAccounts", *request));
      });
}

common::ServiceDefinition AccountServiceDefinition() {
  InsightsSettings insights;
  insights.feeds = false;
  return AccountServiceDefinition(std::move(insights));
}

common::ServiceDefinition AccountServiceDefinition(InsightsSettings insights) {
  common::ServiceDefinition definition;
  definition.name = "account";
  definition.schema = "account";
  definition.default_grpc_port = 50051;
  definition.default_metrics_port = 9091;
  definition.migrations = []() -> const std::vector<common::Migration>& { return Migrations(); };
  definition.statements = sql::AllStatements();
  AddTeamAndNeedStatements(definition.statements);
  for (const auto& statement : sql::InsightsStatements())
    definition.statements.push_back(statement);
  definition.make_services = [insights](common::Runtime& runtime) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<AccountServiceImpl>(runtime));
    AddTeamAndNeedServices(runtime, services);
    services.push_back(std::make_unique<AccountInsightsServiceImpl>(runtime, insights));
    return services;
  };
  definition.access = {
      {"accord.account.v1.*", common::MethodAccess::AnyRole()}};  // account_access.h
  return definition;
}

}  // namespace accord::account
