// ContactImport: per-row results, a bad row never fails the import, bounded results.
#include "import_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/errors.h"

namespace accord::contact {
namespace {

using ::testing::ElementsAre;
using Outcome = v1::ImportRowResult;

constexpr char kImport[] = "0190a5d8-7c3e-7abc-8def-0123456789ab";

// Upserts by external id: a new id creates, "same" leaves as is, anything else updates; a family
// name "bad" is refused as the service would.
ContactImport::Upsert FakeUpsert(int* calls) {
  return [calls](const v1::UpsertContactByExternalIdRequest& request)
             -> absl::StatusOr<ContactRepository::Upserted> {
    ++*calls;
    if (request.contact().family_name() == "bad") {
      return common::InvalidArgument("contact.family_name", "no");
    }
    ContactRepository::Upserted upserted;
    upserted.record.contact.set_name("contacts/" + request.external_id());
    upserted.created = request.external_id().rfind("new", 0) == 0;
    upserted.changed = upserted.created || request.contact().given_name() != "same";
    return upserted;
  };
}

v1::ImportContactRow Row(const std::string& key, const std::string& id, const std::string& given,
                         const std::string& family = "Lovelace") {
  v1::ImportContactRow row;
  row.set_key(key);
  row.set_system("crm");
  row.set_external_id(id);
  row.mutable_contact()->set_given_name(given);
  row.mutable_contact()->set_family_name(family);
  return row;
}

TEST(ContactImportTest, EachRowSucceedsOrFailsOnItsOwn) {
  int calls = 0;
  ContactImport import(FakeUpsert(&calls));
  v1::ImportContactsRequest first;
  first.set_import_id(kImport);
  *first.add_rows() = Row("1", "new-1", "Ada");
  *first.add_rows() = Row("2", "old-2", "Ada", "bad");
  *first.add_rows() = Row("3", "old-3", "same");
  ASSERT_TRUE(import.Apply(first).ok());
  v1::ImportContactsRequest second;  // later messages may leave the id out
  *second.add_rows() = Row("4", "old-4", "Ada");
  auto oversized = Row("5", "old-5", std::string(300, 'x'));  // past the 200-character limit
  *second.add_rows() = oversized;
  *second.add_rows() = Row("6", "old-6", "Ada\x01");  // a control character
  *second.add_rows() = Row("", "old-7", "Ada");
  ASSERT_TRUE(import.Apply(second).ok());

  auto result = import.Result();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->import_id(), kImport);
  EXPECT_EQ(result->rows(), 7);
  EXPECT_EQ(result->created(), 1);
  EXPECT_EQ(result->updated(), 1);
  EXPECT_EQ(result->unchanged(), 1);
  EXPECT_EQ(result->failed(), 4);
  EXPECT_EQ(calls, 4);  // rows failing the size, text or key checks never reach the upsert
  std::vector<int> outcomes;
  for (const auto& row : result->results()) outcomes.push_back(row.outcome());
  EXPECT_THAT(outcomes, ElementsAre(Outcome::OUTCOME_CREATED, Outcome::OUTCOME_FAILED,
                                    Outcome::OUTCOME_UNCHANGED, Outcome::OUTCOME_UPDATED,
                                    Outcome::OUTCOME_FAILED, Outcome::OUTCOME_FAILED,
                                    Outcome::OUTCOME_FAILED));
  const auto& refused = result->results(1);
  EXPECT_EQ(refused.key(), "2");
  EXPECT_EQ(refused.error_code(), "INVALID_ARGUMENT");
  EXPECT_THAT(refused.fields(), ElementsAre("contact.family_name"));
  EXPECT_EQ(result->results(0).contact(), "contacts/new-1");
  EXPECT_THAT(result->results(4).fields(), ElementsAre("contact.given_name"));
  EXPECT_THAT(result->results(6).fields(), ElementsAre("key"));
}

TEST(ContactImportTest, TheStreamMustNameItsImport) {
  int calls = 0;
  ContactImport import(FakeUpsert(&calls));
  EXPECT_FALSE(import.Result().ok());  // nothing sent
  v1::ImportContactsRequest message;
  *message.add_rows() = Row("1", "new-1", "Ada");
  EXPECT_EQ(import.Apply(message).code(), absl::StatusCode::kInvalidArgument);
  message.set_import_id("not-a-uuid");
  EXPECT_EQ(import.Apply(message).code(), absl::StatusCode::kInvalidArgument);
  message.set_import_id(kImport);
  ASSERT_TRUE(import.Apply(message).ok());
  message.set_import_id("0190a5d8-7c3e-7abc-8def-000000000000");
  EXPECT_EQ(import.Apply(message).code(), absl::StatusCode::kInvalidArgument);
  v1::ImportContactsRequest too_many;
  for (int i = 0; i <= kMaxImportRowsPerMessage; ++i) {
    *too_many.add_rows() = Row(std::to_string(i), "x", "Ada");
  }
  EXPECT_EQ(import.Apply(too_many).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
}

TEST(ContactImportTest, PastTheLimitOnlyFailuresAreListed) {
  int calls = 0;
  ContactImport import(FakeUpsert(&calls));
  int sent = 0;
  while (sent < kMaxImportResults + 1000) {
    v1::ImportContactsRequest message;
    message.set_import_id(kImport);
    for (int i = 0; i < kMaxImportRowsPerMessage; ++i, ++sent) {
      // Every 100th row fails.
      *message.add_rows() = Row(std::to_string(sent), "old-" + std::to_string(sent), "Ada",
                                sent % 100 == 0 ? "bad" : "Lovelace");
    }
    ASSERT_TRUE(import.Apply(message).ok());
  }
  auto result = import.Result();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->rows(), sent);
  EXPECT_EQ(result->failed(), sent / 100);
  EXPECT_TRUE(result->results_truncated());
  EXPECT_EQ(result->results_size(), sent / 100);
  for (const auto& row : result->results()) {
    EXPECT_EQ(row.outcome(), Outcome::OUTCOME_FAILED);
  }
}

TEST(ContactImportTest, OnlyAdminAndIntegrationImport) {
  EXPECT_TRUE(ContactImport::CheckCaller({"x", {common::Role::kIntegration}, {}}).ok());
  EXPECT_TRUE(ContactImport::CheckCaller({"x", {common::Role::kAdmin}, {}}).ok());
  EXPECT_EQ(ContactImport::CheckCaller({"x", {common::Role::kAccountManager}, {}}).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace accord::contact
