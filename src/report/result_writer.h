// result_writer: a ResultSet as a terminal table, CSV or JSON.
//
// Contract: every cell is hostile text from a log. CSV is RFC 4180 (CRLF,
// quotes doubled, a header row) and a cell that starts a formula is
// prefixed with "'" so spreadsheets do not run it: one starting with TAB or
// CR, or whose first character after leading spaces (ASCII or U+3000) is
// '=', '+', '-', '@' or a full-width twin (U+FF1D, U+FF0B, U+FF0D, U+FF20).
// Table and CSV cells pass strip_controls() (base/text.h: no C0, DEL, C1 or
// bidi controls, U+FFFD for bytes that are not UTF-8), so nothing from a log
// reaches a terminal as a control sequence; JSON escapes those controls as
// \uXXXX and writes U+FFFD for bytes that are not UTF-8.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "report/result_set.h"

namespace pftls {

enum class OutputFormat { kTable, kCsv, kJson };

bool output_format_from_name(std::string_view name, OutputFormat& out);
void write_result(const ResultSet& rs, OutputFormat format, std::ostream& out);

std::string csv_cell(std::string_view text);

}  // namespace pftls
