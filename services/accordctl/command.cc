#include "command.h"

#include <algorithm>
#include <functional>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "resource_cli.h"

namespace accord::accordctl {
namespace {

const FlagSpec kHelpFlag{"help", "", "Show this help."};
const FlagSpec kOutputFlag{.name = "output",
                           .value_name = "json|table",
                           .help = "Print JSON or an aligned table (-o).",
                           .short_name = 'o'};

std::string Join(const std::vector<std::string>& words, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < words.size(); ++i) {
    if (i > 0) out += ' ';
    out += words[i];
  }
  return out;
}

bool IsHelpToken(const std::string& token) {
  return token == "--help" || token == "-h" || token == "--help=true";
}

}  // namespace

int Invocation::UsageError(const std::string& message) const {
  err << "error: " << message << "\n"
      << "Run 'accordctl " << spec.FullName() << " --help' for usage.\n";
  return kExitUsage;
}

std::string CommandSpec::FullName() const { return Join(path, path.size()); }

void Registry::Add(CommandSpec spec) {
  spec.flags.push_back(kOutputFlag);
  spec.flags.push_back(kHelpFlag);
  commands_.push_back(std::move(spec));
}

void Registry::AddGroup(std::string name, std::string summary) {
  groups_.push_back({std::move(name), std::move(summary)});
}

const CommandSpec* Registry::Find(const std::vector<std::string>& words, size_t* used) const {
  const CommandSpec* best = nullptr;
  size_t best_len = 0;
  for (const auto& spec : commands_) {
    size_t n = spec.path.size();
    if (n > words.size() || n <= best_len) continue;
    if (std::equal(spec.path.begin(), spec.path.end(), words.begin())) {
      best = &spec;
      best_len = n;
    }
  }
  *used = best_len;
  return best;
}

std::vector<const CommandSpec*> Registry::InGroup(const std::string& group) const {
  std::vector<const CommandSpec*> out;
  for (const auto& spec : commands_) {
    if (spec.path.size() > 1 && spec.path[0] == group) out.push_back(&spec);
  }
  return out;
}

const Registry::Group* Registry::FindGroup(const std::string& name) const {
  for (const auto& group : groups_) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

void Registry::PrintOverview(std::ostream& os) const {
  os << "accordctl: command-line client for the Accord services.\n\n"
     << "Usage:\n  accordctl <command> [flags] [args]\n\nCommands:\n";
  // Top-level commands first, then groups, each in registration order.
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& spec : commands_) {
    if (spec.path.size() == 1) rows.emplace_back(spec.path[0], spec.summary);
  }
  for (const auto& group : groups_) {
    for (const auto* spec : InGroup(group.name)) {
      rows.emplace_back(spec->FullName(), spec->summary);
    }
  }
  rows.emplace_back("help [COMMAND]", "Show help for a command.");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [name, summary] : rows) {
    os << "  " << std::left << std::setw(static_cast<int>(width) + 2) << name << summary << "\n";
  }
  os << "\nRun 'accordctl <command> --help' for a command's flags.\n\n"
     << "Environment:\n"
     << "  ACCORD_ACCOUNT_ADDR, ACCORD_CONTACT_ADDR, ACCORD_PRICING_TERMS_ADDR,\n"
     << "  ACCORD_SERVICE_QUALITY_ADDR   service addresses (default 127.0.0.1:50051..50054)\n"
     << "  ACCORD_TOKEN                  bearer token sent with every RPC\n"
     << "  ACCORD_JWT_SECRET             HS256 secret for minting dev tokens\n"
     << "  ACCORD_JWT_ISSUER, ACCORD_JWT_AUDIENCE  claims of minted tokens\n"
     << "                                (default accord-dev, accord)\n\n"
     << "Exit codes: 0 success, 1 RPC error or failed check, 2 usage error.\n";
}

void Registry::PrintGroup(const std::string& group, std::ostream& os) const {
  const Group* info = FindGroup(group);
  if (info != nullptr) os << info->summary << "\n\n";
  os << "Usage:\n  accordctl " << group << " <command> [flags] [args]\n\nCommands:\n";
  auto specs = InGroup(group);
  size_t width = 0;
  for (const auto* spec : specs) width = std::max(width, spec->path.back().size());
  for (const auto* spec : specs) {
    os << "  " << std::left << std::setw(static_cast<int>(width) + 2) << spec->path.back()
       << spec->summary << "\n";
  }
  os << "\nRun 'accordctl " << group << " <command> --help' for a command's flags.\n";
}

void Registry::PrintCommand(const CommandSpec& spec, std::ostream& os) {
  os << spec.summary << "\n\nUsage:\n  accordctl " << spec.FullName();
  if (!spec.synopsis.empty()) os << " " << spec.synopsis;
  if (spec.flags.size() > 1) os << " [flags]";
  os << "\n";
  if (!spec.description.empty()) os << "\n" << spec.description << "\n";
  auto print_flags = [&](const char* title, bool connection) {
    std::vector<std::pair<std::string, const FlagSpec*>> rows;
    size_t width = 0;
    for (const auto& flag : spec.flags) {
      if (flag.connection != connection) continue;
      std::string text = "--" + flag.name;
      if (!flag.is_bool()) text += " " + flag.value_name;
      width = std::max(width, text.size());
      rows.emplace_back(std::move(text), &flag);
    }
    if (rows.empty()) return;
    os << "\n" << title << ":\n";
    for (const auto& [text, flag] : rows) {
      os << "  " << std::left << std::setw(static_cast<int>(width) + 2) << text;
      if (flag->required) os << "(required) ";
      os << flag->help;
      if (flag->repeated) os << " Repeatable.";
      os << "\n";
    }
  };
  print_flags("Flags", false);
  print_flags("Connection flags", true);
}

int Registry::Help(const std::vector<std::string>& words, std::ostream& out,
                   std::ostream& err) const {
  if (words.empty()) {
    PrintOverview(out);
    return kExitOk;
  }
  size_t used = 0;
  const CommandSpec* spec = Find(words, &used);
  if (spec != nullptr && used == words.size()) {
    PrintCommand(*spec, out);
    return kExitOk;
  }
  if (words.size() == 1 && !InGroup(words[0]).empty()) {
    PrintGroup(words[0], out);
    return kExitOk;
  }
  err << "error: unknown command '" << Join(words, words.size()) << "'\n"
      << "Run 'accordctl help' for the list of commands.\n";
  return kExitUsage;
}

int Registry::Run(const std::vector<std::string>& argv, std::ostream& out,
                  std::ostream& err) const {
  if (argv.empty()) {
    PrintOverview(err);
    return kExitUsage;
  }
  if (argv[0] == "help" || IsHelpToken(argv[0])) {
    std::vector<std::string> words(argv.begin() + 1, argv.end());
    words.erase(std::remove_if(words.begin(), words.end(), IsHelpToken), words.end());
    return Help(words, out, err);
  }

  size_t used = 0;
  const CommandSpec* spec = Find(argv, &used);
  if (spec == nullptr) {
    // A group name alone, or a group with a bad/missing subcommand.
    if (!InGroup(argv[0]).empty()) {
      bool wants_help = argv.size() == 1 || IsHelpToken(argv[1]);
      if (wants_help) {
        PrintGroup(argv[0], argv.size() == 1 ? err : out);
        return argv.size() == 1 ? kExitUsage : kExitOk;
      }
      err << "error: unknown command '" << argv[0] << " " << argv[1] << "'\n"
          << "Run 'accordctl " << argv[0] << " --help' for its commands.\n";
      return kExitUsage;
    }
    err << "error: unknown command '" << argv[0] << "'\n"
        << "Run 'accordctl help' for the list of commands.\n";
    return kExitUsage;
  }

  std::vector<std::string> rest(argv.begin() + static_cast<std::ptrdiff_t>(used), argv.end());
  ParseResult parsed = ArgParser::Parse(spec->flags, rest);
  if (parsed.ok() && parsed.args.Bool("help")) {
    PrintCommand(*spec, out);
    return kExitOk;
  }
  Invocation inv{*spec, parsed.args, out, err};
  if (!parsed.ok()) return inv.UsageError(parsed.error);
  if (auto format = parsed.args.Get("output")) {
    if (*format == "json") {
      inv.output = OutputFormat::kJson;
    } else if (*format == "table") {
      inv.output = OutputFormat::kTable;
    } else {
      return inv.UsageError("bad -o '" + *format + "' (json or table)");
    }
  }
  std::string missing;
  for (const auto& flag : spec->flags) {
    if (flag.required && !parsed.args.Has(flag.name)) {
      missing += (missing.empty() ? "--" : ", --") + flag.name;
    }
  }
  if (!missing.empty()) {
    return inv.UsageError("missing required flag" +
                          std::string(missing.find(',') == std::string::npos ? " " : "s ") +
                          missing);
  }
  size_t n = parsed.args.positional().size();
  if (n < spec->min_positional) {
    return inv.UsageError("missing argument" +
                          (spec->synopsis.empty() ? std::string() : " " + spec->synopsis));
  }
  if (n > spec->max_positional) {
    return inv.UsageError("unexpected argument '" + parsed.args.positional()[spec->max_positional] +
                          "'");
  }
  if (!inv.wants_table() || spec->formats_table) return spec->run(inv);
  // The command prints JSON (one object, or one per line); the table is made from it. Output
  // that is not JSON (a command's own table, a bare value) is passed on as it is.
  std::ostringstream captured;
  Invocation capturing{*spec, parsed.args, captured, err, inv.output};
  const int code = spec->run(capturing);
  out << JsonAsTable(captured.str());
  out.flush();
  return code;
}

std::string JsonAsTable(const std::string& text) {
  using Json = nlohmann::ordered_json;
  std::vector<Json> values;
  // One resource is printed pretty (over several lines); a list, one object per line.
  const size_t end = text.find_last_not_of(" \t\r\n");
  const bool one_line = end == std::string::npos || text.find('\n') >= end;
  bool single = false;
  if (auto whole = Json::parse(text, nullptr, false); !whole.is_discarded() && !one_line) {
    values.push_back(std::move(whole));
    single = true;
  } else {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto value = Json::parse(line, nullptr, false);
      if (value.is_discarded()) return text;
      values.push_back(std::move(value));
    }
  }
  if (values.empty()) return text;
  auto scalar = [](const Json& value, size_t limit) {
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (shown.size() > limit) shown = shown.substr(0, limit - 3) + "...";
    return shown;
  };
  std::vector<std::vector<std::string>> rows;
  if (single && values[0].is_object()) {
    // One resource: a row per field, nested messages flattened to dotted paths.
    rows.push_back({"FIELD", "VALUE"});
    std::function<void(const std::string&, const Json&)> add = [&](const std::string& path,
                                                                   const Json& value) {
      if (value.is_object() && !value.empty()) {
        for (const auto& [key, child] : value.items())
          add(path.empty() ? key : path + "." + key, child);
      } else {
        rows.push_back({path, scalar(value, 1 << 20)});
      }
    };
    add("", values[0]);
  } else {
    // A list: a column per top-level field, in the order the fields first appear.
    std::vector<std::string> columns;
    for (const auto& value : values) {
      if (!value.is_object()) return text;
      for (const auto& [key, child] : value.items()) {
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
      }
    }
    rows.emplace_back();
    for (const auto& column : columns) {
      std::string header = column;
      for (auto& c : header) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      rows.back().push_back(header);
    }
    for (const auto& value : values) {
      rows.emplace_back();
      for (const auto& column : columns) {
        rows.back().push_back(value.contains(column) ? scalar(value[column], 48) : "-");
      }
    }
  }
  std::ostringstream table;
  cli::PrintTable(table, rows);
  return table.str();
}

}  // namespace accord::accordctl
