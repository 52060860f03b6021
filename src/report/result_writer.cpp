// result_writer: table, CSV and JSON renderings of query results.
#include "report/result_writer.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "base/text.h"

namespace pftls {

bool output_format_from_name(std::string_view name, OutputFormat& out) {
  if (name == "table")
    out = OutputFormat::kTable;
  else if (name == "csv")
    out = OutputFormat::kCsv;
  else if (name == "json")
    out = OutputFormat::kJson;
  else
    return false;
  return true;
}

namespace {

// The first character a spreadsheet reads after leading spaces (ASCII and
// ideographic U+3000) starts a formula: = + - @ or their full-width forms
// U+FF1D, U+FF0B, U+FF0D, U+FF20.
bool starts_formula(std::string_view s) {
  for (;;) {
    if (!s.empty() && s[0] == ' ') {
      s.remove_prefix(1);
    } else if (s.substr(0, 3) == "\u3000") {
      s.remove_prefix(3);
    } else {
      break;
    }
  }
  if (s.empty()) return false;
  if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') return true;
  const std::string_view wide = s.substr(0, 3);
  return wide == "\uff1d" || wide == "\uff0b" || wide == "\uff0d" || wide == "\uff20";
}

}  // namespace

std::string csv_cell(std::string_view text) {
  // A CSV printed to a terminal must not carry escape sequences either; the
  // formula check looks at what is left, so "\a=cmd" cannot slip through.
  const std::string clean = strip_controls(text);
  std::string cell;
  bool lead_control = !text.empty() && (text[0] == '\t' || text[0] == '\r');
  if (lead_control || starts_formula(clean)) cell.push_back('\'');
  cell.append(clean);
  bool quote = cell.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

namespace {

std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

class CsvWriter final : public RowSink {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void begin(const std::vector<std::string>& columns) override {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i) out_ << ',';
      out_ << csv_cell(columns[i]);
    }
    out_ << "\r\n";
  }
  bool row(const std::vector<Cell>& row) override {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) out_ << ',';
      out_ << csv_cell(row[i].text);
    }
    out_ << "\r\n";
    return static_cast<bool>(out_);
  }
  void end() override {}

 private:
  std::ostream& out_;
};

// Cells cut at kMaxCell characters; the column widths are those of the
// header and the first kTablePage rows, held until then.
class TableWriter final : public RowSink {
 public:
  explicit TableWriter(std::ostream& out) : out_(out) {}
  void begin(const std::vector<std::string>& columns) override {
    header_ = columns;
    width_.assign(columns.size(), 0);
    for (std::size_t i = 0; i < columns.size(); ++i) width_[i] = display_width(columns[i]);
  }
  bool row(const std::vector<Cell>& row) override {
    std::vector<std::string> r;
    r.reserve(row.size());
    for (const Cell& c : row) r.push_back(shown(c.text));
    ++rows_;
    if (page_done_) {
      line(r);
      return static_cast<bool>(out_);
    }
    for (std::size_t i = 0; i < r.size() && i < width_.size(); ++i)
      width_[i] = std::max(width_[i], display_width(r[i]));
    page_.push_back(std::move(r));
    if (page_.size() >= kTablePage) flush_page();
    return static_cast<bool>(out_);
  }
  void end() override {
    if (!page_done_) flush_page();
    if (rows_ == 0) out_ << "(no rows)\n";
  }

 private:
  static constexpr std::size_t kMaxCell = 80;

  static std::string shown(std::string_view text) {
    std::string s = strip_controls(text);
    if (display_width(s) > kMaxCell) {
      std::size_t cut = 0, n = 0;
      while (cut < s.size() && n < kMaxCell - 1) {
        ++cut;
        while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;
        ++n;
      }
      s = s.substr(0, cut) + "\u2026";
    }
    return s;
  }
  void flush_page() {
    page_done_ = true;
    line(header_);
    for (const auto& r : page_) line(r);
    page_.clear();
    page_.shrink_to_fit();
  }
  void line(const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out_ << r[i];
      if (i + 1 < r.size()) {
        const std::size_t w = display_width(r[i]);
        const std::size_t col = i < width_.size() ? width_[i] : 0;
        out_ << std::string((col > w ? col - w : 0) + 2, ' ');
      }
    }
    out_ << '\n';
  }

  std::ostream& out_;
  std::vector<std::string> header_;
  std::vector<std::size_t> width_;
  std::vector<std::vector<std::string>> page_;
  bool page_done_ = false;
  std::uint64_t rows_ = 0;
};

void json_string(std::string_view s, std::ostream& out) {
  out << '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out << "\ufffd";  // not UTF-8: JSON must stay valid
        continue;
      }
      const std::string_view seq = s.substr(i, n);
      if (is_hidden_code_point(seq)) {
        // C1 and bidi controls as escapes: the value is kept, a terminal
        // showing the JSON is not steered by it.
        const auto b1 = static_cast<unsigned char>(seq[1]);
        const unsigned cp = n == 2 ? ((c & 0x1Fu) << 6) | (b1 & 0x3Fu)
                                   : ((c & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) |
                                         (static_cast<unsigned char>(seq[2]) & 0x3Fu);
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
        out << buf;
      } else {
        out << seq;
      }
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\r':
        out << "\\r";
        break;
      case '\t':
        out << "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out << buf;
        } else {
          out << ch;
        }
    }
  }
  out << '"';
}

// An array of objects, or (lines) one object per line and nothing else.
class JsonWriter final : public RowSink {
 public:
  JsonWriter(std::ostream& out, bool lines) : out_(out), lines_(lines) {}
  void begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    if (!lines_) out_ << "[";
  }
  bool row(const std::vector<Cell>& row) override {
    if (!lines_) out_ << (rows_++ ? ",\n " : "\n ");
    out_ << "{";
    for (std::size_t i = 0; i < columns_.size() && i < row.size(); ++i) {
      if (i) out_ << ", ";
      json_string(columns_[i], out_);
      out_ << ": ";
      const Cell& c = row[i];
      if (c.type == Cell::Type::kNull)
        out_ << "null";
      else if (c.type == Cell::Type::kInteger || c.type == Cell::Type::kReal)
        out_ << c.text;
      else
        json_string(c.text, out_);
    }
    out_ << (lines_ ? "}\n" : "}");
    return static_cast<bool>(out_);
  }
  void end() override {
    if (!lines_) out_ << (rows_ == 0 ? "]\n" : "\n]\n");
  }

 private:
  std::ostream& out_;
  bool lines_;
  std::vector<std::string> columns_;
  std::uint64_t rows_ = 0;
};

}  // namespace

void write_json_string(std::string_view text, std::ostream& out) { json_string(text, out); }

std::unique_ptr<RowSink> result_writer(OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kCsv:
      return std::make_unique<CsvWriter>(out);
    case OutputFormat::kJson:
      return std::make_unique<JsonWriter>(out, false);
    case OutputFormat::kTable:
      break;
  }
  return std::make_unique<TableWriter>(out);
}

std::unique_ptr<RowSink> json_lines_writer(std::ostream& out) {
  return std::make_unique<JsonWriter>(out, true);
}

void write_result(const ResultSet& rs, OutputFormat format, std::ostream& out) {
  auto writer = result_writer(format, out);
  writer->begin(rs.columns);
  for (const auto& row : rs.rows) {
    if (!writer->row(row)) break;
  }
  writer->end();
}

}  // namespace pftls
