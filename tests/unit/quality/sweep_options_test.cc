// The sweeper's settings (QualityOptions::FromEnvironment): batches of 50 within a 600 ms budget
// by default, a budget of 0 for unbounded passes, and a bad value refused naming the setting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quality_options.h"

namespace accord::quality {
namespace {

using ::testing::HasSubstr;

TEST(SweepOptionsTest, BatchesOfFiftyWithinSixHundredMillisecondsByDefault) {
  auto options = QualityOptions::FromEnvironment({{"ACCORD_QUALITY_MAX_REOPENS", "3"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sweep_batch, 50);
  EXPECT_EQ(options->sweep_budget, std::chrono::milliseconds(600));
}

TEST(SweepOptionsTest, TheBudgetIsSetOrTurnedOff) {
  auto options = QualityOptions::FromEnvironment(
      {{"ACCORD_QUALITY_SWEEP_BUDGET_MS", "250"}, {"ACCORD_QUALITY_SWEEP_BATCH", "20"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sweep_budget, std::chrono::milliseconds(250));
  EXPECT_EQ(options->sweep_batch, 20);
  options = QualityOptions::FromEnvironment({{"ACCORD_QUALITY_SWEEP_BUDGET_MS", "0"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sweep_budget, std::chrono::milliseconds(0));
}

TEST(SweepOptionsTest, ABadBudgetIsRefusedByName) {
  for (const char* bad : {"-1", "soon", "", "3600001"}) {
    auto options = QualityOptions::FromEnvironment({{"ACCORD_QUALITY_SWEEP_BUDGET_MS", bad}});
    ASSERT_FALSE(options.ok()) << bad;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(options.status().message(), HasSubstr("ACCORD_QUALITY_SWEEP_BUDGET_MS")) << bad;
  }
}

}  // namespace
}  // namespace accord::quality
