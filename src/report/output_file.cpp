// output_file: exclusive temporary + fsync + rename for regular files,
// direct writes for everything else, every error checked.
#include "report/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "report/fd_stream_buf.h"

namespace pftls {
namespace {

[[noreturn]] void fail(const std::string& path, int error) {
  const std::string what =
      path.empty() ? "cannot write to standard output" : "cannot write " + path;
  throw std::runtime_error(error ? what + ": " + std::strerror(error) : what);
}

mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// The directory holding `path`, for its fsync after the rename.
std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

struct OutputFile::Impl {
  int fd = -1;
  bool own_fd = false;  // false: standard output, not closed here
  bool sync = false;    // a regular file: fsync before close
  std::string tmp;      // the temporary to rename, "" when writing in place
  FdStreamBuf buf;
  std::ostream out;
  explicit Impl(int f) : fd(f), buf(f), out(&buf) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // Not committed: the temporary goes (also when the constructor throws).
  ~Impl() {
    if (own_fd && fd >= 0) ::close(fd);
    if (!tmp.empty()) ::unlink(tmp.c_str());
  }
};

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) {
    std::cout.flush();  // whatever went to std::cout before comes first
    impl_ = std::make_unique<Impl>(STDOUT_FILENO);
    return;
  }
  struct stat st;
  const bool exists = ::lstat(path_.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or symlink: written as it is, never replaced.
    const int fd = ::open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(path_, errno);
    struct stat target;
    const bool regular = ::fstat(fd, &target) == 0 && S_ISREG(target.st_mode);
    impl_ = std::make_unique<Impl>(fd);
    impl_->own_fd = true;
    impl_->sync = regular;
    return;
  }
  std::string tmp = path_ + ".XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_CREAT|O_EXCL: follows no symlink
  if (fd < 0) fail(path_, errno);
  impl_ = std::make_unique<Impl>(fd);
  impl_->own_fd = true;
  impl_->sync = true;
  impl_->tmp = std::move(tmp);
  if (::fchmod(fd, exists ? (st.st_mode & 07777) : new_file_mode()) != 0) fail(path_, errno);
}

OutputFile::~OutputFile() = default;

std::ostream& OutputFile::stream() { return impl_->out; }

void OutputFile::commit() {
  Impl& f = *impl_;
  f.out.flush();
  if (f.buf.error() != 0 || !f.out) fail(path_, f.buf.error());
  if (f.sync && ::fsync(f.fd) != 0) fail(path_, errno);
  if (f.own_fd) {
    const int fd = f.fd;
    f.fd = -1;
    if (::close(fd) != 0) fail(path_, errno);
  }
  if (f.tmp.empty()) return;
  if (::rename(f.tmp.c_str(), path_.c_str()) != 0) fail(path_, errno);
  f.tmp.clear();
  // The rename itself on disk; a directory that cannot be opened or synced
  // (some file systems) still has the file.
  const int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

void write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
  OutputFile file(path);
  write(file.stream());
  file.commit();
}

}  // namespace pftls
