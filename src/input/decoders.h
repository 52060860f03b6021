// decoders: the bytes of one file descriptor (or buffer), and the text they
// decode to.
//
// Contract: RawInput reads a descriptor (closing it if owned) or a buffer in
// memory, replaying the first bytes it peeked for format detection.
// detect() names the compression from those bytes (magic numbers only,
// never a file name). A Decoder turns the raw bytes into text: plain passes
// them through; gzip (ISA-L igzip) and zstd (libzstd) read every member or
// frame of a concatenation and refuse a truncated or corrupt stream; bzip2
// and xz go through Boost.Iostreams. Every failure is a StreamError; the
// line reader adds the input's name. Internal to input/: line_source.cpp is
// the only user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "input/line_source.h"

namespace pftls {

inline constexpr std::size_t kPeekBytes = 6;  // the longest magic number (xz)

std::string errno_text(int err);

// A failure while producing bytes: what() names it ("corrupt gzip data"),
// detail() says why (may be empty).
class StreamError : public std::runtime_error {
 public:
  StreamError(const std::string& what, std::string detail)
      : std::runtime_error(what), detail_(std::move(detail)) {}
  const std::string& detail() const { return detail_; }

 private:
  std::string detail_;
};

// The raw bytes of one file descriptor, or of a buffer in memory (which
// must outlive it); the peeked prefix is replayed first.
class RawInput {
 public:
  RawInput(int fd, bool owned) : fd_(fd), owned_(owned) {}
  explicit RawInput(std::string_view bytes) : fd_(-1), owned_(false), memory_(bytes) {}
  ~RawInput();
  RawInput(const RawInput&) = delete;
  RawInput& operator=(const RawInput&) = delete;

  // Reads until kPeekBytes are buffered or the input ends; returns the prefix.
  std::string_view peek();
  // Moves a plain regular file to byte n (the peeked prefix included).
  void seek(std::uint64_t n);
  // Up to n bytes into dst; 0 only at the end of the input.
  std::size_t read(char* dst, std::size_t n);

 private:
  std::size_t read_fd(char* dst, std::size_t n);

  int fd_;  // -1: memory_ is read instead
  bool owned_;
  std::string_view memory_;
  std::size_t memory_pos_ = 0;  // the next byte of memory_ to read
  std::string prefix_;
  std::size_t prefix_pos_ = 0;
};

class Decoder {
 public:
  Decoder() = default;
  virtual ~Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  // Up to n bytes of text into dst; 0 only at the end of the data.
  virtual std::size_t read(char* dst, std::size_t n) = 0;
};

// The compression whose magic number `prefix` starts with, or kNone.
Compression detect(std::string_view prefix);

// A decoder for `c` reading from `raw`, which must outlive it.
std::unique_ptr<Decoder> make_decoder(Compression c, RawInput& raw);

}  // namespace pftls
