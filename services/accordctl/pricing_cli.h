// Helpers shared by the pricing-terms commands (price-lists, items, terms, quote, quotes,
// sales): the service's channel, dates, exact decimal amounts and percentages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accord/common/v1/date.pb.h"
#include "accord/common/v1/money.pb.h"
#include "command.h"
#include "resource_cli.h"
#include "rpc.h"
#include "service_cli.h"

namespace accord::accordctl::pricing_cli {

// The pricing-terms service's client and call shapes (service_cli.h).
inline constexpr char kService[] = "pricing-terms";
using service_cli::Client;
using service_cli::Named;
using service_cli::PrintResult;

// nullopt after a usage error (bad connection flags).
template <typename Service>
std::optional<Client<Service>> Connect(const Invocation& inv) {
  return service_cli::Connect<Service>(inv, kService);
}

template <typename Service, typename Request, typename Response>
int CallAndPrint(const Invocation& inv,
                 grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                       Response*),
                 const Request& request) {
  return service_cli::CallAndPrint<Service>(inv, kService, method, request);
}

template <typename Service, typename Request, typename Response, typename Item>
int ListPages(
    const Invocation& inv, Request request,
    grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const std::function<const google::protobuf::RepeatedPtrField<Item>&(const Response&)>& items_of,
    const std::vector<std::string>& header,
    const std::function<std::vector<std::string>(const Item&)>& row) {
  return service_cli::ListPages<Service, Request, Response, Item>(inv, kService, request, method,
                                                                  items_of, header, row);
}

// "YYYY-MM-DD" -> Date (the server checks that the day exists).
inline std::optional<common::v1::Date> ParseDate(const std::string& text) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3) {
    return std::nullopt;
  }
  common::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

inline std::string DateText(const common::v1::Date& date) {
  if (date.year() == 0) return "-";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buffer;
}

// An exact decimal ("12.5", "0.0125", "-3") as units and nanos: no floating point.
inline std::optional<common::v1::Money> ParseAmount(const std::string& text,
                                                    const std::string& currency) {
  if (text.empty()) return std::nullopt;
  size_t at = 0;
  const bool negative = text[0] == '-';
  if (negative) at = 1;
  int64_t units = 0;
  int64_t nanos = 0;
  int digits = 0;
  bool seen_digit = false, in_fraction = false;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (c == '.' && !in_fraction) {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    seen_digit = true;
    if (in_fraction) {
      if (++digits > 9) return std::nullopt;
      nanos = nanos * 10 + (c - '0');
    } else {
      if (units > 922337203685477579) return std::nullopt;
      units = units * 10 + (c - '0');
    }
  }
  if (!seen_digit) return std::nullopt;
  for (; digits < 9; ++digits) nanos *= 10;
  common::v1::Money money;
  money.set_currency_code(currency);
  money.set_units(negative ? -units : units);
  money.set_nanos(static_cast<int32_t>(negative ? -nanos : nanos));
  return money;
}

// "12.5" (percent, at most two decimals) -> 1250 basis points.
inline std::optional<int32_t> ParsePercentBps(const std::string& text) {
  auto amount = ParseAmount(text, "XXX");
  if (!amount || amount->nanos() % 10'000'000 != 0) return std::nullopt;
  const int64_t bps = amount->units() * 100 + amount->nanos() / 10'000'000;
  if (bps < -1'000'000 || bps > 1'000'000) return std::nullopt;
  return static_cast<int32_t>(bps);
}

// "EUR 12.50": exact, trailing zeros beyond the cents trimmed.
inline std::string MoneyText(const common::v1::Money& money) {
  if (money.currency_code().empty()) return "-";
  const bool negative = money.units() < 0 || money.nanos() < 0;
  const int64_t units = money.units() < 0 ? -money.units() : money.units();
  int64_t nanos = money.nanos() < 0 ? -money.nanos() : money.nanos();
  char fraction[16];
  std::snprintf(fraction, sizeof(fraction), "%09lld", static_cast<long long>(nanos));
  std::string decimals(fraction);
  while (decimals.size() > 2 && decimals.back() == '0') decimals.pop_back();
  return money.currency_code() + " " + (negative ? "-" : "") + std::to_string(units) + "." +
         decimals;
}

}  // namespace accord::accordctl::pricing_cli
