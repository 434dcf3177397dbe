#include "pg_account_repository.h"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/message_diff.h"
#include "accord/common/page_token.h"
#include "accord/common/pg_array.h"
#include "account_hierarchy.h"
#include "account_sql.h"
#include "pg_filter_schemas.h"
#include "pg_need_repository.h"
#include "pg_team_repository.h"
#include "resource_names.h"

namespace accord::account {
namespace {

using google::protobuf::util::TimeUtil;

std::optional<std::string> OptionalText(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

template <typename Message>
void ParseBytes(const pqxx::field& field, Message* out) {
  if (field.is_null()) return;
  pqxx::binarystring bytes(field);
  out->ParseFromString(bytes.str());
}

std::optional<std::string> IdOf(const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto id = ParseAccountName(name, "parent");
  if (!id.ok()) return std::nullopt;
  return *id;
}

// bytea as Postgres hex text ("\\x0a1b..."), so that it can travel as an optional text parameter.
std::optional<std::string> Bytes(bool present, const google::protobuf::Message& message) {
  if (!present) return std::nullopt;
  return "\\x" + common::LowerHex(message.SerializeAsString());
}

// NOT_FOUND for a merged (naming where it went) or deleted account.
absl::Status CheckLive(const Account& account, const std::string& id) {
  if (!account.merged_into().empty()) {
    return common::WithReason(common::NotFound(AccountName(id)), "ACCOUNT_MERGED",
                              {{"merged_into", account.merged_into()}});
  }
  if (account.has_delete_time()) return common::NotFound(AccountName(id));
  return absl::OkStatus();
}

// The state a live row must be in for a write: present, not deleted, not merged.
absl::Status CheckWritable(const pqxx::result& rows, const std::string& id) {
  if (rows.empty()) return common::NotFound(AccountName(id));
  return CheckLive(RowToAccount(rows[0]), id);
}

std::vector<std::string> Ancestry(common::WriteTransaction& transaction, const std::string& id) {
  std::vector<std::string> names;
  for (const auto& row : transaction.exec_prepared(sql::kAncestry.name, id)) {
    names.push_back(AccountName(row[0].as<std::string>()));
  }
  return names;
}

// What an account write's change returns: the account and the events of the change.
using AccountWrite = absl::StatusOr<common::Written<Account>>;

}  // namespace

Account RowToAccount(const pqxx::row& row) {
  Account account;
  account.set_name(AccountName(row[0].as<std::string>()));
  account.set_display_name(row[1].as<std::string>());
  account.set_legal_name(row[2].as<std::string>());
  account.set_type(static_cast<common::v1::OrganizationType>(row[3].as<int>()));
  account.set_lifecycle_stage(static_cast<v1::LifecycleStage>(row[4].as<int>()));
  account.set_owner(row[5].as<std::string>());
  account.set_etag(row[6].as<std::string>());
  *account.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[7].as<int64_t>());
  *account.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[8].as<int64_t>());
  if (!row[9].is_null()) {
    *account.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(row[9].as<int64_t>());
  }
  account.set_tax_id(row[10].as<std::string>());
  account.set_tier(static_cast<v1::AccountTier>(row[11].as<int>()));
  account.set_industry(row[12].as<std::string>());
  account.set_size_band(static_cast<v1::SizeBand>(row[13].as<int>()));
  if (!row[14].is_null()) {
    auto* revenue = account.mutable_annual_revenue();
    revenue->set_currency_code(row[14].as<std::string>());
    revenue->set_units(row[15].as<int64_t>());
    revenue->set_nanos(row[16].as<int32_t>());
  }
  account.set_website(row[17].as<std::string>());
  ParseBytes(row[18], account.mutable_billing_address());
  ParseBytes(row[19], account.mutable_shipping_address());
  account.set_territory(row[20].as<std::string>());
  for (const auto& label : nlohmann::json::parse(row[21].as<std::string>())) {
    account.add_labels(label.get<std::string>());
  }
  if (auto parent = OptionalText(row[22])) account.set_parent(AccountName(*parent));
  if (auto merged = OptionalText(row[23])) account.set_merged_into(AccountName(*merged));
  // Kept in a local: items() of a temporary would dangle inside the loop.
  const auto external_ids = nlohmann::json::parse(row[24].as<std::string>());
  for (const auto& [system, id] : external_ids.items()) {
    (*account.mutable_external_ids())[system] = id.get<std::string>();
  }
  return account;
}

constexpr char kAccountCreated[] = "accord.account.v1.AccountCreated";
constexpr char kAccountUpdated[] = "accord.account.v1.AccountUpdated";
constexpr char kAccountDeleted[] = "accord.account.v1.AccountDeleted";
constexpr char kAccountMerged[] = "accord.account.v1.AccountMerged";

PgAccountRepository::PgAccountRepository(common::PgPool& pool, ListWalk walk)
    : pool_(pool),
      write_(pool, "account", "account"),
      walk_(walk),
      walk_pages_(common::MetricsRegistry::Global().GetCounter(kListWalksMetric, kListWalksHelp,
                                                               {{"outcome", "page"}})),
      walk_fallbacks_(common::MetricsRegistry::Global().GetCounter(kListWalksMetric, kListWalksHelp,
                                                                   {{"outcome", "fallback"}})),
      walk_sparse_(common::MetricsRegistry::Global().GetCounter(kListWalksMetric, kListWalksHelp,
                                                                {{"outcome", "sparse"}})) {}

absl::Status PgAccountRepository::SaveExternalIds(common::WriteTransaction& transaction,
                                                  const std::string& id, const Account& account) {
  transaction.exec_prepared0(sql::kDeleteExternalIds.name, id);
  for (const auto& [system, external_id] : account.external_ids()) {
    auto owner = transaction.exec_prepared(sql::kFindByExternalId.name, system, external_id);
    if (!owner.empty() && owner[0][0].as<std::string>() != id) {
      return common::WithReason(
          common::AlreadyExists("EXTERNAL_ID_TAKEN",
                                "external id " + system + ":" + external_id +
                                    " already belongs to " +
                                    AccountName(owner[0][0].as<std::string>())),
          "EXTERNAL_ID_TAKEN", {{"owner", AccountName(owner[0][0].as<std::string>())}});
    }
    transaction.exec_prepared0(sql::kInsertExternalId.name, system, external_id, id);
  }
  return absl::OkStatus();
}

absl::Status PgAccountRepository::CheckParent(common::WriteTransaction& transaction,
                                              const std::string& id,
                                              const std::string& parent_name) {
  auto parent_id = IdOf(parent_name);
  if (!parent_id) return absl::OkStatus();
  transaction.exec_prepared(sql::kLockHierarchy.name);
  auto parent = transaction.exec_prepared(sql::kGetAccount.name, *parent_id);
  if (parent.empty() || !parent[0][9].is_null()) {
    return common::FailedPrecondition("PARENT_NOT_FOUND",
                                      "parent " + parent_name + " does not exist or was deleted");
  }
  return CheckMove(AccountName(id), Ancestry(transaction, *parent_id));
}

Account PgAccountRepository::Store(common::WriteTransaction& transaction,
                                   const common::PreparedStatement& statement,
                                   const std::string& id, const Account& account) {
  const bool has_revenue = account.has_annual_revenue();
  const pqxx::row row = transaction.exec_prepared1(
      statement.name, id, account.display_name(), account.legal_name(),
      static_cast<int>(account.type()), static_cast<int>(account.lifecycle_stage()),
      account.owner(), account.tax_id(), static_cast<int>(account.tier()), account.industry(),
      static_cast<int>(account.size_band()),
      has_revenue ? std::optional<std::string>(account.annual_revenue().currency_code())
                  : std::nullopt,
      has_revenue ? std::optional<int64_t>(account.annual_revenue().units()) : std::nullopt,
      has_revenue ? std::optional<int32_t>(account.annual_revenue().nanos()) : std::nullopt,
      account.website(), Bytes(account.has_billing_address(), account.billing_address()),
      Bytes(account.has_shipping_address(), account.shipping_address()), account.territory(),
      common::TextArrayLiteral(account.labels()), IdOf(account.parent()));
  Account stored = RowToAccount(row);
  // RETURNING saw the external ids as they were before this statement; SaveExternalIds writes
  // exactly these.
  *stored.mutable_external_ids() = account.external_ids();
  return stored;
}

absl::StatusOr<Account> PgAccountRepository::Load(pqxx::transaction_base& transaction,
                                                  const std::string& id) {
  auto rows = transaction.exec_prepared(sql::kGetAccount.name, id);
  if (rows.empty()) return common::NotFound(AccountName(id));
  return RowToAccount(rows[0]);
}

AccountFacts PgAccountRepository::FactsFrom(const pqxx::row& locked) {
  AccountFacts facts;
  facts.actor_on_team = locked[sql::kAccountColumnCount].as<bool>();
  return facts;
}

absl::StatusOr<Account> PgAccountRepository::Create(const Account& account, const WriteMeta& meta) {
  return write_.Run<Account>(meta, [&](common::WriteTransaction& transaction) -> AccountWrite {
    Account created;
    ACCORD_RETURN_IF_ERROR(InsertNew(transaction, account, &created));
    common::Event event = common::ResourceEvent(kAccountCreated, created);
    return common::Written<Account>(std::move(created), std::move(event));
  });
}

absl::Status PgAccountRepository::InsertNew(common::WriteTransaction& transaction,
                                            const Account& account, Account* out) {
  const std::string id = common::NewUuidV7();
  ACCORD_RETURN_IF_ERROR(CheckParent(transaction, id, account.parent()));
  *out = Store(transaction, sql::kInsertAccount, id, account);
  if (account.external_ids().empty()) return absl::OkStatus();  // a new id owns none yet
  return SaveExternalIds(transaction, id, account);
}

absl::StatusOr<Account> PgAccountRepository::Get(const std::string& id) {
  Account account;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(sql::kGetAccount.name, id);
        ACCORD_RETURN_IF_ERROR(CheckWritable(rows, id));
        account = RowToAccount(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return account;
}

absl::StatusOr<std::vector<Account>> PgAccountRepository::BatchGet(
    const std::vector<std::string>& ids) {
  ACCORD_ASSIGN_OR_RETURN(auto results, GetMany(ids));
  std::vector<Account> accounts;
  accounts.reserve(results.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    // All or nothing: plain NOT_FOUND for the first id that is missing, deleted or merged.
    if (!results[i].ok()) return common::NotFound(AccountName(ids[i]));
    accounts.push_back(std::move(*results[i]));
  }
  return accounts;
}

absl::StatusOr<std::vector<absl::StatusOr<Account>>> PgAccountRepository::GetMany(
    const std::vector<std::string>& ids) {
  std::vector<absl::StatusOr<Account>> results;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        // Each row with how many of `ids` still ask for it: the last one takes it, the others
        // copy it (an id may be asked twice).
        std::unordered_map<std::string, std::pair<Account, size_t>> found;
        for (const auto& row : transaction.exec_prepared(sql::kBatchGetAccounts.name,
                                                         common::TextArrayLiteral(ids))) {
          found.emplace(row[0].as<std::string>(), std::make_pair(RowToAccount(row), size_t{0}));
        }
        for (const auto& id : ids) {
          if (auto it = found.find(id); it != found.end()) ++it->second.second;
        }
        results.clear();  // a retried attempt starts over
        results.reserve(ids.size());
        for (const auto& id : ids) {
          auto it = found.find(id);
          if (it == found.end()) {
            results.emplace_back(common::NotFound(AccountName(id)));
          } else if (auto live = CheckLive(it->second.first, id); !live.ok()) {
            results.emplace_back(live);
          } else if (--it->second.second == 0) {
            results.emplace_back(std::move(it->second.first));
          } else {
            results.emplace_back(it->second.first);
          }
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return results;
}

absl::StatusOr<Account> PgAccountRepository::GetByExternalId(const std::string& system,
                                                             const std::string& external_id) {
  Account account;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    auto owner = transaction.exec_prepared(sql::kFindByExternalId.name, system, external_id);
    if (owner.empty()) {
      return common::WithReason(
          absl::NotFoundError("no account carries external id " + system + ":" + external_id),
          "EXTERNAL_ID_NOT_FOUND");
    }
    auto rows = transaction.exec_prepared(sql::kGetAccount.name, owner[0][0].as<std::string>());
    ACCORD_RETURN_IF_ERROR(CheckWritable(rows, owner[0][0].as<std::string>()));
    account = RowToAccount(rows[0]);
    return absl::OkStatus();
  }));
  return account;
}

// A two-character value is matched through the pair index, whose share of the names the planner
// cannot estimate (it takes a constant), so it gathers every match and sorts them: right for a
// rare value, slow for a common one (every match sorted for one page). Such a filter
// first walks the ordering index over a bounded number of accounts (after the page token's
// position), testing the filter on each; when they hold a full page it is the page the gathering
// plan would return (the first limit + 1 matches in the same order), and otherwise that plan runs.
// A rare value costs the bounded walk in addition. Longer values are estimated from the column's
// statistics, and the planner chooses between walking and gathering itself.
//
// A label is estimated from the list's most common elements; any other label is taken for one
// fixed share, whether 5 000 accounts carry it or 100, and ANALYZE's sample decides whether the
// planner walks the ordering index (for a rare label: every account) or gathers through the label
// index. Such a filter walks too; when the
// walk finds at most ListWalk::sparse_matches matches, the share is small where the page starts,
// and the matches are gathered in a subquery the planner can answer only through an index on the
// filter (it has no order to walk), then sorted. Otherwise (a label of a few percent) the
// planner's statement runs, and the planner knows such a label's share.
//
// In name order, a search that only non-ASCII names can match (MatchesOnlyNonAsciiNames: Chinese
// text) is confined to the accounts with such a name, which the partial index
// accounts_non_ascii_by_display_name holds in name order: Chinese names sort after every Latin
// one, so walking all accounts would read past every Latin name before the first match.
ListStatements PgAccountRepository::PlanList(const AccountListQuery& query) const {
  common::KeysetOrder order{"a.display_name", "a.id", "{}", query.descending};
  std::string sort_key = "a.display_name";
  if (query.order != AccountOrder::kDisplayName) {
    order.column = query.order == AccountOrder::kCreateTime ? "a.create_time" : "a.update_time";
    order.key_from_text = common::kMicrosToTimestamptz;
    sort_key = common::MicrosText(order.column);
  }
  const std::string columns = std::string(sql::kAccountColumns) + ", " + sort_key;
  std::string rows = "a.delete_time IS NULL";
  if (query.order == AccountOrder::kDisplayName &&
      MatchesOnlyNonAsciiNames(query.filter_sql, query.filter_params)) {
    rows += std::string(" AND ") + kNonAsciiNameSql;
  }
  ListStatements out;
  if ((query.filter_matches_pairs || query.filter_matches_elements) && walk_.rows > 0) {
    // The inner query has no filter, so only the ordering index can answer it, and PostgreSQL
    // does not push the outer filter into a subquery with a LIMIT.
    ListStatements::Statement walk{"", query.filter_params};
    std::string inner = "SELECT * FROM account.accounts a WHERE " + rows;
    common::AppendKeyset(inner, walk.params, order, query.after, walk_.rows - 1);
    walk.sql = "SELECT " + columns + " FROM (" + inner + ") a WHERE " + query.filter_sql;
    common::AppendKeyset(walk.sql, walk.params, order, std::nullopt, query.limit);
    out.walk = std::move(walk);
    // OFFSET 0 keeps PostgreSQL from merging the subquery into the outer query, whose order it
    // would then read from the ordering index again.
    ListStatements::Statement sparse{"", query.filter_params};
    std::string matches =
        "SELECT * FROM account.accounts a WHERE " + rows + " AND " + query.filter_sql;
    common::AppendKeysetAfter(matches, sparse.params, order, query.after);
    sparse.sql = "SELECT " + columns + " FROM (" + matches + " OFFSET 0) a";
    common::AppendKeyset(sparse.sql, sparse.params, order, std::nullopt, query.limit);
    out.sparse = std::move(sparse);
  }
  out.gather = {"SELECT " + columns + " FROM account.accounts a WHERE " + rows,
                query.filter_params};
  if (!query.filter_sql.empty()) out.gather.sql += " AND " + query.filter_sql;
  common::AppendKeyset(out.gather.sql, out.gather.params, order, query.after, query.limit);
  return out;
}

absl::StatusOr<AccountPage> PgAccountRepository::List(const AccountListQuery& query) {
  const ListStatements statements = PlanList(query);
  if (statements.walk) {
    ACCORD_ASSIGN_OR_RETURN(AccountPage page,
                            ReadPage(statements.walk->sql, statements.walk->params));
    if (page.accounts.size() > static_cast<size_t>(query.limit)) {
      walk_pages_.Increment();
      return page;
    }
    if (page.accounts.size() <= static_cast<size_t>(walk_.sparse_matches)) {
      walk_sparse_.Increment();
      return ReadPage(statements.sparse->sql, statements.sparse->params);
    }
    walk_fallbacks_.Increment();
  }
  return ReadPage(statements.gather.sql, statements.gather.params);
}

absl::StatusOr<AccountPage> PgAccountRepository::ReadPage(const std::string& statement,
                                                          const std::vector<std::string>& params) {
  AccountPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
        page.accounts.reserve(rows.size());
        for (const auto& row : rows) {
          page.accounts.push_back(RowToAccount(row));
          page.keys.push_back(
              {row[sql::kAccountColumnCount].as<std::string>(), row[0].as<std::string>()});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return page;
}

absl::Status PgAccountRepository::ApplyUpdate(common::WriteTransaction& transaction,
                                              const std::string& id, const Mutation& mutate,
                                              const std::string& actor, Account* out,
                                              Account* before) {
  auto rows = transaction.exec_prepared(sql::kLockAccount.name, id, actor);
  ACCORD_RETURN_IF_ERROR(CheckWritable(rows, id));
  Account current = RowToAccount(rows[0]);
  ACCORD_ASSIGN_OR_RETURN(Account next, mutate(current, FactsFrom(rows[0])));
  if (next.parent() != current.parent()) {
    ACCORD_RETURN_IF_ERROR(CheckParent(transaction, id, next.parent()));
  }
  *out = Store(transaction, sql::kUpdateAccount, id, next);
  std::map<std::string, std::string> old_ids(current.external_ids().begin(),
                                             current.external_ids().end());
  std::map<std::string, std::string> new_ids(next.external_ids().begin(),
                                             next.external_ids().end());
  if (old_ids != new_ids) ACCORD_RETURN_IF_ERROR(SaveExternalIds(transaction, id, next));
  *before = std::move(current);
  return absl::OkStatus();
}

absl::StatusOr<Account> PgAccountRepository::Update(const std::string& id, const Mutation& mutate,
                                                    const WriteMeta& meta) {
  return write_.Run<Account>(meta, [&](common::WriteTransaction& transaction) -> AccountWrite {
    if (meta.may_move) transaction.exec_prepared(sql::kLockHierarchy.name);
    Account before, after;
    ACCORD_RETURN_IF_ERROR(ApplyUpdate(transaction, id, mutate, meta.actor, &after, &before));
    common::Event event = common::ResourceEvent(kAccountUpdated, after, &before);
    return common::Written<Account>(std::move(after), std::move(event));
  });
}

absl::StatusOr<Account> PgAccountRepository::Delete(const std::string& id, const Mutation& check,
                                                    const WriteMeta& meta) {
  return write_.Run<Account>(meta, [&](common::WriteTransaction& transaction) -> AccountWrite {
    auto rows = transaction.exec_prepared(sql::kLockAccount.name, id, meta.actor);
    ACCORD_RETURN_IF_ERROR(CheckWritable(rows, id));
    Account before = RowToAccount(rows[0]);
    ACCORD_RETURN_IF_ERROR(check(before, FactsFrom(rows[0])).status());
    transaction.exec_prepared0(sql::kDeleteAccount.name, id);
    ACCORD_ASSIGN_OR_RETURN(Account deleted, Load(transaction.Begun(), id));
    common::Event event = common::ResourceEvent(kAccountDeleted, deleted, &before);
    return common::Written<Account>(std::move(deleted), std::move(event));
  });
}

absl::StatusOr<std::pair<Account, bool>> PgAccountRepository::UpsertByExternalId(
    const std::string& system, const std::string& external_id, const Account& create,
    const Mutation& update, const WriteMeta& meta) {
  bool created = false;
  auto account =
      write_.Run<Account>(meta, [&](common::WriteTransaction& transaction) -> AccountWrite {
        transaction.exec_prepared(sql::kLockExternalId.name, system, external_id);
        auto owner = transaction.exec_prepared(sql::kFindByExternalId.name, system, external_id);
        if (owner.empty()) {
          created = true;
          Account fresh = create;
          (*fresh.mutable_external_ids())[system] = external_id;
          Account stored;
          ACCORD_RETURN_IF_ERROR(InsertNew(transaction, fresh, &stored));
          common::Event event = common::ResourceEvent(kAccountCreated, stored);
          return common::Written<Account>(std::move(stored), std::move(event));
        }
        created = false;
        if (meta.may_move) transaction.exec_prepared(sql::kLockHierarchy.name);
        Account before, after;
        ACCORD_RETURN_IF_ERROR(ApplyUpdate(transaction, owner[0][0].as<std::string>(), update,
                                           meta.actor, &after, &before));
        common::Event event = common::ResourceEvent(kAccountUpdated, after, &before);
        // A sync that changes nothing leaves no event behind.
        if (event.changed_fields.empty())
          return common::Written<Account>::Unchanged(std::move(after));
        return common::Written<Account>(std::move(after), std::move(event));
      });
  if (!account.ok()) return account.status();
  return std::make_pair(*account, created);
}

absl::StatusOr<std::vector<TreeRow>> PgAccountRepository::Subtree(const std::string& id,
                                                                  int max_depth) {
  std::vector<TreeRow> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_prepared(sql::kSubtree.name, id, max_depth)) {
          rows.push_back({RowToAccount(row), row[sql::kAccountColumnCount].as<int>()});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return rows;
}

absl::StatusOr<MergeResult> PgAccountRepository::Merge(const std::string& survivor_id,
                                                       const std::string& duplicate_id,
                                                       const MergeCheck& check,
                                                       const WriteMeta& meta) {
  Account duplicate_after;
  std::vector<Account> moved;
  auto survivor_after =
      write_.Run<Account>(meta, [&](common::WriteTransaction& transaction) -> AccountWrite {
        moved.clear();  // a retried attempt starts over
        // Lock in id order so that two merges of the same pair cannot deadlock.
        transaction.exec_prepared(sql::kLockHierarchy.name);
        const auto& first = std::min(survivor_id, duplicate_id);
        const auto& second = std::max(survivor_id, duplicate_id);
        auto first_rows = transaction.exec_prepared(sql::kLockAccount.name, first, meta.actor);
        auto second_rows = transaction.exec_prepared(sql::kLockAccount.name, second, meta.actor);
        ACCORD_RETURN_IF_ERROR(CheckWritable(first_rows, first));
        ACCORD_RETURN_IF_ERROR(CheckWritable(second_rows, second));
        Account survivor = RowToAccount(first == survivor_id ? first_rows[0] : second_rows[0]);
        Account duplicate = RowToAccount(first == survivor_id ? second_rows[0] : first_rows[0]);
        const AccountFacts survivor_facts =
            FactsFrom(first == survivor_id ? first_rows[0] : second_rows[0]);
        const AccountFacts duplicate_facts =
            FactsFrom(first == survivor_id ? second_rows[0] : first_rows[0]);
        ACCORD_RETURN_IF_ERROR(check(survivor, duplicate, survivor_facts, duplicate_facts));
        if (!CheckMove(duplicate.name(), Ancestry(transaction, survivor_id)).ok()) {
          return common::FailedPrecondition(
              "HIERARCHY_CYCLE",
              "the survivor is a descendant of the duplicate; move it out first");
        }
        for (const auto& [system, id] : duplicate.external_ids()) {
          if (survivor.external_ids().count(system)) {
            return common::FailedPrecondition(
                "EXTERNAL_ID_CONFLICT",
                "both accounts carry an id in system " + system + "; remove one before merging");
          }
        }
        auto moved_children =
            transaction.exec_prepared(sql::kReparentChildren.name, duplicate_id, survivor_id);
        transaction.exec_prepared0(sql::kMoveExternalIds.name, duplicate_id, survivor_id);
        auto dropped_team =
            transaction.exec_prepared(sql::kDropOverlappingTeam.name, duplicate_id, survivor_id);
        auto moved_team = transaction.exec_prepared(sql::kMoveTeam.name, duplicate_id, survivor_id);
        auto moved_needs =
            transaction.exec_prepared(sql::kMoveNeeds.name, duplicate_id, survivor_id);
        transaction.exec_prepared0(sql::kTombstoneAccount.name, duplicate_id, survivor_id);
        // The survivor's version moves too: its external ids (and etag) changed.
        transaction.exec_prepared0(sql::kTouchAccount.name, survivor_id);
        ACCORD_ASSIGN_OR_RETURN(Account survivor_now, Load(transaction.Begun(), survivor_id));
        ACCORD_ASSIGN_OR_RETURN(duplicate_after, Load(transaction.Begun(), duplicate_id));
        // Other services learn of the merge, and of every resource whose state it changed: the
        // survivor, each child account moved under it, each membership dropped as a duplicate
        // of one the survivor has, and each membership and need moved (which renames it).
        std::vector<common::Event> events;
        v1::AccountMerged merged;
        merged.set_survivor(survivor.name());
        merged.set_duplicate(duplicate.name());
        events.push_back(common::MakeEvent(kAccountMerged, duplicate_after.name(),
                                           std::stoll(duplicate_after.etag()), merged));
        events.push_back(common::ResourceEvent(kAccountUpdated, survivor_now, &survivor));
        for (const auto& child : moved_children) {
          ACCORD_ASSIGN_OR_RETURN(Account child_after,
                                  Load(transaction.Begun(), child[0].as<std::string>()));
          Account before_move = child_after;
          before_move.set_parent(duplicate.name());
          events.push_back(common::ResourceEvent(kAccountUpdated, child_after, &before_move));
          moved.push_back(std::move(child_after));
        }
        for (const auto& row : dropped_team) {
          // Gone for good: the last state, at the version its removal would have had.
          const TeamMember last = TeamMemberFromRow(row);
          events.push_back(common::MakeEvent(kTeamMemberDeleted, last.name(),
                                             std::stoll(last.etag()) + 1, last));
        }
        for (const auto& row : moved_team) {
          const TeamMember after = TeamMemberFromRow(row);
          TeamMember before_move = after;
          before_move.set_name(TeamMemberName(duplicate_id, row[0].as<std::string>()));
          events.push_back(common::ResourceEvent(kTeamMemberUpdated, after, &before_move));
        }
        for (const auto& row : moved_needs) {
          const Need after = NeedFromRow(row);
          if (after.has_delete_time()) continue;  // a deleted need is no resource anymore
          Need before_move = after;
          before_move.set_name(NeedName(duplicate_id, row[0].as<std::string>()));
          events.push_back(common::ResourceEvent(kNeedUpdated, after, &before_move));
        }
        return common::Written<Account>(std::move(survivor_now), std::move(events));
      });
  if (!survivor_after.ok()) return survivor_after.status();
  if (duplicate_after.name().empty()) {
    // A retried request: the stored response holds only the survivor.
    auto tombstone = pool_.Read(
        [&](pqxx::transaction_base& transaction) -> absl::Status {
          ACCORD_ASSIGN_OR_RETURN(duplicate_after, Load(transaction, duplicate_id));
          return absl::OkStatus();
        },
        common::ReadScope::kOneStatement);
    ACCORD_RETURN_IF_ERROR(tombstone);
  }
  return MergeResult{*survivor_after, duplicate_after, std::move(moved)};
}

}  // namespace accord::account
