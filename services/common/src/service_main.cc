// ServiceMain: the whole life of a service process (settings, migrations, serve, drain on a
// signal).
#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "absl/synchronization/mutex.h"
#include "accord/common/errors.h"
#include "accord/common/log.h"
#include "accord/common/migrations.h"
#include "accord/common/server.h"

namespace accord::common {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

int ServiceMain(int argc, char** argv, const ServiceDefinition& definition) {
  DisableMutexDeadlockDetection();
  // Termination signals are blocked in every thread and collected by sigwait below, so the
  // drain runs on an ordinary thread rather than in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ConfigReader config(argc, argv);
  // `migrate` needs the database and nothing else (migrate_command.cc).
  if (!config.positional().empty() && config.positional()[0] == "migrate") {
    return MigrateCommand(config, definition);
  }
  bool help = config.Bool("ACCORD_HELP", false, "print this help and exit");
  ServiceSettings settings = ReadServiceSettings(
      config, definition.name, definition.default_grpc_port, definition.default_metrics_port);
  settings.schema = definition.schema;
  const std::string command = config.positional().empty() ? "serve" : config.positional()[0];
  if (help) {
    std::cout << "usage: accord-" << definition.name << " [serve|migrate] [--flag=value ...]\n"
              << "Every setting is an environment variable or the matching flag:\n"
              << config.Usage();
    return 0;
  }
  if (auto status = config.Finish(); !status.ok()) {
    std::cerr << "accord-" << definition.name << ": " << status.message() << "\n";
    return 2;
  }
  if (command != "serve" && command != "migrate") {
    std::cerr << "accord-" << definition.name << ": unknown command '" << command
              << "' (expected serve or migrate)\n";
    return 2;
  }
  log::Init(definition.name, settings.log_level);
  SetErrorDomain(definition.name + ".accord");

  if (settings.migrate_on_start) {
    auto applied = ApplyMigrations(settings.pg.url, settings.schema, definition.migrations());
    if (!applied.ok()) {
      log::Error("migration failed", {{"error", std::string(applied.status().message())}});
      return 1;
    }
    log::Info("schema up to date",
              {{"schema", settings.schema}, {"applied", static_cast<int>(applied->size())}});
  }

  // A binary must not serve on a schema that lacks what it needs: its statements would fail at
  // run time, one call at a time. An unreachable database is waited for (until a signal).
  while (true) {
    auto missing = MissingMigrations(settings.pg.url, settings.schema, definition.migrations());
    if (missing.ok() && missing->empty()) break;
    if (missing.ok()) {
      log::Error("schema " + settings.schema +
                     " is older than this binary needs; apply its migrations first (accord-" +
                     definition.name + " migrate) and start again",
                 {{"schema", settings.schema}, {"missing", *missing}});
      return 3;
    }
    if (missing.status().code() != absl::StatusCode::kUnavailable) {
      log::Error("schema check failed", {{"error", std::string(missing.status().message())}});
      return 1;
    }
    log::Warn("schema check: database unreachable, retrying",
              {{"error", std::string(missing.status().message())}});
    timespec pause{2, 0};
    if (sigtimedwait(&signals, nullptr, &pause) > 0) return 0;
  }

  auto runtime = Runtime::Create(settings, definition.statements);
  if (!runtime.ok()) {
    log::Error("start-up failed", {{"error", std::string(runtime.status().message())}});
    return 1;
  }
  auto services = definition.make_services(**runtime);
  std::vector<grpc::Service*> raw;
  for (auto& service : services) raw.push_back(service.get());
  auto server = GrpcServer::Start(**runtime, raw, definition.access);
  if (!server.ok()) {
    log::Error("start-up failed", {{"error", std::string(server.status().message())}});
    return 1;
  }
  log::Info("serving", {{"grpc_port", (*server)->port()},
                        {"metrics_port", (*server)->metrics_port()},
                        {"address", settings.grpc_address}});
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log::Info("draining", {{"signal", signal_number}});
  (*server)->Drain();
  log::Info("stopped");
  return 0;
}

}  // namespace accord::common
