// A raw HTTP exchange with a local server (the metrics endpoint), for tests.
#pragma once

#include <string>

namespace accord::testing {

// Sends `request` to 127.0.0.1:port over a plain socket and returns everything read until the
// server closes the connection (a test failure if it cannot connect).
std::string HttpExchange(int port, const std::string& request);

// GET /metrics: the exposition text, headers included.
std::string ScrapeMetrics(int port);

}  // namespace accord::testing
