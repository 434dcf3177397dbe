#include "server_gauges.h"

#include "accord/common/metrics.h"

namespace accord::common {

void ExportServerGauges(const std::string& service, std::shared_ptr<std::atomic<Runtime*>> target) {
  auto& registry = MetricsRegistry::Global();
  auto& pool_open = registry.GetGauge("accord_pg_pool_connections", "open database connections",
                                      {{"service", service}, {"state", "open"}});
  auto& pool_in_use = registry.GetGauge("accord_pg_pool_connections", "open database connections",
                                        {{"service", service}, {"state", "in_use"}});
  auto& pool_waiting =
      registry.GetGauge("accord_pg_pool_waiting", "callers waiting for a database connection",
                        {{"service", service}});
  auto& queued = registry.GetGauge("accord_worker_queue_depth", "calls waiting for a worker",
                                   {{"service", service}});
  registry.AddCollectHook(
      [target = std::move(target), &pool_open, &pool_in_use, &pool_waiting, &queued] {
        Runtime* runtime = target->load();
        if (runtime == nullptr) return;
        auto stats = runtime->pg().stats();
        pool_open.Set(stats.size);
        pool_in_use.Set(stats.in_use);
        pool_waiting.Set(stats.waiting);
        queued.Set(static_cast<double>(runtime->workers().queued()));
      });
}

}  // namespace accord::common
