// result_writer: table, CSV and JSON renderings of query results.
#include "report/result_writer.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "base/log_time.h"
#include "base/text.h"

namespace pftls {

bool output_format_from_name(std::string_view name, OutputFormat& out) {
  if (name == "table")
    out = OutputFormat::kTable;
  else if (name == "csv")
    out = OutputFormat::kCsv;
  else if (name == "json")
    out = OutputFormat::kJson;
  else if (name == "ndjson")
    out = OutputFormat::kNdjson;
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

namespace {

// Text that csv_cell() returns as it is: printable ASCII that needs no
// quotes and does not start like a formula (nor with a space, which a
// formula may hide behind). Most cells are such text.
bool plain_csv(std::string_view text) {
  if (text.empty()) return true;
  const char c = text[0];
  if (c == '=' || c == '+' || c == '-' || c == '@' || c == ' ') return false;
  for (const char ch : text) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x20 || b >= 0x7f || ch == ',' || ch == '"') return false;
  }
  return true;
}

void append_csv_cell(std::string& out, std::string_view text) {
  if (plain_csv(text))
    out.append(text);
  else
    out.append(csv_cell(text));
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

// Each line is made in one buffer and written at once.
class CsvWriter final : public RowSink {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void begin(const std::vector<std::string>& columns) override {
    line_.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i) line_.push_back(',');
      append_csv_cell(line_, columns[i]);
    }
    line_.append("\r\n");
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  }
  bool row(const std::vector<Cell>& row) override {
    line_.clear();
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) line_.push_back(',');
      append_csv_cell(line_, row[i].text);
    }
    line_.append("\r\n");
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
    return static_cast<bool>(out_);
  }
  void end() override {}

 private:
  std::ostream& out_;
  std::string line_;
};

// Cells cut at kMaxCell characters; the column widths are those of the
// header and the first kTablePage rows, held until then.
class TableWriter final : public RowSink {
 public:
  TableWriter(std::ostream& out, std::size_t max_width) : out_(out), max_width_(max_width) {}
  void begin(const std::vector<std::string>& columns) override {
    header_ = columns;
    width_.assign(columns.size(), 0);
    for (std::size_t i = 0; i < columns.size(); ++i) width_[i] = display_width(columns[i]);
  }
  bool row(const std::vector<Cell>& row) override {
    std::vector<std::string>& r = cells_;
    r.resize(row.size());
    shown_width_.resize(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) shown_width_[i] = shown(row[i].text, r[i]);
    return add(r);
  }
  // The cells' text taken where it is shown as it is (short printable
  // ASCII, nearly every cell): the sender gets other buffers back.
  bool take_row(std::vector<Cell>& row) override {
    std::vector<std::string>& r = cells_;
    r.resize(row.size());
    shown_width_.resize(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string& text = row[i].text;
      if (text.size() <= kMaxCell && printable_ascii(text)) {
        r[i].swap(text);
        shown_width_[i] = r[i].size();
      } else {
        shown_width_[i] = shown(text, r[i]);
      }
    }
    return add(r);
  }
  void end() override {
    if (!page_done_) flush_page();
    if (rows_ == 0) out_ << "(no rows)\n";
  }

 private:
  static constexpr std::size_t kMaxCell = 80;

  bool add(std::vector<std::string>& r) {
    ++rows_;
    if (page_done_) {
      line(r, shown_width_.data());
      return static_cast<bool>(out_);
    }
    for (std::size_t i = 0; i < r.size() && i < width_.size(); ++i)
      width_[i] = std::max(width_[i], shown_width_[i]);
    page_.push_back(r);
    if (page_.size() >= kTablePage) flush_page();
    return static_cast<bool>(out_);
  }

  // `text` as the table shows it, into `s` (whose buffer is reused); its
  // width in characters.
  static std::size_t shown(std::string_view text, std::string& s) {
    if (text.size() <= kMaxCell && printable_ascii(text)) {
      s.assign(text);
      return s.size();
    }
    shown_slowly(text, s);
    return display_width(s);
  }
  static void shown_slowly(std::string_view text, std::string& s) {
    s = strip_controls(text);
    if (display_width(s) > kMaxCell) {
      std::size_t cut = 0, n = 0;
      while (cut < s.size() && n < kMaxCell - 1) {
        ++cut;
        while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;
        ++n;
      }
      s = s.substr(0, cut) + "\u2026";
    }
  }
  // Narrows the widest column, one character at a time, until the line
  // fits max_width_ or every column is down to kMinWidth.
  void fit() {
    if (max_width_ == 0 || width_.empty()) return;
    constexpr std::size_t kMinWidth = 3;
    std::size_t total = 2 * (width_.size() - 1);
    for (std::size_t w : width_) total += w;
    while (total > max_width_) {
      const auto widest = std::max_element(width_.begin(), width_.end());
      if (*widest <= kMinWidth) break;
      --*widest;
      --total;
    }
    fitted_ = true;
  }
  // `s` cut to `width` characters, its last one "…", when it is wider.
  static std::string elided(const std::string& s, std::size_t width) {
    if (display_width(s) <= width) return s;
    std::size_t cut = 0, n = 0;
    while (cut < s.size() && n + 1 < width) {
      ++cut;
      while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;
      ++n;
    }
    return s.substr(0, cut) + "\u2026";
  }
  void flush_page() {
    page_done_ = true;
    fit();
    line(header_, nullptr);
    for (const auto& r : page_) line(r, nullptr);
    page_.clear();
    page_.shrink_to_fit();
  }
  // One line, made in one buffer and written at once; fitted, each cell cut
  // to its column's width. widths: the cells' widths when known.
  void line(const std::vector<std::string>& row, const std::size_t* widths) {
    buf_.clear();
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::size_t w = widths != nullptr ? widths[i] : display_width(row[i]);
      if (fitted_ && i < width_.size() && w > width_[i]) {
        const std::string cut = elided(row[i], width_[i]);
        buf_.append(cut);
        w = display_width(cut);
      } else {
        buf_.append(row[i]);
      }
      if (i + 1 < row.size()) {
        const std::size_t col = i < width_.size() ? width_[i] : 0;
        buf_.append((col > w ? col - w : 0) + 2, ' ');
      }
    }
    buf_.push_back('\n');
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  }

  std::ostream& out_;
  std::size_t max_width_;
  bool fitted_ = false;
  std::vector<std::string> header_;
  std::vector<std::size_t> width_;
  std::vector<std::vector<std::string>> page_;
  std::vector<std::string> cells_;        // the current row, shown
  std::vector<std::size_t> shown_width_;  // and its cells' widths
  std::string buf_;                       // the current line
  bool page_done_ = false;
  std::uint64_t rows_ = 0;
};

// Bytes JSON takes as they are: printable ASCII but the quote and backslash.
bool json_plain(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c >= 0x20 && c < 0x7f && ch != '"' && ch != '\\';
}

// Appends `s` as a JSON string to `out`.
void json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::size_t run = i;
    while (run < s.size() && json_plain(s[run])) ++run;
    if (run > i) {
      out.append(s, i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out.append("\ufffd");  // not UTF-8: JSON must stay valid
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
        out.append(buf);
      } else {
        out.append(seq);
      }
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

// An id column ("id", "incident_id", "failure_id"...): written as a string
// whatever its type, since some ids are not numbers ("o1").
bool id_column(std::string_view name) {
  return name == "id" || (name.size() > 3 && name.substr(name.size() - 3) == "_id");
}

// An array of objects, or (lines) one object per line and nothing else.
// NULL and empty cells (a value the row does not have) are null.
class JsonWriter final : public RowSink {
 public:
  JsonWriter(std::ostream& out, bool lines) : out_(out), lines_(lines) {}
  void begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    ids_.clear();
    for (const auto& c : columns) ids_.push_back(id_column(c));
    if (!lines_) out_ << "[";
  }
  bool row(const std::vector<Cell>& row) override {
    buf_.clear();
    if (!lines_) buf_.append(rows_++ ? ",\n " : "\n ");
    buf_.push_back('{');
    for (std::size_t i = 0; i < columns_.size() && i < row.size(); ++i) {
      if (i) buf_.append(", ");
      json_string(columns_[i], buf_);
      buf_.append(": ");
      const Cell& c = row[i];
      if (c.type == Cell::Type::kNull || c.text.empty())
        buf_.append("null");
      else if (!ids_[i] && (c.type == Cell::Type::kInteger || c.type == Cell::Type::kReal))
        buf_.append(c.text);
      else
        json_string(c.text, buf_);
    }
    buf_.append(lines_ ? "}\n" : "}");
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    return static_cast<bool>(out_);
  }
  void end() override {
    if (!lines_) out_ << (rows_ == 0 ? "]\n" : "\n]\n");
  }

 private:
  std::ostream& out_;
  bool lines_;
  std::vector<std::string> columns_;
  std::vector<bool> ids_;
  std::string buf_;  // the current row, written at once
  std::uint64_t rows_ = 0;
};

}  // namespace

void write_json_string(std::string_view text, std::ostream& out) {
  std::string s;
  json_string(text, s);
  out << s;
}

std::unique_ptr<RowSink> result_writer(OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kCsv:
      return std::make_unique<CsvWriter>(out);
    case OutputFormat::kJson:
      return std::make_unique<JsonWriter>(out, false);
    case OutputFormat::kNdjson:
      return std::make_unique<JsonWriter>(out, true);
    case OutputFormat::kTable:
      break;
  }
  return std::make_unique<TableWriter>(out, 0);
}

std::unique_ptr<RowSink> table_writer(std::ostream& out, std::size_t max_width) {
  return std::make_unique<TableWriter>(out, max_width);
}

namespace {

class ColumnPicker final : public RowSink {
 public:
  ColumnPicker(std::vector<std::string> names, bool strict, std::unique_ptr<RowSink> inner)
      : names_(std::move(names)), strict_(strict), inner_(std::move(inner)) {}
  void begin(const std::vector<std::string>& columns) override {
    std::vector<std::string> picked;
    for (const auto& name : names_) {
      const auto it = std::find(columns.begin(), columns.end(), name);
      if (it != columns.end()) {
        index_.push_back(static_cast<std::size_t>(it - columns.begin()));
        picked.push_back(name);
      } else if (strict_) {
        std::string all;
        for (const auto& c : columns) all += (all.empty() ? "" : ", ") + c;
        throw std::runtime_error("--columns: no column '" + strip_controls(name) +
                                 "' here; the columns are " + all);
      }
    }
    std::vector<std::size_t> sorted = index_;
    std::sort(sorted.begin(), sorted.end());
    repeats_ = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
    inner_->begin(picked);
  }
  bool row(const std::vector<Cell>& cells) override {
    pick<false>(cells);
    return inner_->row(picked_);
  }
  // The picked cells' text taken, not copied, when no column is picked
  // twice: the sender gets other buffers back, as take_row() allows.
  bool take_row(std::vector<Cell>& cells) override {
    if (repeats_) return row(cells);
    pick<true>(cells);
    return inner_->take_row(picked_);
  }
  void end() override { inner_->end(); }

 private:
  std::vector<std::string> names_;
  bool strict_;
  std::unique_ptr<RowSink> inner_;
  // The picked cells, from `cells`: their text copied, or taken (kTake).
  // picked_ keeps its buffers from row to row (no allocation per cell once
  // the widest values have been seen).
  template <bool kTake, typename Cells>
  void pick(Cells& cells) {
    picked_.resize(index_.size());
    for (std::size_t k = 0; k < index_.size(); ++k) {
      const std::size_t i = index_[k];
      Cell& out = picked_[k];
      if (i >= cells.size()) {
        out.type = Cell::Type::kNull;
        out.text.clear();
        continue;
      }
      out.type = cells[i].type;
      if constexpr (kTake)
        out.text.swap(cells[i].text);
      else
        out.text.assign(cells[i].text);
    }
  }

  std::vector<std::size_t> index_;
  bool repeats_ = false;  // a column picked twice
  std::vector<Cell> picked_;
};

class UtcTimeColumns final : public RowSink {
 public:
  UtcTimeColumns(std::vector<std::string> names, std::unique_ptr<RowSink> inner)
      : names_(std::move(names)), inner_(std::move(inner)) {}
  void begin(const std::vector<std::string>& columns) override {
    at_.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (std::find(names_.begin(), names_.end(), columns[i]) != names_.end()) at_.push_back(i);
    }
    inner_->begin(columns);
  }
  bool row(const std::vector<Cell>& cells) override {
    copy_ = cells;
    return take_row(copy_);
  }
  bool take_row(std::vector<Cell>& cells) override {
    for (const std::size_t i : at_) {
      if (i >= cells.size() || cells[i].type != Cell::Type::kInteger) continue;
      Cell& c = cells[i];
      std::int64_t us = 0;
      const auto r = std::from_chars(c.text.data(), c.text.data() + c.text.size(), us);
      if (r.ec != std::errc() || r.ptr != c.text.data() + c.text.size()) continue;
      c.text.clear();
      append_utc(c.text, us);
      c.type = Cell::Type::kText;
    }
    return inner_->take_row(cells);
  }
  void end() override { inner_->end(); }

 private:
  std::vector<std::string> names_;
  std::unique_ptr<RowSink> inner_;
  std::vector<std::size_t> at_;  // the columns converted
  std::vector<Cell> copy_;       // row()'s cells, converted
};

}  // namespace

std::unique_ptr<RowSink> utc_time_columns(std::vector<std::string> names,
                                          std::unique_ptr<RowSink> inner) {
  return std::make_unique<UtcTimeColumns>(std::move(names), std::move(inner));
}

std::unique_ptr<RowSink> column_picker(std::vector<std::string> names, bool strict,
                                       std::unique_ptr<RowSink> inner) {
  return std::make_unique<ColumnPicker>(std::move(names), strict, std::move(inner));
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
