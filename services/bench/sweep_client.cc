// accord-bench-sweep: the service-quality SLA sweeper's pass, timed against a database, for
// scripts/bench.sh --scale (cases). Runs the sweeper the service runs (Sweeper::SweepOnce over
// PgQualityRepository) --passes times one after the other and prints
// {"passes": [{"cases": changed, "complete": bool, "ms": duration}, ...]}. See --help.
#include <chrono>
#include <iostream>
#include <string>

#include "accord/common/pg.h"
#include "bench_args.h"
#include "pg_quality_repository.h"
#include "sweeper.h"

namespace {

constexpr const char* kUsage = R"(usage: accord-bench-sweep --pg-url=URL [options]

Runs the SLA sweeper's pass (due SLA checks in batches, then the close timeout, within the time
budget) on the service-quality schema at URL, --passes times, and prints each pass's changed
cases, whether it found nothing left due (complete) and its duration. A pass that stops on its
budget is followed by the next at once, as in the service.

Options:
  --passes=N             at most N passes (default 2)
  --until-complete       stop after the first pass that left nothing due
  --batch=N              cases per batch, as ACCORD_QUALITY_SWEEP_BATCH (default 50)
  --budget-ms=MS         as ACCORD_QUALITY_SWEEP_BUDGET_MS (default 600; 0 unbounded)
  --close-after-hours=H  as ACCORD_QUALITY_CLOSE_AFTER_HOURS (default 168)
)";

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  accord::common::PgOptions options;
  options.url = flags.Required("pg-url");
  options.pool_size = 2;
  options.statement_timeout = std::chrono::seconds(60);
  options.application_name = "accord-bench-sweep";
  const int passes = static_cast<int>(flags.Int("passes", 2));
  const bool until_complete = flags.Has("until-complete");
  const int batch = static_cast<int>(flags.Int("batch", 50));
  const auto budget = std::chrono::milliseconds(flags.Int("budget-ms", 600));
  const auto close_after = std::chrono::hours(flags.Int("close-after-hours", 168));
  flags.Finish();

  accord::common::PgPool pool(options, accord::quality::QualityStatements());
  accord::quality::PgQualityRepository repository(pool);
  accord::quality::Sweeper sweeper(repository, batch, close_after, accord::quality::SystemNow,
                                   budget);
  std::cout << "{\"passes\":[";
  for (int i = 0; i < passes; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto pass = sweeper.Pass(accord::quality::SystemNow());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (!pass.ok()) {
      std::cerr << "sweep: " << pass.status() << "\n";
      return 1;
    }
    std::cout << (i ? "," : "") << "{\"cases\":" << pass->changed
              << ",\"complete\":" << (pass->complete ? "true" : "false")
              << ",\"ms\":" << std::chrono::duration<double, std::milli>(elapsed).count() << "}";
    if (until_complete && pass->complete) break;
  }
  std::cout << "]}\n";
  return 0;
}
