// Unit tests for result_writer: CSV cells (formula neutralising, RFC 4180
// quoting), the CSV document, control stripping for the table, JSON escaping
// and typing, and output format names.
#include "report/result_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pftls {
namespace {

Cell text(std::string s) { return Cell{Cell::Type::kText, std::move(s)}; }
Cell integer(std::string s) { return Cell{Cell::Type::kInteger, std::move(s)}; }
Cell null() { return Cell{Cell::Type::kNull, ""}; }

std::string render(const ResultSet& rs, OutputFormat f) {
  std::ostringstream out;
  write_result(rs, f, out);
  return out.str();
}

// ---------------------------------------------------------------------------
// csv_cell

struct CsvCase {
  const char* what;
  std::string in;
  std::string want;
};

void PrintTo(const CsvCase& c, std::ostream* os) { *os << c.what; }

class CsvCellTest : public ::testing::TestWithParam<CsvCase> {};

TEST_P(CsvCellTest, Encodes) {
  EXPECT_EQ(csv_cell(GetParam().in), GetParam().want) << GetParam().what;
}

INSTANTIATE_TEST_SUITE_P(
    Cells, CsvCellTest,
    ::testing::Values(
        CsvCase{"plain", "148.173.96.86", "148.173.96.86"}, CsvCase{"empty", "", ""},
        CsvCase{"time", "2016-12-23T15:01:05Z", "2016-12-23T15:01:05Z"},
        CsvCase{"= at start", "=SUM(A1:A9)", "'=SUM(A1:A9)"},
        CsvCase{"+ at start", "+31 20 555", "'+31 20 555"}, CsvCase{"- at start", "-1", "'-1"},
        CsvCase{"@ at start", "@SUM(1)", "'@SUM(1)"},
        // TAB and CR at the start: prefixed; as control characters they are
        // then stripped (the header: "Table and CSV strip control characters").
        CsvCase{"TAB at start", "\t=1", "'=1"}, CsvCase{"CR at start", "\r=1", "'=1"},
        CsvCase{"= inside is harmless", "a=b", "a=b"}, CsvCase{"comma", "a,b", "\"a,b\""},
        CsvCase{"quote, doubled", "say \"hi\"", "\"say \"\"hi\"\"\""},
        CsvCase{"lone quote", "\"", "\"\"\"\""}, CsvCase{"LF stripped", "a\nb", "ab"},
        CsvCase{"CR stripped", "a\rb", "ab"}, CsvCase{"CRLF stripped", "a\r\nb", "ab"},
        CsvCase{"comma and LF", "a,\nb", "\"a,b\""},
        CsvCase{"ESC and C1 stripped", "a\x1b[31mb\xc2\x9b", "a[31mb"},
        CsvCase{"formula with comma", "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
        CsvCase{"UTF-8 untouched", "Grüße", "Grüße"},
        // Spreadsheets skip leading spaces, and some read the full-width
        // forms as the ASCII ones.
        CsvCase{"space then =", " =1+1", "' =1+1"},
        CsvCase{"spaces then @", "   @SUM(1)", "'   @SUM(1)"},
        CsvCase{"ideographic space then =", "\u3000=1", "'\u3000=1"},
        CsvCase{"full-width =", "\uff1dcmd|' /C calc'!A0", "'\uff1dcmd|' /C calc'!A0"},
        CsvCase{"full-width +", "\uff0b1", "'\uff0b1"},
        CsvCase{"full-width -", "\uff0d1", "'\uff0d1"},
        CsvCase{"full-width @", "\uff20SUM(1)", "'\uff20SUM(1)"},
        CsvCase{"space then letter", " a=b", " a=b"}, CsvCase{"spaces only", "  ", "  "},
        CsvCase{"other full-width letter", "\uff21=1", "\uff21=1"},
        CsvCase{"bidi override then =", "\u202e=1", "'=1"}));

// ---------------------------------------------------------------------------
// CSV document

TEST(WriteResultCsv, HeaderRowAndCrlf) {
  ResultSet rs;
  rs.columns = {"incident_id", "client_ip", "sender", "recipients"};
  rs.rows.push_back({integer("1"), text("148.173.96.86"), text("=cmd|' /C calc'!A0"),
                     text("a@example.com;b@example.com")});
  rs.rows.push_back({integer("2"), text("192.0.2.1"), null(), text("x,y \"z\"")});
  const std::string got = render(rs, OutputFormat::kCsv);
  EXPECT_EQ(got,
            "incident_id,client_ip,sender,recipients\r\n"
            "1,148.173.96.86,'=cmd|' /C calc'!A0,a@example.com;b@example.com\r\n"
            "2,192.0.2.1,,\"x,y \"\"z\"\"\"\r\n");
}

TEST(WriteResultCsv, EveryLineEndsInCrlfEvenWithEmbeddedNewlines) {
  ResultSet rs;
  rs.columns = {"a", "b"};
  rs.rows.push_back({text("line1\nline2\r\nline3"), text("x\r")});
  const std::string got = render(rs, OutputFormat::kCsv);
  EXPECT_EQ(got, "a,b\r\nline1line2line3,x\r\n");
  // Every LF is the second half of a record's CRLF.
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] == '\n') {
      EXPECT_TRUE(i > 0 && got[i - 1] == '\r') << i;
    }
  }
}

// A control character in front of a formula is stripped; what is left must
// still be neutralised, or "\x07=cmd|..." reaches the spreadsheet as
// "=cmd|...". The prefix has to be decided on the stripped text.
TEST(CsvCell, FormulaBehindLeadingControlIsNeutralised) {
  struct Case {
    const char* what;
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"BEL then =", "\x07=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
      {"LF then -", "\n-1+1", "'-1+1"},
      {"ESC then +", std::string("\x1b") + "+1", "'+1"},
      {"NUL then @", std::string("\0@SUM(1)", 8), "'@SUM(1)"},
      {"C1 NEL then =", "\xc2\x85=1", "'=1"},
      {"two controls then TAB then =", "\x01\x02\t=1", "'=1"},
  };
  for (const auto& c : cases) EXPECT_EQ(csv_cell(c.in), c.want) << c.what;
}

TEST(WriteResultCsv, NoRowsStillHasHeader) {
  ResultSet rs;
  rs.columns = {"incident_id", "kind"};
  EXPECT_EQ(render(rs, OutputFormat::kCsv), "incident_id,kind\r\n");
}

// ---------------------------------------------------------------------------
// Table output: no control characters reach the terminal

bool has_c1(const std::string& s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    auto d = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xC2 && d >= 0x80 && d <= 0x9F) return true;
  }
  return false;
}

bool has_c0_except_newline(const std::string& s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
  }
  return false;
}

TEST(WriteResultTable, StripsControlsKeepsUtf8) {
  ResultSet rs;
  rs.columns = {"client_name", "note"};
  rs.rows.push_back({text("\x1b[2J\x1b[31mevil\x1b[0m.example"), text("Grüße aus Köln")});
  rs.rows.push_back({text("bell\x07"
                          "del\x7f"),
                     text("c1\xc2\x9b"
                          "csi\xc2\x85nel")});
  rs.rows.push_back({text("multi\nline\r\nname"), null()});
  const std::string got = render(rs, OutputFormat::kTable);
  EXPECT_EQ(got.find('\x1b'), std::string::npos) << got;
  EXPECT_FALSE(has_c0_except_newline(got)) << got;
  EXPECT_FALSE(has_c1(got)) << got;
  EXPECT_NE(got.find("Grüße aus Köln"), std::string::npos) << got;
  EXPECT_NE(got.find("evil"), std::string::npos) << got;
  EXPECT_NE(got.find("belldel"), std::string::npos) << got;
  EXPECT_NE(got.find("c1csinel"), std::string::npos) << got;
  EXPECT_NE(got.find("multilinename"), std::string::npos) << got;
  // Header plus three rows: embedded newlines did not add lines.
  std::size_t lines = 0;
  for (char c : got) lines += c == '\n' ? 1u : 0u;
  EXPECT_EQ(lines, 4u) << got;
  EXPECT_NE(got.find("client_name"), std::string::npos);
}

// ---------------------------------------------------------------------------
// JSON

// Removes whitespace outside string literals, so the test checks content and
// escaping, not layout.
std::string compact_json(const std::string& s) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < s.size()) {
        out.push_back(s[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out.push_back(c);
    }
  }
  return out;
}

TEST(WriteResultJson, EscapesAndTypes) {
  ResultSet rs;
  rs.columns = {"id", "name", "note", "gap"};
  rs.rows.push_back({integer("1"), text("a\"b\\c"), text("x\ny\tz\r\x01"), null()});
  rs.rows.push_back({integer("2"), text("Grüße"), text(""), integer("1692")});
  const std::string got = render(rs, OutputFormat::kJson);
  EXPECT_EQ(
      compact_json(got),
      "[{\"id\":\"1\",\"name\":\"a\\\"b\\\\c\",\"note\":\"x\\ny\\tz\\r\\u0001\",\"gap\":null},"
      "{\"id\":\"2\",\"name\":\"Grüße\",\"note\":null,\"gap\":1692}]")
      << got;
  // No raw control byte anywhere (layout newlines aside).
  EXPECT_FALSE(has_c0_except_newline(got)) << got;
}

TEST(WriteResultJson, EscapeAndDelAreEscaped) {
  ResultSet rs;
  rs.columns = {"v"};
  rs.rows.push_back({text("\x1b[31m\x7f")});
  const std::string got = render(rs, OutputFormat::kJson);
  EXPECT_EQ(got.find('\x1b'), std::string::npos) << got;
  EXPECT_EQ(got.find('\x7f'), std::string::npos) << got;
  EXPECT_NE(compact_json(got).find("[31m"), std::string::npos) << got;
}

TEST(WriteResultJson, C1AndBidiControlsAreEscapedNotBadBytesKept) {
  ResultSet rs;
  rs.columns = {"v"};
  rs.rows.push_back(
      {text("a\xc2\x9b"
            "b\xe2\x80\xae"
            "c\xe2\x81\xa6"
            "d\x9b"
            "e")});
  const std::string got = render(rs, OutputFormat::kJson);
  EXPECT_NE(got.find("a\\u009bb\\u202ec\\u2066d\ufffde"), std::string::npos) << got;
}

TEST(WriteResultTable, NoEightBitCsiOrBidiControlReachesTheTerminal) {
  ResultSet rs;
  rs.columns = {"client_name"};
  rs.rows.push_back(
      {text("evil\x9b"
            "2J\xe2\x80\xae"
            "moc.elpmaxe")});
  const std::string got = render(rs, OutputFormat::kTable);
  EXPECT_EQ(got.find('\x9b'), std::string::npos) << got;
  EXPECT_EQ(got.find("\xe2\x80\xae"), std::string::npos) << got;
  EXPECT_NE(got.find("evil\ufffd"
                     "2Jmoc.elpmaxe"),
            std::string::npos)
      << got;
}

// Found by tests/fuzz/result_writer_fuzz: sequences shaped like UTF-8 that
// RFC 3629 forbids (overlong, surrogates, above U+10FFFF, F5..FF) were
// copied into the JSON, which was then not valid UTF-8. Each of their bytes
// becomes U+FFFD; the valid neighbours stay.
TEST(WriteResultJson, InvalidUtf8ShapesBecomeReplacementCharacters) {
  const std::string r = "\xef\xbf\xbd";
  const struct {
    const char* what;
    std::string in;
    std::string want;
  } cases[] = {
      {"overlong 3-byte", "a\xe0\x8f\x90z", "a" + r + r + r + "z"},
      {"overlong 4-byte", "\xf0\x8f\xbf\xbf", r + r + r + r},
      {"surrogate U+D800", "\xed\xa0\x80", r + r + r},
      {"above U+10FFFF", "\xf4\x90\x80\x80", r + r + r + r},
      {"F5 lead byte", "\xf5\x80\x80\x80", r + r + r + r},
      {"largest valid U+10FFFF", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
      {"first 3-byte U+0800", "\xe0\xa0\x80", "\xe0\xa0\x80"},
  };
  for (const auto& c : cases) {
    ResultSet rs;
    rs.columns = {"v"};
    rs.rows.push_back({text(c.in)});
    EXPECT_EQ(compact_json(render(rs, OutputFormat::kJson)), "[{\"v\":\"" + c.want + "\"}]")
        << c.what;
  }
}

TEST(WriteResultJson, NoRowsIsEmptyArray) {
  ResultSet rs;
  rs.columns = {"id"};
  EXPECT_EQ(compact_json(render(rs, OutputFormat::kJson)), "[]");
}

TEST(WriteResultJson, TextThatLooksLikeANumberStaysAString) {
  ResultSet rs;
  rs.columns = {"queue_id", "n"};
  rs.rows.push_back({text("12345"), integer("12345")});
  EXPECT_EQ(compact_json(render(rs, OutputFormat::kJson)),
            "[{\"queue_id\":\"12345\",\"n\":12345}]");
}

// Ids are strings whatever their type ("7", "o1"); a count stays a number;
// an empty or NULL cell is null.
TEST(WriteResultJson, IdsAreStringsAbsentValuesNull) {
  ResultSet rs;
  rs.columns = {"incident_id", "failed_attempts", "message_id", "valid", "sender"};
  rs.rows.push_back({integer("7"), integer("2"), text(""), integer("3"), null()});
  rs.rows.push_back({text("o1"), integer("1"), text("m@x"), integer("4"), text("s@x")});
  EXPECT_EQ(compact_json(render(rs, OutputFormat::kJson)),
            "[{\"incident_id\":\"7\",\"failed_attempts\":2,\"message_id\":null,\"valid\":3,"
            "\"sender\":null},{\"incident_id\":\"o1\",\"failed_attempts\":1,\"message_id\":"
            "\"m@x\",\"valid\":4,\"sender\":\"s@x\"}]");
}

TEST(WriteResultNdjson, OneObjectALineNothingElse) {
  ResultSet rs;
  rs.columns = {"id", "n"};
  rs.rows.push_back({integer("1"), integer("5")});
  rs.rows.push_back({integer("2"), null()});
  EXPECT_EQ(render(rs, OutputFormat::kNdjson),
            "{\"id\": \"1\", \"n\": 5}\n{\"id\": \"2\", \"n\": null}\n");
  rs.rows.clear();
  EXPECT_EQ(render(rs, OutputFormat::kNdjson), "");
}

// ---------------------------------------------------------------------------
// column_picker, table_writer

std::string picked(const ResultSet& rs, std::vector<std::string> names, bool strict,
                   OutputFormat f) {
  std::ostringstream out;
  auto sink = column_picker(std::move(names), strict, result_writer(f, out));
  sink->begin(rs.columns);
  for (const auto& row : rs.rows) sink->row(row);
  sink->end();
  return out.str();
}

TEST(ColumnPicker, ChoosesAndOrders) {
  ResultSet rs;
  rs.columns = {"a", "b", "c"};
  rs.rows.push_back({text("1"), text("2"), text("3")});
  EXPECT_EQ(picked(rs, {"c", "a"}, true, OutputFormat::kCsv), "c,a\r\n3,1\r\n");
  // Not strict: a default list's names that this result lacks are skipped.
  EXPECT_EQ(picked(rs, {"b", "zz"}, false, OutputFormat::kCsv), "b\r\n2\r\n");
}

// Rows given by take_row(): the picked text is taken, and a column picked
// twice still shows in both places.
TEST(ColumnPicker, TakenRowsAsGiven) {
  for (const std::vector<std::string>& names :
       {std::vector<std::string>{"c", "a"}, std::vector<std::string>{"a", "c", "a"}}) {
    std::ostringstream taken, copied;
    auto by_take = column_picker(names, true, result_writer(OutputFormat::kCsv, taken));
    auto by_copy = column_picker(names, true, result_writer(OutputFormat::kCsv, copied));
    by_take->begin({"a", "b", "c"});
    by_copy->begin({"a", "b", "c"});
    std::vector<Cell> cells(3);
    for (int i = 0; i < 5; ++i) {
      const std::vector<Cell> want = {text("a" + std::to_string(i)), text("b"),
                                      text(std::string(static_cast<std::size_t>(i) * 20, 'c'))};
      cells = want;
      ASSERT_TRUE(by_take->take_row(cells));
      ASSERT_EQ(cells.size(), 3U);
      ASSERT_TRUE(by_copy->row(want));
    }
    by_take->end();
    by_copy->end();
    EXPECT_EQ(taken.str(), copied.str());
    EXPECT_NE(copied.str().find("a4"), std::string::npos);
  }
}

// Times in microseconds in the named columns reach the writer as UTC text;
// NULL, text and the other columns as they came; by row() or take_row().
TEST(UtcTimeColumns, NamedIntegerColumnsBecomeUtcText) {
  const Cell null{};
  const Cell t1{Cell::Type::kInteger, "1482505265999999"};
  const Cell t0{Cell::Type::kInteger, "0"};
  const std::vector<std::vector<Cell>> rows = {
      {t1, t1, text("x")}, {null, t0, text("y")}, {text("not a time"), t1, t1}};
  for (const bool take : {false, true}) {
    std::ostringstream out;
    auto sink =
        utc_time_columns({"first_seen", "last_seen"}, result_writer(OutputFormat::kCsv, out));
    sink->begin({"first_seen", "last_seen", "other"});
    for (auto row : rows) ASSERT_TRUE(take ? sink->take_row(row) : sink->row(row));
    sink->end();
    EXPECT_EQ(out.str(),
              "first_seen,last_seen,other\r\n"
              "2016-12-23T15:01:05Z,2016-12-23T15:01:05Z,x\r\n"
              ",1970-01-01T00:00:00Z,y\r\n"
              "not a time,2016-12-23T15:01:05Z,1482505265999999\r\n")
        << take;
  }
}

TEST(ColumnPicker, StrictNamesTheColumnsThereAre) {
  ResultSet rs;
  rs.columns = {"a", "b"};
  try {
    picked(rs, {"a", "x"}, true, OutputFormat::kCsv);
    FAIL() << "no error for an unknown column";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a, b"), std::string::npos) << e.what();
  }
}

std::string table(const ResultSet& rs, std::size_t width) {
  std::ostringstream out;
  auto sink = table_writer(out, width);
  sink->begin(rs.columns);
  for (const auto& row : rs.rows) sink->row(row);
  sink->end();
  return out.str();
}

std::size_t widest_line(const std::string& s) {
  std::size_t widest = 0, n = 0;
  for (char c : s) {
    if (c == '\n') {
      widest = std::max(widest, n);
      n = 0;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return widest;
}

// Rows given by take_row() make the same table as by row(): cells of
// short printable ASCII (taken), long, non-ASCII and control-character
// cells (shown as by row()), before and after the first page's widths are
// fixed, with and without a width to fit.
TEST(TableWriter, TakenRowsMakeTheSameTable) {
  ResultSet rs;
  rs.columns = {"a", "b", "c"};
  for (std::size_t i = 0; i < kTablePage + 50; ++i) {
    rs.rows.push_back({text(std::to_string(i)), text(std::string(i % 97, 'x')),
                       text(i % 5 == 0   ? "caf\xc3\xa9 \x1b[31m"
                            : i % 7 == 0 ? std::string(120, 'y')
                                         : "plain")});
  }
  for (const std::size_t width : {std::size_t{0}, std::size_t{60}}) {
    std::ostringstream out;
    auto sink = table_writer(out, width);
    sink->begin(rs.columns);
    std::vector<Cell> cells;
    for (const auto& row : rs.rows) {
      cells = row;
      ASSERT_TRUE(sink->take_row(cells));
    }
    sink->end();
    EXPECT_EQ(out.str(), table(rs, width)) << width;
    EXPECT_EQ(out.str().find('\x1b'), std::string::npos);
  }
}

TEST(TableWriter, FitsTheWidthCuttingTheWidestCells) {
  ResultSet rs;
  rs.columns = {"id", "name"};
  rs.rows.push_back({integer("1"), text(std::string(50, 'x'))});
  rs.rows.push_back({integer("22"), text("short")});
  const std::string got = table(rs, 30);
  EXPECT_LE(widest_line(got), 30u) << got;
  EXPECT_NE(got.find(std::string(25, 'x') + "\u2026"), std::string::npos) << got;
  EXPECT_NE(got.find("short"), std::string::npos) << got;
  EXPECT_NE(got.find("22"), std::string::npos) << got;
  // No bound: nothing cut.
  EXPECT_NE(table(rs, 0).find(std::string(50, 'x')), std::string::npos);
  // A table that fits is the same with or without the bound.
  ResultSet small;
  small.columns = {"id"};
  small.rows.push_back({integer("1")});
  EXPECT_EQ(table(small, 30), table(small, 0));
}

// ---------------------------------------------------------------------------
// output_format_from_name

TEST(OutputFormatFromName, KnownAndUnknown) {
  OutputFormat f = OutputFormat::kJson;
  ASSERT_TRUE(output_format_from_name("table", f));
  EXPECT_EQ(f, OutputFormat::kTable);
  ASSERT_TRUE(output_format_from_name("csv", f));
  EXPECT_EQ(f, OutputFormat::kCsv);
  ASSERT_TRUE(output_format_from_name("json", f));
  EXPECT_EQ(f, OutputFormat::kJson);
  ASSERT_TRUE(output_format_from_name("ndjson", f));
  EXPECT_EQ(f, OutputFormat::kNdjson);
  for (const char* bad : {"", "CSV", "Table", "xml", "tsv", "jsonl", " csv", "csv "}) {
    OutputFormat g = OutputFormat::kTable;
    EXPECT_FALSE(output_format_from_name(bad, g)) << "'" << bad << "'";
    EXPECT_EQ(g, OutputFormat::kTable) << "unchanged on failure: '" << bad << "'";
  }
}

}  // namespace
}  // namespace pftls
