// line_source: the lines of one input, one at a time, in bounded memory.
//
// Contract: open() takes a path or "-" (stdin). Compression is detected by
// the first bytes (gzip 1f 8b, bzip2 "BZh", xz fd 37 7a 58 5a 00, zstd
// 28 b5 2f fd), never by the file name. next() hands out one line at a time
// without its terminating '\n' (a trailing '\r' is kept: it is data). A line
// longer than kMaxLineBytes is cut to that length, flagged, and counted; the
// rest of it is skipped, never fatal. The string_view stays valid until the
// next call. A file that cannot be opened or read, or a compressed stream
// that is corrupt or truncated, raises InputError naming the input
// (DamagedInputError for damaged compressed data: corrupt or truncated).
#pragma once

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

// Compressed data that does not decode (corrupt or truncated): the file is
// damaged, as opposed to unreadable (missing, no permission, I/O error).
class DamagedInputError : public InputError {
 public:
  using InputError::InputError;
};

enum class Compression { kNone, kGzip, kBzip2, kXz, kZstd };

struct Line {
  std::string_view text;
  std::uint64_t number = 0;  // 1-based line number within the input (after skip())
  bool truncated = false;    // the line was longer than kMaxLineBytes
  bool terminated = true;    // false: the input ended without a '\n' after it
};

// What fstat said about a regular file when it was opened.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;  // on-disk bytes (compressed size for compressed files)
  std::int64_t mtime_seconds = 0;
};

class LineSource {
 public:
  virtual ~LineSource() = default;
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  // Opens `path` ("-" is stdin). Throws InputError("cannot open PATH: reason").
  static std::unique_ptr<LineSource> open(const std::string& path);
  // Reads the plain text of an open descriptor (a pipe), which it takes over
  // and closes; `name` is what messages call it. No identity.
  static std::unique_ptr<LineSource> from_fd(int fd, std::string name);
  // Reads `bytes` as open() reads a file (compression detected the same
  // way); they must outlive the source. No identity; skip() decodes and
  // drops. For tests and fuzzing: no descriptor, no file system.
  static std::unique_ptr<LineSource> from_memory(std::string_view bytes, std::string name);

  // Next line, or false at end of input. Throws InputError on a read or
  // decompression error ("PATH: corrupt gzip stream at line N", ...).
  virtual bool next(Line& out) = 0;

  // Decoded bytes from the start of the input up to the end of the last
  // line returned whole (its '\n' included). Before the first next(), the
  // position skip() moved to. The tail of a truncated line counts only once
  // its '\n' has been read.
  virtual std::uint64_t offset() const = 0;
  // Skips the first n decoded bytes; only before the first next(). Plain
  // files seek (nothing is read); compressed ones are decoded and dropped.
  // Skipping past the end leaves the input at its end.
  virtual void skip(std::uint64_t n) = 0;

  // The first up to n decoded bytes of `path` (plain or compressed), for
  // telling files apart. Throws InputError like open().
  static std::string read_prefix(const std::string& path, std::size_t n);

  // For a regular file; empty for stdin and pipes.
  const std::optional<FileIdentity>& identity() const { return identity_; }

  const std::string& name() const { return name_; }
  Compression compression() const { return compression_; }
  std::uint64_t truncated_lines() const { return truncated_lines_; }

 protected:
  LineSource(std::string name, Compression c) : name_(std::move(name)), compression_(c) {}
  std::string name_;
  Compression compression_;
  std::optional<FileIdentity> identity_;
  std::uint64_t truncated_lines_ = 0;
};

}  // namespace pftls
