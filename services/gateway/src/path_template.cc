#include "path_template.h"

#include "absl/strings/str_split.h"

namespace accord::gateway {
namespace {

bool ValidFieldPath(const std::string& path) {
  if (path.empty()) return false;
  for (char c : path) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  }
  return path.front() != '.' && path.back() != '.';
}

absl::Status AddSegments(const std::string& text, std::vector<PathTemplate::Segment>& out) {
  for (const auto& part : absl::StrSplit(text, '/')) {
    std::string segment(part);
    if (segment.empty()) return absl::InvalidArgumentError("empty segment");
    if (segment == "*") {
      out.push_back({PathTemplate::Segment::Kind::kSingle, ""});
    } else if (segment == "**") {
      out.push_back({PathTemplate::Segment::Kind::kRest, ""});
    } else if (segment.find_first_of("{}=*") != std::string::npos) {
      return absl::InvalidArgumentError("bad segment '" + segment + "'");
    } else {
      out.push_back({PathTemplate::Segment::Kind::kLiteral, segment});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PathTemplate> PathTemplate::Parse(const std::string& text) {
  PathTemplate result;
  result.text_ = text;
  if (text.empty() || text[0] != '/') {
    return absl::InvalidArgumentError("path template '" + text + "' must start with '/'");
  }
  std::string rest = text.substr(1);
  // The verb follows the last ':' outside braces.
  size_t depth = 0, colon = std::string::npos;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '{') ++depth;
    if (rest[i] == '}' && depth > 0) --depth;
    if (rest[i] == ':' && depth == 0) colon = i;
  }
  if (colon != std::string::npos) {
    result.verb_ = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (result.verb_.empty()) return absl::InvalidArgumentError("empty verb in '" + text + "'");
  }
  size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == '{') {
      size_t close = rest.find('}', i);
      if (close == std::string::npos) return absl::InvalidArgumentError("unclosed '{' in " + text);
      std::string inner = rest.substr(i + 1, close - i - 1);
      size_t eq = inner.find('=');
      Variable variable;
      variable.field_path = inner.substr(0, eq);
      if (!ValidFieldPath(variable.field_path)) {
        return absl::InvalidArgumentError("bad variable '" + inner + "' in " + text);
      }
      variable.first = result.segments_.size();
      auto status =
          AddSegments(eq == std::string::npos ? "*" : inner.substr(eq + 1), result.segments_);
      if (!status.ok()) {
        return absl::InvalidArgumentError(std::string(status.message()) + " in " + text);
      }
      variable.end = result.segments_.size();
      result.variables_.push_back(variable);
      i = close + 1;
    } else {
      size_t next = rest.find('{', i);
      std::string literal = rest.substr(i, next == std::string::npos ? next : next - i);
      // A literal run is "a/b/" before a variable, or "a/b" at the end.
      bool before_variable = next != std::string::npos;
      if (before_variable) {
        if (literal.empty() || literal.back() != '/') {
          return absl::InvalidArgumentError("a variable must be a whole segment in " + text);
        }
        literal.pop_back();
      }
      if (!literal.empty() && literal[0] == '/') literal.erase(0, 1);
      if (!literal.empty()) {
        auto status = AddSegments(literal, result.segments_);
        if (!status.ok()) {
          return absl::InvalidArgumentError(std::string(status.message()) + " in " + text);
        }
      }
      i = before_variable ? next : rest.size();
    }
  }
  for (size_t s = 0; s < result.segments_.size(); ++s) {
    if (result.segments_[s].kind == Segment::Kind::kRest && s + 1 != result.segments_.size()) {
      return absl::InvalidArgumentError("'**' must be last in " + text);
    }
  }
  return result;
}

std::optional<std::vector<std::pair<std::string, std::string>>> PathTemplate::Match(
    const std::string& path) const {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string body = path.substr(1);
  if (!verb_.empty()) {
    const std::string suffix = ":" + verb_;
    if (body.size() <= suffix.size() ||
        body.compare(body.size() - suffix.size(), suffix.size(), suffix) != 0) {
      return std::nullopt;
    }
    body.resize(body.size() - suffix.size());
  }
  std::vector<std::string> parts = absl::StrSplit(body, '/');
  // Segment boundaries in `body`, so that a variable binds the original text of its segments.
  std::vector<size_t> starts;
  size_t offset = 0;
  for (const auto& part : parts) {
    starts.push_back(offset);
    offset += part.size() + 1;
  }
  starts.push_back(body.size() + 1);
  size_t p = 0;
  for (size_t s = 0; s < segments_.size(); ++s) {
    const auto& segment = segments_[s];
    if (segment.kind == Segment::Kind::kRest) {
      if (p >= parts.size()) return std::nullopt;
      for (size_t q = p; q < parts.size(); ++q) {
        if (parts[q].empty()) return std::nullopt;
      }
      p = parts.size();
      break;
    }
    if (p >= parts.size() || parts[p].empty()) return std::nullopt;
    // Without a verb in the template, a ':' in the last segment is a verb this route lacks.
    if (verb_.empty() && p + 1 == parts.size() && parts[p].find(':') != std::string::npos) {
      return std::nullopt;
    }
    if (segment.kind == Segment::Kind::kLiteral && parts[p] != segment.literal) return std::nullopt;
    ++p;
  }
  if (p != parts.size()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> bindings;
  for (const auto& variable : variables_) {
    size_t from = starts[variable.first];
    // kRest is always last: it binds to the end.
    size_t to = segments_[variable.end - 1].kind == Segment::Kind::kRest ? body.size()
                                                                         : starts[variable.end] - 1;
    bindings.emplace_back(variable.field_path, body.substr(from, to - from));
  }
  return bindings;
}

std::string PathTemplate::OpenApiPath() const {
  std::string out;
  size_t v = 0;
  for (size_t s = 0; s < segments_.size();) {
    if (v < variables_.size() && variables_[v].first == s) {
      out += "/{" + variables_[v].field_path + "}";
      s = variables_[v].end;
      ++v;
      continue;
    }
    out += "/" +
           (segments_[s].kind == Segment::Kind::kLiteral ? segments_[s].literal : std::string("*"));
    ++s;
  }
  if (!verb_.empty()) out += ":" + verb_;
  return out;
}

int PathTemplate::Specificity() const {
  int score = verb_.empty() ? 0 : 1000;
  for (const auto& segment : segments_) {
    if (segment.kind == Segment::Kind::kLiteral) score += 10;
    if (segment.kind == Segment::Kind::kSingle) score += 1;
  }
  return score;
}

}  // namespace accord::gateway
