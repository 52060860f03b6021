// append_file: an fd opened without following symlinks, behind a streambuf.
#include "report/append_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <streambuf>

#include "base/text.h"

namespace pftls {
namespace {

class FdBuf final : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buf_.data(), buf_.data() + buf_.size()); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    while (p < pptr() && error_ == 0) {
      const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
      if (n > 0) {
        p += n;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        error_ = n < 0 ? errno : EIO;
      }
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return error_ == 0;
  }

  int fd_;
  std::array<char, 65536> buf_{};
  int error_ = 0;
};

}  // namespace

struct AppendFile::Impl {
  int fd = -1;
  std::unique_ptr<FdBuf> buf;
  std::unique_ptr<std::ostream> out;
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
};

AppendFile::AppendFile(std::string path) : path_(std::move(path)), impl_(std::make_unique<Impl>()) {
  auto fail = [&](int err) {
    throw std::runtime_error("cannot write " + strip_controls(path_) + ": " +
                             (err == ELOOP    ? "a symlink (not followed)"
                              : err == EINVAL ? "not a regular file"
                                              : std::strerror(err)));
  };
  impl_->fd = ::open(path_.c_str(),
                     O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0640);
  if (impl_->fd < 0) fail(errno);
  struct stat st;
  if (::fstat(impl_->fd, &st) != 0) fail(errno);
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) fail(EINVAL);
  ::fcntl(impl_->fd, F_SETFL, ::fcntl(impl_->fd, F_GETFL) & ~O_NONBLOCK);
  impl_->buf = std::make_unique<FdBuf>(impl_->fd);
  impl_->out = std::make_unique<std::ostream>(impl_->buf.get());
}

AppendFile::~AppendFile() = default;

std::ostream& AppendFile::stream() { return *impl_->out; }

void AppendFile::finish() {
  impl_->out->flush();
  const int err = impl_->buf->error();
  if (err != 0 || !*impl_->out) {
    throw std::runtime_error("cannot write " + strip_controls(path_) + ": " +
                             std::strerror(err != 0 ? err : EIO));
  }
}

}  // namespace pftls
