// Structured JSON logs to stdout, one object per line. The request id and trace id of the RPC
// being served are stamped on every line written on its thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace accord::common::log {

void Init(std::string_view service, std::string_view level);

struct RequestContext {
  std::string request_id;
  std::string trace_id;
};

// Sets the thread's request context for its lifetime and restores the previous one after.
class ScopedRequestContext {
 public:
  explicit ScopedRequestContext(RequestContext context);
  ~ScopedRequestContext();
  ScopedRequestContext(const ScopedRequestContext&) = delete;
  ScopedRequestContext& operator=(const ScopedRequestContext&) = delete;

 private:
  RequestContext previous_;
};
const RequestContext& CurrentRequestContext();

// Whether debug lines are written; hot paths check it before building their fields.
bool DebugEnabled();

void Debug(std::string_view message, nlohmann::json fields = nlohmann::json::object());
void Info(std::string_view message, nlohmann::json fields = nlohmann::json::object());
void Warn(std::string_view message, nlohmann::json fields = nlohmann::json::object());
void Error(std::string_view message, nlohmann::json fields = nlohmann::json::object());

}  // namespace accord::common::log
