// process_* metrics in the names Prometheus' own client libraries use, and accord_build_info, so
// that standard dashboards and alerts work on every Accord service unchanged.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "accord/common/metrics.h"

#ifndef ACCORD_VERSION
#define ACCORD_VERSION "unknown"
#endif
#ifndef ACCORD_COMMIT
#define ACCORD_COMMIT "unknown"
#endif

namespace accord::common {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

// Fields of /proc/self/stat after the command name (which may hold spaces and parentheses).
bool ReadProcStat(ProcStat& out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  // Numbered from 3 (state) as in proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  double utime = 0, stime = 0, starttime = 0, vsize = 0, rss = 0;
  for (int number = 3; fields >> field && number <= 24; ++number) {
    switch (number) {
      case 14:
        utime = std::stod(field);
        break;
      case 15:
        stime = std::stod(field);
        break;
      case 22:
        starttime = std::stod(field);
        break;
      case 23:
        vsize = std::stod(field);
        break;
      case 24:
        rss = std::stod(field);
        break;
      default:
        break;
    }
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double boot_time = 0;
  std::ifstream system_stat("/proc/stat");
  for (std::string key; system_stat >> key;) {
    if (key == "btime") {
      system_stat >> boot_time;
      break;
    }
    system_stat.ignore(1 << 20, '\n');
  }
  out.cpu_seconds = (utime + stime) / ticks;
  out.start_time_seconds = boot_time + starttime / ticks;
  out.virtual_bytes = vsize;
  out.resident_bytes = rss * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor of the listing itself
}

}  // namespace

void ExportProcessMetrics(MetricsRegistry& registry) {
  static std::mutex mutex;
  static std::set<MetricsRegistry*> exported;
  {
    std::lock_guard lock(mutex);
    if (!exported.insert(&registry).second) return;
  }
  registry
      .GetGauge("accord_build_info", "the running build: 1, labelled with its version and commit",
                {{"version", ACCORD_VERSION}, {"commit", ACCORD_COMMIT}})
      .Set(1);
  auto& cpu = registry.GetCounter("process_cpu_seconds_total",
                                  "user and system CPU time spent, in seconds");
  auto& resident = registry.GetGauge("process_resident_memory_bytes", "resident memory size");
  auto& virtual_memory = registry.GetGauge("process_virtual_memory_bytes", "virtual memory size");
  auto& start = registry.GetGauge("process_start_time_seconds",
                                  "start time of the process since the unix epoch, in seconds");
  auto& fds = registry.GetGauge("process_open_fds", "open file descriptors");
  auto& max_fds = registry.GetGauge("process_max_fds", "the limit of open file descriptors");
  registry.AddCollectHook([&cpu, &resident, &virtual_memory, &start, &fds, &max_fds] {
    ProcStat stat;
    if (ReadProcStat(stat)) {
      // The counter only goes up: add what was spent since the last scrape.
      const double delta = stat.cpu_seconds - cpu.value();
      if (delta > 0) cpu.Increment(delta);
      resident.Set(stat.resident_bytes);
      virtual_memory.Set(stat.virtual_bytes);
      start.Set(stat.start_time_seconds);
    }
    fds.Set(OpenFds());
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) max_fds.Set(static_cast<double>(limit.rlim_cur));
  });
}

}  // namespace accord::common
