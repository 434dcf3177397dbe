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

PathTemplate::SplitPath PathTemplate::Split(std::string_view path) {
  SplitPath split;
  if (path.empty() || path[0] != '/') return split;
  split.body = path.substr(1);
  size_t start = 0;
  while (true) {
    const size_t slash = split.body.find('/', start);
    split.parts.push_back(split.body.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  split.valid = true;
  return split;
}

std::optional<std::vector<std::pair<std::string, std::string>>> PathTemplate::Match(
    const std::string& path) const {
  return Match(Split(path));
}

std::optional<std::vector<std::pair<std::string, std::string>>> PathTemplate::Match(
    const SplitPath& path) const {
  if (!path.valid) return std::nullopt;
  const auto& parts = path.parts;
  // The last segment without this template's ":verb" (which it must carry).
  std::string_view last = parts.back();
  if (!verb_.empty()) {
    if (last.size() <= verb_.size() + 1 || last[last.size() - verb_.size() - 1] != ':' ||
        last.substr(last.size() - verb_.size()) != verb_) {
      return std::nullopt;
    }
    last = last.substr(0, last.size() - verb_.size() - 1);
  } else if (last.find(':') != std::string_view::npos) {
    return std::nullopt;  // a verb this route lacks
  }
  auto part = [&](size_t i) { return i + 1 == parts.size() ? last : parts[i]; };
  const bool rest = !segments_.empty() && segments_.back().kind == Segment::Kind::kRest;
  const size_t fixed = rest ? segments_.size() - 1 : segments_.size();
  if (rest ? parts.size() <= fixed : parts.size() != fixed) return std::nullopt;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (part(i).empty()) return std::nullopt;
    if (i < fixed && segments_[i].kind == Segment::Kind::kLiteral &&
        part(i) != segments_[i].literal) {
      return std::nullopt;
    }
  }
  std::vector<std::pair<std::string, std::string>> bindings;
  const size_t body_end = static_cast<size_t>(last.data() - path.body.data()) + last.size();
  for (const auto& variable : variables_) {
    const size_t from = parts[variable.first].data() - path.body.data();
    const bool to_end =
        variable.end >= parts.size() || segments_[variable.end - 1].kind == Segment::Kind::kRest;
    const size_t to = to_end
                          ? body_end
                          : static_cast<size_t>(parts[variable.end - 1].data() - path.body.data()) +
                                parts[variable.end - 1].size();
    bindings.emplace_back(variable.field_path, std::string(path.body.substr(from, to - from)));
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
