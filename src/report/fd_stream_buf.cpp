// fd_stream_buf: writes with EINTR retried, EAGAIN waited out by poll()
// until the deadline, the first error kept.
#include "report/fd_stream_buf.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace pftls {

FdStreamBuf::FdStreamBuf(int fd, std::optional<Deadline> deadline)
    : fd_(fd), deadline_(deadline), buf_(std::size_t{64} * 1024) {
  setp(buf_.data(), buf_.data() + buf_.size());
}

FdStreamBuf::int_type FdStreamBuf::overflow(int_type ch) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(ch, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(ch);
    pbump(1);
  }
  return traits_type::not_eof(ch);
}

bool FdStreamBuf::wait_for_room() {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *deadline_ - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    error_ = ETIMEDOUT;
    return false;
  }
  pollfd pfd{fd_, POLLOUT, 0};
  ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
  return true;
}

bool FdStreamBuf::drain() {
  const char* p = pbase();
  while (error_ == 0 && p < pptr()) {
    const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
    if (n > 0) {
      p += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && deadline_) {
      if (!wait_for_room()) break;
    } else {
      error_ = n < 0 ? errno : EIO;
    }
  }
  setp(buf_.data(), buf_.data() + buf_.size());
  return error_ == 0;
}

}  // namespace pftls
