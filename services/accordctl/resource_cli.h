// Helpers shared by the resource commands (accounts, teams, needs):
// enum flags, resource names given in full or short, aligned tables and paging through lists.
#pragma once

#include <grpcpp/support/status.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "accord/common/v1/types.pb.h"
#include "command.h"
#include "rpc.h"

namespace accord::accordctl::cli {

struct EnumName {
  const char* text;
  int value;
};

// accord.common.v1.CommunicationChannel, as contacts and cases name it on the command line.
inline constexpr EnumName kCommunicationChannels[] = {
    {"phone", ::accord::common::v1::COMMUNICATION_CHANNEL_PHONE},
    {"email", ::accord::common::v1::COMMUNICATION_CHANNEL_EMAIL},
    {"meeting", ::accord::common::v1::COMMUNICATION_CHANNEL_MEETING},
    {"video", ::accord::common::v1::COMMUNICATION_CHANNEL_VIDEO},
    {"letter", ::accord::common::v1::COMMUNICATION_CHANNEL_LETTER},
    {"sms", ::accord::common::v1::COMMUNICATION_CHANNEL_SMS},
    {"tty", ::accord::common::v1::COMMUNICATION_CHANNEL_TTY},
    {"sign-language", ::accord::common::v1::COMMUNICATION_CHANNEL_SIGN_LANGUAGE},
    {"web", ::accord::common::v1::COMMUNICATION_CHANNEL_WEB},
};

template <size_t N>
std::string Choices(const EnumName (&names)[N]) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += "|";
    out += name.text;
  }
  return out;
}

// Accepts "executive-sponsor", "executive_sponsor" or "EXECUTIVE-SPONSOR".
template <size_t N>
std::optional<int> ParseEnum(const EnumName (&names)[N], std::string text) {
  for (auto& c : text) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const auto& name : names) {
    if (text == name.text) return name.value;
  }
  return std::nullopt;
}

template <size_t N>
std::string EnumText(const EnumName (&names)[N], int value) {
  for (const auto& name : names) {
    if (name.value == value) return name.text;
  }
  return value == 0 ? "-" : std::to_string(value);
}

inline std::vector<FlagSpec> WithRpcFlags(std::vector<FlagSpec> flags) {
  for (auto& flag : RpcFlags()) flags.push_back(std::move(flag));
  return flags;
}

// "accounts/ID", a bare "ID", or "-" (every account) -> "accounts/..."; nullopt otherwise.
inline std::optional<std::string> ParentName(const std::string& text) {
  constexpr std::string_view kPrefix = "accounts/";
  std::string id = text.rfind(kPrefix, 0) == 0 ? text.substr(kPrefix.size()) : text;
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  return std::string(kPrefix) + id;
}

// "accounts/A/<collection>/ID" as given; nullopt when it does not have that shape.
inline std::optional<std::string> ChildName(const std::string& text, std::string_view collection) {
  constexpr std::string_view kPrefix = "accounts/";
  if (text.rfind(kPrefix, 0) != 0) return std::nullopt;
  const size_t slash = text.find('/', kPrefix.size());
  if (slash == std::string::npos || slash == kPrefix.size()) return std::nullopt;
  const std::string rest = text.substr(slash + 1);
  if (rest.rfind(std::string(collection) + "/", 0) != 0) return std::nullopt;
  const std::string id = rest.substr(collection.size() + 1);
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  return text;
}

// Prints rows (the first is the header) as left-aligned columns.
inline void PrintTable(std::ostream& os, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << "\n";
  }
}

// The flags of every `list` command.
inline std::vector<FlagSpec> ListFlags(const std::string& order_help,
                                       const std::string& table_help) {
  return WithRpcFlags({
      {"filter", "F", "Filter expression (see README \"Filtering\")."},
      {"order-by", "O", order_help},
      {"page-size", "N", "Items per page (server default 50, at most 1000)."},
      {"page-token", "T", "Continue from a previous page."},
      {"all", "", "Follow next_page_token until the last page."},
      {"table", "", table_help},
  });
}

// Reads --filter, --order-by, --page-token and --page-size into a List request. Returns false
// (after a usage error) on a bad page size.
template <typename Request>
bool FillListRequest(const Invocation& inv, Request* request) {
  request->set_filter(inv.args.GetOr("filter", ""));
  request->set_order_by(inv.args.GetOr("order-by", ""));
  request->set_page_token(inv.args.GetOr("page-token", ""));
  if (auto text = inv.args.Get("page-size")) {
    auto size = ParseInt(*text, 0, std::numeric_limits<int32_t>::max());
    if (!size) {
      inv.UsageError("bad --page-size '" + *text + "'");
      return false;
    }
    request->set_page_size(static_cast<int32_t>(*size));
  }
  return true;
}

// Pages through a List RPC as `accounts list` does: JSON lines (or a table at the end), --all
// follows next_page_token, and without it the next token goes to stderr. `fetch` makes one call
// and appends the page's items to `items`; `row` turns an item into a table row.
template <typename Request, typename Item>
int RunListPages(const Invocation& inv, Request request,
                 const std::function<grpc::Status(const Request&, std::vector<Item>* items,
                                                  std::string* next_page_token)>& fetch,
                 const std::vector<std::string>& header,
                 const std::function<std::vector<std::string>(const Item&)>& row) {
  const bool all = inv.args.Bool("all");
  const bool table = inv.args.Bool("table") || inv.wants_table();
  std::vector<std::vector<std::string>> rows = {header};
  std::string next_page_token;
  while (true) {
    std::vector<Item> items;
    grpc::Status status = fetch(request, &items, &next_page_token);
    if (!status.ok()) return ReportRpcError(status, inv.err);
    for (const auto& item : items) {
      if (table) {
        rows.push_back(row(item));
      } else {
        inv.out << ToJson(item, /*pretty=*/false) << "\n";
      }
    }
    if (!all || next_page_token.empty()) break;
    if (next_page_token == request.page_token()) {
      inv.err << "error: the server returned the same page token twice; stopping\n";
      return kExitFailure;
    }
    request.set_page_token(next_page_token);
  }
  if (table) PrintTable(inv.out, rows);
  inv.out.flush();
  if (!all && !next_page_token.empty()) {
    inv.err << "next page: --page-token " << next_page_token << "\n";
  }
  return kExitOk;
}

}  // namespace accord::accordctl::cli
