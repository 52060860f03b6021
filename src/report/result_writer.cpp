// result_writer: table, CSV and JSON renderings of query results.
#include "report/result_writer.h"

#include <algorithm>
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

void write_csv(const ResultSet& rs, std::ostream& out) {
  for (std::size_t i = 0; i < rs.columns.size(); ++i) {
    if (i) out << ',';
    out << csv_cell(rs.columns[i]);
  }
  out << "\r\n";
  for (const auto& row : rs.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) out << ',';
      out << csv_cell(row[i].text);
    }
    out << "\r\n";
  }
}

void write_table(const ResultSet& rs, std::ostream& out) {
  constexpr std::size_t kMaxCell = 80;
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width(rs.columns.size());
  for (std::size_t i = 0; i < rs.columns.size(); ++i) width[i] = display_width(rs.columns[i]);
  for (const auto& row : rs.rows) {
    std::vector<std::string> r;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string s = strip_controls(row[i].text);
      if (display_width(s) > kMaxCell) {
        std::size_t cut = 0, n = 0;
        while (cut < s.size() && n < kMaxCell - 1) {
          ++cut;
          while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;
          ++n;
        }
        s = s.substr(0, cut) + "\u2026";
      }
      width[i] = std::max(width[i], display_width(s));
      r.push_back(std::move(s));
    }
    cells.push_back(std::move(r));
  }
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out << r[i];
      if (i + 1 < r.size()) out << std::string(width[i] - display_width(r[i]) + 2, ' ');
    }
    out << '\n';
  };
  line(rs.columns);
  for (const auto& r : cells) line(r);
  if (rs.rows.empty()) out << "(no rows)\n";
}

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

void write_json(const ResultSet& rs, std::ostream& out) {
  out << "[";
  for (std::size_t r = 0; r < rs.rows.size(); ++r) {
    out << (r ? ",\n " : "\n ") << "{";
    for (std::size_t i = 0; i < rs.columns.size(); ++i) {
      if (i) out << ", ";
      json_string(rs.columns[i], out);
      out << ": ";
      const Cell& c = rs.rows[r][i];
      if (c.type == Cell::Type::kNull)
        out << "null";
      else if (c.type == Cell::Type::kInteger || c.type == Cell::Type::kReal)
        out << c.text;
      else
        json_string(c.text, out);
    }
    out << "}";
  }
  out << (rs.rows.empty() ? "]\n" : "\n]\n");
}

}  // namespace

void write_result(const ResultSet& rs, OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kTable:
      write_table(rs, out);
      break;
    case OutputFormat::kCsv:
      write_csv(rs, out);
      break;
    case OutputFormat::kJson:
      write_json(rs, out);
      break;
  }
}

}  // namespace pftls
