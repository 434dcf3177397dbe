// The sealed-row cache of GetContact (caching_contact_repository.h): what Redis holds (sealed,
// never plaintext), that reads are served from it, that writes through either of two replicas
// sharing Redis and PostgreSQL are read back, that changes made by other writes (an interaction
// counted by a trigger) reach it, and that the service answers from PostgreSQL with Redis gone.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>

#include "accord/common/cache.h"
#include "caching_contact_repository.h"
#include "contact_fixture.h"
#include "support/eventually.h"

namespace accord::contact {
namespace {

using testing::Eventually;

std::string IdOf(const std::string& name) { return name.substr(name.find('/') + 1); }

class ContactCacheTest : public ContactFixture {
 protected:
  // What Redis holds for the contact's sealed row ("" when nothing).
  std::string RedisEntry(testing::ServiceHarness& harness, const std::string& name) {
    auto reply = harness.runtime().redis().Command(
        {"GET", common::VersionedCache::RedisKeyFor("contact",
                                                    CachingContactRepository::KeyOf(IdOf(name)))});
    return reply.ok() ? reply->str : "";
  }

  v1::Contact GetOn(v1::ContactService::Stub& stub, const std::string& name) {
    v1::GetContactRequest request;
    request.set_name(name);
    v1::Contact out;
    auto status = stub.GetContact(As("root", Role::kAdmin).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  v1::Contact Rename(v1::ContactService::Stub& stub, const v1::Contact& current,
                     const std::string& family_name) {
    v1::UpdateContactRequest update;
    update.mutable_contact()->set_name(current.name());
    update.mutable_contact()->set_family_name(family_name);
    update.mutable_update_mask()->add_paths("family_name");
    update.set_etag(current.etag());
    v1::Contact out;
    auto status = stub.UpdateContact(As("root", Role::kAdmin).get(), update, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  void Sql(const std::string& statement) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec0(statement);
    work.commit();
  }
};

TEST_F(ContactCacheTest, RedisHoldsTheSealedRowAndReadsAreServedFromTheCache) {
  const v1::Contact created = Create(Ada());
  const v1::Contact first = GetOn(*contacts_, created.name());
  EXPECT_EQ(first.family_name(), "Lovelace");
  const std::string entry = RedisEntry(contact_, created.name());
  ASSERT_FALSE(entry.empty()) << "the read did not fill Redis";
  for (const char* plain : {"Lovelace", "Augusta", "augusta.lovelace", "+442071838750", "St James",
                            "hearing loop", "Difference Engine"}) {
    EXPECT_EQ(entry.find(plain), std::string::npos) << plain << " in Redis in plaintext";
  }

  // With the version trigger off, a change behind the service's back is not announced: the
  // cached row goes on being served, which shows reads come from the cache.
  Sql("ALTER TABLE contact.contacts DISABLE TRIGGER contacts_cache_bump");
  Sql("UPDATE contact.contacts SET conversation_count = 7 WHERE id = '" + IdOf(created.name()) +
      "'");
  EXPECT_EQ(GetOn(*contacts_, created.name()).conversation_count(), 0);
  Sql("ALTER TABLE contact.contacts ENABLE TRIGGER contacts_cache_bump");
  // With it on, the next change is announced and read back.
  Sql("UPDATE contact.contacts SET department = 'Finance' WHERE id = '" + IdOf(created.name()) +
      "'");
  EXPECT_TRUE(
      Eventually([&] { return GetOn(*contacts_, created.name()).conversation_count() == 7; },
                 std::chrono::seconds(5)));
}

TEST_F(ContactCacheTest, MaskedReadsFromMemoryEqualMaskedReadsFromPostgres) {
  // Ada's address and accessibility hold personal and other fields; the second contact's only
  // personal ones, so that masking leaves them empty.
  v1::Contact sparse;
  sparse.set_family_name("Babbage");
  sparse.mutable_address()->add_address_lines("1 Dorset Street");
  sparse.mutable_accessibility()->set_needs("Large print");
  for (const v1::Contact& created : {Create(Ada()), Create(sparse)}) {
    v1::GetContactRequest request;
    request.set_name(created.name());
    // The first read misses and opens the row on a worker; the next are answered from this
    // process's memory without opening the personal fields.
    v1::Contact cold, warm;
    ASSERT_TRUE(contacts_->GetContact(As("agent", Role::kServiceAgent).get(), request, &cold).ok());
    ASSERT_TRUE(contacts_->GetContact(As("agent", Role::kServiceAgent).get(), request, &warm).ok());
    EXPECT_TRUE(warm.personal_data_masked());
    EXPECT_TRUE(warm.family_name().empty());
    EXPECT_EQ(warm.address().address_lines_size(), 0);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(cold, warm))
        << cold.DebugString() << "\nwarm:\n"
        << warm.DebugString();
    EXPECT_EQ(warm.job_title(), created.job_title());
  }
  // Served from memory: a change behind the service's back, with the version trigger off, is
  // not seen by the masked read either.
  const v1::Contact ada = Create(Ada());
  v1::GetContactRequest request;
  request.set_name(ada.name());
  v1::Contact out;
  ASSERT_TRUE(contacts_->GetContact(As("agent", Role::kServiceAgent).get(), request, &out).ok());
  Sql("ALTER TABLE contact.contacts DISABLE TRIGGER contacts_cache_bump");
  Sql("UPDATE contact.contacts SET conversation_count = 7 WHERE id = '" + IdOf(ada.name()) + "'");
  ASSERT_TRUE(contacts_->GetContact(As("agent", Role::kServiceAgent).get(), request, &out).ok());
  EXPECT_EQ(out.conversation_count(), 0);
  Sql("ALTER TABLE contact.contacts ENABLE TRIGGER contacts_cache_bump");
  // Masked reads leave nothing in the access log; the three creates left one row each.
  EXPECT_EQ(RowsOf("contact.access_log").size(), 3u);
}

TEST_F(ContactCacheTest, WritesThroughEitherReplicaAreReadBackOnBoth) {
  testing::ServiceHarness replica(
      ContactServiceDefinition(TestContactSettings("127.0.0.1:" + std::to_string(account_.port()))),
      database_.url(), testing::SharedRedisUrl());
  auto replica_stub = v1::ContactService::NewStub(replica.channel());

  v1::Contact current = Create(Ada());
  // Both replicas hold the row in their local level, and Redis holds it.
  EXPECT_EQ(GetOn(*contacts_, current.name()).family_name(), "Lovelace");
  EXPECT_EQ(GetOn(*replica_stub, current.name()).family_name(), "Lovelace");

  for (int round = 0; round < 5; ++round) {
    const bool on_first = round % 2 == 0;
    auto& writer = on_first ? *contacts_ : *replica_stub;
    auto& other = on_first ? *replica_stub : *contacts_;
    const std::string family = "Byron-" + std::to_string(round);
    current = Rename(writer, current, family);
    // The writer's replica never serves the older row once the write returned.
    EXPECT_EQ(GetOn(writer, current.name()).family_name(), family);
    // The other drops its copy when the commit's notice arrives (milliseconds).
    EXPECT_TRUE(Eventually([&] { return GetOn(other, current.name()).family_name() == family; },
                           std::chrono::seconds(2)))
        << "round " << round;
  }

  // A replica with nothing of its own reads Redis, where the writer left a tombstone at the
  // version it wrote: the new row, right after the write returned.
  testing::ServiceHarness cold(
      ContactServiceDefinition(TestContactSettings("127.0.0.1:" + std::to_string(account_.port()))),
      database_.url(), testing::SharedRedisUrl());
  auto cold_stub = v1::ContactService::NewStub(cold.channel());
  current = Rename(*contacts_, current, "King");
  EXPECT_EQ(GetOn(*cold_stub, current.name()).family_name(), "King");
  EXPECT_EQ(GetOn(*cold_stub, current.name()).etag(), current.etag());

  // Deleted: NOT_FOUND on both, not a cached copy.
  v1::DeleteContactRequest remove;
  remove.set_name(current.name());
  remove.set_etag(current.etag());
  v1::Contact removed;
  ASSERT_TRUE(contacts_->DeleteContact(As("root", Role::kAdmin).get(), remove, &removed).ok());
  v1::Contact out;
  EXPECT_EQ(Get(current.name(), "root", Role::kAdmin, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually(
      [&] {
        v1::GetContactRequest request;
        request.set_name(current.name());
        return replica_stub->GetContact(As("root", Role::kAdmin).get(), request, &out)
                   .error_code() == grpc::StatusCode::NOT_FOUND;
      },
      std::chrono::seconds(2)));
}

TEST_F(ContactCacheTest, ChangesByOtherWritesReachTheCachedRow) {
  const v1::Contact created = Create(Ada());
  EXPECT_EQ(GetOn(*contacts_, created.name()).conversation_count(), 0);
  // An interaction is counted by a trigger on interactions, not by the contact's own write.
  v1::CreateInteractionRequest request;
  request.set_parent(created.name());
  request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
  request.mutable_interaction()->set_subject("Spring offer");
  request.mutable_interaction()->set_outcome(v1::INTERACTION_OUTCOME_INTERESTED);
  v1::Interaction logged;
  auto status =
      engagement_->CreateInteraction(As("sa-1", Role::kSalesAssistant).get(), request, &logged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(
      Eventually([&] { return GetOn(*contacts_, created.name()).conversation_count() == 1; },
                 std::chrono::seconds(2)));
  // The etag is the contact's own: an interaction does not move it.
  EXPECT_EQ(GetOn(*contacts_, created.name()).etag(), created.etag());
}

// A change committed while the replica was not listening sends its notice to no one: once the
// listener is back, its catch-up drops the rows changed meanwhile (both levels), so the change is
// read back well before the cached copies would expire (60 s locally, 300 s in Redis).
TEST_F(ContactCacheTest, AChangeMadeWhileNotListeningIsCaughtUpOnReconnection) {
  const v1::Contact created = Create(Ada());
  EXPECT_EQ(GetOn(*contacts_, created.name()).conversation_count(), 0);
  // The listener's sessions: counted, or ended the way a restart or a network cut would.
  const auto listeners = [&](const char* what) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction query(connection);
    return query
        .exec1(std::string("SELECT ") + what +
               " FROM pg_stat_activity WHERE datname = current_database() AND "
               "application_name = 'accord-contact-cache-notices'")[0]
        .as<int>();
  };
  const auto listening = [&] { return listeners("count(*)"); };
  ASSERT_EQ(listening(), 1);
  ASSERT_EQ(listeners("count(pg_terminate_backend(pid))"), 1);
  // Gone, and not back for at least half a second (the listener's retry): the update's notice
  // reaches no one.
  ASSERT_TRUE(Eventually([&] { return listening() == 0; }, std::chrono::seconds(5)));
  Sql("UPDATE contact.contacts SET conversation_count = 3 WHERE id = '" + IdOf(created.name()) +
      "'");
  EXPECT_TRUE(Eventually(
      [&] {
        return listening() == 1 && GetOn(*contacts_, created.name()).conversation_count() == 3;
      },
      std::chrono::seconds(10)));
}

TEST(ContactCacheRedisDownTest, AnswersFromPostgresWithRedisGone) {
  testing::TestDatabase database;
  testing::ScopedRedisServer redis;
  testing::ServiceHarness account(account::AccountServiceDefinition(), database.url(), redis.url());
  testing::ServiceHarness contact(
      ContactServiceDefinition(TestContactSettings("127.0.0.1:" + std::to_string(account.port()))),
      database.url(), redis.url());
  auto stub = v1::ContactService::NewStub(contact.channel());
  const auto as_admin = [] { return ContextAs("root", {Role::kAdmin}); };

  v1::CreateContactRequest create;
  create.mutable_contact()->set_given_name("Grace");
  create.mutable_contact()->set_family_name("Hopper");
  v1::Contact created, read;
  ASSERT_TRUE(stub->CreateContact(as_admin().get(), create, &created).ok());
  v1::GetContactRequest get;
  get.set_name(created.name());
  ASSERT_TRUE(stub->GetContact(as_admin().get(), get, &read).ok());  // warm

  redis.Kill();
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(created.name());
  update.mutable_contact()->set_family_name("Murray");
  update.mutable_update_mask()->add_paths("family_name");
  update.set_etag(created.etag());
  v1::Contact updated;
  ASSERT_TRUE(stub->UpdateContact(as_admin().get(), update, &updated).ok());
  for (int i = 0; i < 3; ++i) {
    auto status = stub->GetContact(as_admin().get(), get, &read);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(read.family_name(), "Murray");
    EXPECT_EQ(read.etag(), updated.etag());
  }
  // A contact never cached is read as well.
  v1::Contact second;
  create.mutable_contact()->set_family_name("Brewster");
  ASSERT_TRUE(stub->CreateContact(as_admin().get(), create, &second).ok());
  get.set_name(second.name());
  ASSERT_TRUE(stub->GetContact(as_admin().get(), get, &read).ok());
  EXPECT_EQ(read.family_name(), "Brewster");

  // Redis back (empty): reads fill it again.
  redis.Start();
  EXPECT_TRUE(Eventually(
      [&] {
        return stub->GetContact(as_admin().get(), get, &read).ok() &&
               contact.runtime()
                       .redis()
                       .Command({"EXISTS", common::VersionedCache::RedisKeyFor(
                                               "contact", CachingContactRepository::KeyOf(
                                                              IdOf(second.name())))})
                       .value_or(common::RedisValue{})
                       .integer == 1;
      },
      std::chrono::seconds(10)));
}

}  // namespace
}  // namespace accord::contact
