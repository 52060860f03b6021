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

std::string csv_cell(std::string_view text) {
  // A CSV printed to a terminal must not carry escape sequences either; the
  // formula check looks at what is left, so "\a=cmd" cannot slip through.
  const std::string clean = strip_controls(text);
  std::string cell;
  bool lead_control = !text.empty() && (text[0] == '\t' || text[0] == '\r');
  if (lead_control || (!clean.empty() && (clean[0] == '=' || clean[0] == '+' || clean[0] == '-' ||
                                          clean[0] == '@'))) {
    cell.push_back('\'');
  }
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

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid
// (RFC 3629: no overlong form, no surrogate, nothing above U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  const auto second = static_cast<unsigned char>(s[i + 1]);
  if (second < lo || second > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

void json_string(std::string_view s, std::ostream& out) {
  out << '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out << "\ufffd";  // not UTF-8: JSON must stay valid
      } else {
        out << s.substr(i, n);
        i += n - 1;
      }
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
