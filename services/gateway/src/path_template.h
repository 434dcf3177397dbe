// google.api.http path templates (the subset AIP-127 uses): literal segments, `*` (one segment),
// `**` (the rest), variables `{field.path}` (one segment) or `{field.path=segments}`, and a
// trailing `:verb`. A variable binds the request field it names to the matched text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::gateway {

class PathTemplate {
 public:
  struct Segment {
    enum class Kind { kLiteral, kSingle, kRest } kind;
    std::string literal;
  };
  struct Variable {
    std::string field_path;  // "account.name"
    size_t first = 0;        // its segments are [first, end)
    size_t end = 0;
  };

  static absl::StatusOr<PathTemplate> Parse(const std::string& text);

  // A request path cut into segments once, for matching against many templates.
  struct SplitPath {
    std::string_view body;  // without the leading '/'
    std::vector<std::string_view> parts;
    bool valid = false;
  };
  static SplitPath Split(std::string_view path);

  // The field bindings when `path` (no query string; percent-decoding is the caller's) matches.
  std::optional<std::vector<std::pair<std::string, std::string>>> Match(
      const std::string& path) const;
  std::optional<std::vector<std::pair<std::string, std::string>>> Match(
      const SplitPath& path) const;

  const std::string& text() const { return text_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::vector<Variable>& variables() const { return variables_; }
  const std::string& verb() const { return verb_; }
  // OpenAPI form: "/v1/{name}:verb" with each variable as one parameter.
  std::string OpenApiPath() const;
  // Literal segments count first, so that `/v1/accounts:batchGet` wins over `/v1/{name=*}`.
  int Specificity() const;

 private:
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
};

}  // namespace accord::gateway
