#include "contact_logic.h"

#include <gtest/gtest.h>

#include <map>

#include "accord/common/errors.h"
#include "contact_fields.h"
#include "pg_filter_schemas.h"

namespace accord::contact {
namespace {

using common::Role;

constexpr char kId[] = "0190a0b0-0000-7000-8000-000000000001";

class FakeRepository : public ContactRepository {
 public:
  const common::filter::Schema& FilterSchema() const override { return ContactFilterSchema(); }
  absl::StatusOr<ContactRecord> Create(const Contact& contact, const WriteMeta&,
                                       const Caller* shown_to) override {
    ++writes;
    Contact stored = contact;
    stored.set_name(ContactName(kId));
    stored.set_etag("1");
    rows[kId] = stored;
    ContactRecord record{stored, {stored.owner(), {}}};
    // As PgContactRepository: the read by `shown_to` is appended with the write.
    if (shown_to != nullptr) {
      logged_with_write.push_back(shown_to->principal.subject);
      record.access_logged = true;
    }
    return record;
  }
  absl::StatusOr<ContactRecord> Get(const std::string& id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return common::NotFound(ContactName(id));
    return ContactRecord{it->second, {it->second.owner(), {}}};
  }
  absl::StatusOr<ContactPage> List(const ContactListQuery&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ContactRecord> Update(const std::string& id, const Mutation& mutate,
                                       const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(Contact next, mutate(rows.at(id)));
    ++writes;
    next.set_etag(std::to_string(std::stoi(next.etag()) + 1));
    rows[id] = next;
    return ContactRecord{next, {next.owner(), {}}};
  }
  absl::StatusOr<ContactRecord> Delete(const std::string&, const Mutation&,
                                       const WriteMeta&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<ContactRecord>> Lookup(LookupKind, const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ContactRecord> LookupByExternalId(const std::string&,
                                                   const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<Upserted> Upsert(const std::string&, const std::string&, const Build&,
                                  const WriteMeta&) override {
    return absl::UnimplementedError("");
  }
  std::map<std::string, Contact> rows;
  int writes = 0;
  std::vector<std::string> logged_with_write;  // who each create was shown to, unmasked
};

class NoAccounts : public AccountDirectory {
 public:
  absl::Status CheckRelatable(const common::CallIdentity&, const std::string&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Manages(const common::CallIdentity&, const std::string&,
                               const std::string&) override {
    return false;
  }
};

class RecordingLog : public AccessLog {
 public:
  absl::Status Append(const Caller&, const std::vector<AccessRecord>& records) override {
    if (fail) return absl::UnavailableError("database down");
    for (const auto& record : records) appended.push_back(record);
    return absl::OkStatus();
  }
  std::vector<AccessRecord> appended;
  bool fail = false;
};

class ContactLogicTest : public ::testing::Test {
 protected:
  ContactLogicTest()
      : access_(accounts_),
        presenter_(access_, log_),
        tokens_("secret"),
        logic_(repository_, access_, presenter_, tokens_, "GB") {}

  static Caller As(const std::string& subject, Role role) {
    Caller caller;
    caller.principal = common::Principal{subject, {role}, {}};
    caller.method = "Test";
    return caller;
  }

  Contact Seed() {
    v1::CreateContactRequest request;
    request.mutable_contact()->set_family_name("Lovelace");
    request.mutable_contact()->add_emails()->set_address("ADA@example.com");
    auto created = logic_.Create(As("am", Role::kAccountManager), request, {});
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  FakeRepository repository_;
  NoAccounts accounts_;
  RecordingLog log_;
  ContactAccess access_;
  ContactPresenter presenter_;
  common::PageTokenCodec tokens_;
  ContactLogic logic_;
};

TEST_F(ContactLogicTest, CreateNormalisesDefaultsAndLogsTheResponseWithTheWrite) {
  Contact created = Seed();
  EXPECT_EQ(created.owner(), "am");
  EXPECT_EQ(created.status(), v1::CONTACT_STATUS_ACTIVE);
  EXPECT_EQ(created.emails(0).address(), "ada@example.com");
  EXPECT_FALSE(created.personal_data_masked());
  // The creator's read goes to the access log in the create's transaction, not a second time.
  EXPECT_EQ(repository_.logged_with_write, (std::vector<std::string>{"am"}));
  EXPECT_TRUE(log_.appended.empty());
}

TEST_F(ContactLogicTest, CreateShownMaskedIsNotLogged) {
  v1::CreateContactRequest request;
  request.mutable_contact()->set_family_name("Lovelace");
  request.mutable_contact()->set_owner("am-other");
  // An account manager creating a contact another one owns gets it back masked.
  auto created = logic_.Create(As("am", Role::kAccountManager), request, {});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->personal_data_masked());
  EXPECT_TRUE(created->family_name().empty());
  EXPECT_TRUE(repository_.logged_with_write.empty());
  EXPECT_TRUE(log_.appended.empty());
}

TEST_F(ContactLogicTest, RefusedCallsTouchNothing) {
  v1::CreateContactRequest request;
  request.mutable_contact()->set_family_name("Lovelace");
  EXPECT_EQ(logic_.Create(As("sync", Role::kIntegration), request, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  request.mutable_contact()->add_phones()->set_number("12");
  EXPECT_EQ(logic_.Create(As("am", Role::kAccountManager), request, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(repository_.writes, 0);
}

TEST_F(ContactLogicTest, StaleEtagIsAbortedAndChangesNothing) {
  Contact created = Seed();
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(created.name());
  update.mutable_contact()->set_job_title("CFO");
  update.set_etag("9");
  EXPECT_EQ(logic_.Update(As("am", Role::kAccountManager), update, {}).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(repository_.rows[kId].job_title(), "");
  update.set_etag("1");
  EXPECT_EQ(logic_.Update(As("am-other", Role::kAccountManager), update, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto updated = logic_.Update(As("am", Role::kAccountManager), update, {});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->job_title(), "CFO");
  EXPECT_EQ(updated->family_name(), "Lovelace");
}

TEST_F(ContactLogicTest, MaskedReadsAreNotLoggedAndUnloggableReadsFail) {
  Contact created = Seed();
  log_.appended.clear();
  v1::GetContactRequest get;
  get.set_name(created.name());
  auto masked = logic_.Get(As("sa", Role::kSalesAssistant), get);
  ASSERT_TRUE(masked.ok());
  EXPECT_TRUE(masked->personal_data_masked());
  EXPECT_TRUE(masked->family_name().empty());
  EXPECT_TRUE(log_.appended.empty());

  auto full = logic_.Get(As("root", Role::kAdmin), get);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->family_name(), "Lovelace");
  ASSERT_EQ(log_.appended.size(), 1u);
  EXPECT_EQ(log_.appended[0].fields, (std::vector<std::string>{"family_name", "emails"}));

  log_.fail = true;
  EXPECT_FALSE(logic_.Get(As("root", Role::kAdmin), get).ok());
  EXPECT_TRUE(logic_.Get(As("sa", Role::kSalesAssistant), get).ok());  // nothing to log
}

}  // namespace
}  // namespace accord::contact
