// The command registry: each command is a path of words ("accounts create"), its flags, a help
// text and a handler. Areas register their commands in one function each (see commands.h), so a
// new area (contacts, events, ...) is one new source file plus one line in main.cc.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "args.h"

namespace accord::accordctl {

// Process exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // an RPC failed or a check did not pass
inline constexpr int kExitUsage = 2;    // bad command line or missing configuration

struct CommandSpec;

// `-o json|table`, which every command takes. kDefault is the command's own format: JSON for the
// resource commands (a table of it is made from their JSON by the registry), text for a few.
enum class OutputFormat { kDefault, kJson, kTable };

// What a handler gets: its spec, the parsed arguments and where to write.
struct Invocation {
  const CommandSpec& spec;
  const ParsedArgs& args;
  std::ostream& out;
  std::ostream& err;
  OutputFormat output = OutputFormat::kDefault;

  bool wants_json() const { return output == OutputFormat::kJson; }
  bool wants_table() const { return output == OutputFormat::kTable; }

  // Prints "error: <message>" and a pointer to --help; returns kExitUsage.
  int UsageError(const std::string& message) const;
};

struct CommandSpec {
  // Default member initializers let registrations use designated initializers and skip fields.
  std::vector<std::string> path{};  // e.g. {"accounts", "create"}
  std::string synopsis{};           // positional part of the usage line, e.g. "NAME"
  std::string summary{};            // one line, shown in listings
  std::string description{};        // optional longer text for --help
  std::vector<FlagSpec> flags{};    // `--help` is added by the registry
  size_t min_positional = 0;
  size_t max_positional = 0;
  std::function<int(const Invocation&)> run{};
  // The command prints `-o table` itself, as it goes (a stream); otherwise the registry turns the
  // JSON it printed into a table after it returns.
  bool formats_table = false;

  std::string FullName() const;  // "accounts create"
};

class Registry {
 public:
  void Add(CommandSpec spec);
  // Describes a command group ("accounts") shown by `accordctl accounts --help`.
  void AddGroup(std::string name, std::string summary);

  // Runs `argv` (without the program name). Handles `help`, `--help` and usage errors.
  int Run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) const;

  void PrintOverview(std::ostream& os) const;

 private:
  struct Group {
    std::string name;
    std::string summary;
  };
  // The command whose path is the longest prefix of `words`, and how many words it used.
  const CommandSpec* Find(const std::vector<std::string>& words, size_t* used) const;
  std::vector<const CommandSpec*> InGroup(const std::string& group) const;
  const Group* FindGroup(const std::string& name) const;
  void PrintGroup(const std::string& group, std::ostream& os) const;
  static void PrintCommand(const CommandSpec& spec, std::ostream& os);
  int Help(const std::vector<std::string>& words, std::ostream& out, std::ostream& err) const;

  std::vector<CommandSpec> commands_;
  std::vector<Group> groups_;
};

// A command's JSON output (one object, or one per line) as an aligned table; any other text as
// it is.
std::string JsonAsTable(const std::string& text);

}  // namespace accord::accordctl
