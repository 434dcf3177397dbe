#include "pg_pricing_repository.h"

#include <google/protobuf/util/time_util.h>

#include <map>
#include <pqxx/stream_to>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/message_diff.h"
#include "accord/common/page_token.h"
#include "accord/common/pg_array.h"
#include "pricing_sql.h"

namespace accord::pricing {
namespace {

using google::protobuf::util::TimeUtil;

// Row layout of every statement: id, parent id, body, version, create and update micros.
template <typename T>
T Decode(const pqxx::row& row) {
  T message;
  message.ParseFromString(pqxx::binarystring(row[2]).str());
  const std::string id = row[0].as<std::string>();
  const std::string parent = row[1].as<std::string>();
  if constexpr (std::is_same_v<T, PriceList>) {
    message.set_name(PriceListName(id));
  } else if constexpr (std::is_same_v<T, PriceListItem>) {
    message.set_name(ItemResourceName(parent, message.sku()));
  } else if constexpr (std::is_same_v<T, TradingTerms>) {
    message.set_name(TermsResourceName(parent, id));
  } else if constexpr (std::is_same_v<T, Quote>) {
    message.set_name(QuoteName(id));
  } else if constexpr (std::is_same_v<T, PricingPolicy>) {
    message.set_name(id);
  } else {
    message.set_name(SaleName(id));
  }
  message.set_etag(row[3].as<std::string>());
  if constexpr (requires { message.mutable_create_time(); }) {
    *message.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[4].as<int64_t>());
  }
  if constexpr (requires { message.mutable_update_time(); }) {
    *message.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[5].as<int64_t>());
  }
  return message;
}

// What is stored: the message less what the columns carry.
template <typename T>
pqxx::binarystring Body(const T& message) {
  T copy = message;
  copy.clear_name();
  copy.clear_etag();
  if constexpr (requires { copy.clear_create_time(); }) copy.clear_create_time();
  if constexpr (requires { copy.clear_update_time(); }) copy.clear_update_time();
  return pqxx::binarystring(copy.SerializeAsString());
}

int64_t Version(const std::string& etag) { return std::stoll(etag); }

// The event "accord.pricing.v1.<event>" of `after` (a resource with name and etag); for an update,
// with the fields that differ from `before`.
template <typename Resource>
common::Event PricingEvent(const std::string& event, const Resource& after,
                           const Resource* before = nullptr) {
  return common::MakeEvent("accord.pricing.v1." + event, after.name(), Version(after.etag()), after,
                           before);
}

// "accounts/{id}" -> id (names were validated by the logic).
std::string IdOf(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

struct SortSpec {
  std::string column;    // what rows are ordered by
  std::string key_text;  // its text form, for page tokens
  std::string key_from_text;
};

SortSpec TimeSort(const std::string& column) {
  return {column, common::MicrosText(column), common::kMicrosToTimestamptz};
}
SortSpec TextSort(const std::string& column) { return {column, column, "{}"}; }

template <typename T>
absl::StatusOr<Page<T>> RunList(
    common::PgPool& pool, const char* columns, const std::string& table,
    const std::string& parent_column, const std::map<std::string, SortSpec>& sorts,
    const ListQuery& query,
    const std::function<absl::Status(pqxx::transaction_base&)>& parent_check = nullptr) {
  auto sort = sorts.find(query.order);
  if (sort == sorts.end()) return common::Internal("unknown order " + query.order);
  std::string statement = absl::StrCat("SELECT ", columns, ", ", sort->second.key_text, " FROM ",
                                       table, " r WHERE true");
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  if (query.parent_id) {
    params.push_back(*query.parent_id);
    statement += absl::StrCat(" AND ", parent_column, " = $", params.size(), "::uuid");
  }
  common::AppendKeyset(statement, params,
                       common::KeysetOrder{sort->second.column, "r.id", sort->second.key_from_text,
                                           query.descending},
                       query.after, query.limit);
  Page<T> page;
  ACCORD_RETURN_IF_ERROR(pool.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    if (parent_check) ACCORD_RETURN_IF_ERROR(parent_check(transaction));
    auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
    for (const auto& row : rows) {
      page.items.push_back(Decode<T>(row));
      page.keys.push_back({row[6].as<std::string>(), row[0].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return page;
}

template <typename T>
absl::StatusOr<T> GetOne(common::PgPool& pool, const char* statement, const std::string& missing,
                         const std::string& a, const std::string& b = "") {
  T out;
  ACCORD_RETURN_IF_ERROR(pool.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = b.empty() ? transaction.exec_prepared(statement, a)
                              : transaction.exec_prepared(statement, a, b);
        if (rows.empty()) return common::NotFound(missing);
        out = Decode<T>(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

std::string UntilText(const Date& until) { return DateText(until); }

// The first instant after `day` (UTC), as timestamptz text.
std::string EndOfDay(const Date& day) {
  return DateText(CivilFromDays(DaysFromCivil(day) + 1)) + "T00:00:00Z";
}

// Keeps the list's new version in its history, in COMMIT's round trip.
void RecordListVersion(common::WriteTransaction& transaction, const PriceList& list) {
  transaction.exec_prepared_at_commit(sql::kListHistory.name, IdOf(list.name()),
                                      Version(list.etag()), Body(list));
}

}  // namespace

PgPricingRepository::PgPricingRepository(common::PgPool& pool)
    : writer_(pool, kSchema, kServiceName), outbox_(kSchema, kServiceName) {}

// --- price lists -----------------------------------------------------------------------------

absl::StatusOr<PriceList> PgPricingRepository::CreatePriceList(const PriceList& list,
                                                               const WriteMeta& meta) {
  return writer_.Run<PriceList>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<PriceList>> {
        PriceList result;
        PriceList* out = &result;
        const std::string base_id =
            list.base_price_list().empty() ? "" : IdOf(list.base_price_list());
        if (!base_id.empty() && transaction.exec_prepared(sql::kGetList.name, base_id).empty()) {
          return common::NotFound(list.base_price_list());
        }
        *out = Decode<PriceList>(transaction.exec_prepared1(
            sql::kInsertList.name, common::NewUuidV7(), list.display_name(), list.currency_code(),
            static_cast<int>(list.status()), base_id, list.author(), Body(list)));
        RecordListVersion(transaction, *out);
        return common::Written<PriceList>(result, PricingEvent("PriceListCreated", result));
      });
}

absl::StatusOr<PriceList> PgPricingRepository::GetPriceList(const std::string& id) {
  return GetOne<PriceList>(writer_.pool(), sql::kGetList.name, PriceListName(id), id);
}

absl::StatusOr<Page<PriceList>> PgPricingRepository::ListPriceLists(const ListQuery& query) {
  static const std::map<std::string, SortSpec> kSorts = {
      {"create_time", TimeSort("r.create_time")}, {"display_name", TextSort("r.display_name")}};
  return RunList<PriceList>(writer_.pool(), sql::kListColumns, "pricing_terms.price_lists", "",
                            kSorts, query);
}

absl::StatusOr<PriceList> PgPricingRepository::UpdatePriceList(const std::string& id,
                                                               const PriceListMutation& mutate,
                                                               const WriteMeta& meta) {
  return writer_.Run<PriceList>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<PriceList>> {
        PriceList result;
        PriceList* out = &result;
        auto rows = transaction.exec_prepared(sql::kLockList.name, id);
        if (rows.empty()) return common::NotFound(PriceListName(id));
        const PriceList current = Decode<PriceList>(rows[0]);
        ACCORD_ASSIGN_OR_RETURN(PriceList next, mutate(current));
        *out = Decode<PriceList>(
            transaction.exec_prepared1(sql::kUpdateList.name, id, next.display_name(),
                                       static_cast<int>(next.status()), Body(next)));
        RecordListVersion(transaction, *out);
        return common::Written<PriceList>(result,
                                          PricingEvent("PriceListUpdated", result, &current));
      });
}

// --- items -----------------------------------------------------------------------------------

absl::StatusOr<PriceListItem> PgPricingRepository::GetItem(const std::string& price_list_id,
                                                           const std::string& sku) {
  return GetOne<PriceListItem>(writer_.pool(), sql::kGetItem.name,
                               ItemResourceName(price_list_id, sku), price_list_id, sku);
}

absl::StatusOr<Page<PriceListItem>> PgPricingRepository::ListItems(const ListQuery& query) {
  static const std::map<std::string, SortSpec> kSorts = {
      {"sku", TextSort("r.sku")},
      {"product_name", TextSort("r.product_name")},
      {"update_time", TimeSort("r.update_time")}};
  const std::string list_id = query.parent_id.value_or("");
  return RunList<PriceListItem>(
      writer_.pool(), sql::kItemColumns, "pricing_terms.price_list_items", "r.price_list_id",
      kSorts, query, [&](pqxx::transaction_base& transaction) -> absl::Status {
        if (transaction.exec_prepared(sql::kGetList.name, list_id).empty()) {
          return common::NotFound(PriceListName(list_id));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<std::vector<PriceListItem>> PgPricingRepository::GetItemsAsOf(
    const std::string& price_list_id, const std::vector<std::string>& skus, const Date& day) {
  std::vector<PriceListItem> items;
  ACCORD_RETURN_IF_ERROR(writer_.pool().Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row :
             transaction.exec_prepared(sql::kItemsAsOf.name, price_list_id,
                                       common::TextArrayLiteral(skus), EndOfDay(day))) {
          items.push_back(Decode<PriceListItem>(row));
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return items;
}

absl::StatusOr<PriceList> PgPricingRepository::GetPriceListAsOf(const std::string& id,
                                                                const Date& day) {
  return GetOne<PriceList>(writer_.pool(), sql::kListAsOf.name, PriceListName(id), id,
                           EndOfDay(day));
}

absl::StatusOr<BatchUpsertPriceListItemsResponse> PgPricingRepository::UpsertItems(
    const std::string& price_list_id, const std::vector<PriceListItem>& rows,
    const std::vector<int>& row_index, BatchUpsertPriceListItemsResponse response,
    const ListCheck& check, const WriteMeta& meta) {
  return writer_.Run<BatchUpsertPriceListItemsResponse>(
      meta,
      [&](common::WriteTransaction& transaction)
          -> absl::StatusOr<common::Written<BatchUpsertPriceListItemsResponse>> {
        BatchUpsertPriceListItemsResponse result;
        BatchUpsertPriceListItemsResponse* out = &result;
        *out = response;
        auto locked = transaction.exec_prepared(sql::kLockList.name, price_list_id);
        if (locked.empty()) return common::NotFound(PriceListName(price_list_id));
        ACCORD_RETURN_IF_ERROR(check(Decode<PriceList>(locked[0])));
        if (rows.empty()) {
          return common::Written<BatchUpsertPriceListItemsResponse>::Unchanged(result);
        }
        for (size_t i = 0; i < rows.size(); ++i) {
          const PriceListItem& item = rows[i];
          auto row = transaction.exec_prepared1(sql::kUpsertItem.name, price_list_id, item.sku(),
                                                common::NewUuidV7(), item.product_name(),
                                                item.category(), item.unit(), Body(item));
          auto* result = out->mutable_results(row_index[i]);
          *result->mutable_item() = Decode<PriceListItem>(row);
          result->set_created(row[6].as<bool>());
        }
        // One new version of the list, and one event, for the whole batch.
        const PriceList list =
            Decode<PriceList>(transaction.exec_prepared1(sql::kBumpList.name, price_list_id));
        RecordListVersion(transaction, list);
        common::Event event = common::MakeEvent("accord.pricing.v1.PriceListItemsUpserted",
                                                list.name(), Version(list.etag()), result);
        return common::Written<BatchUpsertPriceListItemsResponse>(result, std::move(event));
      });
}

absl::StatusOr<v1::ImportPriceListItemsResponse> PgPricingRepository::ImportItems(
    const std::string& price_list_id, const std::vector<std::string>& rows,
    v1::ImportPriceListItemsResponse response, const ListCheck& check, const WriteMeta& meta) {
  return writer_.Run<v1::ImportPriceListItemsResponse>(
      meta,
      [&](common::WriteTransaction& transaction)
          -> absl::StatusOr<common::Written<v1::ImportPriceListItemsResponse>> {
        v1::ImportPriceListItemsResponse result = response;
        auto locked = transaction.exec_prepared(sql::kLockList.name, price_list_id);
        if (locked.empty()) return common::NotFound(PriceListName(price_list_id));
        PriceList list = Decode<PriceList>(locked[0]);
        ACCORD_RETURN_IF_ERROR(check(list));
        int64_t created = 0, updated = 0;
        if (!rows.empty()) {
          pqxx::transaction_base& copy_in = transaction.Begun();
          copy_in.exec0(sql::kImportStatementTimeout);
          copy_in.exec0(sql::kCreateImportStaging);
          pqxx::stream_to staging(
              copy_in, sql::kImportStaging,
              std::vector<std::string>{"sku", "id", "product_name", "category", "unit", "body"});
          PriceListItem item;
          for (const std::string& row : rows) {
            item.ParseFromString(row);
            staging << std::make_tuple(item.sku(), common::NewUuidV7(), item.product_name(),
                                       item.category(), item.unit(),
                                       "\\x" + common::LowerHex(row));  // bytea's hex form
          }
          staging.complete();
          auto merged = copy_in.exec_params1(sql::kMergeImport, price_list_id);
          created = merged[0].as<int64_t>();
          updated = merged[1].as<int64_t>();
        }
        result.set_created(created);
        result.set_updated(updated);
        result.set_unchanged(result.rows() - result.failed() - created - updated);
        if (created + updated == 0) {
          result.set_etag(list.etag());
          return common::Written<v1::ImportPriceListItemsResponse>::Unchanged(result);
        }
        // One new version of the list, and one event, for the whole import.
        list = Decode<PriceList>(transaction.exec_prepared1(sql::kBumpList.name, price_list_id));
        RecordListVersion(transaction, list);
        result.set_etag(list.etag());
        v1::ImportPriceListItemsResponse tally = result;
        tally.clear_errors();
        common::Event event = common::MakeEvent("accord.pricing.v1.PriceListItemsImported",
                                                list.name(), Version(list.etag()), tally);
        return common::Written<v1::ImportPriceListItemsResponse>(result, std::move(event));
      });
}

// --- trading terms ---------------------------------------------------------------------------

absl::StatusOr<TradingTerms> PgPricingRepository::CreateTerms(const std::string& account_id,
                                                              const TradingTerms& terms,
                                                              const WriteMeta& meta) {
  return writer_.Run<TradingTerms>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<TradingTerms>> {
        TradingTerms result;
        TradingTerms* out = &result;
        *out = Decode<TradingTerms>(transaction.exec_prepared1(
            sql::kInsertTerms.name, common::NewUuidV7(), account_id, IdOf(terms.price_list()),
            static_cast<int>(terms.status()), terms.author(), DateText(terms.valid_from()),
            UntilText(terms.valid_until()), Body(terms)));
        return common::Written<TradingTerms>(result, PricingEvent("TradingTermsCreated", result));
      });
}

absl::StatusOr<TradingTerms> PgPricingRepository::GetTerms(const std::string& account_id,
                                                           const std::string& id) {
  return GetOne<TradingTerms>(writer_.pool(), sql::kGetTerms.name,
                              TermsResourceName(account_id, id), account_id, id);
}

absl::StatusOr<Page<TradingTerms>> PgPricingRepository::ListTerms(const ListQuery& query) {
  static const std::map<std::string, SortSpec> kSorts = {
      {"create_time", TimeSort("r.create_time")},
      {"valid_from", {"lower(r.validity)", "lower(r.validity)::text", "{}::date"}}};
  return RunList<TradingTerms>(writer_.pool(), sql::kTermsColumns, "pricing_terms.trading_terms",
                               "r.account_id", kSorts, query);
}

absl::StatusOr<TradingTerms> PgPricingRepository::UpdateTerms(const std::string& account_id,
                                                              const std::string& id,
                                                              const TermsMutation& mutate,
                                                              const WriteMeta& meta) {
  return writer_.Run<TradingTerms>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<TradingTerms>> {
        TradingTerms result;
        TradingTerms* out = &result;
        auto rows = transaction.exec_prepared(sql::kLockTerms.name, account_id, id);
        if (rows.empty()) return common::NotFound(TermsResourceName(account_id, id));
        const TradingTerms current = Decode<TradingTerms>(rows[0]);
        std::vector<TradingTerms> in_force;
        for (const auto& row :
             transaction.exec_prepared(sql::kLockTermsInForce.name, account_id, id)) {
          in_force.push_back(Decode<TradingTerms>(row));
        }
        const PricingPolicy policy =
            Decode<PricingPolicy>(transaction.exec_prepared1(sql::kSharePolicy.name));
        ACCORD_ASSIGN_OR_RETURN(TermsChange change, mutate(current, in_force, policy));
        auto store = [&](const TradingTerms& terms) {
          return Decode<TradingTerms>(transaction.exec_prepared1(
              sql::kUpdateTerms.name, account_id, IdOf(terms.name()), IdOf(terms.price_list()),
              static_cast<int>(terms.status()), terms.approver(), DateText(terms.valid_from()),
              UntilText(terms.valid_until()), Body(terms)));
        };
        std::vector<common::Event> events;
        try {
          // Others first: superseded terms end before the new ones begin.
          for (const auto& other : change.others) {
            const TradingTerms stored = store(other);
            common::Event superseded = PricingEvent("TradingTermsSuperseded", stored);
            superseded.changed_fields = {"status", "valid_until"};
            events.push_back(std::move(superseded));
          }
          *out = store(change.next);
        } catch (const pqxx::sql_error& error) {
          if (error.sqlstate() == "23P01") {
            return common::FailedPrecondition(
                "TERMS_OVERLAP", "the validity of " + current.name() +
                                     " overlaps terms already in force for the account");
          }
          throw;
        }
        events.push_back(PricingEvent(change.event, result, &current));
        return common::Written<TradingTerms>(result, std::move(events));
      });
}

absl::StatusOr<std::optional<TradingTerms>> PgPricingRepository::FindTermsInForce(
    const std::string& account_id, const Date& day) {
  std::optional<TradingTerms> terms;
  ACCORD_RETURN_IF_ERROR(writer_.pool().Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(sql::kTermsInForce.name, account_id, DateText(day));
        if (!rows.empty()) terms = Decode<TradingTerms>(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return terms;
}

// --- account events --------------------------------------------------------------------------

absl::StatusOr<int> PgPricingRepository::ApplyAccountChange(common::WriteTransaction& transaction,
                                                            const AccountChange& change) {
  const std::string actor = "account-events";
  int changed = 0;
  auto append = [&](common::Event event) {
    outbox_.Append(transaction, std::move(event), actor, "");
    ++changed;
  };
  const bool merge = !change.survivor_id.empty();
  const std::vector<int> statuses =
      merge ? std::vector<int>{v1::TRADING_TERMS_STATUS_DRAFT,
                               v1::TRADING_TERMS_STATUS_PENDING_APPROVAL,
                               v1::TRADING_TERMS_STATUS_ACTIVE}
            : std::vector<int>{v1::TRADING_TERMS_STATUS_ACTIVE};
  for (const auto& row : transaction.exec_prepared(sql::kLockAccountTerms.name, change.account_id,
                                                   common::IntArrayLiteral(statuses))) {
    const TradingTerms current = Decode<TradingTerms>(row);
    if (current.status() == v1::TRADING_TERMS_STATUS_ACTIVE) {
      TradingTerms ended = current;
      ended.set_status(v1::TRADING_TERMS_STATUS_EXPIRED);
      *ended.mutable_valid_until() = EndedOn(current, change.day);
      const TradingTerms stored = Decode<TradingTerms>(transaction.exec_prepared1(
          sql::kUpdateTerms.name, change.account_id, IdOf(ended.name()), IdOf(ended.price_list()),
          static_cast<int>(ended.status()), ended.approver(), DateText(ended.valid_from()),
          UntilText(ended.valid_until()), Body(ended)));
      append(PricingEvent("TradingTermsExpired", stored, &current));
    } else {
      const TradingTerms stored = Decode<TradingTerms>(
          transaction.exec_prepared1(sql::kMoveTerms.name, change.account_id, IdOf(current.name()),
                                     change.survivor_id, Body(current)));
      append(PricingEvent("TradingTermsMoved", stored));
    }
  }
  if (merge) {
    for (const auto& row :
         transaction.exec_prepared(sql::kLockAccountQuotes.name, change.account_id)) {
      const Quote current = Decode<Quote>(row);
      Quote moved = current;
      moved.set_account(AccountName(change.survivor_id));  // the frozen pricing keeps its own
      const Quote stored = Decode<Quote>(transaction.exec_prepared1(
          sql::kMoveQuote.name, IdOf(current.name()), change.survivor_id, Body(moved)));
      append(PricingEvent("QuoteUpdated", stored, &current));
    }
  }
  return changed;
}

// --- the pricing policy ----------------------------------------------------------------------

absl::Status PgPricingRepository::SetAccountTier(common::WriteTransaction& transaction,
                                                 const std::string& account_id,
                                                 const std::string& tier, int64_t version) {
  transaction.exec_prepared(sql::kSetAccountTier.name, account_id, tier, version);
  return absl::OkStatus();
}

absl::StatusOr<std::string> PgPricingRepository::GetAccountTier(const std::string& account_id) {
  std::string tier;
  ACCORD_RETURN_IF_ERROR(writer_.pool().Read([&](pqxx::transaction_base& read) -> absl::Status {
    auto rows = read.exec_prepared(sql::kGetAccountTier.name, account_id);
    if (!rows.empty()) tier = rows[0][0].as<std::string>();
    return absl::OkStatus();
  }));
  return tier;
}

absl::StatusOr<PricingPolicy> PgPricingRepository::GetPolicy() {
  PricingPolicy policy;
  ACCORD_RETURN_IF_ERROR(writer_.pool().Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        policy = Decode<PricingPolicy>(transaction.exec_prepared1(sql::kGetPolicy.name));
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return policy;
}

absl::StatusOr<PricingPolicy> PgPricingRepository::UpdatePolicy(const PolicyMutation& mutate,
                                                                const WriteMeta& meta) {
  return writer_.Run<PricingPolicy>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<PricingPolicy>> {
        const PricingPolicy current =
            Decode<PricingPolicy>(transaction.exec_prepared1(sql::kLockPolicy.name));
        ACCORD_ASSIGN_OR_RETURN(PricingPolicy next, mutate(current));
        const PricingPolicy stored =
            Decode<PricingPolicy>(transaction.exec_prepared1(sql::kUpdatePolicy.name, Body(next)));
        return common::Written<PricingPolicy>(
            stored, PricingEvent("PricingPolicyUpdated", stored, &current));
      });
}

// --- quotes ----------------------------------------------------------------------------------

absl::StatusOr<Quote> PgPricingRepository::CreateQuote(const Quote& quote, const WriteMeta& meta) {
  return writer_.Run<Quote>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Quote>> {
        Quote result;
        Quote* out = &result;
        *out = Decode<Quote>(transaction.exec_prepared1(
            sql::kInsertQuote.name, common::NewUuidV7(), IdOf(quote.account()),
            static_cast<int>(quote.status()), quote.author(), Body(quote)));
        return common::Written<Quote>(result, PricingEvent("QuoteCreated", result));
      });
}

absl::StatusOr<Quote> PgPricingRepository::GetQuote(const std::string& id) {
  return GetOne<Quote>(writer_.pool(), sql::kGetQuote.name, QuoteName(id), id);
}

absl::StatusOr<Page<Quote>> PgPricingRepository::ListQuotes(const ListQuery& query) {
  static const std::map<std::string, SortSpec> kSorts = {
      {"create_time", TimeSort("r.create_time")}};
  return RunList<Quote>(writer_.pool(), sql::kListColumns, "pricing_terms.quotes", "r.account_id",
                        kSorts, query);
}

absl::StatusOr<Quote> PgPricingRepository::UpdateQuote(const std::string& id,
                                                       const QuoteMutation& mutate,
                                                       const WriteMeta& meta) {
  return writer_.Run<Quote>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Quote>> {
        Quote result;
        Quote* out = &result;
        auto rows = transaction.exec_prepared(sql::kLockQuote.name, id);
        if (rows.empty()) return common::NotFound(QuoteName(id));
        const Quote current = Decode<Quote>(rows[0]);
        ACCORD_ASSIGN_OR_RETURN(Quote next, mutate(current));
        *out = Decode<Quote>(transaction.exec_prepared1(
            sql::kUpdateQuote.name, id, static_cast<int>(next.status()), Body(next)));
        return common::Written<Quote>(result, PricingEvent("QuoteUpdated", result, &current));
      });
}

// --- sales -----------------------------------------------------------------------------------

absl::StatusOr<Sale> PgPricingRepository::CreateSale(const Sale& sale,
                                                     const SaleFromQuote& from_quote,
                                                     const WriteMeta& meta) {
  return writer_.Run<Sale>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Sale>> {
        Sale result;
        Sale* out = &result;
        Sale to_store = sale;
        std::string quote_id;
        if (!sale.quote().empty()) {
          quote_id = IdOf(sale.quote());
          // The quote's row lock serialises racing sales of one quote.
          auto rows = transaction.exec_prepared(sql::kLockQuote.name, quote_id);
          if (rows.empty()) return common::NotFound(sale.quote());
          if (!transaction.exec_prepared(sql::kSaleOfQuote.name, quote_id).empty()) {
            return common::FailedPrecondition("QUOTE_ALREADY_SOLD",
                                              sale.quote() + " has already been sold");
          }
          ACCORD_ASSIGN_OR_RETURN(to_store, from_quote(Decode<Quote>(rows[0])));
        }
        *out = Decode<Sale>(transaction.exec_prepared1(
            sql::kInsertSale.name, common::NewUuidV7(), IdOf(to_store.account()), quote_id,
            to_store.agent(), static_cast<int>(to_store.payment_method()), Body(to_store),
            to_store.pricing().currency_code(), to_store.pricing().total().units(),
            to_store.pricing().total().nanos()));
        return common::Written<Sale>(result, PricingEvent("SaleRecorded", result));
      });
}

absl::StatusOr<SalesTotals> PgPricingRepository::TotalSales(const std::string& account_id,
                                                            const Date& from, const Date& until,
                                                            const std::string& currency) {
  SalesTotals totals;
  ACCORD_RETURN_IF_ERROR(writer_.pool().Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        const pqxx::row row = transaction.exec_prepared1(sql::kSalesTotals.name, account_id,
                                                         DateText(from), DateText(until), currency);
        totals.count = row[0].as<int64_t>();
        const std::string sum = row[1].as<std::string>();
        for (char c : sum) {
          if (c >= '0' && c <= '9') totals.nanos = totals.nanos * 10 + (c - '0');
        }
        if (!sum.empty() && sum[0] == '-') totals.nanos = -totals.nanos;
        totals.other_currency = row[2].as<int64_t>();
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return totals;
}

absl::StatusOr<Sale> PgPricingRepository::GetSale(const std::string& id) {
  return GetOne<Sale>(writer_.pool(), sql::kGetSale.name, SaleName(id), id);
}

absl::StatusOr<Page<Sale>> PgPricingRepository::ListSales(const ListQuery& query) {
  static const std::map<std::string, SortSpec> kSorts = {
      {"create_time", TimeSort("r.create_time")}};
  return RunList<Sale>(writer_.pool(), sql::kListColumns, "pricing_terms.sales", "r.account_id",
                       kSorts, query);
}

}  // namespace accord::pricing
