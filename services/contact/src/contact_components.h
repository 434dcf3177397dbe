// What the contact service's gRPC services share: the cipher, the write path, the account
// directory, the access rules and the access log. Built once per process.
#pragma once

#include <memory>

#include "access_log.h"
#include "accord/common/server.h"
#include "account_directory.h"
#include "caching_contact_repository.h"
#include "contact_access.h"
#include "contact_cache_notices.h"
#include "contact_presenter.h"
#include "contact_settings.h"
#include "followed_events.h"
#include "pii_cipher.h"
#include "write_path.h"

namespace accord::contact {

struct ContactComponents {
  ContactComponents(common::Runtime& runtime, const ContactSettings& settings, PiiCipher cipher)
      : runtime(runtime),
        settings(settings),
        cipher(std::move(cipher)),
        sealer(this->cipher),
        writes(runtime.pg(), "contact", "contact", &sealer),
        accounts(
            std::make_unique<GrpcAccountDirectory>(settings.account, settings.access_cache_ttl)),
        access(*accounts),
        access_log(runtime.pg()),
        presenter(access, access_log),
        cache_notices(runtime.settings().pg.url,
                      [&cache = runtime.cache()](const std::string& id, int64_t version) {
                        CachingContactRepository::Drop(cache, id, version);
                      }) {
    cache_notices.Start();
  }

  common::Runtime& runtime;
  ContactSettings settings;
  PiiCipher cipher;
  PiiResponseSealer sealer;
  common::IdempotentWrite writes;
  std::unique_ptr<AccountDirectory> accounts;
  ContactAccess access;
  PgAccessLog access_log;
  ContactPresenter presenter;
  // Keeps the contact cache's copies current on this replica (caching_contact_repository.h).
  ContactCacheNotices cache_notices;
  // The account and sale events followed; none without a service token (Subscribe needs one).
  std::unique_ptr<FollowedEvents> followed;
};

// The caller of the RPC being served, for the logic: who, on whose behalf to call other
// services, and the reason given for reading personal data (x-access-reason, at most 500 bytes).
Caller CallerOf(const grpc::ServerContextBase& context, const common::RpcContext& rpc,
                const char* method);

}  // namespace accord::contact
