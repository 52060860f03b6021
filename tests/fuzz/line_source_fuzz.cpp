// line_source_fuzz: LineSource on bytes in memory, plain or compressed
// (gzip, bzip2, xz, zstd by their magic numbers) (libFuzzer target).
//
// Reading may end with InputError (corrupt or truncated data), never with
// anything else. Checked: no line holds '\n' or exceeds kMaxLineBytes; lines
// are numbered 1, 2, ...; offset() never goes back. When nothing was cut or
// refused: the lines with their '\n' give back the decoded text (the input
// itself when plain), offset() ends at its size, and a second source that
// skip()s k bytes (k from the input's last byte) reads the same text from k.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "input/line_source.h"

namespace {

constexpr std::size_t kKeepBytes = std::size_t{8} << 20;  // decoded text compared up to this

struct Pass {
  std::string text;  // the lines with their '\n', while under kKeepBytes
  std::uint64_t end = 0;
  bool whole = true;  // no error, nothing truncated, text complete
};

Pass read(pftls::LineSource& src, std::string_view input) {
  Pass p;
  pftls::Line line;
  std::uint64_t expected = src.offset() == 0 ? 1 : 0;  // numbering checked from the start only
  std::uint64_t last_offset = src.offset();
  try {
    while (src.next(line)) {
      FUZZ_CHECK(line.text.size() <= pftls::kMaxLineBytes, input);
      FUZZ_CHECK(line.text.find('\n') == std::string_view::npos, input);
      if (expected) FUZZ_CHECK(line.number == expected++, input);
      FUZZ_CHECK(src.offset() >= last_offset, input);
      last_offset = src.offset();
      if (line.truncated) p.whole = false;
      if (p.whole && p.text.size() < kKeepBytes) {
        p.text.append(line.text);
        if (line.terminated) p.text.push_back('\n');
      } else {
        p.whole = false;
      }
    }
  } catch (const pftls::InputError&) {
    p.whole = false;
  }
  p.end = src.offset();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pftls;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto src = LineSource::from_memory(input, "fuzz");
  const Pass first = read(*src, input);
  if (!first.whole) return 0;
  FUZZ_CHECK(first.end == first.text.size(), input);
  if (src->compression() == Compression::kNone) FUZZ_CHECK(first.text == input, input);

  const std::uint64_t k = size == 0 ? 0 : data[size - 1] * std::uint64_t{7};
  auto again = LineSource::from_memory(input, "fuzz");
  again->skip(k);
  const std::uint64_t from = k < first.end ? k : first.end;
  FUZZ_CHECK(again->offset() == from, input);
  const Pass second = read(*again, input);
  FUZZ_CHECK(second.whole, input);
  FUZZ_CHECK(second.text == std::string_view(first.text).substr(from), input);
  FUZZ_CHECK(second.end == first.end, input);
  return 0;
}
