#include "accord/common/filter.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "accord/common/catalog.h"
#include "accord/common/errors.h"

namespace accord::common::filter {
namespace {

// Debian's abseil has its own string_view; convert explicitly at the boundary.
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }

absl::Status Error(std::string description) {
  return InvalidArgument("filter", std::move(description));
}

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kHas };

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kHas:
      return ":";
  }
  return "?";
}

// The SQL operator for an ordered comparison; != is IS DISTINCT FROM so that a missing (NULL)
// value counts as different.
std::string_view SqlOp(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "IS DISTINCT FROM";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kHas:
      break;
  }
  return "=";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
// Keywords, and the first character of a field or a bare search word.
bool IsKeywordChar(char c) { return IsAlnum(c) || c == '_'; }
// Field paths: name { "." name }.
bool IsNameChar(char c) { return IsKeywordChar(c) || c == '.'; }
// Bare (unquoted) values; any non-ASCII character is a letter of one (鴻海, Müller): proto3
// strings are valid UTF-8, so these bytes only ever form whole characters.
bool IsWordChar(char c) {
  return IsNameChar(c) || c == ':' || c == '@' || c == '+' || c == '-' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsOpStart(char c) { return c == '=' || c == '!' || c == '<' || c == '>' || c == ':'; }

// Quotes user text for an error message, cut short on a UTF-8 character boundary.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return absl::StrCat("\"", Absl(text), "\"");
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("\"", Absl(text.substr(0, cut)), "...\"");
}

// Offset of the first byte that breaks UTF-8 (or is NUL), or npos when the text is clean.
size_t FirstBadByte(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + len > text.size()) return i;
    uint32_t code = c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

struct Node {
  enum class Kind { kAnd, kOr, kNot, kCompare, kText };
  Kind kind = Kind::kText;
  size_t pos = 0;  // where the node starts; for comparisons, the field
  std::vector<Node> children;
  // kCompare: field op value; kText: value.
  std::string field;
  Op op = Op::kEq;
  size_t op_pos = 0;
  std::string value;
  size_t value_pos = 0;
};

// Recursive descent, with recursion only through "(" and bounded by kMaxDepth.
class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  // The whole input, which must hold at least one non-space character.
  absl::StatusOr<Node> ParseAll() {
    ACCORD_ASSIGN_OR_RETURN(Node node, ParseOr());
    SkipSpace();
    if (pos_ < in_.size()) return ExpectedJoin(std::nullopt);
    return node;
  }

 private:
  absl::StatusOr<Node> ParseOr() { return ParseChain("OR", Node::Kind::kOr); }
  absl::StatusOr<Node> ParseAnd() { return ParseChain("AND", Node::Kind::kAnd); }

  // item { keyword item }, items being and_exprs for OR and terms for AND.
  absl::StatusOr<Node> ParseChain(std::string_view keyword, Node::Kind kind) {
    const bool is_or = kind == Node::Kind::kOr;
    SkipSpace();
    Node chain;
    chain.kind = kind;
    chain.pos = pos_;
    while (true) {
      ACCORD_ASSIGN_OR_RETURN(Node item, is_or ? ParseAnd() : ParseTerm());
      chain.children.push_back(std::move(item));
      SkipSpace();
      if (KeywordAt(pos_) != keyword) break;
      pos_ += keyword.size();
    }
    if (chain.children.size() == 1) return std::move(chain.children.front());
    return chain;
  }

  absl::StatusOr<Node> ParseTerm() {
    SkipSpace();
    const size_t start = pos_;
    bool negate = false;
    if (pos_ < in_.size() && in_[pos_] == '-') {
      negate = true;
      ++pos_;
    } else if (KeywordAt(pos_) == "NOT") {
      negate = true;
      pos_ += 3;
    }
    ACCORD_ASSIGN_OR_RETURN(Node factor, ParseFactor());
    if (!negate) return factor;
    Node node;
    node.kind = Node::Kind::kNot;
    node.pos = start;
    node.children.push_back(std::move(factor));
    return node;
  }

  absl::StatusOr<Node> ParseFactor() {
    SkipSpace();
    const size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '(') {
      if (depth_ >= kMaxDepth) {
        return Error(
            absl::StrCat("parentheses are nested more than ", kMaxDepth, " deep at offset ", pos_));
      }
      ++depth_;
      ++pos_;
      ACCORD_ASSIGN_OR_RETURN(Node inner, ParseOr());
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != ')') return ExpectedJoin(start);
      ++pos_;
      --depth_;
      return inner;
    }
    if (pos_ < in_.size() && in_[pos_] == '"') {
      ACCORD_ASSIGN_OR_RETURN(std::string text, ParseQuoted());
      return Leaf(Node::Kind::kText, start, std::move(text));
    }
    if (pos_ >= in_.size() ||
        !(IsKeywordChar(in_[pos_]) || static_cast<unsigned char>(in_[pos_]) >= 0x80)) {
      return Error(absl::StrCat("expected a comparison, '(' or search text at offset ", pos_,
                                ", found ", Found(pos_)));
    }
    const std::string_view keyword = KeywordAt(pos_);
    if (keyword == "AND" || keyword == "OR" || keyword == "NOT") {
      return Error(absl::StrCat("expected a comparison, '(' or search text at offset ", pos_,
                                ", found the keyword ", Absl(keyword),
                                keyword == "NOT" ? " (NOT and - apply once, to one term)" : ""));
    }
    size_t name_end = pos_;
    while (name_end < in_.size() && IsNameChar(in_[name_end])) ++name_end;
    size_t after = name_end;
    while (after < in_.size() && IsSpace(in_[after])) ++after;
    if (after < in_.size() && IsOpStart(in_[after])) {
      return ParseComparison(std::string(in_.substr(pos_, name_end - pos_)), after);
    }
    // A lone word: free-text search.
    std::string word = ReadWord();
    return Leaf(Node::Kind::kText, start, std::move(word));
  }

  // field op value, with pos_ at the field and `op_pos` at the operator.
  absl::StatusOr<Node> ParseComparison(std::string field, size_t op_pos) {
    Node node;
    node.kind = Node::Kind::kCompare;
    node.pos = pos_;
    node.field = std::move(field);
    node.op_pos = op_pos;
    pos_ = op_pos;
    const char first = in_[pos_];
    const char second = pos_ + 1 < in_.size() ? in_[pos_ + 1] : '\0';
    switch (first) {
      case '=':
        node.op = Op::kEq;
        break;
      case '!':
        if (second != '=') {
          return Error(absl::StrCat("expected '=' after '!' at offset ", pos_ + 1, ", found ",
                                    Found(pos_ + 1)));
        }
        node.op = Op::kNe;
        break;
      case '<':
        node.op = second == '=' ? Op::kLe : Op::kLt;
        break;
      case '>':
        node.op = second == '=' ? Op::kGe : Op::kGt;
        break;
      default:
        node.op = Op::kHas;
        break;
    }
    pos_ += OpText(node.op).size();
    SkipSpace();
    node.value_pos = pos_;
    if (pos_ < in_.size() && in_[pos_] == '"') {
      ACCORD_ASSIGN_OR_RETURN(node.value, ParseQuoted());
    } else if (pos_ < in_.size() && IsWordChar(in_[pos_])) {
      node.value = ReadWord();
      if (node.value == "AND" || node.value == "OR" || node.value == "NOT") {
        return Error(absl::StrCat("expected a value after '", Absl(OpText(node.op)), "' at offset ",
                                  node.value_pos, ", found the keyword ", node.value,
                                  " (quote it to compare with the word itself)"));
      }
    } else {
      return Error(absl::StrCat("expected a value after '", Absl(OpText(node.op)), "' at offset ",
                                pos_, ", found ", Found(pos_)));
    }
    ACCORD_RETURN_IF_ERROR(CountComparison(node.pos));
    return node;
  }

  absl::StatusOr<Node> Leaf(Node::Kind kind, size_t start, std::string value) {
    ACCORD_RETURN_IF_ERROR(CountComparison(start));
    Node node;
    node.kind = kind;
    node.pos = start;
    node.value_pos = start;
    node.value = std::move(value);
    return node;
  }

  absl::Status CountComparison(size_t at) {
    if (++comparisons_ > kMaxComparisons) {
      return Error(absl::StrCat("too many comparisons: at most ", kMaxComparisons,
                                " are allowed (the next one starts at offset ", at, ")"));
    }
    return absl::OkStatus();
  }

  // A double-quoted string with \" and \\ escapes; pos_ is at the opening quote.
  absl::StatusOr<std::string> ParseQuoted() {
    const size_t start = pos_;
    std::string out;
    ++pos_;
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (pos_ + 1 >= in_.size()) break;
        const char next = in_[pos_ + 1];
        if (next != '"' && next != '\\') {
          return Error(absl::StrCat("invalid escape at offset ", pos_,
                                    ": only \\\" and \\\\ are allowed in a quoted string"));
        }
        out.push_back(next);
        pos_ += 2;
        continue;
      }
      out.push_back(c);
      ++pos_;
    }
    return Error(
        absl::StrCat("unterminated string: the quote at offset ", start, " is never closed"));
  }

  std::string ReadWord() {
    const size_t start = pos_;
    while (pos_ < in_.size() && IsWordChar(in_[pos_])) ++pos_;
    return std::string(in_.substr(start, pos_ - start));
  }

  // The run of keyword characters at `at` (not consumed).
  std::string_view KeywordAt(size_t at) const {
    size_t end = at;
    while (end < in_.size() && IsKeywordChar(in_[end])) ++end;
    return in_.substr(at, end - at);
  }

  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  // What stands at `at`, for error messages.
  std::string Found(size_t at) const {
    if (at >= in_.size()) return "end of filter";
    const char c = in_[at];
    if (c == '"') return "a quoted string";
    if (IsWordChar(c)) {
      size_t end = at;
      while (end < in_.size() && IsWordChar(in_[end])) ++end;
      return Quoted(in_.substr(at, end - at));
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return absl::StrCat("control character ", byte);
    if (byte < 0x80) return absl::StrCat("'", std::string(1, c), "'");
    size_t end = at + 1;
    while (end < in_.size() && (static_cast<unsigned char>(in_[end]) & 0xC0) == 0x80) ++end;
    return Quoted(in_.substr(at, end - at));
  }

  // After a complete term, only AND, OR, ")" (inside parentheses) or the end may follow.
  // `open` is the offset of the innermost unclosed "(", if any.
  absl::Status ExpectedJoin(std::optional<size_t> open) const {
    if (!open && in_[pos_] == ')') {
      return Error(absl::StrCat("unexpected ')' at offset ", pos_, ": there is no '(' to close"));
    }
    if (open && pos_ >= in_.size()) {
      return Error(
          absl::StrCat("expected ')' to close the '(' at offset ", *open, ", found end of filter"));
    }
    std::string hint;
    const std::string_view word = KeywordAt(pos_);
    if (absl::EqualsIgnoreCase(Absl(word), "and") || absl::EqualsIgnoreCase(Absl(word), "or") ||
        absl::EqualsIgnoreCase(Absl(word), "not")) {
      hint = " (keywords AND, OR and NOT are upper-case)";
    } else if (IsWordChar(in_[pos_]) || in_[pos_] == '"' || in_[pos_] == '(') {
      hint = " (join terms with AND or OR)";
    }
    return Error(absl::StrCat("expected AND, OR or ", open ? "')'" : "end of filter", " at offset ",
                              pos_, ", found ", Found(pos_), hint));
  }

  std::string_view in_;
  size_t pos_ = 0;
  int depth_ = 0;
  int comparisons_ = 0;
};

// ---- Values -------------------------------------------------------------------------------

// Characters (UTF-8 code points) in `text`.
size_t CodePoints(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

// "%value%" with LIKE's metacharacters escaped by a backslash.
std::string ContainsPattern(std::string_view value) {
  std::string out = "%";
  for (char c : value) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

std::optional<std::string> ParseInt(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return std::to_string(value);
}

std::optional<std::string> ParseBool(std::string_view text) {
  if (absl::EqualsIgnoreCase(Absl(text), "true")) return "true";
  if (absl::EqualsIgnoreCase(Absl(text), "false")) return "false";
  return std::nullopt;
}

// Strict RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). Returns it with T and Z
// upper-cased, which Postgres reads as a timestamptz.
std::optional<std::string> ParseTimestamp(std::string_view text) {
  auto digits = [&](size_t at, size_t count, int* out) {
    if (at + count > text.size()) return false;
    int value = 0;
    for (size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  auto is = [&](size_t at, char c) { return at < text.size() && text[at] == c; };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, &year) || !is(4, '-') || !digits(5, 2, &month) || !is(7, '-') ||
      !digits(8, 2, &day) || !(is(10, 'T') || is(10, 't')) || !digits(11, 2, &hour) ||
      !is(13, ':') || !digits(14, 2, &minute) || !is(16, ':') || !digits(17, 2, &second)) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && leap ? 1 : 0) || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  size_t at = 19;
  if (is(at, '.')) {
    const size_t start = ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == start || at - start > 9) return std::nullopt;
  }
  if (is(at, 'Z') || is(at, 'z')) {
    ++at;
  } else if (is(at, '+') || is(at, '-')) {
    int offset_hours, offset_minutes;
    if (!digits(at + 1, 2, &offset_hours) || !is(at + 3, ':') ||
        !digits(at + 4, 2, &offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return std::nullopt;
    }
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::string out(text);
  out[10] = 'T';
  if (out.back() == 'z') out.back() = 'Z';
  return out;
}

// ---- Compilation --------------------------------------------------------------------------

std::vector<Op> OpsFor(const FieldSpec& spec, bool keyed) {
  std::vector<Op> ops;
  switch (spec.type) {
    case FieldType::kString:
      ops = {Op::kEq, Op::kNe, Op::kHas};
      break;
    case FieldType::kEnum:
    case FieldType::kBool:
      ops = {Op::kEq, Op::kNe};
      break;
    case FieldType::kInt:
    case FieldType::kTimestamp:
      ops = {Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
      break;
    case FieldType::kStringArray:
      ops = {Op::kHas};
      break;
    case FieldType::kStringMap:
      ops = keyed ? std::vector<Op>{Op::kEq, Op::kNe} : std::vector<Op>{Op::kHas};
      break;
  }
  if (!spec.allowed_ops.empty()) {
    std::erase_if(ops, [&](Op op) {
      return std::find(spec.allowed_ops.begin(), spec.allowed_ops.end(), OpText(op)) ==
             spec.allowed_ops.end();
    });
  }
  return ops;
}

std::string_view TypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kEnum:
      return "an enum";
    case FieldType::kInt:
      return "an integer";
    case FieldType::kBool:
      return "a boolean";
    case FieldType::kTimestamp:
      return "a timestamp";
    case FieldType::kStringArray:
      return "a list of strings";
    case FieldType::kStringMap:
      return "a map";
  }
  return "a field";
}

class Compiler {
 public:
  Compiler(const Schema& schema, int first_param_index)
      : schema_(schema), first_param_index_(first_param_index) {}

  // What the compiled filter costs (see filter.h), known after Emit.
  int cost() const { return cost_; }
  bool matches_pairs() const { return matches_pairs_; }
  bool matches_elements() const { return matches_elements_; }

  absl::StatusOr<std::string> Emit(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kOr:
        cost_ += kOrCost * static_cast<int>(node.children.size() - 1);
        return EmitOr(node);
      case Node::Kind::kAnd: {
        std::string out = "(";
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (i > 0) out += node.kind == Node::Kind::kAnd ? " AND " : " OR ";
          ACCORD_ASSIGN_OR_RETURN(std::string child, Emit(node.children[i]));
          out += child;
        }
        out += ")";
        return out;
      }
      case Node::Kind::kNot: {
        // Two-valued logic: a comparison on NULL is false, so its negation is true.
        ACCORD_ASSIGN_OR_RETURN(std::string child, Emit(node.children.front()));
        return absl::StrCat("(", child, " IS NOT TRUE)");
      }
      case Node::Kind::kText:
        return EmitText(node);
      case Node::Kind::kCompare:
        return EmitComparison(node);
    }
    return absl::StrCat("(FALSE)");
  }

  std::vector<std::string> TakeParams() { return std::move(params_); }

 private:
  std::string Bind(std::string value) {
    params_.push_back(std::move(value));
    return absl::StrCat("$", first_param_index_ + static_cast<int>(params_.size()) - 1);
  }

  const FieldSpec* FindField(std::string_view name) const {
    for (const FieldSpec& field : schema_.fields) {
      if (field.name == name) return &field;
    }
    return nullptr;
  }

  // A substring match: `row`, the ILIKE that decides it, and for a two-character value on a field
  // with a pair index, `pair`, the clause that index answers. ILIKE lower-cases both sides, so a
  // name that matches holds the value's lower-cased pair: `row` implies `pair`, which is there only
  // for the index.
  struct Match {
    std::string row;
    std::string pair;  // "" when no pair index serves the value
    std::string Joined() const {
      return pair.empty() ? absl::StrCat("(", row, ")")
                          : absl::StrCat("(", row, " AND ", pair, ")");
    }
  };

  // Matches OR-ed together. When every one has a pair clause, the pairs are OR-ed on their own and
  // AND-ed with the OR of the ILIKEs: since each ILIKE implies its pair, (A1 AND P1) OR (A2 AND P2)
  // is (P1 OR P2) AND (A1 OR A2). PostgreSQL answers (P1 OR P2) with a BitmapOr of the pair
  // indexes and, the bitmap being exact, drops it from the rows' filter, which is then the ILIKEs
  // alone; in the first form the whole OR was the filter, calling `bigrams` on every match
  // (docs/filter-plans.md, "Free text over Chinese names"). Otherwise each match keeps its own
  // pair clause.
  static std::string OrMatches(const std::vector<Match>& matches) {
    const bool hoist =
        matches.size() > 1 &&
        std::all_of(matches.begin(), matches.end(), [](const Match& m) { return !m.pair.empty(); });
    std::vector<std::string> rows, pairs;
    for (const Match& match : matches) {
      if (hoist) {
        rows.push_back(absl::StrCat("(", match.row, ")"));
        pairs.push_back(match.pair);
      } else {
        rows.push_back(match.Joined());
      }
    }
    if (!hoist) return absl::StrCat("(", absl::StrJoin(rows, " OR "), ")");
    return absl::StrCat("((", absl::StrJoin(pairs, " OR "), ") AND (", absl::StrJoin(rows, " OR "),
                        "))");
  }

  // One value matched as a substring against one or more columns, its parameters bound once.
  class Substring {
   public:
    Substring(Compiler& compiler, std::string_view value) : compiler_(compiler), value_(value) {}

    Match On(const FieldSpec& field) {
      if (pattern_.empty()) pattern_ = compiler_.Bind(ContainsPattern(value_));
      std::string ilike = absl::StrCat(field.column, " ILIKE ", pattern_, " ESCAPE E'\\\\'");
      if (!field.substring_index || field.substring_index->bigrams.empty() ||
          CodePoints(value_) != 2) {
        return {std::move(ilike), ""};
      }
      compiler_.matches_pairs_ = true;
      if (value_param_.empty()) value_param_ = compiler_.Bind(std::string(value_));
      // ILIKE first: where the pair clause is evaluated on rows rather than through its index
      // (on rows a List walks in its order), the cheap test spares most rows a call of the SQL
      // function.
      const std::string& bigrams = field.substring_index->bigrams;
      return {std::move(ilike), absl::StrCat(bigrams, "(", field.column, ") @> ", bigrams, "(",
                                             value_param_, "::text)")};
    }

   private:
    Compiler& compiler_;
    std::string_view value_;
    std::string pattern_;
    std::string value_param_;
  };

  // Free text over text_search_fields: one substring match per field, OR-ed.
  absl::StatusOr<std::vector<Match>> TextMatches(const Node& node) {
    bool indexed = true;
    std::vector<Match> matches;
    Substring substring(*this, node.value);
    for (const auto& name : schema_.text_search_fields) {
      const FieldSpec* spec = FindField(name);
      if (spec == nullptr) return absl::InternalError("text_search_fields names " + name);
      indexed = indexed && spec->substring_index.has_value();
      matches.push_back(substring.On(*spec));
    }
    cost_ += indexed ? kIndexedComparisonCost : kScanComparisonCost;
    return matches;
  }

  absl::StatusOr<std::string> EmitText(const Node& node) {
    if (!schema_.text_search_fields.empty()) {
      ACCORD_ASSIGN_OR_RETURN(std::vector<Match> matches, TextMatches(node));
      return OrMatches(matches);
    }
    if (schema_.text_search_sql.empty()) {
      return Error(absl::StrCat(
          "expected a comparison such as field = value at offset ", node.pos, ", found ",
          Quoted(node.value),
          " (free-text search is not supported here); allowed fields: ", AllowedFields()));
    }
    cost_ += kScanComparisonCost;
    const std::string placeholder = Bind(ContainsPattern(node.value));
    return absl::StrCat("(", absl::StrReplaceAll(schema_.text_search_sql, {{"{}", placeholder}}),
                        ")");
  }

  // The field a comparison names, checked against its operators and counted in the cost.
  struct Resolved {
    const FieldSpec* spec = nullptr;
    std::string key;  // kStringMap: "erp" of "external_ids.erp"
  };

  absl::StatusOr<std::string> EmitComparison(const Node& node) {
    ACCORD_ASSIGN_OR_RETURN(Resolved resolved, Resolve(node));
    if (resolved.spec->child) {
      return SemiJoin(*resolved.spec, {ChildCondition(node, *resolved.spec, resolved.key)});
    }
    return EmitColumnComparison(node, *resolved.spec, resolved.key);
  }

  absl::StatusOr<Resolved> Resolve(const Node& node) {
    const FieldSpec* spec = nullptr;
    std::string key;  // kStringMap: "erp" of "external_ids.erp"
    for (const FieldSpec& candidate : schema_.fields) {
      if (candidate.name == node.field) {
        spec = &candidate;
        break;
      }
    }
    if (spec == nullptr) {
      for (const FieldSpec& candidate : schema_.fields) {
        if (candidate.type == FieldType::kStringMap &&
            node.field.size() > candidate.name.size() + 1 &&
            node.field.compare(0, candidate.name.size(), candidate.name) == 0 &&
            node.field[candidate.name.size()] == '.') {
          spec = &candidate;
          key = node.field.substr(candidate.name.size() + 1);
          break;
        }
      }
    }
    if (spec == nullptr) return UnknownField(node);
    const bool keyed = !key.empty();

    const std::vector<Op> ops = OpsFor(*spec, keyed);
    if (std::find(ops.begin(), ops.end(), node.op) == ops.end()) {
      std::vector<std::string> names;
      for (Op op : ops) names.emplace_back(OpText(op));
      std::string hint;
      if (spec->type == FieldType::kStringMap && !keyed && node.op != Op::kHas) {
        hint = absl::StrCat(" (compare one key instead, e.g. ", spec->name, ".<key> = value)");
      }
      return Error(absl::StrCat("operator '", Absl(OpText(node.op)), "' at offset ", node.op_pos,
                                " is not allowed on ", node.field, ", ", Absl(TypeName(spec->type)),
                                names.empty() ? "; it cannot be filtered on"
                                              : "; it accepts " + absl::StrJoin(names, ", "),
                                hint));
    }

    const bool uses_index =
        (spec->indexed &&
         (node.op == Op::kEq || (node.op == Op::kHas && (spec->type == FieldType::kStringArray ||
                                                         spec->type == FieldType::kStringMap)))) ||
        (node.op == Op::kHas && spec->substring_index.has_value() &&
         CodePoints(node.value) >= (spec->substring_index->bigrams.empty() ? 3u : 2u));
    cost_ += uses_index ? kIndexedComparisonCost : kScanComparisonCost;
    return Resolved{spec, std::move(key)};
  }

  absl::StatusOr<std::string> EmitColumnComparison(const Node& node, const FieldSpec& field,
                                                   const std::string& key) {
    const FieldSpec* spec = &field;
    const bool keyed = !key.empty();
    const std::string& column = spec->column;
    const std::string op(SqlOp(node.op));
    switch (spec->type) {
      case FieldType::kString:
        if (node.op == Op::kHas) return Substring(*this, node.value).On(*spec).Joined();
        return absl::StrCat("(", column, " ", op, " ", Bind(node.value), ")");
      case FieldType::kEnum: {
        for (const auto& [name, stored] : spec->enum_values) {
          if (absl::EqualsIgnoreCase(name, node.value)) {
            return absl::StrCat("(", column, " ", op, " ", Bind(stored), ")");
          }
        }
        std::vector<std::string> names;
        for (const auto& entry : spec->enum_values) names.push_back(entry.first);
        return BadValue(node, absl::StrCat("one of ", absl::StrJoin(names, ", ")));
      }
      case FieldType::kInt: {
        std::optional<std::string> value = ParseInt(node.value);
        if (!value) return BadValue(node, "a whole number between -2^63 and 2^63-1");
        return absl::StrCat("(", column, " ", op, " ", Bind(*std::move(value)), "::bigint)");
      }
      case FieldType::kBool: {
        std::optional<std::string> value = ParseBool(node.value);
        if (!value) return BadValue(node, "true or false");
        return absl::StrCat("(", column, " ", op, " ", Bind(*std::move(value)), "::boolean)");
      }
      case FieldType::kTimestamp: {
        std::optional<std::string> value = ParseTimestamp(node.value);
        if (!value) return BadValue(node, "an RFC 3339 timestamp such as 2024-05-01T09:30:00Z");
        return absl::StrCat("(", column, " ", op, " ", Bind(*std::move(value)), "::timestamptz)");
      }
      case FieldType::kStringArray:
        // Containment, not `= ANY(column)`: a GIN index on the array answers `@>`.
        matches_elements_ = true;
        return absl::StrCat("(", column, " @> ARRAY[", Bind(node.value), "]::text[])");
      case FieldType::kStringMap:
        if (!keyed) return absl::StrCat("(", column, " ? ", Bind(node.value), "::text)");
        {
          const std::string key_param = Bind(key);
          return absl::StrCat("((", column, " ->> ", key_param, "::text) ", op, " ",
                              Bind(node.value), ")");
        }
    }
    return Error(absl::StrCat("field ", node.field, " cannot be filtered on"));
  }

  // What one comparison on a field kept in a child table asks of a child row.
  std::string ChildCondition(const Node& node, const FieldSpec& spec, const std::string& key) {
    const FieldSpec::ChildTable& child = *spec.child;
    if (spec.type != FieldType::kStringMap) {
      return absl::StrCat(child.value_column, " = ", Bind(node.value));
    }
    if (key.empty()) return absl::StrCat(child.key_column, " = ", Bind(node.value));
    const std::string key_param = Bind(key);
    return absl::StrCat(child.key_column, " = ", key_param, " AND ", child.value_column, " ",
                        Absl(SqlOp(node.op)), " ", Bind(node.value));
  }

  // Comparisons on a field kept in a child table, as one uncorrelated IN whose conditions are
  // OR-ed: Postgres finds the child rows through the child's index (one BitmapOr for many ORs)
  // and joins them to the parents, rather than testing every parent row.
  std::string SemiJoin(const FieldSpec& spec, const std::vector<std::string>& alternatives) {
    const FieldSpec::ChildTable& child = *spec.child;
    std::string where;
    for (const auto& alternative : alternatives) {
      if (!where.empty()) where += " OR ";
      where += alternatives.size() > 1 ? "(" + alternative + ")" : alternative;
    }
    if (!child.condition.empty()) {
      where = alternatives.size() > 1 ? "(" + where + ")" : where;
      where += " AND (" + child.condition + ")";
    }
    return absl::StrCat("(", child.parent_key, " IN (SELECT ", child.child_key, " FROM ",
                        child.from, " WHERE ", where, "))");
  }

  // The branches of an OR, with the comparisons on each child-table field merged into one
  // semi-join (`x IN A OR x IN B` is `x IN (A OR B)`), so that many ORs stay one index lookup.
  absl::StatusOr<std::string> EmitOr(const Node& node) {
    // Each branch is SQL, a child-table comparison (merged per field, below), or substring
    // matches, which are OR-ed by OrMatches when every branch is one.
    struct Part {
      std::string sql;
      std::vector<Match> matches;
      bool text = false;  // free text: its matches OR-ed among themselves
    };
    std::vector<Part> parts;
    std::vector<std::pair<const FieldSpec*, std::vector<std::string>>> groups;
    for (const Node& branch : node.children) {
      if (branch.kind == Node::Kind::kCompare) {
        ACCORD_ASSIGN_OR_RETURN(Resolved resolved, Resolve(branch));
        if (resolved.spec->child) {
          auto group = std::find_if(groups.begin(), groups.end(),
                                    [&](const auto& g) { return g.first == resolved.spec; });
          if (group == groups.end()) {
            groups.push_back({resolved.spec, {}});
            group = groups.end() - 1;
            parts.emplace_back();  // filled in below, keeping the branch order
          }
          group->second.push_back(ChildCondition(branch, *resolved.spec, resolved.key));
          continue;
        }
        if (resolved.spec->type == FieldType::kString && branch.op == Op::kHas) {
          parts.push_back({"", {Substring(*this, branch.value).On(*resolved.spec)}});
          continue;
        }
        ACCORD_ASSIGN_OR_RETURN(std::string part,
                                EmitColumnComparison(branch, *resolved.spec, resolved.key));
        parts.push_back({std::move(part), {}});
        continue;
      }
      if (branch.kind == Node::Kind::kText && !schema_.text_search_fields.empty()) {
        ACCORD_ASSIGN_OR_RETURN(std::vector<Match> matches, TextMatches(branch));
        parts.push_back({"", std::move(matches), true});
        continue;
      }
      ACCORD_ASSIGN_OR_RETURN(std::string part, Emit(branch));
      parts.push_back({std::move(part), {}});
    }
    std::vector<Match> all;
    bool only_matches = true;
    for (const Part& part : parts) {
      only_matches = only_matches && !part.matches.empty();
      all.insert(all.end(), part.matches.begin(), part.matches.end());
    }
    if (only_matches) return OrMatches(all);
    std::vector<std::string> sql;
    size_t next_group = 0;
    for (Part& part : parts) {
      if (!part.matches.empty()) {
        sql.push_back(part.text ? OrMatches(part.matches) : part.matches.front().Joined());
      } else if (part.sql.empty()) {
        sql.push_back(SemiJoin(*groups[next_group].first, groups[next_group].second));
        ++next_group;
      } else {
        sql.push_back(std::move(part.sql));
      }
    }
    return "(" + absl::StrJoin(sql, " OR ") + ")";
  }

  absl::Status BadValue(const Node& node, std::string_view expected) const {
    return Error(absl::StrCat("invalid value ", Quoted(node.value), " for ", node.field,
                              " at offset ", node.value_pos, ": expected ", Absl(expected)));
  }

  absl::Status UnknownField(const Node& node) const {
    std::string hint;
    for (const FieldSpec& spec : schema_.fields) {
      if (absl::EqualsIgnoreCase(spec.name, node.field)) {
        hint = absl::StrCat(" (field names are case-sensitive: did you mean ", spec.name, "?)");
      }
    }
    return Error(absl::StrCat("unknown field ", Quoted(node.field), " at offset ", node.pos, hint,
                              "; allowed fields: ", AllowedFields()));
  }

  std::string AllowedFields() const {
    std::vector<std::string> names;
    for (const FieldSpec& spec : schema_.fields) {
      names.push_back(spec.type == FieldType::kStringMap ? spec.name + ", " + spec.name + ".<key>"
                                                         : spec.name);
    }
    return names.empty() ? std::string("none") : absl::StrJoin(names, ", ");
  }

  const Schema& schema_;
  const int first_param_index_;
  std::vector<std::string> params_;
  int cost_ = 0;
  bool matches_pairs_ = false;
  bool matches_elements_ = false;
};

}  // namespace

absl::StatusOr<SqlFilter> Compile(std::string_view filter, const Schema& schema,
                                  int first_param_index) {
  if (first_param_index < 1) {
    return Internal(absl::StrCat("filter::Compile: first_param_index must be at least 1, got ",
                                 first_param_index));
  }
  if (filter.size() > kMaxFilterLength) {
    return Error(absl::StrCat("filter is too long: ", filter.size(), " bytes; at most ",
                              kMaxFilterLength, " are allowed"));
  }
  if (const size_t bad = FirstBadByte(filter); bad != std::string_view::npos) {
    return Error(absl::StrCat("filter is not valid UTF-8 text: bad byte at offset ", bad));
  }
  if (std::all_of(filter.begin(), filter.end(), IsSpace)) return SqlFilter{};

  Parser parser(filter);
  ACCORD_ASSIGN_OR_RETURN(Node root, parser.ParseAll());
  Compiler compiler(schema, first_param_index);
  SqlFilter out;
  ACCORD_ASSIGN_OR_RETURN(out.where, compiler.Emit(root));
  if (compiler.cost() > kMaxFilterCost) {
    return WithReason(
        Error(absl::StrCat(
            "filter is too expensive: it costs ", compiler.cost(), ", at most ", kMaxFilterCost,
            " is allowed (a comparison an index answers costs ", kIndexedComparisonCost,
            ", any other comparison or search text ", kScanComparisonCost, ", each OR ", kOrCost,
            " more); narrow it with = on indexed fields, or split it into several requests")),
        ReasonName(v1::FILTER_TOO_COMPLEX));
  }
  out.params = compiler.TakeParams();
  out.matches_pairs = compiler.matches_pairs();
  out.matches_elements = compiler.matches_elements();
  return out;
}

std::string Quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace accord::common::filter
