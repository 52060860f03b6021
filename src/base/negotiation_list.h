// negotiation_list: a TLS peer's negotiations (protocol, cipher, sessions)
// as one text, the form the stores keep per peer (tls_peers.negotiations)
// and pftls whatif reads.
//
// Contract: each negotiation is "LEN:PROTOCOL LEN:CIPHER SESSIONS;", LEN
// the byte length of the text after its colon and SESSIONS a count, both
// in decimal: "7:TLSv1.2 27:ECDHE-RSA-AES256-GCM-SHA384 5;". A protocol
// and a cipher are log text, any bytes up to the inventory's 128 (a space,
// a colon or a semicolon too): the lengths keep them apart. The SQLite
// store makes it with the negotiation_list() aggregate
// (store/sqlite_functions.h), PostgreSQL with string_agg
// (queries/pg/whatif.sql); each negotiation once, in no set order.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace pftls {

inline void append_negotiation_part(std::string& out, std::string_view text) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, text.size());
  out.append(digits, r.ptr);
  out.push_back(':');
  out.append(text);
}

// "LEN:PROTOCOL LEN:CIPHER ": a negotiation's form before its count, which
// is the same for the same pair and for no other.
inline void append_negotiation_key(std::string& out, std::string_view protocol,
                                   std::string_view cipher) {
  append_negotiation_part(out, protocol);
  out.push_back(' ');
  append_negotiation_part(out, cipher);
  out.push_back(' ');
}

inline void append_negotiation(std::string& out, std::string_view protocol, std::string_view cipher,
                               std::int64_t sessions) {
  append_negotiation_key(out, protocol, cipher);
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, sessions);
  out.append(digits, r.ptr);
  out.push_back(';');
}

namespace negotiation_list_detail {

// A decimal number ended by `end`, advancing `in` past both.
template <typename N>
bool read_number(std::string_view& in, char end, N& n) {
  const auto r = std::from_chars(in.data(), in.data() + in.size(), n);
  if (r.ec != std::errc() || r.ptr == in.data() + in.size() || *r.ptr != end) return false;
  in.remove_prefix(static_cast<std::size_t>(r.ptr - in.data()) + 1);
  return true;
}

inline bool read_part(std::string_view& in, std::string_view& part) {
  std::size_t n = 0;
  if (!read_number(in, ':', n) || n >= in.size() || in[n] != ' ') return false;
  part = in.substr(0, n);
  in.remove_prefix(n + 1);
  return true;
}

}  // namespace negotiation_list_detail

// Calls f(protocol, cipher, sessions) for each negotiation of `text`, in
// its order; false when `text` is not of the form above (f has been called
// for the negotiations before the fault).
template <typename F>
bool for_each_negotiation(std::string_view text, F&& f) {
  using negotiation_list_detail::read_number;
  using negotiation_list_detail::read_part;
  while (!text.empty()) {
    std::string_view protocol;
    std::string_view cipher;
    std::int64_t sessions = 0;
    if (!read_part(text, protocol) || !read_part(text, cipher) || !read_number(text, ';', sessions))
      return false;
    f(protocol, cipher, sessions);
  }
  return true;
}

}  // namespace pftls
