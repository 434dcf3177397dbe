#include "insights_forecast.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace accord::account {
namespace {

constexpr double kZ95 = 1.96;

double SquaredErrorsFrom2(const std::vector<double>& y, const std::vector<double>& fitted) {
  double sse = 0;
  for (size_t t = 2; t < y.size(); ++t) sse += (y[t] - fitted[t]) * (y[t] - fitted[t]);
  return sse;
}

std::vector<double> Grid() {
  std::vector<double> grid;
  for (int i = 1; i <= 9; ++i) grid.push_back(i / 10.0);
  return grid;
}

std::vector<double> Forecasts(const SmoothingFit& fit, int horizon) {
  std::vector<double> out;
  for (int h = 1; h <= horizon; ++h) out.push_back(PointForecast(fit, h));
  return out;
}

// Variance factor v_h of the h-step forecast (see the header).
double VarianceFactor(ForecastMethod method, const SmoothingFit& fit, int h) {
  if (method == ForecastMethod::kSimpleExponentialSmoothing) {
    return 1 + (h - 1) * fit.alpha * fit.alpha;
  }
  double v = 1;
  for (int j = 1; j < h; ++j) {
    const double c = fit.alpha * (1 + j * fit.beta);
    v += c * c;
  }
  return v;
}

}  // namespace

SmoothingFit FitSes(const std::vector<double>& y, double alpha) {
  SmoothingFit fit;
  fit.alpha = alpha;
  if (y.empty()) return fit;
  fit.fitted.push_back(y[0]);
  double level = y[0];
  for (size_t t = 1; t < y.size(); ++t) {
    fit.fitted.push_back(level);
    level = alpha * y[t] + (1 - alpha) * level;
  }
  fit.level = level;
  fit.sse = SquaredErrorsFrom2(y, fit.fitted);
  return fit;
}

SmoothingFit FitHolt(const std::vector<double>& y, double alpha, double beta) {
  SmoothingFit fit;
  fit.alpha = alpha;
  fit.beta = beta;
  if (y.empty()) return fit;
  fit.fitted.push_back(y[0]);
  double level = y[0];
  double trend = y.size() > 1 ? y[1] - y[0] : 0;
  for (size_t t = 1; t < y.size(); ++t) {
    fit.fitted.push_back(level + trend);
    const double previous = level;
    level = alpha * y[t] + (1 - alpha) * (level + trend);
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  fit.level = level;
  fit.trend = trend;
  fit.sse = SquaredErrorsFrom2(y, fit.fitted);
  return fit;
}

SmoothingFit BestSes(const std::vector<double>& y) {
  SmoothingFit best = FitSes(y, 0.1);
  for (double alpha : Grid()) {
    SmoothingFit fit = FitSes(y, alpha);
    if (fit.sse < best.sse) best = std::move(fit);
  }
  return best;
}

SmoothingFit BestHolt(const std::vector<double>& y) {
  SmoothingFit best = FitHolt(y, 0.1, 0.1);
  for (double alpha : Grid()) {
    for (double beta : Grid()) {
      SmoothingFit fit = FitHolt(y, alpha, beta);
      if (fit.sse < best.sse) best = std::move(fit);
    }
  }
  return best;
}

double PointForecast(const SmoothingFit& fit, int h) { return fit.level + h * fit.trend; }

BacktestError MeasureErrors(const std::vector<double>& training, const std::vector<double>& actual,
                            const std::vector<double>& predicted) {
  BacktestError error;
  if (actual.empty()) return error;
  double absolute = 0;
  double percent = 0;
  int nonzero = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double e = std::fabs(actual[i] - predicted[i]);
    absolute += e;
    if (actual[i] != 0) {
      percent += e / std::fabs(actual[i]);
      ++nonzero;
    }
  }
  error.mae = absolute / static_cast<double>(actual.size());
  if (nonzero > 0) error.mape = 100 * percent / nonzero;
  double naive = 0;
  for (size_t t = 1; t < training.size(); ++t) naive += std::fabs(training[t] - training[t - 1]);
  if (training.size() > 1 && naive > 0) {
    error.mase = error.mae / (naive / static_cast<double>(training.size() - 1));
  }
  return error;
}

Forecast ForecastSeries(const std::vector<double>& y, int horizon) {
  Forecast forecast;
  const int n = static_cast<int>(y.size());
  if (n < kMinForecastHistory) {
    forecast.insufficient_reason = absl::StrCat(
        "insufficient history: ", n, " complete month(s), a forecast needs ", kMinForecastHistory);
    return forecast;
  }
  forecast.sufficient = true;
  const int k = std::clamp(n / 4, 1, 3);
  const std::vector<double> training(y.begin(), y.end() - k);
  const std::vector<double> held(y.end() - k, y.end());
  const BacktestError ses = MeasureErrors(training, held, Forecasts(BestSes(training), k));
  const BacktestError holt = MeasureErrors(training, held, Forecasts(BestHolt(training), k));
  forecast.backtest_points = k;
  const bool use_holt = holt.mae < ses.mae;
  forecast.method =
      use_holt ? ForecastMethod::kHoltLinearTrend : ForecastMethod::kSimpleExponentialSmoothing;
  forecast.backtest = use_holt ? holt : ses;
  forecast.other_backtest = use_holt ? ses : holt;

  const SmoothingFit fit = use_holt ? BestHolt(y) : BestSes(y);
  forecast.alpha = fit.alpha;
  forecast.beta = fit.beta;
  const int residuals = std::max(1, n - 2);
  const double sigma = std::sqrt(fit.sse / residuals);
  for (int h = 1; h <= horizon; ++h) {
    ForecastPoint point;
    point.step = h;
    const double value = PointForecast(fit, h);
    const double half = kZ95 * sigma * std::sqrt(VarianceFactor(forecast.method, fit, h));
    point.value = std::max(0.0, value);
    point.lower = std::max(0.0, value - half);
    point.upper = std::max(0.0, value + half);
    forecast.points.push_back(point);
  }
  return forecast;
}

std::string ForecastMethodName(ForecastMethod method) {
  return method == ForecastMethod::kHoltLinearTrend ? "holt_linear_trend"
                                                    : "simple_exponential_smoothing";
}

}  // namespace accord::account
