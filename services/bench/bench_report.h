// What the benchmark load tools print alike: gRPC code names, latency summaries, JSON strings.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace accord::bench {

// gRPC status codes by number (0 = OK ... 16 = UNAUTHENTICATED).
inline constexpr const char* kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
inline constexpr int kCodeCount = 17;
inline constexpr int kUnknownCode = 2;

// Numbers outside the known codes are UNKNOWN, as gRPC itself treats them.
inline int CodeIndex(long code) {
  return code >= 0 && code < kCodeCount ? static_cast<int>(code) : kUnknownCode;
}
inline std::string CodeName(long code) { return kCodeNames[CodeIndex(code)]; }

inline std::string JsonEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

inline int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// {"count","p50","p90","p99","max","mean"} of microsecond values.
inline std::string LatencyJson(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (auto v : values) sum += static_cast<double>(v);
  std::ostringstream out;
  out << "{\"count\":" << values.size() << ",\"p50\":" << Percentile(values, 0.50)
      << ",\"p90\":" << Percentile(values, 0.90) << ",\"p99\":" << Percentile(values, 0.99)
      << ",\"max\":" << (values.empty() ? 0 : values.back())
      << ",\"mean\":" << (values.empty() ? 0 : static_cast<int64_t>(sum / values.size())) << "}";
  return out.str();
}

// Non-empty lines of a file.
inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace accord::bench
