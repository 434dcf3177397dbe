// Revenue forecasts for account insights: simple exponential smoothing (SES) and Holt's linear
// trend, each fitted by a grid search over its smoothing constants, the one with the lower
// backtest error chosen. Pure, so the figures are unit-tested against hand-worked series.
//
// Method (also in README "Account insights"):
//   SES   level l_t = a*y_t + (1-a)*l_{t-1}, l_0 = y_0; forecast l_n for every horizon.
//   Holt  l_t = a*y_t + (1-a)*(l_{t-1}+b_{t-1}); b_t = b*(l_t-l_{t-1}) + (1-b)*b_{t-1};
//         l_0 = y_0, b_0 = y_1 - y_0; forecast l_n + h*b_n.
//   Fit   a, b in {0.1, 0.2, ..., 0.9}, minimising the sum of squared one-step errors from t = 2.
//   Pick  hold out the last k = clamp(n/4, 1, 3) points, fit each method on the rest and forecast
//         them; the lower mean absolute error wins (a tie goes to SES, the simpler one). MASE is
//         that error over the mean absolute one-step change of the training part (the naive
//         forecast's error); MAPE averages |error|/|actual| over non-zero actuals.
//   Range 95%: point +- 1.96*sigma*sqrt(v_h), sigma the RMS one-step error of the full fit,
//         v_h = 1+(h-1)a^2 (SES) or 1+sum_{j<h} a^2(1+j*b)^2 (Holt); revenue is never below 0,
//         so points and lower bounds are clamped at 0.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace accord::account {

enum class ForecastMethod { kSimpleExponentialSmoothing, kHoltLinearTrend };

// One-step fitted values (fitted[t] is the forecast of y[t] made at t-1; fitted[0] = y[0]) and
// the forecasts after the last point.
struct SmoothingFit {
  std::vector<double> fitted;
  double level = 0;
  double trend = 0;  // 0 for SES
  double alpha = 0;
  double beta = 0;  // 0 for SES
  double sse = 0;   // squared one-step errors from t = 2
};

SmoothingFit FitSes(const std::vector<double>& y, double alpha);
SmoothingFit FitHolt(const std::vector<double>& y, double alpha, double beta);
// The grid search described above.
SmoothingFit BestSes(const std::vector<double>& y);
SmoothingFit BestHolt(const std::vector<double>& y);
// h = 1, 2, ... forecasts of a fit.
double PointForecast(const SmoothingFit& fit, int h);

struct BacktestError {
  double mae = 0;
  std::optional<double> mape;  // percent; none when every actual was 0
  std::optional<double> mase;  // none when the training part never changed
};

// Errors of `predicted` against `actual`, MASE scaled by the naive error of `training`.
BacktestError MeasureErrors(const std::vector<double>& training, const std::vector<double>& actual,
                            const std::vector<double>& predicted);

struct ForecastPoint {
  int step = 0;  // 1 = the period after the last observed one
  double value = 0;
  double lower = 0;
  double upper = 0;
};

struct Forecast {
  bool sufficient = false;
  std::string insufficient_reason;  // set when !sufficient
  ForecastMethod method = ForecastMethod::kSimpleExponentialSmoothing;
  double alpha = 0;
  double beta = 0;
  int backtest_points = 0;
  BacktestError backtest;        // of the chosen method
  BacktestError other_backtest;  // of the method not chosen, for comparison
  std::vector<ForecastPoint> points;
};

inline constexpr int kMinForecastHistory = 6;

// Forecast of `horizon` periods after `y` (oldest first, complete periods only). Fewer than
// kMinForecastHistory points: insufficient, with the reason.
Forecast ForecastSeries(const std::vector<double>& y, int horizon);

std::string ForecastMethodName(ForecastMethod method);

}  // namespace accord::account
