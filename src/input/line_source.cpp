// line_source: see line_source.h for the contract.
//
// Layout: RawInput reads the file descriptor and a Decoder turns its bytes
// into text (decoders.h); Reader cuts that text into lines in one fixed
// buffer with memchr, so a line costs one scan and no copy.
#include "input/line_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "input/decoders.h"

namespace pftls {
namespace {

// Bad compressed data (every decoder names it "corrupt ..."), not a failed
// read or seek of the file.
bool is_damage(const StreamError& e) { return std::string_view(e.what()).starts_with("corrupt "); }

constexpr std::size_t kLineBufferBytes = std::size_t{1024} * 1024;  // > kMaxLineBytes, by a lot
static_assert(kLineBufferBytes >= 4 * kMaxLineBytes);

// Cuts decoded text into lines inside one buffer: [begin_, end_) is unread
// text, and [begin_, scan_) is known to hold no '\n'.
class Reader final : public LineSource {
 public:
  Reader(std::string name, Compression c, std::unique_ptr<RawInput> raw)
      : LineSource(std::move(name), c),
        raw_(std::move(raw)),
        decoder_(make_decoder(c, *raw_)),
        buf_(std::make_unique_for_overwrite<char[]>(kLineBufferBytes)) {}

  void set_identity(const FileIdentity& id) { identity_ = id; }

  std::uint64_t offset() const override { return safe_offset_; }

  void skip(std::uint64_t n) override {
    if (n == 0) return;
    if (compression_ == Compression::kNone && identity_) {
      try {
        raw_->seek(n);
      } catch (const StreamError& e) {
        throw InputError(name_ + ": " + e.what() + ": " + e.detail());
      }
      base_offset_ = safe_offset_ = n;
      return;
    }
    // Compressed or a pipe: decode and drop.
    std::uint64_t left = n;
    while (left > 0) {
      fill();
      std::size_t have = end_ - begin_;
      if (have == 0 && at_end_) break;
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, have));
      begin_ += take;
      scan_ = begin_;
      left -= take;
      if (at_end_ && begin_ == end_) break;
    }
    safe_offset_ = base_offset_ + begin_;
  }

  bool next(Line& out) override {
    for (;;) {
      char* base = buf_.get();
      if (scan_ < end_) {
        if (auto* hit = static_cast<char*>(std::memchr(base + scan_, '\n', end_ - scan_))) {
          std::size_t start = begin_;
          std::size_t stop = static_cast<std::size_t>(hit - base);
          begin_ = scan_ = stop + 1;
          safe_offset_ = base_offset_ + begin_;
          if (skipping_) {  // the tail of a truncated line
            skipping_ = false;
            continue;
          }
          return emit(out, start, stop - start, true);
        }
        scan_ = end_;
      }
      if (skipping_) {
        begin_ = scan_ = end_;
        if (at_end_) safe_offset_ = base_offset_ + end_;
      } else if (end_ - begin_ > kMaxLineBytes || (at_end_ && begin_ < end_)) {
        std::size_t start = begin_;
        skipping_ = end_ - begin_ > kMaxLineBytes;
        begin_ = scan_ = end_;
        if (!skipping_) safe_offset_ = base_offset_ + end_;  // the unterminated last line
        return emit(out, start, end_ - start, skipping_);
      }
      if (at_end_) {
        return false;
      }
      fill();
    }
  }

 private:
  bool emit(Line& out, std::size_t start, std::size_t length, bool terminated) {
    out.terminated = terminated;
    out.truncated = length > kMaxLineBytes;
    if (out.truncated) {
      length = kMaxLineBytes;
      ++truncated_lines_;
    }
    out.text = std::string_view(buf_.get() + start, length);
    out.number = ++line_number_;
    return true;
  }

  // Moves the unread text to the front and appends decoded text after it.
  void fill() {
    char* base = buf_.get();
    if (begin_ > 0) {
      std::memmove(base, base + begin_, end_ - begin_);
      base_offset_ += begin_;
      end_ -= begin_;
      scan_ -= begin_;
      begin_ = 0;
    }
    std::size_t got = 0;
    try {
      got = decoder_->read(base + end_, kLineBufferBytes - end_);
    } catch (const StreamError& e) {
      std::string msg = name_ + ": " + e.what() + " near line " + std::to_string(line_number_ + 1);
      if (!e.detail().empty()) {
        msg += ": " + e.detail();
      }
      if (is_damage(e)) throw DamagedInputError(msg);
      throw InputError(msg);
    }
    if (got == 0) {
      at_end_ = true;
    }
    end_ += got;
  }

  std::unique_ptr<RawInput> raw_;  // declared before decoder_, which uses it
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<char[]> buf_;
  std::size_t begin_ = 0;
  std::size_t scan_ = 0;
  std::size_t end_ = 0;
  bool at_end_ = false;
  bool skipping_ = false;
  std::uint64_t line_number_ = 0;
  std::uint64_t base_offset_ = 0;  // decoded offset of buf_[0]
  std::uint64_t safe_offset_ = 0;  // see offset()
};

}  // namespace

std::unique_ptr<LineSource> LineSource::open(const std::string& path) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "<stdin>" : path;
  int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw InputError("cannot open " + name + ": " + errno_text(errno));
  }
  auto raw = std::make_unique<RawInput>(fd, !is_stdin);

  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw InputError("cannot open " + name + ": " + errno_text(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    throw InputError("cannot open " + name + ": " + errno_text(EISDIR));
  }
  const bool regular = S_ISREG(st.st_mode);
  if (regular) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }

  Compression c = Compression::kNone;
  try {
    c = detect(raw->peek());
  } catch (const StreamError& e) {
    throw InputError("cannot read " + name + ": " + e.detail());
  }
  auto reader = std::make_unique<Reader>(name, c, std::move(raw));
  if (regular && !is_stdin) {
    reader->set_identity(FileIdentity{static_cast<std::uint64_t>(st.st_dev),
                                      static_cast<std::uint64_t>(st.st_ino),
                                      static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec});
  }
  return reader;
}

std::unique_ptr<LineSource> LineSource::from_fd(int fd, std::string name) {
  std::unique_ptr<RawInput> raw;
  try {
    raw = std::make_unique<RawInput>(fd, true);
  } catch (...) {
    ::close(fd);
    throw;
  }
  return std::make_unique<Reader>(std::move(name), Compression::kNone, std::move(raw));
}

std::unique_ptr<LineSource> LineSource::from_memory(std::string_view bytes, std::string name) {
  auto raw = std::make_unique<RawInput>(bytes);
  const Compression c = detect(raw->peek());  // memory: peek() cannot fail
  return std::make_unique<Reader>(std::move(name), c, std::move(raw));
}

std::string LineSource::read_prefix(const std::string& path, std::size_t n) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open " + path + ": " + errno_text(errno));
  RawInput raw(fd, true);
  std::string out(n, '\0');
  std::size_t got = 0;
  try {
    Compression c = detect(raw.peek());
    auto decoder = make_decoder(c, raw);
    while (got < n) {
      std::size_t k = decoder->read(out.data() + got, n - got);
      if (k == 0) break;
      got += k;
    }
  } catch (const StreamError& e) {
    // A prefix decoded before the damage still identifies the file.
    if (got == 0) {
      const std::string msg = path + ": " + e.what() + ": " + e.detail();
      if (is_damage(e)) throw DamagedInputError(msg);
      throw InputError(msg);
    }
  }
  out.resize(got);
  return out;
}

}  // namespace pftls
