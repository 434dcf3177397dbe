// CSV for the import commands (contacts import, price-lists import): RFC 4180 records in, fields
// quoted when they need it out, and the progress bar an import draws on stderr.
#pragma once

#include <algorithm>
#include <fstream>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace accord::accordctl::csv {

// One record of RFC 4180 CSV from `in` (quoted fields may hold commas, quotes as "" and line
// breaks); false at the end of the input.
inline bool ReadCsvRecord(std::istream& in, std::vector<std::string>* fields) {
  fields->clear();
  if (in.peek() == std::char_traits<char>::eof()) return false;
  std::string field;
  bool quoted = false;
  char c;
  while (in.get(c)) {
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (in.peek() == '"') {
        field += '"';
        in.get(c);
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      field += c;
    }
  }
  fields->push_back(std::move(field));
  return true;
}

// `text` as one CSV field: quoted when it holds a comma, a quote or a line break.
inline std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// An import's input: the file, its size (for the progress bar) and its header.
struct CsvInput {
  std::ifstream in;
  double size = 1;
  std::vector<std::string> header;
};

// Opens `path` and reads its header, which must name every column of `required`. Returns what is
// wrong, or "" with `input` ready at the first row.
inline std::string OpenCsv(const std::string& path, const std::vector<std::string>& required,
                           CsvInput* input) {
  input->in.open(path, std::ios::binary);
  if (!input->in) return "cannot read " + path;
  input->in.seekg(0, std::ios::end);
  input->size = static_cast<double>(std::max<std::streamoff>(input->in.tellg(), 1));
  input->in.seekg(0);
  if (!ReadCsvRecord(input->in, &input->header)) return path + " is empty";
  for (const auto& column : required) {
    if (std::find(input->header.begin(), input->header.end(), column) == input->header.end()) {
      return path + ": the header has no " + column + " column";
    }
  }
  return "";
}

// "[#####     ] 50% 1200 rows sent" redrawn in place: the share of the file read so far.
inline void DrawProgress(std::ostream& err, std::istream& in, double file_size, size_t rows,
                         bool last) {
  const std::streamoff at = in.tellg();
  const int percent = last || at < 0 ? 100 : static_cast<int>(100.0 * at / file_size);
  const int filled = percent / 5;
  err << "\r[" << std::string(filled, '#') << std::string(20 - filled, ' ') << "] " << percent
      << "% " << rows << " rows sent" << (last ? "\n" : "") << std::flush;
}

}  // namespace accord::accordctl::csv
