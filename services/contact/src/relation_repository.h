// Storage of contacts' relations to accounts, behind an interface for the logic's tests.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/contact/v1/account_relation.pb.h"
#include "contact_repository.h"
#include "write_path.h"

namespace accord::contact {

using v1::AccountRelation;

struct RelationListQuery {
  std::optional<std::string> contact_id;  // nullopt: every contact (`contacts/-`)
  int limit = 50;
  bool descending = false;
  std::string filter_sql;  // over the relations row alias `r`, $N numbered from 1
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;
};

struct RelationPage {
  std::vector<AccountRelation> relations;
  std::vector<std::vector<std::string>> keys;
};

struct KeyContactRow {
  AccountRelation relation;
  ContactRecord contact;
};

class RelationRepository {
 public:
  virtual ~RelationRepository() = default;

  // How List's filter maps onto this repository's tables (pg_filter_schemas.h).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  // NOT_FOUND naming the contact when it is missing or deleted; ALREADY_EXISTS when the contact
  // already has a live relation to the account.
  virtual absl::StatusOr<AccountRelation> Create(const std::string& contact_id,
                                                 const AccountRelation& relation,
                                                 const WriteMeta& meta) = 0;
  virtual absl::StatusOr<AccountRelation> Get(const std::string& contact_id,
                                              const std::string& id) = 0;
  virtual absl::StatusOr<RelationPage> List(const RelationListQuery& query) = 0;
  using Mutation = std::function<absl::StatusOr<AccountRelation>(const AccountRelation& current)>;
  virtual absl::StatusOr<AccountRelation> Update(const std::string& contact_id,
                                                 const std::string& id, const Mutation& mutate,
                                                 const WriteMeta& meta) = 0;
  virtual absl::StatusOr<AccountRelation> Delete(const std::string& contact_id,
                                                 const std::string& id, const Mutation& check,
                                                 const WriteMeta& meta) = 0;
  // The account's current relations that carry a role (not ended, contact live), with contacts.
  virtual absl::StatusOr<std::vector<KeyContactRow>> KeyContacts(const std::string& account_id) = 0;
};

}  // namespace accord::contact
