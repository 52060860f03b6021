// result_writer: a ResultSet as a terminal table, CSV or JSON.
//
// Contract: every cell is hostile text from a log. CSV is RFC 4180 (CRLF,
// quotes doubled, a header row) and a cell starting with '=', '+', '-', '@',
// TAB or CR is prefixed with "'" so spreadsheets do not run it as a
// formula. Table and CSV strip control characters (C0, DEL and C1) so
// nothing from a log reaches a terminal as a control sequence; JSON escapes
// them.
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
