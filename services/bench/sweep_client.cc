// accord-bench-sweep: the service-quality SLA sweeper's pass, timed against a database, for
// scripts/bench.sh --scale (cases). Runs the sweeper the service runs (Sweeper::SweepOnce over
// PgQualityRepository) --passes times one after the other and prints
// {"passes": [{"cases": changed, "ms": duration}, ...]}. See --help.
#include <chrono>
#include <iostream>
#include <string>

#include "accord/common/pg.h"
#include "bench_args.h"
#include "pg_quality_repository.h"
#include "sweeper.h"

namespace {

constexpr const char* kUsage = R"(usage: accord-bench-sweep --pg-url=URL [options]

Runs the SLA sweeper's full pass (due SLA checks in batches, then the close timeout) on the
service-quality schema at URL, --passes times, and prints each pass's changed cases and duration.
The first pass finds what is due; the next ones show a pass with nothing left to do.

Options:
  --passes=N             default 2
  --batch=N              cases per batch, as ACCORD_QUALITY_SWEEP_BATCH (default 500)
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
  const int batch = static_cast<int>(flags.Int("batch", 500));
  const auto close_after = std::chrono::hours(flags.Int("close-after-hours", 168));
  flags.Finish();

  accord::common::PgPool pool(options, accord::quality::QualityStatements());
  accord::quality::PgQualityRepository repository(pool);
  accord::quality::Sweeper sweeper(repository, batch, close_after);
  std::cout << "{\"passes\":[";
  for (int i = 0; i < passes; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto changed = sweeper.SweepOnce(accord::quality::SystemNow());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (!changed.ok()) {
      std::cerr << "sweep: " << changed.status() << "\n";
      return 1;
    }
    std::cout << (i ? "," : "") << "{\"cases\":" << *changed
              << ",\"ms\":" << std::chrono::duration<double, std::milli>(elapsed).count() << "}";
  }
  std::cout << "]}\n";
  return 0;
}
