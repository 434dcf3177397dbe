#pragma once

#include "accord/common/metrics.h"
#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "account_repository.h"
#include "pg_filter_schemas.h"

namespace accord::account {

// Pages of filters the planner cannot estimate (two-character substrings, labels) by how List
// answered them: outcome "page" (the walk held the page), "fallback" (the walk fell short and the
// planner's statement ran) or "sparse" (the walk found next to no match, and the matches were
// gathered through the filter's own index).
inline constexpr const char* kListWalksMetric = "accord_account_list_walks_total";
inline constexpr const char* kListWalksHelp =
    "ListAccounts pages of two-character substring and label filters by plan: a bounded walk of "
    "the ordering index (page), the planner's statement when the walk fell short (fallback), or "
    "every match gathered through the filter's index when the walk found next to none (sparse)";

// How List answers a filter whose share of the accounts the planner cannot know (see List).
struct ListWalk {
  // Accounts the ordering index is walked over before every match is gathered instead; 0: never
  // walk. 500 fills a page of 50 when one account in ten matches, and costs about 0.4 ms when
  // it does not (1 000 000 accounts, docs/performance.md).
  int rows = 500;
  // At most this many matches among the walked accounts: the filter is rare there (a share of
  // 1 % puts 5 among 500), and its matches are gathered without the planner (ListStatements::
  // sparse), which might otherwise walk the whole ordering index for a rare label.
  int sparse_matches = 2;
};

// An account from a row whose first kAccountColumnCount columns are ACCORD_ACCOUNT_COLUMNS
// (account_sql.h); other repositories' statements that return the account beside facts of their
// own read it with this too.
Account RowToAccount(const pqxx::row& row);

// The statements List runs for a query (SQL with $N placeholders and their values): `walk`, the
// bounded walk of the ordering index, when the filter matches a two-character value or a label;
// `sparse`, with a walk, every match gathered through an index on the filter and sorted (a subquery
// without an order, so no ordering index can answer it), when the walk found next to no match;
// `gather`, the planner's own statement, when there is no walk or it fell short of a page.
struct ListStatements {
  struct Statement {
    std::string sql;
    std::vector<std::string> params;
  };
  std::optional<Statement> walk;
  std::optional<Statement> sparse;
  Statement gather;
};

class PgAccountRepository final : public AccountRepository {
 public:
  const common::filter::Schema& FilterSchema() const override { return AccountFilterSchema(); }
  explicit PgAccountRepository(common::PgPool& pool, ListWalk walk = {});

  absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) override;
  absl::StatusOr<Account> Get(const std::string& id) override;
  absl::StatusOr<AccountPage> List(const AccountListQuery& query) override;
  // What List runs for `query` (its plans are tested with EXPLAIN).
  ListStatements PlanList(const AccountListQuery& query) const;
  absl::StatusOr<Account> Update(const std::string& id, const Mutation& mutate,
                                 const WriteMeta& meta) override;
  absl::StatusOr<Account> Delete(const std::string& id, const Mutation& check,
                                 const WriteMeta& meta) override;
  absl::StatusOr<std::vector<Account>> BatchGet(const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<absl::StatusOr<Account>>> GetMany(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<Account> GetByExternalId(const std::string& system,
                                          const std::string& external_id) override;
  absl::StatusOr<std::pair<Account, bool>> UpsertByExternalId(const std::string& system,
                                                              const std::string& external_id,
                                                              const Account& create,
                                                              const Mutation& update,
                                                              const WriteMeta& meta) override;
  absl::StatusOr<std::vector<TreeRow>> Subtree(const std::string& id, int max_depth) override;
  absl::StatusOr<MergeResult> Merge(const std::string& survivor_id, const std::string& duplicate_id,
                                    const MergeCheck& check, const WriteMeta& meta) override;

 private:
  absl::Status InsertNew(common::WriteTransaction& transaction, const Account& account,
                         Account* out);
  // Applies `mutate` and stores the result in *out; *before receives the state it replaced.
  absl::Status ApplyUpdate(common::WriteTransaction& transaction, const std::string& id,
                           const Mutation& mutate, const std::string& actor, Account* out,
                           Account* before);
  // Inserts or updates the account's row (statement kInsertAccount or kUpdateAccount) and
  // returns it as stored.
  Account Store(common::WriteTransaction& transaction, const common::PreparedStatement& statement,
                const std::string& id, const Account& account);
  absl::Status SaveExternalIds(common::WriteTransaction& transaction, const std::string& id,
                               const Account& account);
  // Parent exists and is live, and is not `id` or below it; takes the hierarchy lock.
  absl::Status CheckParent(common::WriteTransaction& transaction, const std::string& id,
                           const std::string& parent_name);
  absl::StatusOr<Account> Load(pqxx::transaction_base& transaction, const std::string& id);
  // The access facts kLockAccount reads along with the row.
  static AccountFacts FactsFrom(const pqxx::row& locked);

  absl::StatusOr<AccountPage> ReadPage(const std::string& statement,
                                       const std::vector<std::string>& params);

  common::PgPool& pool_;
  common::IdempotentWrite write_;
  const ListWalk walk_;
  common::Counter& walk_pages_;
  common::Counter& walk_fallbacks_;
  common::Counter& walk_sparse_;
};

}  // namespace accord::account
