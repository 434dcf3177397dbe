// The gauges a running server exports about its runtime (database pool, worker queue).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "accord/common/server.h"

namespace accord::common {

// Registers a collect hook that reads the runtime `target` points to at each scrape; it reads
// nothing once `target` holds null (the registry outlives servers: tests start several).
void ExportServerGauges(const std::string& service, std::shared_ptr<std::atomic<Runtime*>> target);

}  // namespace accord::common
