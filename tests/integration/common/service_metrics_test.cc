// What a service's /metrics shows besides its RPCs: the process (CPU, memory, descriptors, start
// time), the build, and how long PostgreSQL and Redis took to answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <regex>
#include <string>

#include "integration/common/do_nothing_service.h"
#include "support/http.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

// The value of the first sample whose line starts with `series` (name and labels), or -1.
double Sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const size_t space = text.find(' ', at + series.size());
      if (space != std::string::npos) return std::stod(text.substr(space + 1));
    }
    at += series.size();
  }
  return -1;
}

TEST(ServiceMetricsTest, MetricsShowTheProcessTheBuildAndDatabaseAndRedisLatency) {
  testing::TestDatabase database;
  testing::ServiceHarness harness(
      ExampleDefinition({{"accord.example.v1.*", MethodAccess::AnyRole()}}), database.url(),
      testing::SharedRedisUrl());
  // One unit of work of each kind the histograms count.
  ASSERT_TRUE(harness.runtime()
                  .pg()
                  .Read([](pqxx::transaction_base& tx) {
                    tx.exec("SELECT 1");
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(harness.runtime()
                  .pg()
                  .Read(
                      [](pqxx::transaction_base& tx) {
                        tx.exec("SELECT 1");
                        return absl::OkStatus();
                      },
                      ReadScope::kOneStatement)
                  .ok());
  ASSERT_TRUE(harness.runtime()
                  .pg()
                  .Transact([](WriteTransaction& tx) {
                    tx.exec("SELECT 1");
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(harness.runtime().redis().Command({"PING"}).ok());
  ASSERT_TRUE(harness.runtime().redis().Pipeline({{"PING"}, {"PING"}}).ok());

  const std::string text = testing::ScrapeMetrics(harness.metrics_port());
  ASSERT_NE(text.find("200 OK"), std::string::npos) << text.substr(0, 200);

  EXPECT_GT(Sample(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(Sample(text, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(Sample(text, "process_virtual_memory_bytes"), 1e6);
  EXPECT_GT(Sample(text, "process_open_fds"), 2);
  EXPECT_GT(Sample(text, "process_max_fds"), Sample(text, "process_open_fds"));
  const double started = Sample(text, "process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(started, now - 3600);
  EXPECT_LE(started, now + 1);

  const std::regex build(R"(\naccord_build_info\{commit="[^"]+",version="\d+\.\d+\.\d+"\} 1\n)");
  EXPECT_TRUE(std::regex_search(text, build)) << text;

  for (const char* kind : {"write", "read", "statement"}) {
    EXPECT_GE(Sample(text, std::string("accord_pg_call_seconds_count{kind=\"") + kind + "\"}"), 1)
        << kind;
  }
  for (const char* kind : {"command", "pipeline"}) {
    EXPECT_GE(Sample(text, std::string("accord_redis_call_seconds_count{kind=\"") + kind + "\"}"),
              1)
        << kind;
  }
  EXPECT_NE(text.find("accord_pg_call_seconds_bucket{kind=\"write\",le=\"+Inf\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace accord::common
