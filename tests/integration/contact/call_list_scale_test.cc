// Call lists at the set level (issue 21; docs/performance.md "Call lists at scale"): every
// exclusion rule over contacts seeded in SQL across several of BuildCallList's batches, rebuilding
// and replays, the build's plan (joins, no lookups per contact), and NextCall reading only rows
// it may take however far the list is worked through (migration 0008's partial indexes).
#include <gmock/gmock.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "accord/common/pg.h"
#include "campaign_fixture.h"
#include "pg_campaign_repository.h"

namespace accord::contact {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Seeded contacts: ids and creation order by n, every 10th of each kind (n % 10).
enum Kind {
  kDoNotCall = 0,
  kLeft = 1,
  kNoPhone = 2,
  kUnverifiedPhone = 3,
  kWithdrawn = 4,
  kNoConsentRecorded = 5,
  kCalledYesterday = 6,
  kKolkata = 7,
  kCallableLondon = 8,  // also an inbound call yesterday, an outbound one 10 days ago and an
                        // older withdrawal recorded after its grant: none keeps it off
  kCallableNoZone = 9,  // no time zone: UTC, which is London in winter (as Active() assumes)
};

std::string SeedId(int n) {
  char tail[13];
  std::snprintf(tail, sizeof tail, "%012x", n);
  return std::string("00000000-0005-7000-8000-") + tail;
}

class CallListScaleTest : public CampaignFixture {
 protected:
  // Contacts n in [from, to]: every 7th without the campaign's label, every 11th deleted, the
  // others of their kind; created `base_minutes` before now plus n milliseconds.
  void Seed(int from, int to, int base_minutes = 60) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    const std::string range =
        "generate_series(" + std::to_string(from) + ", " + std::to_string(to) + ") AS n";
    const std::string id = "('00000000-0005-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid";
    work.exec(
        "INSERT INTO contact.contacts (id, pii, pii_key_id, attributes, owner, status, labels, "
        "do_not_call, phone_unverified, time_zone, create_time, update_time, delete_time) "
        "SELECT " +
        id +
        ", '\\x00', 'k', '', 'am-1', CASE WHEN n % 10 = 1 THEN 2 ELSE 1 END, CASE WHEN n % 7 = 0 "
        "THEN ARRAY['other'] ELSE ARRAY['vip'] END, n % 10 = 0, n % 10 = 3, CASE n % 10 WHEN 7 "
        "THEN 'Asia/Kolkata' WHEN 9 THEN '' ELSE 'Europe/London' END, now() - interval '" +
        std::to_string(base_minutes) +
        " minutes' + n * interval '1 millisecond', now(), CASE WHEN n % 11 = 0 THEN now() END "
        "FROM " +
        range);
    work.exec(
        "INSERT INTO contact.contact_lookup (kind, digest, contact_id) SELECT 2, "
        "decode(md5(n::text), 'hex'), " +
        id + " FROM " + range + " WHERE n % 10 <> 2");
    const std::string consent =
        "INSERT INTO contact.consent_ledger (id, contact_id, channel, purpose, decision, "
        "decision_time, source, recorded_by) SELECT gen_random_uuid(), " +
        id + ", 1, 1, ";
    work.exec(consent + "1, now() - interval '2 days', 'test', 'test' FROM " + range +
              " WHERE n % 10 <> 5");
    work.exec(consent + "2, now() - interval '1 day', 'test', 'test' FROM " + range +
              " WHERE n % 10 = 4");
    work.exec(consent + "2, now() - interval '3 days', 'test', 'test' FROM " + range +
              " WHERE n % 10 = 8");
    const std::string call =
        "INSERT INTO contact.interactions (id, contact_id, channel, interaction_time, owner) "
        "SELECT gen_random_uuid(), " +
        id + ", ";
    work.exec(call + "1, now() - interval '1 day', 'sa-1' FROM " + range + " WHERE n % 10 = 6");
    work.exec(call + "2, now() - interval '1 day', 'sa-1' FROM " + range + " WHERE n % 10 = 8");
    work.exec(call + "1, now() - interval '10 days', 'sa-1' FROM " + range + " WHERE n % 10 = 8");
    work.exec("ANALYZE contact.contacts");
    work.exec("ANALYZE contact.contact_lookup");
    work.exec("ANALYZE contact.consent_ledger");
    work.exec("ANALYZE contact.interactions");
    work.commit();
  }

  // What the rules make of contacts n in [from, to]: counts by kind and the callable in order.
  struct Expected {
    std::vector<int64_t> by_kind = std::vector<int64_t>(10, 0);
    std::vector<std::string> callable;
  };
  static Expected ExpectedOf(int from, int to) {
    Expected expected;
    for (int n = from; n <= to; ++n) {
      if (n % 7 == 0 || n % 11 == 0) continue;
      ++expected.by_kind[n % 10];
      if (n % 10 >= kCallableLondon) expected.callable.push_back(SeedId(n));
    }
    return expected;
  }

  v1::BuildCallListResponse BuildWith(const v1::Campaign& campaign, const std::string& request_id) {
    v1::BuildCallListRequest request;
    request.set_campaign(campaign.name());
    request.set_request_id(request_id);
    v1::BuildCallListResponse out;
    auto status = campaigns_->BuildCallList(As("am-1", Role::kAccountManager).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  std::vector<std::string> ListedInOrder(const v1::Campaign& campaign) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    std::vector<std::string> ids;
    for (const auto& row : work.exec_params(
             "SELECT contact_id::text FROM contact.call_list WHERE campaign_id = $1::uuid "
             "ORDER BY position",
             campaign.name().substr(10))) {
      ids.push_back(row[0].as<std::string>());
    }
    return ids;
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    return work.exec1(sql)[0].as<int64_t>();
  }

  // The plan of `statement` run with `params` (ANALYZE: the rows each node really read), rolled
  // back.
  template <typename... Params>
  std::string Analyzed(const std::string& statement, Params&&... params) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    std::string plan;
    const pqxx::result rows = work.exec_params(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, std::forward<Params>(params)...);
    for (const pqxx::row& row : rows) plan += row[0].c_str() + std::string("\n");
    return plan;
  }
};

// The lines of the plan node that scans `index`, up to the next node.
std::string NodeOf(const std::string& plan, const std::string& index) {
  const size_t at = plan.find("using " + index);
  if (at == std::string::npos) return "";
  const size_t next = plan.find("->", at);
  return plan.substr(at, next == std::string::npos ? std::string::npos : next - at);
}

TEST_F(CallListScaleTest, EveryRuleHoldsAcrossBatchesAndRebuildsAddOnlyWhatIsNew) {
  constexpr int kContacts = 25000;  // several of BuildCallList's batches (the first holds 5 000)
  Seed(1, kContacts);
  const Expected expected = ExpectedOf(1, kContacts);
  const v1::Campaign campaign = Active();

  const v1::BuildCallListResponse built =
      BuildWith(campaign, "11111111-1111-4111-8111-000000000001");
  EXPECT_EQ(built.excluded_do_not_call(), expected.by_kind[kDoNotCall]);
  EXPECT_EQ(built.excluded_left_organization(), expected.by_kind[kLeft]);
  EXPECT_EQ(built.excluded_no_valid_phone(),
            expected.by_kind[kNoPhone] + expected.by_kind[kUnverifiedPhone]);
  EXPECT_EQ(built.excluded_no_consent(),
            expected.by_kind[kWithdrawn] + expected.by_kind[kNoConsentRecorded]);
  EXPECT_EQ(built.excluded_cool_off(), expected.by_kind[kCalledYesterday]);
  EXPECT_EQ(built.excluded_outside_calling_hours(), expected.by_kind[kKolkata]);
  EXPECT_EQ(built.added(), static_cast<int64_t>(expected.callable.size()));
  EXPECT_EQ(built.on_list(), built.added());
  // Exactly the callable ones, in the order they were created (no label, deleted: not at all).
  EXPECT_EQ(ListedInOrder(campaign), expected.callable);

  // A replay of the same request answers as before and adds nothing.
  const v1::BuildCallListResponse replayed =
      BuildWith(campaign, "11111111-1111-4111-8111-000000000001");
  EXPECT_EQ(replayed.SerializeAsString(), built.SerializeAsString());
  // Building again counts the excluded again and adds nobody twice.
  v1::BuildCallListResponse again = BuildWith(campaign, "11111111-1111-4111-8111-000000000002");
  EXPECT_EQ(again.added(), 0);
  EXPECT_EQ(again.on_list(), built.on_list());
  EXPECT_EQ(again.excluded_do_not_call(), built.excluded_do_not_call());
  EXPECT_EQ(again.excluded_cool_off(), built.excluded_cool_off());
  EXPECT_EQ(again.excluded_outside_calling_hours(), built.excluded_outside_calling_hours());

  // New contacts, one of them created before all the others: only they are added, after the list.
  Seed(kContacts + 1, kContacts + 40);
  Seed(kContacts + 41, kContacts + 49, 600);
  again = BuildWith(campaign, "11111111-1111-4111-8111-000000000003");
  const Expected more = ExpectedOf(kContacts + 1, kContacts + 49);
  EXPECT_EQ(again.added(), static_cast<int64_t>(more.callable.size()));
  EXPECT_EQ(again.on_list(), built.on_list() + again.added());
  const std::vector<std::string> listed = ListedInOrder(campaign);
  ASSERT_EQ(listed.size(), expected.callable.size() + more.callable.size());
  EXPECT_TRUE(std::equal(expected.callable.begin(), expected.callable.end(), listed.begin()));
  EXPECT_THAT(
      std::vector<std::string>(
          listed.begin() + static_cast<std::ptrdiff_t>(expected.callable.size()), listed.end()),
      ::testing::UnorderedElementsAreArray(more.callable));

  // One CallListBuilt event per build that ran (the replay wrote none).
  EXPECT_EQ(Count("SELECT count(*) FROM contact.outbox WHERE type = "
                  "'accord.contact.v1.CallListBuilt' AND subject = '" +
                  campaign.name() + "'"),
            3);
}

// A replica that works one batch of `batch` contacts per call (ACCORD_CONTACT_CALL_LIST_SLICE=0).
std::unique_ptr<testing::ServiceHarness> OneBatchPerCall(const testing::TestDatabase& database,
                                                         const testing::ServiceHarness& account,
                                                         int batch) {
  ContactSettings settings = TestContactSettings("127.0.0.1:" + std::to_string(account.port()));
  settings.call_list.slice = std::chrono::milliseconds(0);
  settings.call_list.first_batch = batch;
  return std::make_unique<testing::ServiceHarness>(ContactServiceDefinition(std::move(settings)),
                                                   database.url(), testing::SharedRedisUrl());
}

// One BuildCallList call of `campaign` on `replica`.
v1::BuildCallListResponse BuildOnce(const testing::ServiceHarness& replica,
                                    const v1::Campaign& campaign) {
  v1::BuildCallListRequest request;
  request.set_campaign(campaign.name());
  v1::BuildCallListResponse out;
  const grpc::Status status =
      v1::CampaignService::NewStub(replica.channel())
          ->BuildCallList(ContextAs("am-1", {Role::kAccountManager}).get(), request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out;
}

TEST_F(CallListScaleTest, ABuildStoppedMidwayResumesOnAnotherReplicaToTheSameList) {
  constexpr int kContacts = 12000;
  Seed(1, kContacts);
  const Expected expected = ExpectedOf(1, kContacts);
  const v1::Campaign whole = Active();
  const v1::Campaign resumed = Active();

  // One replica builds two batches, each committed with its progress, and is stopped.
  auto first = OneBatchPerCall(database_, account_, 3000);
  BuildOnce(*first, resumed);
  const v1::BuildCallListResponse partial = BuildOnce(*first, resumed);
  EXPECT_EQ(partial.state(), v1::CALL_LIST_BUILD_STATE_BUILDING);
  EXPECT_EQ(partial.contacts_judged(), 6000);
  EXPECT_GT(partial.added(), 0);
  first.reset();

  // The campaign shows how far the build got; agents get what is listed so far.
  v1::GetCampaignRequest get;
  get.set_name(resumed.name());
  v1::Campaign shown;
  ASSERT_TRUE(campaigns_->GetCampaign(As("am-1", Role::kAccountManager).get(), get, &shown).ok());
  EXPECT_EQ(shown.call_list_build().state(), v1::CALL_LIST_BUILD_STATE_BUILDING);
  EXPECT_EQ(shown.call_list_build().contacts_judged(), 6000);
  EXPECT_EQ(shown.call_list_build().added(), partial.added());
  EXPECT_EQ(static_cast<int64_t>(ListedInOrder(resumed).size()), partial.added());

  // Another replica goes on where it stopped, with the rules it started with.
  const v1::BuildCallListResponse done = BuildWith(resumed, "11111111-1111-4111-8111-000000000011");
  EXPECT_EQ(done.state(), v1::CALL_LIST_BUILD_STATE_READY);
  const v1::BuildCallListResponse uninterrupted = Build(whole);
  EXPECT_EQ(uninterrupted.state(), v1::CALL_LIST_BUILD_STATE_READY);

  // The same list in the same order, the exclusions counted the same by reason.
  EXPECT_EQ(ListedInOrder(resumed), expected.callable);
  EXPECT_EQ(ListedInOrder(resumed), ListedInOrder(whole));
  EXPECT_EQ(done.SerializeAsString(), uninterrupted.SerializeAsString());
  EXPECT_EQ(done.added(), static_cast<int64_t>(expected.callable.size()));
  EXPECT_EQ(done.excluded_do_not_call(), expected.by_kind[kDoNotCall]);
  EXPECT_EQ(done.excluded_left_organization(), expected.by_kind[kLeft]);
  EXPECT_EQ(done.excluded_cool_off(), expected.by_kind[kCalledYesterday]);
  EXPECT_EQ(done.excluded_outside_calling_hours(), expected.by_kind[kKolkata]);
  EXPECT_EQ(done.on_list(), done.added());
  ASSERT_TRUE(campaigns_->GetCampaign(As("am-1", Role::kAccountManager).get(), get, &shown).ok());
  EXPECT_EQ(shown.call_list_build().state(), v1::CALL_LIST_BUILD_STATE_READY);
  EXPECT_EQ(shown.call_list_build().on_list(), done.on_list());

  // A retry of the resuming call answers the same and does no more work.
  EXPECT_EQ(BuildWith(resumed, "11111111-1111-4111-8111-000000000011").SerializeAsString(),
            done.SerializeAsString());
  // One CallListBuilt for the build, however many calls and replicas it took.
  EXPECT_EQ(Count("SELECT count(*) FROM contact.outbox WHERE type = "
                  "'accord.contact.v1.CallListBuilt' AND subject = '" +
                  resumed.name() + "'"),
            1);
}

TEST_F(CallListScaleTest, NextCallSaysTheListIsBeingBuiltWhenNothingListedIsLeftYet) {
  Create(Ada());  // no consent recorded: judged first, not listed
  const v1::Contact callable = Callable();
  const v1::Campaign campaign = Active();
  auto replica = OneBatchPerCall(database_, account_, 1);
  const v1::BuildCallListResponse partial = BuildOnce(*replica, campaign);
  ASSERT_EQ(partial.state(), v1::CALL_LIST_BUILD_STATE_BUILDING);
  ASSERT_EQ(partial.contacts_judged(), 1);
  ASSERT_EQ(partial.added(), 0);

  v1::CallAssignment assignment;
  grpc::Status status = Next(campaign, "sa-1", &assignment);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("being built"));
  EXPECT_EQ(testing::ReasonOf(status), "CALL_LIST_BUILDING");

  // Built to the end: the callable contact is handed out, then the list is empty (NOT_FOUND).
  ASSERT_EQ(Build(campaign).state(), v1::CALL_LIST_BUILD_STATE_READY);
  status = Next(campaign, "sa-1", &assignment);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(assignment.contact(), callable.name());
  status = Next(campaign, "sa-1", &assignment);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(testing::ReasonOf(status), "CALL_LIST_EMPTY");
}

TEST_F(CallListScaleTest, TheBuildJoinsItsRulesOverTheBatchInsteadOfLookingUpEachContact) {
  Seed(1, 5000);
  const v1::Campaign campaign = Active();
  // As the repository runs it: values inlined (InlineParams), in a session forcing generic plans.
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  work.exec("SET plan_cache_mode = force_generic_plan");
  const std::string statement = common::InlineParams(
      connection, CallListBatchStatement(),
      {campaign.name().substr(10), "-infinity", "00000000-0000-0000-0000-000000000000", "[\"vip\"]",
       "10000", "0", "[\"Europe/London\", \"\"]"});
  std::string plan;
  for (const pqxx::row& row : work.exec("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement)) {
    plan += row[0].c_str() + std::string("\n");
  }
  // Already listed: the list's key probed per contact, never the whole list hashed.
  EXPECT_THAT(plan, HasSubstr("call_list_pkey")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Hash Anti Join"))) << plan;
  // No subquery run per contact: the ledger, the phones and the calls are joined once, and
  // nothing is looked up in a loop over the batch.
  EXPECT_THAT(plan, Not(HasSubstr("SubPlan"))) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Nested Loop Semi Join"))) << plan;
  EXPECT_THAT(plan, HasSubstr("Tuples Inserted: ")) << plan;
}

TEST_F(CallListScaleTest, NextCallReadsOnlyRowsItMayTakeWhenTheListIsNinetyPercentWorked) {
  Seed(1, 6000, 24 * 60);
  const v1::Campaign campaign = Active();
  const std::string id = campaign.name().substr(10);
  // Four real contacts after the seeded ones (the assignment opens their phones).
  const v1::Contact first = Callable();
  const v1::Contact second = Callable();
  const v1::Contact third = Callable();
  const v1::Contact fourth = Callable();
  const v1::BuildCallListResponse built = Build(campaign);
  ASSERT_EQ(built.added(), static_cast<int64_t>(ExpectedOf(1, 6000).callable.size()) + 4);
  {
    // Worked through but for the four: half the seeded rows finished, half leased elsewhere;
    // the first two real ones leased too, with leases that ran out (the second's first).
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec_params(
        "UPDATE contact.call_list SET state = CASE WHEN position % 2 = 0 THEN 1 ELSE 0 END, "
        "agent = CASE WHEN position % 2 = 1 THEN 'elsewhere' END, lease_until = CASE WHEN "
        "position % 2 = 1 THEN now() + interval '1 hour' END WHERE campaign_id = $1::uuid AND "
        "contact_id::text LIKE '00000000-0005-%'",
        id);
    work.exec_params(
        "UPDATE contact.call_list SET agent = 'gone', lease_until = now() - "
        "interval '1 minute' WHERE contact_id = $1::uuid",
        first.name().substr(9));
    work.exec_params(
        "UPDATE contact.call_list SET agent = 'gone', lease_until = now() - "
        "interval '2 minutes' WHERE contact_id = $1::uuid",
        second.name().substr(9));
    work.exec("ANALYZE contact.call_list");
    work.commit();
  }

  const std::vector<std::string> reads = NextCallReads();
  ASSERT_EQ(reads.size(), 2u);
  // Leases run out: found by expiry, nothing else read (the leases still running are past the
  // range).
  std::string plan = Analyzed(reads[0], id);
  std::string node = NodeOf(plan, "call_list_leased");
  EXPECT_THAT(node, HasSubstr("rows=2 ")) << plan;
  EXPECT_THAT(node, Not(HasSubstr("Rows Removed"))) << plan;
  // Never leased: only the two left are in the index; the leased and finished thousands are not.
  plan = Analyzed(reads[1], id);
  node = NodeOf(plan, "call_list_fresh");
  EXPECT_THAT(node, HasSubstr("rows=2 ")) << plan;
  EXPECT_THAT(node, Not(HasSubstr("Rows Removed"))) << plan;

  // And the service hands out the run-out leases first (oldest expiry first), then the list in
  // order, then nobody.
  std::vector<std::string> handed;
  for (int i = 0; i < 4; ++i) {
    v1::CallAssignment assignment;
    const grpc::Status status = Next(campaign, "sa-" + std::to_string(i), &assignment);
    ASSERT_TRUE(status.ok()) << status.error_message();
    handed.push_back(assignment.contact());
  }
  EXPECT_EQ(handed,
            (std::vector<std::string>{second.name(), first.name(), third.name(), fourth.name()}));
  v1::CallAssignment none;
  EXPECT_EQ(Next(campaign, "sa-9", &none).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace accord::contact
