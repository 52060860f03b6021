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
// \uXXXX and writes U+FFFD for bytes that are not UTF-8. In JSON an id
// column ("id" or "*_id") is always a string ("7", "o1") and a NULL or
// empty cell is null.
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
#include <vector>

#include "report/result_set.h"

namespace pftls {

// kNdjson: JSON lines, each row one object on a line of its own.
enum class OutputFormat { kTable, kCsv, kJson, kNdjson };

inline constexpr std::size_t kTablePage = 1000;

bool output_format_from_name(std::string_view name, OutputFormat& out);
// A RowSink that writes to `out` as rows arrive; row() returns false once
// `out` has failed (a closed pipe), so the query stops.
std::unique_ptr<RowSink> result_writer(OutputFormat format, std::ostream& out);
// JSON lines: each row one object (as in the JSON array) on a line of its own.
std::unique_ptr<RowSink> json_lines_writer(std::ostream& out);
// A table no wider than max_width characters (0: no bound): when the
// columns would be wider, the widest are narrowed (to no less than 3) and
// their cells cut with "…".
std::unique_ptr<RowSink> table_writer(std::ostream& out, std::size_t max_width);
// Passes on only the columns `names` names, in that order. strict: a name
// the result does not have throws std::runtime_error naming the columns it
// has (from begin(), before any row); else such names are skipped.
std::unique_ptr<RowSink> column_picker(std::vector<std::string> names, bool strict,
                                       std::unique_ptr<RowSink> inner);
// Cells of the columns `names` names hold times in microseconds since the
// epoch (integers); `inner` gets them as UTC text ("2024-12-23T15:01:05Z",
// format_utc). NULL and any other cell pass unchanged. For a listing of a
// million rows whose database would otherwise format two times per row on
// its own thread (clients.sql: 0.2 s of a year's listing).
std::unique_ptr<RowSink> utc_time_columns(std::vector<std::string> names,
                                          std::unique_ptr<RowSink> inner);
void write_result(const ResultSet& rs, OutputFormat format, std::ostream& out);

std::string csv_cell(std::string_view text);
// One JSON string, escaped as the JSON writer escapes a cell.
void write_json_string(std::string_view text, std::ostream& out);

}  // namespace pftls
