// line_source: the lines of one input, one at a time, in bounded memory.
//
// Contract: open() takes a path or "-" (stdin). Compression is detected by
// the first bytes (gzip 1f 8b, bzip2 "BZh", xz fd 37 7a 58 5a 00, zstd
// 28 b5 2f fd), never by the file name. next() hands out one line at a time
// without its terminating '\n' (a trailing '\r' is kept: it is data). A line
// longer than kMaxLineBytes is cut to that length, flagged, and counted; the
// rest of it is skipped, never fatal. The string_view stays valid until the
// next call. A file that cannot be opened or read, or a compressed stream
// that is corrupt or truncated, raises InputError naming the input.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pftls {

inline constexpr std::size_t kMaxLineBytes = std::size_t{64} * 1024;

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Compression { kNone, kGzip, kBzip2, kXz, kZstd };

std::string_view compression_name(Compression c);

struct Line {
  std::string_view text;
  std::uint64_t number = 0;  // 1-based line number within the input
  bool truncated = false;    // the line was longer than kMaxLineBytes
};

class LineSource {
 public:
  virtual ~LineSource() = default;
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  // Opens `path` ("-" is stdin). Throws InputError("cannot open PATH: reason").
  static std::unique_ptr<LineSource> open(const std::string& path);

  // Next line, or false at end of input. Throws InputError on a read or
  // decompression error ("PATH: corrupt gzip stream at line N", ...).
  virtual bool next(Line& out) = 0;

  const std::string& name() const { return name_; }
  Compression compression() const { return compression_; }
  // Last modification time of a regular file; empty for stdin and pipes.
  std::optional<std::chrono::system_clock::time_point> mtime() const { return mtime_; }
  std::uint64_t truncated_lines() const { return truncated_lines_; }

 protected:
  LineSource(std::string name, Compression c) : name_(std::move(name)), compression_(c) {}
  std::string name_;
  Compression compression_;
  std::optional<std::chrono::system_clock::time_point> mtime_;
  std::uint64_t truncated_lines_ = 0;
};

}  // namespace pftls
