// result_writer_fuzz: hostile cells through the table, CSV and JSON
// writers (libFuzzer target).
//
// Input: byte 0 sets the number of columns (1 to 6), byte 1 is the cell
// separator, the rest are cells, row after row; a short last row is dropped.
// Column names are the queries' own (here col0, col1, ...), not log text. A cell that reads as an
// integer (up to 18 digits, no leading zero) is an integer cell; an empty one in an odd column is
// NULL. Checked (result_writer.h's contract): the table and CSV hold no control character (C0, DEL,
// C1 as UTF-8) but their line ends, and have one line per row plus the header; each CSV record has
// one field per column, no field starts a formula; the JSON is valid (simdjson) with one object per
// row, one member per column, and gives back every text cell that was
// valid UTF-8, byte for byte.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "report/result_writer.h"

namespace {

using pftls::Cell;

bool is_integer(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 18 || (s[0] == '0' && s.size() > 1)) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// No C0 but the allowed line ends, no DEL, no C1 (C2 80..C2 9F).
bool clean(std::string_view out, bool crlf) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c == '\n') {
      if (crlf && (i == 0 || out[i - 1] != '\r')) return false;
      continue;
    }
    if (c == '\r' && crlf && i + 1 < out.size() && out[i + 1] == '\n') continue;
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xC2 && i + 1 < out.size()) {
      const auto d = static_cast<unsigned char>(out[i + 1]);
      if (d >= 0x80 && d <= 0x9F) return false;
    }
  }
  return true;
}

// RFC 4180 records of `out`; false when it is not well formed.
bool parse_csv(std::string_view out, std::vector<std::vector<std::string>>& records) {
  std::size_t i = 0;
  while (i < out.size()) {
    std::vector<std::string> rec;
    for (;;) {
      std::string field;
      if (i < out.size() && out[i] == '"') {
        ++i;
        for (;;) {
          if (i >= out.size()) return false;
          if (out[i] == '"') {
            if (i + 1 < out.size() && out[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          field.push_back(out[i++]);
        }
      } else {
        while (i < out.size() && out[i] != ',' && out[i] != '\r' && out[i] != '"') {
          field.push_back(out[i++]);
        }
      }
      rec.push_back(std::move(field));
      if (i < out.size() && out[i] == ',') {
        ++i;
        continue;
      }
      if (out.substr(i, 2) != "\r\n") return false;
      i += 2;
      break;
    }
    records.push_back(std::move(rec));
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pftls;
  if (size < 2) return 0;
  const std::size_t ncols = 1 + data[0] % 6;
  const char sep = static_cast<char>(data[1]);
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::string> cells;
  for (;;) {
    const std::size_t at = rest.find(sep);
    cells.emplace_back(rest.substr(0, at));
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + 1);
  }
  if (cells.size() < ncols) return 0;
  ResultSet rs;
  for (std::size_t i = 0; i < ncols; ++i) rs.columns.push_back("col" + std::to_string(i));
  for (std::size_t r = 0; r + ncols <= cells.size(); r += ncols) {
    std::vector<Cell> row;
    for (std::size_t i = 0; i < ncols; ++i) {
      Cell c;
      c.text = cells[r + i];
      c.type = is_integer(c.text)             ? Cell::Type::kInteger
               : c.text.empty() && i % 2 == 1 ? Cell::Type::kNull
                                              : Cell::Type::kText;
      row.push_back(std::move(c));
    }
    rs.rows.push_back(std::move(row));
  }
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::ostringstream table;
  write_result(rs, OutputFormat::kTable, table);
  const std::string t = table.str();
  FUZZ_CHECK(clean(t, false), input);
  std::size_t lines = 0;
  for (char c : t) lines += c == '\n';
  FUZZ_CHECK(lines == 1 + (rs.rows.empty() ? 1 : rs.rows.size()), input);
  FUZZ_CHECK(!t.empty() && t.back() == '\n', input);

  std::ostringstream csv;
  write_result(rs, OutputFormat::kCsv, csv);
  const std::string c = csv.str();
  FUZZ_CHECK(clean(c, true), input);
  std::vector<std::vector<std::string>> records;
  FUZZ_CHECK(parse_csv(c, records), input);
  FUZZ_CHECK(records.size() == 1 + rs.rows.size(), input);
  for (const auto& rec : records) {
    FUZZ_CHECK(rec.size() == ncols, input);
    for (const auto& f : rec) {
      FUZZ_CHECK(
          f.empty() || (f[0] != '=' && f[0] != '+' && f[0] != '-' && f[0] != '@') || is_integer(f),
          input);
    }
  }

  std::ostringstream json;
  write_result(rs, OutputFormat::kJson, json);
  const std::string j = json.str();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  FUZZ_CHECK(parser.parse(j).get(doc) == simdjson::SUCCESS, input);
  simdjson::dom::array array;
  FUZZ_CHECK(doc.get_array().get(array) == simdjson::SUCCESS, input);
  FUZZ_CHECK(array.size() == rs.rows.size(), input);
  std::size_t r = 0;
  for (simdjson::dom::element row : array) {
    simdjson::dom::object obj;
    FUZZ_CHECK(row.get_object().get(obj) == simdjson::SUCCESS, input);
    FUZZ_CHECK(obj.size() == ncols, input);
    std::size_t i = 0;
    for (simdjson::dom::key_value_pair field : obj) {
      FUZZ_CHECK(field.key == rs.columns[i], input);
      const Cell& cell = rs.rows[r][i];
      // A value the row does not have, NULL or empty, is written as null.
      if (cell.type == Cell::Type::kNull || cell.text.empty()) {
        FUZZ_CHECK(field.value.is_null(), input);
      } else if (cell.type == Cell::Type::kText &&
                 simdjson::validate_utf8(cell.text.data(), cell.text.size())) {
        std::string_view got;
        FUZZ_CHECK(field.value.get_string().get(got) == simdjson::SUCCESS, input);
        FUZZ_CHECK(got == cell.text, input);
      }
      ++i;
    }
    ++r;
  }
  return 0;
}
