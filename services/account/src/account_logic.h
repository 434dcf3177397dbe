// The account domain: validation, permissions, lifecycle rules, update masks and paging. Pure
// logic over messages and a repository; no gRPC types, so it is unit-tested against a fake.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/account/v1/account.pb.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/filter.h"
#include "accord/common/page_token.h"
#include "accord/common/paging.h"
#include "account_hierarchy.h"
#include "account_repository.h"
#include "resource_names.h"

namespace accord::account {

using v1::AccountTree;
using v1::BatchGetAccountsRequest;
using v1::BatchGetAccountsResponse;
using v1::BatchUpsertAccountsByExternalIdRequest;
using v1::BatchUpsertAccountsByExternalIdResponse;
using v1::CreateAccountRequest;
using v1::DeleteAccountRequest;
using v1::GetAccountRequest;
using v1::GetAccountTreeRequest;
using v1::LifecycleStage;
using v1::ListAccountsRequest;
using v1::ListAccountsResponse;
using v1::LookupAccountByExternalIdRequest;
using v1::MergeAccountsRequest;
using v1::MergeAccountsResponse;
using v1::UpdateAccountRequest;
using v1::UpsertAccountByExternalIdRequest;
using v1::UpsertAccountByExternalIdResponse;

inline constexpr int kMaxBatch = 1000;
inline constexpr int kMaxTreeDepth = 32;

// Whether a lifecycle stage may change from `from` to `to` (the same stage always may).
bool IsAllowedTransition(LifecycleStage from, LifecycleStage to);

// Field checks shared by create and update; `prefix` is the request's path to the account.
void ValidateAccountFields(const Account& account, const std::string& prefix,
                           common::Violations& violations);

// Who may write. account_manager: create (owning the result), change accounts it owns or is on
// the team of, delete accounts it owns. admin: anything. integration: create and sync through
// external ids, never delete. Everyone else reads only.
bool CanCreate(const common::Principal& principal);
bool CanModify(const common::Principal& principal, const Account& account,
               const AccountFacts& facts);
bool CanDelete(const common::Principal& principal, const Account& account);
bool CanSync(const common::Principal& principal);

class AccountLogic {
 public:
  // Pages and batch reads keep their rows within `response_budget_bytes` (common::ResponseBudget of
  // the server's ACCORD_MAX_MESSAGE_BYTES).
  AccountLogic(
      AccountRepository& repository, const common::PageTokenCodec& page_tokens,
      size_t response_budget_bytes = common::ResponseBudget(common::kDefaultMaxMessageBytes));

  absl::StatusOr<Account> Create(const common::Principal& caller,
                                 const CreateAccountRequest& request, WriteMeta meta);
  absl::StatusOr<Account> Get(const common::Principal& caller, const GetAccountRequest& request);
  // Get answered without I/O when possible (a bad name, or an account held in process), as the
  // serialized Account; nullopt means "call Get" (or GetEncodedAsync).
  std::optional<absl::StatusOr<std::string>> GetEncodedWithoutIo(const common::Principal& caller,
                                                                 const GetAccountRequest& request);
  // Get answering through `done` with the serialized Account, maybe later on another thread (see
  // AccountRepository::GetEncodedAsync).
  void GetEncodedAsync(const common::Principal& caller, const GetAccountRequest& request,
                       AccountRepository::GetEncodedCallback done);
  absl::StatusOr<ListAccountsResponse> List(const common::Principal& caller,
                                            const ListAccountsRequest& request);
  absl::StatusOr<Account> Update(const common::Principal& caller,
                                 const UpdateAccountRequest& request, WriteMeta meta);
  absl::StatusOr<Account> Delete(const common::Principal& caller,
                                 const DeleteAccountRequest& request, WriteMeta meta);
  absl::StatusOr<BatchGetAccountsResponse> BatchGet(const common::Principal& caller,
                                                    const BatchGetAccountsRequest& request);
  absl::StatusOr<Account> LookupByExternalId(const common::Principal& caller,
                                             const LookupAccountByExternalIdRequest& request);
  absl::StatusOr<UpsertAccountByExternalIdResponse> UpsertByExternalId(
      const common::Principal& caller, const UpsertAccountByExternalIdRequest& request,
      WriteMeta meta, const std::string& field_prefix = "");
  absl::StatusOr<BatchUpsertAccountsByExternalIdResponse> BatchUpsertByExternalId(
      const common::Principal& caller, const BatchUpsertAccountsByExternalIdRequest& request,
      WriteMeta meta);
  absl::StatusOr<AccountTree> GetTree(const common::Principal& caller,
                                      const GetAccountTreeRequest& request);
  absl::StatusOr<MergeAccountsResponse> Merge(const common::Principal& caller,
                                              const MergeAccountsRequest& request, WriteMeta meta);

 private:
  AccountRepository& repository_;
  const common::PageTokenCodec& page_tokens_;
  const size_t response_budget_bytes_;
};

}  // namespace accord::account
