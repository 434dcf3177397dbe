#include "accord/common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

namespace accord::common::log {
namespace {

struct State {
  std::string service = "accord";
  std::shared_ptr<spdlog::logger> logger;
};

State& GlobalState() {
  static State state;
  return state;
}

thread_local RequestContext current_context;

spdlog::logger& Logger() {
  auto& state = GlobalState();
  if (!state.logger) {
    // stdout_sink_mt writes each formatted line under one lock, so lines never interleave.
    state.logger = std::make_shared<spdlog::logger>(
        "accord", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    state.logger->set_pattern("%v");
    state.logger->flush_on(spdlog::level::info);
  }
  return *state.logger;
}

std::string Timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto seconds = system_clock::to_time_t(now);
  auto micros = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buffer + n, sizeof(buffer) - n, ".%06ldZ", static_cast<long>(micros));
  return buffer;
}

void Write(spdlog::level::level_enum level, std::string_view level_name, std::string_view message,
           nlohmann::json fields) {
  auto& logger = Logger();
  if (!logger.should_log(level)) return;
  // Ordered, so every line starts with ts, level, service and msg.
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["ts"] = Timestamp();
  line["level"] = level_name;
  line["service"] = GlobalState().service;
  line["msg"] = message;
  line["request_id"] = current_context.request_id;
  line["trace_id"] = current_context.trace_id;
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) line[key] = value;
  }
  logger.log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void Init(std::string_view service, std::string_view level) {
  GlobalState().service = std::string(service);
  Logger().set_level(spdlog::level::from_str(std::string(level)));
}

ScopedRequestContext::ScopedRequestContext(RequestContext context)
    : previous_(std::move(current_context)) {
  current_context = std::move(context);
}

ScopedRequestContext::~ScopedRequestContext() { current_context = std::move(previous_); }

const RequestContext& CurrentRequestContext() { return current_context; }

bool DebugEnabled() { return Logger().should_log(spdlog::level::debug); }

void Debug(std::string_view message, nlohmann::json fields) {
  Write(spdlog::level::debug, "debug", message, std::move(fields));
}
void Info(std::string_view message, nlohmann::json fields) {
  Write(spdlog::level::info, "info", message, std::move(fields));
}
void Warn(std::string_view message, nlohmann::json fields) {
  Write(spdlog::level::warn, "warn", message, std::move(fields));
}
void Error(std::string_view message, nlohmann::json fields) {
  Write(spdlog::level::err, "error", message, std::move(fields));
}

}  // namespace accord::common::log
