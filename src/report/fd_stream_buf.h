// fd_stream_buf: an output stream buffer over a file descriptor that
// remembers the first write error.
//
// Contract: bytes go out in writes of at most the buffer (64 KiB) when it
// is full, on sync() (flush) and never after an error: once a write fails,
// every later one fails too and error() tells why (an errno value; EIO for
// a write of nothing). EINTR is retried. On a non-blocking descriptor (a
// pipe to a command) a write that finds no room waits for it until the
// deadline given, then fails with ETIMEDOUT; without a deadline EAGAIN is
// an error like any other. The descriptor stays the caller's to close.
#pragma once

#include <chrono>
#include <optional>
#include <streambuf>
#include <vector>

namespace pftls {

class FdStreamBuf final : public std::streambuf {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  explicit FdStreamBuf(int fd, std::optional<Deadline> deadline = std::nullopt);
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override;
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain();
  bool wait_for_room();  // false: the deadline passed (error_ set)

  int fd_;
  std::optional<Deadline> deadline_;
  std::vector<char> buf_;
  int error_ = 0;
};

}  // namespace pftls
