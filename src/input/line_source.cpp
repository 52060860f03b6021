// line_source: see line_source.h for the contract.
//
// Layout: RawInput reads the file descriptor (replaying the bytes peeked for
// format detection first), a Decoder turns those bytes into text (plain:
// pass-through; gzip: ISA-L's igzip inflate, about twice as fast as zlib's
// (which is itself much faster than Boost's gzip_decompressor); zstd: libzstd directly, as Boost 1.74's zstd filter
// takes a truncated stream for a complete one; bzip2/xz: Boost.Iostreams),
// and Reader cuts the text into lines in one fixed buffer with memchr.
#include "input/line_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <cerrno>
#include <cstring>
#include <ios>
#include <system_error>
#include <utility>

namespace pftls {
namespace {

constexpr std::size_t kLineBufferBytes = std::size_t{1024} * 1024;  // > kMaxLineBytes, by a lot
constexpr std::size_t kCompressedBufferBytes = std::size_t{256} * 1024;
constexpr std::size_t kPeekBytes = 6;  // the longest magic number (xz)
static_assert(kLineBufferBytes >= 4 * kMaxLineBytes);

std::string errno_text(int err) { return std::generic_category().message(err); }

// A failure while producing bytes; Reader adds the input's name and line.
class StreamError : public std::runtime_error {
 public:
  StreamError(const std::string& what, std::string detail)
      : std::runtime_error(what), detail_(std::move(detail)) {}
  const std::string& detail() const { return detail_; }

 private:
  std::string detail_;
};

// The raw bytes of one file descriptor; the peeked prefix is replayed first.
class RawInput {
 public:
  RawInput(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~RawInput() {
    if (owned_) {
      ::close(fd_);
    }
  }
  RawInput(const RawInput&) = delete;
  RawInput& operator=(const RawInput&) = delete;

  int fd() const { return fd_; }

  // Reads until kPeekBytes are buffered or the input ends; returns the prefix.
  std::string_view peek() {
    char tmp[kPeekBytes];
    while (prefix_.size() < kPeekBytes) {
      std::size_t got = read_fd(tmp, kPeekBytes - prefix_.size());
      if (got == 0) {
        break;
      }
      prefix_.append(tmp, got);
    }
    return prefix_;
  }

  // Moves a plain regular file to byte n (the peeked prefix included).
  void seek(std::uint64_t n) {
    if (n < prefix_.size()) {
      prefix_pos_ = static_cast<std::size_t>(n);
      return;
    }
    prefix_pos_ = prefix_.size();
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_SET) < 0) {
      throw StreamError("seek error", errno_text(errno));
    }
  }

  // Up to n bytes into dst; 0 only at the end of the input.
  std::size_t read(char* dst, std::size_t n) {
    if (prefix_pos_ < prefix_.size()) {
      std::size_t k = std::min(n, prefix_.size() - prefix_pos_);
      std::memcpy(dst, prefix_.data() + prefix_pos_, k);
      prefix_pos_ += k;
      return k;
    }
    return read_fd(dst, n);
  }

 private:
  std::size_t read_fd(char* dst, std::size_t n) {
    for (;;) {
      ssize_t got = ::read(fd_, dst, n);
      if (got >= 0) {
        return static_cast<std::size_t>(got);
      }
      if (errno != EINTR) {
        throw StreamError("read error", errno_text(errno));
      }
    }
  }

  int fd_;
  bool owned_;
  std::string prefix_;
  std::size_t prefix_pos_ = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Up to n bytes of text into dst; 0 only at the end of the data.
  virtual std::size_t read(char* dst, std::size_t n) = 0;
};

class PlainDecoder final : public Decoder {
 public:
  explicit PlainDecoder(RawInput& raw) : raw_(raw) {}
  std::size_t read(char* dst, std::size_t n) override { return raw_.read(dst, n); }

 private:
  RawInput& raw_;
};

// ISA-L's inflate with the gzip wrapper (header parsed, CRC-32 and length
// checked), one gzip member after another (as `cat a.gz b.gz` makes).
class GzipDecoder final : public Decoder {
 public:
  explicit GzipDecoder(RawInput& raw)
      : raw_(raw),
        in_(std::make_unique_for_overwrite<char[]>(kCompressedBufferBytes)),
        st_(std::make_unique<inflate_state>()) {
    isal_inflate_init(st_.get());
    st_->crc_flag = ISAL_GZIP;
  }

  std::size_t read(char* dst, std::size_t n) override {
    inflate_state& st = *st_;
    st.next_out = reinterpret_cast<std::uint8_t*>(dst);
    st.avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(n, 1u << 30));
    const std::uint32_t wanted = st.avail_out;
    while (st.avail_out == wanted) {
      if (st.avail_in == 0) {
        if (at_end_) {
          if (in_member_) {
            throw StreamError("corrupt gzip data", "unexpected end of file");
          }
          break;
        }
        std::size_t got = raw_.read(in_.get(), kCompressedBufferBytes);
        if (got == 0) {
          at_end_ = true;
          continue;
        }
        st.next_in = reinterpret_cast<std::uint8_t*>(in_.get());
        st.avail_in = static_cast<std::uint32_t>(got);
      }
      if (!in_member_) {  // a further member follows the previous one
        std::uint8_t* next_out = st.next_out;
        const std::uint32_t avail_out = st.avail_out;
        std::uint8_t* next_in = st.next_in;
        const std::uint32_t avail_in = st.avail_in;
        isal_inflate_reset(&st);
        st.crc_flag = ISAL_GZIP;
        st.next_out = next_out;
        st.avail_out = avail_out;
        st.next_in = next_in;
        st.avail_in = avail_in;
        in_member_ = true;
      }
      const std::uint32_t before_in = st.avail_in, before_out = st.avail_out;
      int rc = isal_inflate(&st);
      if (rc != ISAL_DECOMP_OK) {
        throw StreamError("corrupt gzip data", isal_error_text(rc));
      }
      if (st.block_state == ISAL_BLOCK_FINISH) {
        in_member_ = false;
      } else if (st.avail_in == before_in && st.avail_out == before_out && st.avail_in != 0) {
        throw StreamError("corrupt gzip data", "no progress");  // never loop forever
      }
    }
    return wanted - st.avail_out;
  }

 private:
  static const char* isal_error_text(int rc) {
    switch (rc) {
      case ISAL_INVALID_BLOCK: return "invalid deflate block";
      case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK: return "invalid distance";
      case ISAL_INVALID_WRAPPER: return "not a gzip member";
      case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
      case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
      default: return "inflate error";
    }
  }

  RawInput& raw_;
  std::unique_ptr<char[]> in_;
  std::unique_ptr<inflate_state> st_;  // large: on the heap
  bool in_member_ = false;
  bool at_end_ = false;
};

// libzstd's streaming decoder; it moves from one frame to the next by itself.
class ZstdDecoder final : public Decoder {
 public:
  explicit ZstdDecoder(RawInput& raw)
      : raw_(raw),
        in_(std::make_unique_for_overwrite<char[]>(kCompressedBufferBytes)),
        zs_(ZSTD_createDStream()) {
    if (zs_ == nullptr) {
      throw std::bad_alloc();
    }
  }
  ~ZstdDecoder() override { ZSTD_freeDStream(zs_); }

  std::size_t read(char* dst, std::size_t n) override {
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos == 0) {
      if (in_buf_.pos == in_buf_.size && !at_end_) {
        std::size_t got = raw_.read(in_.get(), kCompressedBufferBytes);
        in_buf_ = ZSTD_inBuffer{in_.get(), got, 0};
        at_end_ = got == 0;
      }
      const bool input_done = at_end_ && in_buf_.pos == in_buf_.size;
      if (input_done && pending_ == 0) {
        break;  // every frame complete and flushed
      }
      pending_ = ZSTD_decompressStream(zs_, &out, &in_buf_);
      if (ZSTD_isError(pending_)) {
        throw StreamError("corrupt zstd data", ZSTD_getErrorName(pending_));
      }
      if (input_done && out.pos == 0 && pending_ != 0) {
        throw StreamError("corrupt zstd data", "unexpected end of file");
      }
    }
    return out.pos;
  }

 private:
  RawInput& raw_;
  std::unique_ptr<char[]> in_;
  ZSTD_DStream* zs_;
  ZSTD_inBuffer in_buf_{nullptr, 0, 0};
  std::size_t pending_ = 0;  // 0 when the last frame is complete and flushed
  bool at_end_ = false;
};

// A Boost.Iostreams decompressor over RawInput.
class BoostDecoder final : public Decoder {
 public:
  template <typename Filter>
  BoostDecoder(RawInput& raw, Filter filter, std::string_view format) : format_(format) {
    constexpr auto kBuf = static_cast<std::streamsize>(kCompressedBufferBytes);
    buf_.push(std::move(filter), kBuf);
    buf_.push(Device{&raw}, kBuf);
  }

  std::size_t read(char* dst, std::size_t n) override {
    try {
      std::streamsize got = buf_.sgetn(dst, static_cast<std::streamsize>(n));
      return got > 0 ? static_cast<std::size_t>(got) : 0;
    } catch (const StreamError&) {
      throw;
    } catch (const std::ios_base::failure&) {
      // Boost reports bad data, a truncated stream and I/O failures alike.
      throw StreamError("corrupt " + std::string(format_) + " data", "");
    }
  }

 private:
  struct Device {
    using char_type = char;
    using category = boost::iostreams::source_tag;
    std::streamsize read(char* s, std::streamsize n) {
      std::size_t got = raw->read(s, static_cast<std::size_t>(n));
      return got == 0 ? -1 : static_cast<std::streamsize>(got);
    }
    RawInput* raw;
  };

  std::string_view format_;
  boost::iostreams::filtering_streambuf<boost::iostreams::input> buf_;
};

Compression detect(std::string_view p) {
  auto starts = [p](std::string_view magic) { return p.substr(0, magic.size()) == magic; };
  using namespace std::string_view_literals;
  if (starts("\x1f\x8b"sv)) {
    return Compression::kGzip;
  }
  if (starts("BZh"sv) && p.size() > 3 && p[3] >= '1' && p[3] <= '9') {
    return Compression::kBzip2;
  }
  if (starts("\xfd\x37\x7a\x58\x5a\x00"sv)) {
    return Compression::kXz;
  }
  if (starts("\x28\xb5\x2f\xfd"sv)) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

std::unique_ptr<Decoder> make_decoder(Compression c, RawInput& raw) {
  namespace bio = boost::iostreams;
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipDecoder>(raw);
    case Compression::kBzip2:
      return std::make_unique<BoostDecoder>(raw, bio::bzip2_decompressor(), "bzip2");
    case Compression::kXz:
      return std::make_unique<BoostDecoder>(raw, bio::lzma_decompressor(), "xz");
    case Compression::kZstd:
      return std::make_unique<ZstdDecoder>(raw);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainDecoder>(raw);
}

// Cuts decoded text into lines inside one buffer: [begin_, end_) is unread
// text, and [begin_, scan_) is known to hold no '\n'.
class Reader final : public LineSource {
 public:
  Reader(std::string name, Compression c, std::unique_ptr<RawInput> raw)
      : LineSource(std::move(name), c),
        raw_(std::move(raw)),
        decoder_(make_decoder(c, *raw_)),
        buf_(std::make_unique_for_overwrite<char[]>(kLineBufferBytes)) {}

  void set_mtime(std::chrono::system_clock::time_point t) { mtime_ = t; }
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

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kXz:
      return "xz";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

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
    using std::chrono::duration_cast;
    using std::chrono::system_clock;
    auto since_epoch =
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    reader->set_mtime(system_clock::time_point(duration_cast<system_clock::duration>(since_epoch)));
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
    if (got == 0) throw InputError(path + ": " + e.what() + ": " + e.detail());
  }
  out.resize(got);
  return out;
}

}  // namespace pftls
