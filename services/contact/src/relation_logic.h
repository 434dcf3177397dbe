// The account relations domain: names, validation, permissions (through the account service),
// the account's existence, and the ordering of key contacts. Pure logic over messages, a
// repository and the account directory; unit-tested against fakes.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/common/page_token.h"
#include "accord/contact/v1/account_relation.pb.h"
#include "contact_access.h"
#include "contact_presenter.h"
#include "relation_repository.h"
#include "resource_names.h"

namespace accord::contact {

// Rank of a role in ListKeyContacts (0 first): executive sponsor, decision maker, key contact,
// buyer, technical, billing, end user.
int RoleRank(v1::AccountRelationRole role);
// The relation's highest-ranked role (UNSPECIFIED when it has none).
v1::AccountRelationRole TopRole(const AccountRelation& relation);

void ValidateRelationFields(const AccountRelation& relation, const std::string& prefix,
                            common::Violations& violations);

class RelationLogic {
 public:
  RelationLogic(RelationRepository& repository, ContactAccess& access, ContactPresenter& presenter,
                const common::PageTokenCodec& page_tokens);

  absl::StatusOr<AccountRelation> Create(const Caller& caller,
                                         const v1::CreateAccountRelationRequest& request,
                                         WriteMeta meta);
  absl::StatusOr<AccountRelation> Get(const Caller& caller,
                                      const v1::GetAccountRelationRequest& request);
  absl::StatusOr<v1::ListAccountRelationsResponse> List(
      const Caller& caller, const v1::ListAccountRelationsRequest& request);
  absl::StatusOr<AccountRelation> Update(const Caller& caller,
                                         const v1::UpdateAccountRelationRequest& request,
                                         WriteMeta meta);
  absl::StatusOr<AccountRelation> Delete(const Caller& caller,
                                         const v1::DeleteAccountRelationRequest& request,
                                         WriteMeta meta);
  absl::StatusOr<v1::ListKeyContactsResponse> ListKeyContacts(
      const Caller& caller, const v1::ListKeyContactsRequest& request);

 private:
  RelationRepository& repository_;
  ContactAccess& access_;
  ContactPresenter& presenter_;
  const common::PageTokenCodec& page_tokens_;
};

}  // namespace accord::contact
