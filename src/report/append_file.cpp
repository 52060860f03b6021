// append_file: an fd opened without following symlinks, behind an FdStreamBuf.
#include "report/append_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/text.h"
#include "report/fd_stream_buf.h"

namespace pftls {
struct AppendFile::Impl {
  int fd = -1;
  std::unique_ptr<FdStreamBuf> buf;
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
  impl_->buf = std::make_unique<FdStreamBuf>(impl_->fd);
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
