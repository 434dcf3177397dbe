#include "need_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "fake_need_repository.h"

namespace accord::account {
namespace {

using common::Principal;
using common::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

Principal As(std::string subject, std::vector<Role> roles) {
  Principal principal;
  principal.subject = std::move(subject);
  principal.roles = std::move(roles);
  return principal;
}

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& violation : common::FieldViolationsOf(status)) fields.push_back(violation.field);
  return fields;
}

Need NeedTitled(const std::string& title) {
  Need need;
  need.set_title(title);
  need.set_source(v1::NEED_SOURCE_MEETING);
  return need;
}

class NeedLogicTest : public ::testing::Test {
 protected:
  absl::StatusOr<Need> Create(const Principal& who, const Need& need,
                              const std::string& account_id = "",
                              const std::string& request_id = "") {
    CreateNeedRequest request;
    request.set_parent(AccountName(account_id.empty() ? account_ : account_id));
    *request.mutable_need() = need;
    request.set_request_id(request_id);
    return logic_.Create(who, request, {});
  }

  absl::StatusOr<Need> Update(const Principal& who, const Need& patch,
                              std::vector<std::string> paths, const std::string& etag) {
    UpdateNeedRequest request;
    *request.mutable_need() = patch;
    for (auto& path : paths) request.mutable_update_mask()->add_paths(std::move(path));
    request.set_etag(etag);
    return logic_.Update(who, request, {});
  }

  absl::StatusOr<Need> SetStatus(const Need& need, NeedStatus status) {
    Need patch;
    patch.set_name(need.name());
    patch.set_status(status);
    return Update(alice_, patch, {"status"}, need.etag());
  }

  FakeAccounts accounts_;
  FakeNeedRepository repository_{accounts_};
  common::PageTokenCodec tokens_{"unit-test-secret"};
  NeedLogic logic_{repository_, tokens_};
  std::string account_ = accounts_.Add("alice");
  Principal alice_ = As("alice", {Role::kAccountManager});
  Principal bob_ = As("bob", {Role::kAccountManager});
  Principal admin_ = As("root", {Role::kAdmin});
};

TEST(NeedStatusTest, AllowedAndIllegalTransitions) {
  using enum v1::NeedStatus;
  const NeedStatus all[] = {NEED_STATUS_OPEN, NEED_STATUS_PLANNED, NEED_STATUS_MET,
                            NEED_STATUS_DROPPED};
  const std::set<std::pair<NeedStatus, NeedStatus>> allowed = {
      {NEED_STATUS_OPEN, NEED_STATUS_PLANNED}, {NEED_STATUS_OPEN, NEED_STATUS_MET},
      {NEED_STATUS_OPEN, NEED_STATUS_DROPPED}, {NEED_STATUS_PLANNED, NEED_STATUS_OPEN},
      {NEED_STATUS_PLANNED, NEED_STATUS_MET},  {NEED_STATUS_PLANNED, NEED_STATUS_DROPPED},
      {NEED_STATUS_MET, NEED_STATUS_OPEN},     {NEED_STATUS_DROPPED, NEED_STATUS_OPEN},
  };
  for (NeedStatus from : all) {
    for (NeedStatus to : all) {
      const bool expected = from == to || allowed.count({from, to}) > 0;
      EXPECT_EQ(IsAllowedStatusTransition(from, to), expected)
          << v1::NeedStatus_Name(from) << " -> " << v1::NeedStatus_Name(to);
    }
    EXPECT_FALSE(IsAllowedStatusTransition(from, NEED_STATUS_UNSPECIFIED));
  }
}

TEST(NeedNameTest, ParsesOnlyCanonicalNames) {
  const std::string account = common::NewUuidV7();
  const std::string need = common::NewUuidV7();
  auto parsed = ParseNeedName("accounts/" + account + "/needs/" + need, "name");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->account_id, account);
  EXPECT_EQ(parsed->id, need);
  for (const std::string& bad :
       {std::string("accounts/") + account + "/teamMembers/" + need,
        std::string("accounts/") + account + "/needs/' OR 1=1 --", std::string("needs/") + need}) {
    EXPECT_THAT(Fields(ParseNeedName(bad, "name").status()), ElementsAre("name")) << bad;
  }
}

TEST_F(NeedLogicTest, CreateDefaultsPriorityStatusAndOwner) {
  auto created = Create(alice_, NeedTitled("Faster invoicing"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->name(), StartsWith(AccountName(account_) + "/needs/"));
  EXPECT_EQ(created->priority(), v1::NEED_PRIORITY_MEDIUM);
  EXPECT_EQ(created->status(), v1::NEED_STATUS_OPEN);
  EXPECT_EQ(created->owner(), "alice");
  EXPECT_EQ(created->etag(), "1");
}

TEST_F(NeedLogicTest, CreateValidatesEveryFieldWithFullPaths) {
  Need need;
  need.set_title(" ");
  need.set_description(std::string(4001, 'd'));
  need.set_source(static_cast<NeedSource>(42));
  need.set_priority(static_cast<NeedPriority>(42));
  need.set_status(static_cast<NeedStatus>(42));
  need.set_due_date("2024-13-01");
  need.set_owner(std::string(201, 'o'));
  // Size limits are checked first, and alone.
  auto result = Create(alice_, need);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()), UnorderedElementsAre("need.description", "need.owner"));
  need.set_description(std::string(4000, 'd'));
  need.set_owner("");
  result = Create(alice_, need);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()),
              UnorderedElementsAre("need.title", "need.source", "need.priority", "need.status",
                                   "need.due_date"));
  result = Create(alice_, NeedTitled(std::string(201, 't')));
  EXPECT_THAT(Fields(result.status()), ElementsAre("need.title"));
  // Length limits count characters, not bytes.
  EXPECT_TRUE(Create(alice_, NeedTitled(std::string(200, 'x'))).ok());
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xC3\xBC";
  EXPECT_TRUE(Create(alice_, NeedTitled(umlauts)).ok());
  EXPECT_EQ(repository_.writes, 2);
}

TEST_F(NeedLogicTest, WritePermissionsPerRole) {
  EXPECT_TRUE(Create(alice_, NeedTitled("owner")).ok());
  EXPECT_TRUE(Create(admin_, NeedTitled("admin")).ok());
  EXPECT_TRUE(Create(As("sync", {Role::kIntegration}), NeedTitled("from the CRM")).ok());
  auto denied = Create(bob_, NeedTitled("not his"));
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(common::ReasonOf(denied.status()), "NOT_ALLOWED");
  EXPECT_THAT(std::string(denied.status().message()), HasSubstr("needs of accounts/"));
  for (Role role : {Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor,
                    Role::kPricingManager}) {
    EXPECT_EQ(Create(As("alice", {role}), NeedTitled("x")).status().code(),
              absl::StatusCode::kPermissionDenied)
        << common::RoleName(role);
  }
  // On the team today: bob may write.
  accounts_.active_team.insert({account_, "bob"});
  auto by_team_member = Create(bob_, NeedTitled("now his too"));
  ASSERT_TRUE(by_team_member.ok()) << by_team_member.status();
  Need patch;
  patch.set_name(by_team_member->name());
  patch.set_priority(v1::NEED_PRIORITY_HIGH);
  EXPECT_TRUE(Update(bob_, patch, {"priority"}, by_team_member->etag()).ok());
  // A sales assistant on the team still may not.
  accounts_.active_team.insert({account_, "sam"});
  EXPECT_EQ(Create(As("sam", {Role::kSalesAssistant}), NeedTitled("x")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(NeedLogicTest, MissingOrDeletedParentIsNotFoundNamingIt) {
  const std::string missing = common::NewUuidV7();
  auto result = Create(admin_, NeedTitled("x"), missing);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(AccountName(missing)));
  auto created = Create(alice_, NeedTitled("y"));
  ASSERT_TRUE(created.ok());
  accounts_.accounts[account_].deleted = true;
  GetNeedRequest get;
  get.set_name(created->name());
  EXPECT_EQ(logic_.Get(alice_, get).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(NeedLogicTest, StatusChangesFollowTheRules) {
  auto need = Create(alice_, NeedTitled("Training for new staff"));
  ASSERT_TRUE(need.ok());
  auto planned = SetStatus(*need, v1::NEED_STATUS_PLANNED);
  ASSERT_TRUE(planned.ok()) << planned.status();
  auto met = SetStatus(*planned, v1::NEED_STATUS_MET);
  ASSERT_TRUE(met.ok()) << met.status();
  auto illegal = SetStatus(*met, v1::NEED_STATUS_PLANNED);
  EXPECT_EQ(illegal.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ReasonOf(illegal.status()), "ILLEGAL_STATUS_TRANSITION");
  auto reopened = SetStatus(*met, v1::NEED_STATUS_OPEN);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto dropped = SetStatus(*reopened, v1::NEED_STATUS_DROPPED);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(SetStatus(*dropped, v1::NEED_STATUS_MET).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Fields(SetStatus(*dropped, v1::NEED_STATUS_UNSPECIFIED).status()),
              ElementsAre("need.status"));
}

TEST_F(NeedLogicTest, UpdateAppliesOnlyMaskedFieldsAndChecksEtags) {
  Need original = NeedTitled("Consolidated billing");
  original.set_description("one invoice per month");
  original.set_due_date("2024-09-30");
  auto created = Create(alice_, original);
  ASSERT_TRUE(created.ok());
  Need patch;
  patch.set_name(created->name());
  patch.set_title("ignored");
  patch.set_priority(v1::NEED_PRIORITY_CRITICAL);
  auto updated = Update(alice_, patch, {"priority", "due_date"}, created->etag());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->title(), "Consolidated billing");
  EXPECT_EQ(updated->priority(), v1::NEED_PRIORITY_CRITICAL);
  EXPECT_EQ(updated->due_date(), "") << "a masked empty due_date clears it";
  EXPECT_EQ(updated->description(), "one invoice per month");

  auto stale = Update(alice_, patch, {"priority"}, created->etag());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(common::ReasonOf(stale.status()), "ETAG_MISMATCH");
  EXPECT_THAT(Fields(Update(alice_, patch, {"name"}, updated->etag()).status()),
              ElementsAre("update_mask"));
  EXPECT_THAT(Fields(Update(alice_, patch, {"priority"}, "").status()), ElementsAre("etag"));
  patch.set_title("");
  EXPECT_THAT(Fields(Update(alice_, patch, {"title"}, updated->etag()).status()),
              ElementsAre("need.title"));
  Need nothing;
  nothing.set_name(created->name());
  EXPECT_THAT(Fields(Update(alice_, nothing, {}, updated->etag()).status()),
              ElementsAre("update_mask"));
}

TEST_F(NeedLogicTest, DeleteIsSoftAndChecksEtagAndPermission) {
  auto created = Create(alice_, NeedTitled("Spare parts on site"));
  ASSERT_TRUE(created.ok());
  DeleteNeedRequest request;
  request.set_name(created->name());
  request.set_etag("42");
  EXPECT_EQ(logic_.Delete(alice_, request, {}).status().code(), absl::StatusCode::kAborted);
  request.set_etag(created->etag());
  EXPECT_EQ(logic_.Delete(bob_, request, {}).status().code(), absl::StatusCode::kPermissionDenied);
  auto deleted = logic_.Delete(As("sync", {Role::kIntegration}), request, {});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(deleted->has_delete_time());
  GetNeedRequest get;
  get.set_name(created->name());
  EXPECT_EQ(logic_.Get(alice_, get).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(NeedLogicTest, CreateWithRequestIdIsIdempotent) {
  const std::string request_id = common::NewUuidV7();
  auto first = Create(alice_, NeedTitled("x"), "", request_id);
  auto second = Create(alice_, NeedTitled("x"), "", request_id);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(repository_.writes, 1);
}

TEST_F(NeedLogicTest, ListOrdersByDueDateWithUndatedLastAndPages) {
  for (const auto& [title, due] : std::vector<std::pair<std::string, std::string>>{
           {"c", "2024-09-01"}, {"none", ""}, {"a", "2024-07-01"}, {"b", "2024-08-01"}}) {
    Need need = NeedTitled(title);
    need.set_due_date(due);
    ASSERT_TRUE(Create(alice_, need).ok());
  }
  ListNeedsRequest request;
  request.set_parent(AccountName(account_));
  request.set_order_by("due_date");
  request.set_page_size(3);
  std::vector<std::string> seen;
  do {
    auto page = logic_.List(As("sam", {Role::kSalesAssistant}), request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& need : page->needs()) seen.push_back(need.title());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_THAT(seen, ElementsAre("a", "b", "c", "none"));

  ListNeedsRequest everywhere;
  everywhere.set_parent("accounts/-");
  ASSERT_TRUE(Create(alice_, NeedTitled("elsewhere"), accounts_.Add("alice")).ok());
  auto page = logic_.List(alice_, everywhere);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->needs_size(), 5);

  everywhere.set_order_by("title");
  EXPECT_THAT(Fields(logic_.List(alice_, everywhere).status()), ElementsAre("order_by"));
  everywhere.set_order_by("priority desc");
  everywhere.set_filter("status = OPEN AND priority != LOW AND due_date = 2024-07-01");
  EXPECT_TRUE(logic_.List(alice_, everywhere).ok());
  everywhere.set_filter("due_date < 2024-07-01");
  EXPECT_THAT(Fields(logic_.List(alice_, everywhere).status()), ElementsAre("filter"));
}

}  // namespace
}  // namespace accord::account
