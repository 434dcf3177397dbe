#include "insights_forecast.h"

#include <gtest/gtest.h>

namespace accord::account {
namespace {

TEST(InsightsForecast, SesByHand) {
  // l0 = 10; t1: forecast 10, l = 15; t2: forecast 15, l = 22.5.
  const SmoothingFit fit = FitSes({10, 20, 30}, 0.5);
  ASSERT_EQ(fit.fitted.size(), 3u);
  EXPECT_DOUBLE_EQ(fit.fitted[1], 10);
  EXPECT_DOUBLE_EQ(fit.fitted[2], 15);
  EXPECT_DOUBLE_EQ(fit.level, 22.5);
  EXPECT_DOUBLE_EQ(PointForecast(fit, 1), 22.5);
  EXPECT_DOUBLE_EQ(PointForecast(fit, 3), 22.5);
  EXPECT_DOUBLE_EQ(fit.sse, 15.0 * 15.0);  // from t = 2: (30 - 15)^2
}

TEST(InsightsForecast, HoltByHand) {
  // l0 = 10, b0 = 10; t1: 20 -> l 20, b 10; t2: 30 -> l 27.5, b 8.75;
  // t3: 36.25 -> l 38.125, b 9.6875.
  const SmoothingFit fit = FitHolt({10, 20, 25, 40}, 0.5, 0.5);
  EXPECT_DOUBLE_EQ(fit.fitted[1], 20);
  EXPECT_DOUBLE_EQ(fit.fitted[2], 30);
  EXPECT_DOUBLE_EQ(fit.fitted[3], 36.25);
  EXPECT_DOUBLE_EQ(fit.level, 38.125);
  EXPECT_DOUBLE_EQ(fit.trend, 9.6875);
  EXPECT_DOUBLE_EQ(PointForecast(fit, 1), 47.8125);
  EXPECT_DOUBLE_EQ(PointForecast(fit, 2), 57.5);
}

TEST(InsightsForecast, ErrorsByHand) {
  // Training 10, 12, 11, 15: naive error (2 + 1 + 4) / 3 = 7/3. Errors 2 and 4: MAE 3,
  // MAPE (2/20 + 4/10) / 2 = 25 %, MASE 3 / (7/3) = 9/7.
  const BacktestError error = MeasureErrors({10, 12, 11, 15}, {20, 10}, {18, 14});
  EXPECT_DOUBLE_EQ(error.mae, 3);
  ASSERT_TRUE(error.mape.has_value());
  EXPECT_DOUBLE_EQ(*error.mape, 25);
  ASSERT_TRUE(error.mase.has_value());
  EXPECT_DOUBLE_EQ(*error.mase, 9.0 / 7.0);
}

TEST(InsightsForecast, ErrorsWithoutScale) {
  const BacktestError error = MeasureErrors({5, 5, 5}, {0, 0}, {1, 3});
  EXPECT_DOUBLE_EQ(error.mae, 2);
  EXPECT_FALSE(error.mape.has_value());  // every actual was 0
  EXPECT_FALSE(error.mase.has_value());  // the training part never changed
}

TEST(InsightsForecast, BacktestPicksHoltOnATrend) {
  // 100, 110, ..., 210: Holt from l0 = 100, b0 = 10 is exact for any constants, SES lags.
  std::vector<double> y;
  for (int i = 0; i < 12; ++i) y.push_back(100 + 10 * i);
  const Forecast forecast = ForecastSeries(y, 3);
  ASSERT_TRUE(forecast.sufficient);
  EXPECT_EQ(forecast.method, ForecastMethod::kHoltLinearTrend);
  EXPECT_EQ(forecast.backtest_points, 3);  // 12 / 4
  EXPECT_NEAR(forecast.backtest.mae, 0, 1e-9);
  ASSERT_TRUE(forecast.backtest.mase.has_value());
  EXPECT_NEAR(*forecast.backtest.mase, 0, 1e-9);
  EXPECT_GT(forecast.other_backtest.mae, 0);
  ASSERT_EQ(forecast.points.size(), 3u);
  EXPECT_NEAR(forecast.points[0].value, 220, 1e-9);
  EXPECT_NEAR(forecast.points[2].value, 240, 1e-9);
  // A perfect fit leaves no error to widen the interval.
  EXPECT_NEAR(forecast.points[2].upper - forecast.points[2].lower, 0, 1e-9);
}

TEST(InsightsForecast, BacktestPicksSesOnALevelSeries) {
  // A level series: both methods are exact, and the tie goes to SES, the simpler one.
  const std::vector<double> y = {50, 50, 50, 50, 50, 50, 50, 50};
  const Forecast forecast = ForecastSeries(y, 2);
  ASSERT_TRUE(forecast.sufficient);
  EXPECT_EQ(forecast.method, ForecastMethod::kSimpleExponentialSmoothing);
  EXPECT_EQ(forecast.backtest_points, 2);
  EXPECT_NEAR(forecast.points[1].value, 50, 1e-9);
  EXPECT_FALSE(forecast.backtest.mase.has_value());  // a flat training part has no naive error
}

TEST(InsightsForecast, IntervalWidensWithTheHorizon) {
  const std::vector<double> y = {120, 80, 130, 90, 125, 85, 135, 95, 128, 88};
  const Forecast forecast = ForecastSeries(y, 3);
  ASSERT_TRUE(forecast.sufficient);
  ASSERT_TRUE(forecast.backtest.mape.has_value());
  for (const auto& point : forecast.points) {
    EXPECT_LE(point.lower, point.value);
    EXPECT_GE(point.upper, point.value);
  }
  EXPECT_GE(forecast.points[2].upper - forecast.points[2].lower,
            forecast.points[0].upper - forecast.points[0].lower);
  EXPECT_GT(forecast.points[0].upper - forecast.points[0].lower, 0);
}

TEST(InsightsForecast, ShortHistoryIsInsufficient) {
  const Forecast forecast = ForecastSeries({1, 2, 3, 4, 5}, 3);
  EXPECT_FALSE(forecast.sufficient);
  EXPECT_TRUE(forecast.points.empty());
  EXPECT_EQ(forecast.insufficient_reason,
            "insufficient history: 5 complete month(s), a forecast needs 6");
}

}  // namespace
}  // namespace accord::account
