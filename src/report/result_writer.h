// result_writer: a ResultSet as a terminal table, CSV or JSON.
//
// Contract: every cell is hostile text from a log. CSV is RFC 4180 (CRLF,
// quotes doubled, a header row) and a cell starting with '=', '+', '-', '@',
// TAB or CR is prefixed with "'" so spreadsheets do not run it as a
// formula. Table and CSV strip control characters (C0, DEL and C1) so
// nothing from a log reaches a terminal as a control sequence; JSON escapes
// them.
//
// The writers stream (result_writer()): a row is written when it arrives,
// so memory does not grow with the result. A table buffers its first
// kTablePage rows to size its columns; a later, wider cell widens its own
// row only.
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "report/result_set.h"

namespace pftls {

enum class OutputFormat { kTable, kCsv, kJson };

inline constexpr std::size_t kTablePage = 1000;

bool output_format_from_name(std::string_view name, OutputFormat& out);
// A RowSink that writes to `out` as rows arrive; row() returns false once
// `out` has failed (a closed pipe), so the query stops.
std::unique_ptr<RowSink> result_writer(OutputFormat format, std::ostream& out);
void write_result(const ResultSet& rs, OutputFormat format, std::ostream& out);

std::string csv_cell(std::string_view text);

}  // namespace pftls
