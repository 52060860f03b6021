// Unit tests for line_source: formats, line splitting, truncation, errors.
// Compressed fixtures are made at test time with the gzip/bzip2/xz/zstd tools.
#include "input/line_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../xorshift.h"
#include "temp_dir.h"

namespace pftls {
namespace {

namespace fs = std::filesystem;

struct ReadResult {
  std::vector<std::string> lines;
  std::vector<std::uint64_t> numbers;
  std::vector<bool> truncated;
};

ReadResult read_all(LineSource& src) {
  ReadResult r;
  Line line;
  while (src.next(line)) {
    r.lines.emplace_back(line.text);
    r.numbers.push_back(line.number);
    r.truncated.push_back(line.truncated);
  }
  return r;
}

bool have_tool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

class LineSourceTest : public TempDirTest {
 protected:
  std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // Compresses `content` with `tool` (gzip, bzip2, xz, zstd) into a new file.
  std::string compress(const std::string& tool, const std::string& name,
                       const std::string& content) {
    std::string plain = write(name + ".plain", content);
    std::string cmd = tool + " -1 -c -q < '" + plain + "' > '" + path(name) + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return path(name);
  }
};

// Realistic lines, enough of them to span several internal buffers.
std::string sample_log(int lines) {
  std::string out;
  for (int i = 0; i < lines; ++i) {
    out += "Mar  3 10:" + std::to_string(10 + i % 50) + ":00 mx postfix/smtpd[" +
           std::to_string(1000 + i) + "]: SSL_accept error from unknown[192.0.2." +
           std::to_string(i % 250) + "]: lost connection\n";
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

TEST_F(LineSourceTest, PlainLinesIncludingEmptyOnes) {
  auto src = LineSource::open(write("a.log", "first\nsecond\n\nfourth\n"));
  EXPECT_EQ(src->compression(), Compression::kNone);
  EXPECT_TRUE(src->identity().has_value());
  ReadResult r = read_all(*src);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"first", "second", "", "fourth"}));
  EXPECT_EQ(r.numbers, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(src->truncated_lines(), 0u);
  Line line;
  EXPECT_FALSE(src->next(line));  // stays at the end
}

TEST_F(LineSourceTest, MtimeComesFromTheFile) {
  std::string path = write("a.log", "x\n");
  auto when = fs::file_time_type::clock::now() - std::chrono::hours(48);
  fs::last_write_time(path, when);
  auto src = LineSource::open(path);
  ASSERT_TRUE(src->identity().has_value());
  const auto expected = std::chrono::duration_cast<std::chrono::seconds>(
      fs::file_time_type::clock::to_sys(when).time_since_epoch());
  EXPECT_EQ(src->identity()->mtime_seconds, expected.count());
}

TEST_F(LineSourceTest, LastLineWithoutNewline) {
  auto src = LineSource::open(write("a.log", "one\ntwo"));
  EXPECT_EQ(read_all(*src).lines, (std::vector<std::string>{"one", "two"}));
}

TEST_F(LineSourceTest, TrailingCarriageReturnIsKept) {
  auto src = LineSource::open(write("a.log", "dos\r\nunix\n"));
  EXPECT_EQ(read_all(*src).lines, (std::vector<std::string>{"dos\r", "unix"}));
}

TEST_F(LineSourceTest, EmptyFile) {
  auto src = LineSource::open(write("empty.log", ""));
  EXPECT_EQ(src->compression(), Compression::kNone);
  EXPECT_TRUE(read_all(*src).lines.empty());
}

TEST_F(LineSourceTest, ShortFilesAndLookalikeMagicAreText) {
  EXPECT_EQ(read_all(*LineSource::open(write("a", "ab"))).lines, std::vector<std::string>{"ab"});
  EXPECT_EQ(read_all(*LineSource::open(write("b", "\n"))).lines, std::vector<std::string>{""});
  auto src = LineSource::open(write("c", "BZhello\n"));
  EXPECT_EQ(src->compression(), Compression::kNone);
  EXPECT_EQ(read_all(*src).lines, std::vector<std::string>{"BZhello"});
}

TEST_F(LineSourceTest, ManyLinesAcrossBuffers) {
  std::string text = sample_log(30000);  // ~3.5 MB: several 1 MiB refills
  auto src = LineSource::open(write("big.log", text));
  ReadResult r = read_all(*src);
  EXPECT_EQ(r.lines, split_lines(text));
  EXPECT_EQ(r.numbers.back(), 30000u);
}

// Lines of random lengths (many empty ones, several per 64-byte block,
// some across blocks and across the 1 MiB refills): every line and every
// offset() as a plain split of the text gives them, also from stdin-like
// reads of a copy in gzip (another decoder, other read sizes).
TEST_F(LineSourceTest, RandomLineLengthsAgreeWithAPlainSplit) {
  test_inputs::XorShift64 next(0x2545F4914F6CDD1DULL);
  std::string text;
  while (text.size() < std::size_t{3} * 1024 * 1024 + 77) {
    const std::uint64_t r = next() % 100;
    const std::size_t len = r < 20   ? 0
                            : r < 60 ? next() % 64
                            : r < 97 ? next() % 400
                                     : next() % 5000;
    for (std::size_t k = 0; k < len; ++k) text += static_cast<char>('!' + next() % 90);
    text += '\n';
  }
  text += "unterminated";
  const std::vector<std::string> want = split_lines(text);
  for (const std::string& path :
       {write("random.log", text), compress("gzip", "random.log.gz", text)}) {
    auto src = LineSource::open(path);
    Line line;
    std::size_t i = 0, offset = 0;
    while (src->next(line)) {
      ASSERT_LT(i, want.size()) << path;
      ASSERT_EQ(line.text, want[i]) << path << ": line " << i + 1;
      ASSERT_EQ(line.number, i + 1);
      offset += want[i].size() + 1;
      if (line.terminated) {
        ASSERT_EQ(src->offset(), offset) << path << ": line " << i + 1;
      }
      ++i;
    }
    EXPECT_EQ(i, want.size()) << path;
    EXPECT_FALSE(line.terminated) << path;  // the last line has no '\n'
  }
}

TEST_F(LineSourceTest, LongLineIsTruncatedAndTheRestSkipped) {
  std::string longline(std::size_t{200} * 1024, 'x');
  longline[kMaxLineBytes - 1] = 'E';  // the last byte kept
  longline[kMaxLineBytes] = 'S';      // the first byte skipped
  auto src = LineSource::open(write("long.log", "before\n" + longline + "\nafter\n"));
  ReadResult r = read_all(*src);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[0], "before");
  EXPECT_EQ(r.lines[1].size(), kMaxLineBytes);
  EXPECT_EQ(r.lines[1].back(), 'E');
  EXPECT_EQ(r.lines[2], "after");
  EXPECT_EQ(r.truncated, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(r.numbers, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(src->truncated_lines(), 1u);
}

TEST_F(LineSourceTest, VeryLongLinesLongerThanTheBuffer) {
  std::string huge(std::size_t{3} * 1024 * 1024, 'y');  // longer than the internal buffer
  std::string text = "a\n" + huge + "\n" + huge + "\nb\n" + huge;  // last one unterminated
  auto src = LineSource::open(write("huge.log", text));
  ReadResult r = read_all(*src);
  ASSERT_EQ(r.lines.size(), 5u);
  EXPECT_EQ(r.lines[0], "a");
  EXPECT_EQ(r.lines[3], "b");
  EXPECT_EQ(r.truncated, (std::vector<bool>{false, true, true, false, true}));
  EXPECT_EQ(src->truncated_lines(), 3u);
}

TEST_F(LineSourceTest, LineOfExactlyTheLimitIsNotTruncated) {
  std::string exact(kMaxLineBytes, 'z');
  auto src = LineSource::open(write("exact.log", exact + "\n" + exact));
  ReadResult r = read_all(*src);
  EXPECT_EQ(r.lines, (std::vector<std::string>{exact, exact}));
  EXPECT_EQ(r.truncated, (std::vector<bool>{false, false}));
  EXPECT_EQ(src->truncated_lines(), 0u);
}

TEST_F(LineSourceTest, NonexistentFile) {
  std::string path = (dir_ / "missing.log").string();
  try {
    LineSource::open(path);
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open " + path + ": No such file or directory");
  }
}

TEST_F(LineSourceTest, DirectoryIsAnInputError) {
  try {
    LineSource::open(dir_.string());
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open " + dir_.string()), std::string::npos)
        << e.what();
  }
}

struct Format {
  std::string tool;
  Compression compression;
};

class CompressedTest : public LineSourceTest, public ::testing::WithParamInterface<Format> {
 protected:
  void SetUp() override {
    if (!have_tool(GetParam().tool)) {
      GTEST_SKIP() << GetParam().tool << " is not installed";
    }
    LineSourceTest::SetUp();
  }
  void TearDown() override {
    if (!dir_.empty()) {
      LineSourceTest::TearDown();
    }
  }
};

// Expects reading `path` to the end to throw InputError naming it and the format.
void expect_corrupt(const std::string& path, const std::string& format) {
  auto src = LineSource::open(path);
  try {
    Line line;
    while (src->next(line)) {
    }
    FAIL() << "no exception for " << path;
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ": corrupt " + format + " data near line ", 0), 0u) << what;
  }
}

TEST_P(CompressedTest, ReadsEveryLine) {
  std::string text = sample_log(40000) + "last line without newline";
  auto src = LineSource::open(compress(GetParam().tool, "log.z", text));
  EXPECT_EQ(src->compression(), GetParam().compression);
  EXPECT_TRUE(src->identity().has_value());
  EXPECT_EQ(read_all(*src).lines, split_lines(text));
}

TEST_P(CompressedTest, LongLineIsTruncated) {
  std::string text = "before\n" + std::string(std::size_t{200} * 1024, 'x') + "\nafter\n";
  auto src = LineSource::open(compress(GetParam().tool, "long.z", text));
  ReadResult r = read_all(*src);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[1].size(), kMaxLineBytes);
  EXPECT_EQ(r.truncated, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(src->truncated_lines(), 1u);
}

TEST_P(CompressedTest, EmptyContent) {
  auto src = LineSource::open(compress(GetParam().tool, "empty.z", ""));
  EXPECT_EQ(src->compression(), GetParam().compression);
  EXPECT_TRUE(read_all(*src).lines.empty());
}

TEST_P(CompressedTest, ConcatenatedStreams) {
  std::string a = compress(GetParam().tool, "a.z", "a1\na2\n");
  std::string b = compress(GetParam().tool, "b.z", "b1\nb2\n");
  auto src = LineSource::open(write("ab.z", read_bytes(a) + read_bytes(b)));
  EXPECT_EQ(read_all(*src).lines, (std::vector<std::string>{"a1", "a2", "b1", "b2"}));
}

TEST_P(CompressedTest, TruncatedStreamIsAnError) {
  std::string bytes = read_bytes(compress(GetParam().tool, "full.z", sample_log(20000)));
  const std::string format = GetParam().tool;
  expect_corrupt(write("half.z", bytes.substr(0, bytes.size() / 2)), format);
  expect_corrupt(write("nearly.z", bytes.substr(0, bytes.size() - 1)), format);
  expect_corrupt(write("header.z", bytes.substr(0, 12)), format);
}

TEST_P(CompressedTest, CorruptStreamIsAnError) {
  std::string bytes = read_bytes(compress(GetParam().tool, "full.z", sample_log(20000)));
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) {
    bytes[i] ^= 0x5a;
  }
  expect_corrupt(write("corrupt.z", bytes), GetParam().tool);
}

// The same compressed bytes from memory: detected and decoded as from the file.
TEST_P(CompressedTest, FromMemoryDecodesAsFromAFile) {
  const std::string text = sample_log(3000) + "last line without newline";
  const std::string bytes = read_bytes(compress(GetParam().tool, "log.z", text));
  auto src = LineSource::from_memory(bytes, "mem");
  EXPECT_EQ(src->compression(), GetParam().compression);
  EXPECT_FALSE(src->identity().has_value());
  EXPECT_EQ(read_all(*src).lines, split_lines(text));
  // Cut short: the error names the source as from_memory() was told.
  auto cut = LineSource::from_memory(std::string_view(bytes).substr(0, bytes.size() / 2), "mem");
  try {
    Line line;
    while (cut->next(line)) {
    }
    FAIL() << "no exception for a truncated stream";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("mem: corrupt " + GetParam().tool + " data", 0), 0u)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, CompressedTest,
                         ::testing::Values(Format{"gzip", Compression::kGzip},
                                           Format{"bzip2", Compression::kBzip2},
                                           Format{"xz", Compression::kXz},
                                           Format{"zstd", Compression::kZstd}),
                         [](const auto& param_info) { return param_info.param.tool; });

TEST_F(LineSourceTest, GzipTrailingGarbageIsAnError) {
  if (!have_tool("gzip")) {
    GTEST_SKIP() << "gzip is not installed";
  }
  std::string gz = read_bytes(compress("gzip", "a.gz", "a\n"));
  expect_corrupt(write("garbage.gz", gz + "this is not gzip"), "gzip");
}

TEST_F(LineSourceTest, GzipWrongCrcOrLengthIsAnError) {
  if (!have_tool("gzip")) {
    GTEST_SKIP() << "gzip is not installed";
  }
  // The member trailer: CRC-32 of the data, then its length mod 2^32.
  const std::string gz = read_bytes(compress("gzip", "a.gz", sample_log(200)));
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  expect_corrupt(write("crc.gz", bad_crc), "gzip");
  std::string bad_length = gz;
  bad_length[bad_length.size() - 4] ^= 0x01;
  expect_corrupt(write("length.gz", bad_length), "gzip");
}

// from_memory() cuts lines as open() does from a file with the same bytes:
// the same texts, numbers, truncation flags and offsets (lines of 0 to 150
// KiB, so some are cut at kMaxLineBytes, with and without a last '\n').
TEST_F(LineSourceTest, FromMemoryAgreesWithTheFile) {
  test_inputs::XorShift64 next(0x9E3779B97F4A7C15ULL);
  std::uint64_t truncated = 0;
  for (int round = 0; round < 6; ++round) {
    std::string text;
    while (text.size() < std::size_t{600} * 1024) {
      const std::size_t len = next() % 8 == 0 ? next() % (150 * 1024) : next() % 200;
      text.append(len, static_cast<char>('a' + next() % 26));
      text += '\n';
    }
    if (round % 2 == 1) text += "tail";
    auto file = LineSource::open(write("m.log", text));
    auto mem = LineSource::from_memory(text, "m");
    EXPECT_EQ(mem->compression(), Compression::kNone);
    EXPECT_FALSE(mem->identity().has_value());
    Line a, b;
    std::size_t lines = 0;
    for (;;) {
      const bool more = file->next(a);
      ASSERT_EQ(mem->next(b), more) << "line " << lines;
      if (!more) break;
      ++lines;
      ASSERT_EQ(a.text, b.text);
      ASSERT_EQ(a.number, b.number);
      ASSERT_EQ(a.truncated, b.truncated);
      ASSERT_EQ(a.terminated, b.terminated);
      ASSERT_EQ(file->offset(), mem->offset());
    }
    EXPECT_GT(lines, 20u);
    EXPECT_EQ(mem->truncated_lines(), file->truncated_lines());
    EXPECT_EQ(mem->offset(), text.size());
    truncated += mem->truncated_lines();
  }
  EXPECT_GT(truncated, 0u);  // the cut lines were compared too
}

// skip() on memory decodes and drops, as for a pipe, and past the end
// leaves the source at its end.
TEST_F(LineSourceTest, FromMemorySkips) {
  const std::string text = "one\ntwo\nthree\n";
  auto src = LineSource::from_memory(text, "m");
  src->skip(4);
  EXPECT_EQ(src->offset(), 4u);
  EXPECT_EQ(read_all(*src).lines, (std::vector<std::string>{"two", "three"}));
  auto past = LineSource::from_memory(text, "m");
  past->skip(1000);
  EXPECT_TRUE(read_all(*past).lines.empty());
  EXPECT_TRUE(read_all(*LineSource::from_memory("", "empty")).lines.empty());
}

}  // namespace
}  // namespace pftls
