// decoders: see decoders.h for the contract.
//
// gzip uses ISA-L's inflate rather than zlib or Boost's gzip filter for its
// speed (gzip'd logs are common input); zstd uses libzstd directly because
// Boost 1.74's zstd filter takes a truncated stream for a complete one.
#include "input/decoders.h"

#include <isa-l/igzip_lib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <cerrno>
#include <cstring>
#include <ios>
#include <new>
#include <system_error>
#include <utility>

namespace pftls {

std::string errno_text(int err) { return std::generic_category().message(err); }

RawInput::~RawInput() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

std::string_view RawInput::peek() {
  char tmp[kPeekBytes];
  while (prefix_.size() < kPeekBytes) {
    const std::size_t got = read_fd(tmp, kPeekBytes - prefix_.size());
    if (got == 0) break;
    prefix_.append(tmp, got);
  }
  return prefix_;
}

void RawInput::seek(std::uint64_t n) {
  if (n < prefix_.size()) {
    prefix_pos_ = static_cast<std::size_t>(n);
    return;
  }
  prefix_pos_ = prefix_.size();
  if (fd_ < 0) {
    memory_pos_ = static_cast<std::size_t>(std::min<std::uint64_t>(n, memory_.size()));
    return;
  }
  if (::lseek(fd_, static_cast<off_t>(n), SEEK_SET) < 0) {
    throw StreamError("seek error", errno_text(errno));
  }
}

std::size_t RawInput::read(char* dst, std::size_t n) {
  if (prefix_pos_ < prefix_.size()) {
    const std::size_t k = std::min(n, prefix_.size() - prefix_pos_);
    std::memcpy(dst, prefix_.data() + prefix_pos_, k);
    prefix_pos_ += k;
    return k;
  }
  return read_fd(dst, n);
}

std::size_t RawInput::read_fd(char* dst, std::size_t n) {
  if (fd_ < 0) {
    const std::size_t k = std::min(n, memory_.size() - memory_pos_);
    if (k > 0) std::memcpy(dst, memory_.data() + memory_pos_, k);
    memory_pos_ += k;
    return k;
  }
  for (;;) {
    const ssize_t got = ::read(fd_, dst, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw StreamError("read error", errno_text(errno));
  }
}

namespace {

constexpr std::size_t kCompressedBufferBytes = std::size_t{256} * 1024;

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
      case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
      case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK:
        return "invalid distance";
      case ISAL_INVALID_WRAPPER:
        return "not a gzip member";
      case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
      case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
      default:
        return "inflate error";
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

}  // namespace

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

}  // namespace pftls
