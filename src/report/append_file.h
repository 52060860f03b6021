// append_file: a file pftls appends to (ingest --unrecognised), opened so
// that no name someone else planted is followed.
//
// Contract: AppendFile(PATH) opens PATH with O_WRONLY|O_APPEND|O_CREAT|
// O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK (a new file gets mode 0640 less the umask;
// O_NONBLOCK only so that a FIFO without a reader is refused, not waited
// for; it is cleared after the open): a symlink as PATH is refused, whatever
// it points to, and nothing is truncated. Only a regular file or a
// character device (/dev/null) is taken. Every failure, at the open or at a
// write, throws std::runtime_error "cannot write PATH: REASON"; writes are
// buffered (64 KiB) and finish() flushes and checks them. Each write
// reaches the end of the file as it is then (O_APPEND), so two writers never
// overwrite each other's lines.
#pragma once

#include <memory>
#include <ostream>
#include <string>

namespace pftls {

class AppendFile {
 public:
  explicit AppendFile(std::string path);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  std::ostream& stream();
  // Flushes what is buffered; throws when any write failed.
  void finish();
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pftls
