// external_sort: sorted runs in one unlinked temporary file, merged.
#include "base/external_sort.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <stdexcept>

namespace pftls {
namespace {

constexpr std::size_t kHeader = 8;  // key size, payload size: 4 bytes each, little-endian

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Unsigned byte order, a prefix first: std::string_view's own order.
bool key_less(std::string_view a, std::string_view b) { return a < b; }

// A key's first 8 bytes as a number that orders as they do (big endian,
// zeros after a shorter key): most comparisons end there, without reaching
// into the record. Equal prefixes (or a key of 8 bytes or fewer that is the
// other's prefix padded with zeros) are told apart by the whole keys.
std::uint64_t key_prefix(std::string_view key) {
  std::uint64_t prefix = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    prefix <<= 8;
    if (i < key.size()) prefix |= static_cast<unsigned char>(key[i]);
  }
  return prefix;
}

std::string error_text() { return std::strerror(errno); }

// One run read back in order through a buffer of its own.
class RunReader {
 public:
  RunReader(int fd, std::uint64_t begin, std::uint64_t end, std::size_t buffer)
      : fd_(fd), next_(begin), end_(end), buffer_(buffer, '\0') {}

  // Reads the next record; false at the run's end.
  bool advance() {
    if (!fill(kHeader)) return false;
    const std::uint32_t key_size = get_u32(buffer_.data() + at_);
    const std::uint32_t payload_size = get_u32(buffer_.data() + at_ + 4);
    const std::size_t size = kHeader + key_size + payload_size;
    if (!fill(size)) throw std::runtime_error("external sort: its temporary file ends in a record");
    key_ = std::string_view(buffer_.data() + at_ + kHeader, key_size);
    prefix_ = key_prefix(key_);
    payload_ = std::string_view(buffer_.data() + at_ + kHeader + key_size, payload_size);
    at_ += size;
    return true;
  }
  std::string_view key() const { return key_; }
  std::uint64_t prefix() const { return prefix_; }
  std::string_view payload() const { return payload_; }

 private:
  // Makes `size` bytes from at_ readable; false when the run has none left.
  bool fill(std::size_t size) {
    if (held_ - at_ >= size) return true;
    if (held_ == at_ && next_ == end_) return false;
    // The current record's views die here: advance() is only called once
    // they are no longer needed.
    std::memmove(buffer_.data(), buffer_.data() + at_, held_ - at_);
    held_ -= at_;
    at_ = 0;
    if (buffer_.size() < size) buffer_.resize(size);  // a record larger than the buffer
    while (held_ < size && next_ < end_) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size() - held_, end_ - next_));
      const ssize_t got = ::pread(fd_, buffer_.data() + held_, want, static_cast<off_t>(next_));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        throw std::runtime_error("external sort: cannot read its temporary file: " +
                                 (got < 0 ? error_text() : std::string("it is shorter")));
      held_ += static_cast<std::size_t>(got);
      next_ += static_cast<std::uint64_t>(got);
    }
    if (held_ < size)
      throw std::runtime_error("external sort: its temporary file ends in a record");
    return true;
  }

  int fd_;
  std::uint64_t next_, end_;  // the part of the run not yet in the buffer
  std::string buffer_;
  std::size_t at_ = 0, held_ = 0;  // the current position and the bytes held
  std::string_view key_, payload_;
  std::uint64_t prefix_ = 0;  // key_'s (key_prefix)
};

}  // namespace

ExternalSorter::~ExternalSorter() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ExternalSorter::temp_path() const {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp");
}

void ExternalSorter::add(std::string_view key, std::string_view payload) {
  if (drained_) throw std::logic_error("external sort: add() after drain()");
  Held h{arena_.size(), static_cast<std::uint32_t>(key.size()),
         static_cast<std::uint32_t>(payload.size()), key_prefix(key)};
  arena_.append(key);
  arena_.append(payload);
  held_.push_back(h);
  ++records_;
  if (arena_.size() + held_.size() * sizeof(Held) > budget_) spill();
}

void ExternalSorter::sorted_in_memory() {
  const auto key_of = [&](const Held& h) {
    return std::string_view(arena_).substr(h.at, h.key_size);
  };
  std::stable_sort(held_.begin(), held_.end(), [&](const Held& a, const Held& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return key_less(key_of(a), key_of(b));
  });
}

void ExternalSorter::spill() {
  if (held_.empty()) return;
  sorted_in_memory();
  if (fd_ < 0) {
    const std::string dir = temp_path();
    std::string name = dir + "/pftls-sort-XXXXXX";
    fd_ = ::mkstemp(name.data());
    if (fd_ < 0)
      throw std::runtime_error("cannot make a temporary file in " + dir + ": " + error_text());
    ::unlink(name.c_str());
  }
  const std::uint64_t begin = file_size_;
  std::string out;
  out.reserve(1 << 16);
  const auto flush = [&] {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          ::pwrite(fd_, out.data() + done, out.size() - done, static_cast<off_t>(file_size_));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw std::runtime_error("cannot write a temporary file in " + temp_path() + ": " +
                                 error_text());
      done += static_cast<std::size_t>(n);
      file_size_ += static_cast<std::uint64_t>(n);
    }
    out.clear();
  };
  for (const Held& h : held_) {
    put_u32(out, h.key_size);
    put_u32(out, h.payload_size);
    out.append(arena_, h.at, std::size_t{h.key_size} + h.payload_size);
    if (out.size() >= (1 << 16)) flush();
  }
  flush();
  runs_.push_back(Run{begin, file_size_});
  arena_.clear();
  held_.clear();
}

void ExternalSorter::drain(
    const std::function<bool(std::string_view key, std::string_view payload)>& f) {
  if (drained_) throw std::logic_error("external sort: drain() twice");
  drained_ = true;
  if (runs_.empty()) {  // everything fits: no file at all
    sorted_in_memory();
    for (const Held& h : held_) {
      const std::string_view all = std::string_view(arena_).substr(h.at);
      if (!f(all.substr(0, h.key_size), all.substr(h.key_size, h.payload_size))) break;
    }
    return;
  }
  spill();
  std::string().swap(arena_);
  std::vector<Held>().swap(held_);
  const std::size_t buffer = std::max(kMinReadBuffer, budget_ / runs_.size());
  std::vector<RunReader> readers;
  readers.reserve(runs_.size());
  for (const Run& r : runs_) readers.emplace_back(fd_, r.begin, r.end, buffer);
  // A heap of the runs by their current key; ties by run, the earlier
  // added first.
  const auto after = [&](std::size_t a, std::size_t b) {
    if (readers[a].prefix() != readers[b].prefix())
      return readers[b].prefix() < readers[a].prefix();
    const int order = readers[a].key().compare(readers[b].key());
    return order != 0 ? order > 0 : a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(after)> heap(after);
  for (std::size_t i = 0; i < readers.size(); ++i)
    if (readers[i].advance()) heap.push(i);
  while (!heap.empty()) {
    const std::size_t i = heap.top();
    heap.pop();
    if (!f(readers[i].key(), readers[i].payload())) return;
    if (readers[i].advance()) heap.push(i);
  }
}

}  // namespace pftls
