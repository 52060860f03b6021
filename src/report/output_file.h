// output_file: a file pftls writes (-o, --unrecognised), written whole or
// not at all, and never by way of a name someone else planted.
//
// Contract: an OutputFile for "" is standard output. For PATH that is a
// regular file or does not exist, the text goes to a new temporary in the
// same directory, created exclusively under a random name (mkostemp:
// O_CREAT|O_EXCL, so no planted file or symlink is followed or truncated);
// commit() flushes, fsyncs and closes it, checking each step, and renames it
// to PATH: a reader of PATH never sees half a file. A new PATH gets mode
// 0666 less the umask, a replaced one keeps its mode. For PATH that exists
// and is anything else (a device such as /dev/null, a FIFO, a symlink such
// as one to /proc/self/fd/1) the text is written to PATH itself, with no
// temporary and no rename, so the node stays what it is. Every write error
// (a full disk, /dev/full, a closed pipe) throws std::runtime_error
// "cannot write PATH: REASON" (for "" "cannot write to standard output");
// an OutputFile destroyed without a commit() removes its temporary, leaving
// PATH as it was. At most one buffer (64 KiB) is held in memory.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

namespace pftls {

class OutputFile {
 public:
  // Opens (creates the temporary); throws std::runtime_error as above.
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream();
  // Everything written reaches PATH, or this throws and PATH is as it was.
  void commit();
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

// An OutputFile for `path` ("" : standard output), filled by `write` and
// committed; an exception from `write` leaves PATH as it was.
void write_output(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace pftls
