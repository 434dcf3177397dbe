#include "caching_account_repository.h"

#include "resource_names.h"

namespace accord::account {
namespace {

std::optional<Account> Decode(const std::optional<common::CachedValue>& cached) {
  if (!cached) return std::nullopt;
  Account account;
  if (!account.ParseFromString(cached->bytes)) return std::nullopt;
  return account;
}

// Deleted and merged accounts are cached too, but answered from the repository.
bool HoldsLiveAccount(const std::optional<common::CachedValue>& cached) {
  const auto account = Decode(cached);
  return account && !account->has_delete_time();
}

// The cache entry of an account: versioned by its etag.
common::CachedValue ValueOf(const Account& account) {
  return {std::stoll(account.etag()), account.SerializeAsString()};
}

}  // namespace

CachingAccountRepository::CachingAccountRepository(AccountRepository& inner,
                                                   common::VersionedCache& cache,
                                                   int read_batch_threads)
    : inner_(inner),
      cache_(cache),
      loader_(std::make_unique<common::BatchLoader<std::string>>(
          common::BatchLoader<std::string>::Options{.name = "account",
                                                    .threads = read_batch_threads},
          [this](const std::vector<std::string>& ids) { return GetManyEncoded(ids); })) {}

void CachingAccountRepository::Remember(const Account& account) {
  // Deleted and merged accounts are cached too: their version keeps older copies out, and Get
  // answers for them from the repository (NOT_FOUND, with where a merged account went).
  cache_.Put(account.name(), ValueOf(account));
}

std::optional<std::string> CachingAccountRepository::PeekLocalEncoded(const std::string& id) {
  // The repository's Get follows a miss here and counts it.
  std::string bytes;
  const auto decoded = cache_.GetLocalDecoded(
      AccountName(id),
      [](const std::string& stored) -> std::shared_ptr<const void> {
        auto account = std::make_shared<Account>();
        if (!account->ParseFromString(stored)) return nullptr;
        return account;
      },
      /*count_miss=*/false, &bytes);
  if (!decoded) return std::nullopt;
  // Only accounts are cached under account names, so the decoder above made this object.
  if (static_cast<const Account*>(decoded.get())->has_delete_time()) return std::nullopt;
  return bytes;
}

absl::StatusOr<Account> CachingAccountRepository::Get(const std::string& id) {
  if (auto account = Decode(cache_.Get(AccountName(id))); account && !account->has_delete_time()) {
    return *account;
  }
  auto account = inner_.Get(id);
  if (account.ok()) Remember(*account);
  return account;
}

absl::StatusOr<std::vector<absl::StatusOr<Account>>> CachingAccountRepository::GetMany(
    const std::vector<std::string>& ids) {
  auto encoded = GetManyEncoded(ids);
  if (!encoded.ok()) return encoded.status();
  std::vector<absl::StatusOr<Account>> results;
  results.reserve(encoded->size());
  for (auto& bytes : *encoded) {
    Account account;
    if (!bytes.ok()) {
      results.emplace_back(bytes.status());
    } else if (!account.ParseFromString(*bytes)) {
      results.emplace_back(absl::InternalError("a cached account could not be decoded"));
    } else {
      results.emplace_back(std::move(account));
    }
  }
  return results;
}

absl::StatusOr<std::vector<absl::StatusOr<std::string>>> CachingAccountRepository::GetManyEncoded(
    const std::vector<std::string>& ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(AccountName(id));
  auto cached = cache_.GetMany(keys);
  std::vector<absl::StatusOr<std::string>> results(ids.size());
  std::vector<size_t> missed;
  std::vector<std::string> missed_ids;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (HoldsLiveAccount(cached[i])) {
      results[i] = std::move(cached[i]->bytes);
    } else {
      missed.push_back(i);
      missed_ids.push_back(ids[i]);
    }
  }
  if (missed.empty()) return results;
  auto loaded = inner_.GetMany(missed_ids);
  // Cache hits stand even when the database fails; only the misses carry its error.
  if (!loaded.ok()) {
    for (size_t i : missed) results[i] = loaded.status();
    return results;
  }
  std::vector<std::pair<std::string, common::CachedValue>> fill;
  fill.reserve(missed.size());
  for (size_t n = 0; n < missed.size(); ++n) {
    const auto& account = (*loaded)[n];
    if (!account.ok()) {
      results[missed[n]] = account.status();
      continue;
    }
    common::CachedValue value = ValueOf(*account);
    results[missed[n]] = value.bytes;
    fill.emplace_back(account->name(), std::move(value));
  }
  // The calls waiting for this batch need not wait for Redis to take the copies as well.
  cache_.FillManyInBackground(fill);
  return results;
}

void CachingAccountRepository::GetEncodedAsync(const std::string& id, GetEncodedCallback done) {
  loader_->Load(id, std::move(done));
}

absl::StatusOr<Account> CachingAccountRepository::Create(const Account& account,
                                                         const WriteMeta& meta) {
  auto created = inner_.Create(account, meta);
  // A new id has nothing in Redis to overwrite: one round trip saved on every create.
  if (created.ok()) cache_.PutLocalOnly(created->name(), ValueOf(*created));
  return created;
}

absl::StatusOr<Account> CachingAccountRepository::Update(const std::string& id,
                                                         const Mutation& mutate,
                                                         const WriteMeta& meta) {
  auto updated = inner_.Update(id, mutate, meta);
  if (updated.ok()) Remember(*updated);
  return updated;
}

absl::StatusOr<Account> CachingAccountRepository::Delete(const std::string& id,
                                                         const Mutation& check,
                                                         const WriteMeta& meta) {
  auto deleted = inner_.Delete(id, check, meta);
  if (deleted.ok()) Remember(*deleted);
  return deleted;
}

absl::StatusOr<std::pair<Account, bool>> CachingAccountRepository::UpsertByExternalId(
    const std::string& system, const std::string& external_id, const Account& create,
    const Mutation& update, const WriteMeta& meta) {
  auto result = inner_.UpsertByExternalId(system, external_id, create, update, meta);
  if (result.ok()) Remember(result->first);
  return result;
}

absl::StatusOr<MergeResult> CachingAccountRepository::Merge(const std::string& survivor_id,
                                                            const std::string& duplicate_id,
                                                            const MergeCheck& check,
                                                            const WriteMeta& meta) {
  auto result = inner_.Merge(survivor_id, duplicate_id, check, meta);
  if (result.ok()) {
    Remember(result->survivor);
    Remember(result->duplicate);
    for (const auto& child : result->moved_children) Remember(child);
  }
  return result;
}

absl::StatusOr<AccountPage> CachingAccountRepository::List(const AccountListQuery& query) {
  return inner_.List(query);
}

absl::StatusOr<std::vector<Account>> CachingAccountRepository::BatchGet(
    const std::vector<std::string>& ids) {
  return inner_.BatchGet(ids);
}

absl::StatusOr<Account> CachingAccountRepository::GetByExternalId(const std::string& system,
                                                                  const std::string& external_id) {
  return inner_.GetByExternalId(system, external_id);
}

absl::StatusOr<std::vector<TreeRow>> CachingAccountRepository::Subtree(const std::string& id,
                                                                       int max_depth) {
  return inner_.Subtree(id, max_depth);
}

}  // namespace accord::account
