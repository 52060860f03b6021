// queue_id: splitting "QUEUEID: rest", 16 bytes at once where that decides.
#include "parse/queue_id.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "base/byte_scan.h"
#include "parse/queue_id_internal.h"

namespace pftls {

namespace {

// Per byte: 1 = may be in a short (hex) queue id, 2 = in a long one.
constexpr std::array<std::uint8_t, 256> make_queue_id_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = 1 | 2;
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = 1;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] |= 2;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = 2;
  constexpr std::uint8_t kVowels[] = {'A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u'};
  for (std::uint8_t v : kVowels) t[v] &= static_cast<std::uint8_t>(~2u);
  return t;
}
constexpr std::array<std::uint8_t, 256> kQueueIdClass = make_queue_id_classes();

}  // namespace

bool split_queue_id_bytewise(std::string_view message, std::string_view& queue_id,
                             std::string_view& body) {
  constexpr std::size_t kMinShort = 5, kMinLong = 10, kMax = 24;
  std::uint8_t classes = 3;
  std::size_t n = 0;
  const std::size_t limit = std::min(message.size(), kMax + 1);
  for (; n < limit; ++n) {
    auto c = static_cast<unsigned char>(message[n]);
    if (c == ':') break;
    classes &= kQueueIdClass[c];
    if (classes == 0) return false;
  }
  if (n >= limit || n + 1 >= message.size() || message[n + 1] != ' ') return false;
  if (!(((classes & 1) && n >= kMinShort) || ((classes & 2) && n >= kMinLong))) return false;
  queue_id = message.substr(0, n);
  body = message.substr(n + 2);
  return true;
}

bool split_queue_id(std::string_view message, std::string_view& queue_id, std::string_view& body) {
  // The first 16 bytes at once: where the first ':' or byte below '0' (a
  // space, punctuation, a byte >= 0x80) is, and which bytes are short-id
  // ones ([0-9A-F]). Decides the usual cases: a short queue id, and a
  // message whose first word is no queue id; the rest (long ids, 16 bytes
  // without either) goes byte by byte.
  if (message.size() >= 16) {
    const char* p = message.data();
    const unsigned colon = byte_scan::mask_eq_16(p, ':');
    const unsigned stops = colon | byte_scan::mask_below_16(p, '0');
    if (stops != 0) {
      const unsigned n = static_cast<unsigned>(std::countr_zero(stops));
      if (!((colon >> n) & 1u)) return false;  // a byte no queue id has, before any ':'
      const unsigned short_bytes =
          byte_scan::mask_in_16(p, '0', '9') | byte_scan::mask_in_16(p, 'A', 'F');
      const unsigned want = (1u << n) - 1;
      if (n >= 5 && (short_bytes & want) == want) {
        if (message[n + 1] != ' ') return false;  // n <= 15, so n + 1 < 16 <= size
        queue_id = std::string_view(message.data(), n);
        body = std::string_view(message.data() + n + 2, message.size() - n - 2);
        return true;
      }
      if (n < 5) return false;  // too short for either form
    }
  }
  return split_queue_id_bytewise(message, queue_id, body);
}

}  // namespace pftls
