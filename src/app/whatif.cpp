// whatif: verdicts of inbound clients under a proposed TLS policy.
#include "app/whatif.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <tuple>

#include "base/log_time.h"
#include "base/negotiation_list.h"

namespace pftls {
namespace {

// The fields read from queries/whatif.sql, in this order.
constexpr std::array<const char*, 9> kInput = {
    "client_ip", "client_name", "tls_sessions", "plaintext_sessions", "failed_sessions",
    "messages",  "first_seen",  "last_seen",    "negotiations"};

enum class Verdict { kAtRisk, kPlaintextLost, kUnknown, kFailing, kPlaintext, kOk };

// Each verdict as listed, in the enum's order.
struct VerdictText {
  const char* verdict;
  const char* effect;
};
constexpr std::array<VerdictText, 6> kVerdictText = {{{"at-risk", "may fail"},
                                                      {"plaintext", "lost"},
                                                      {"unknown", "cannot tell"},
                                                      {"failing", "fails already"},
                                                      {"plaintext", "not lost"},
                                                      {"ok", "none"}}};

std::optional<std::int64_t> number(const Cell& c) {
  if (c.type == Cell::Type::kNull) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(c.text.data(), c.text.data() + c.text.size(), n);
  if (ec != std::errc() || end != c.text.data() + c.text.size()) return std::nullopt;
  return n;
}

// Sort keys: big-endian bytes, complemented so that larger sorts first.
void put_descending(std::string& key, std::uint64_t v) {
  v = ~v;
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((v >> shift) & 0xff));
}

// A double's bits as an unsigned number in the double's own order.
std::uint64_t ordered_bits(double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  return (bits & kSign) != 0 ? ~bits : bits | kSign;
}

// The inverse of put_descending and ordered_bits.
std::uint64_t get_descending(std::string_view key, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(key[at + i]);
  return ~v;
}
double from_ordered_bits(std::uint64_t ordered) {
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  const std::uint64_t bits = (ordered & kSign) != 0 ? ordered & ~kSign : ~ordered;
  double d = 0;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// A sorted record: the key (verdict, messages per day, messages, address:
// close_client()) and a payload with the rest of the listing row, packed:
//   flags (kRefused, kHasFirst, kHasLast), first_seen and last_seen (8
//   bytes each, when there), five counts as text (a length byte first),
//   the name and the disallowed list (4 length bytes first).
// The texts of the verdict and the per-day rate are made when the listing
// is emitted (the times are left to the writer: whatif.h): the records
// written to the sort's file are half as large as whole rows.
constexpr unsigned char kRefused = 1;
constexpr unsigned char kHasFirst = 2;
constexpr unsigned char kHasLast = 4;
constexpr std::size_t kKeyAddress = 17;  // verdict, then two 8-byte numbers

void put_fixed(std::string& out, std::int64_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_count(std::string& out, std::int64_t n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.push_back(static_cast<char>(r.ptr - digits));
  out.append(digits, r.ptr);
}

void put_long_text(std::string& out, std::string_view text) {
  const auto n = static_cast<std::uint32_t>(text.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += text;
}

// Reads what the put_ functions wrote; a record cut short is an error.
class RecordReader {
 public:
  explicit RecordReader(std::string_view in) : in_(in) {}
  std::string_view take(std::size_t n) {
    if (in_.size() < n) throw std::runtime_error("whatif: a sorted record is cut short");
    const std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  unsigned char byte() { return static_cast<unsigned char>(take(1)[0]); }
  std::int64_t fixed() {
    std::int64_t v = 0;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::string_view count() { return take(byte()); }
  std::string_view long_text() {
    std::uint32_t n = 0;
    std::memcpy(&n, take(sizeof n).data(), sizeof n);
    return take(n);
  }

 private:
  std::string_view in_;
};

void set_cell(Cell& c, Cell::Type type, std::string_view text) {
  c.type = type;
  c.text.assign(text);
}

void set_time(Cell& c, bool has, std::int64_t t) {
  c.text.clear();
  if (!has) {
    c.type = Cell::Type::kNull;
    return;
  }
  c.type = Cell::Type::kInteger;
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, t);
  c.text.append(digits, r.ptr);
}

}  // namespace

const std::vector<std::string>& WhatifTally::columns() {
  static const std::vector<std::string> names = {
      "client_ip",       "client_name",      "verdict",
      "effect",          "disallowed",       "disallowed_sessions",
      "tls_sessions",    "unknown_sessions", "plaintext_sessions",
      "failed_sessions", "messages",         "messages_per_day",
      "first_seen",      "last_seen"};
  return names;
}

void WhatifTally::begin(const std::vector<std::string>& columns) {
  at_.clear();
  for (const char* name : kInput) {
    const auto it = std::find(columns.begin(), columns.end(), name);
    if (it == columns.end()) throw std::runtime_error(std::string("whatif: no column ") + name);
    at_.push_back(static_cast<std::size_t>(it - columns.begin()));
  }
}

bool WhatifTally::row(const std::vector<Cell>& cells) {
  const auto cell = [&](std::size_t field) -> const Cell& { return cells.at(at_[field]); };
  const std::string& ip = cell(0).text;
  // The query orders the rows by client: a client is complete when the
  // next one begins.
  if (!open_ || client_.ip != ip) {
    close_client();
    Client& c = client_;  // its buffers reused from client to client
    c.ip.assign(ip);
    c.name.assign(cell(1).text);
    c.tls_sessions = number(cell(2)).value_or(0);
    c.plaintext_sessions = number(cell(3)).value_or(0);
    c.failed_sessions = number(cell(4)).value_or(0);
    c.messages = number(cell(5)).value_or(0);
    c.first_seen = number(cell(6));
    c.last_seen = number(cell(7));
    c.logged = c.unknown = c.disallowed_sessions = 0;
    c.disallowed_count = 0;
    open_ = true;
  }
  const Cell& listed = cell(8);
  if (listed.type == Cell::Type::kNull) return true;  // no negotiation: a client without TLS
  const bool whole = for_each_negotiation(
      listed.text, [&](std::string_view protocol, std::string_view cipher, std::int64_t n) {
        if (n <= 0) return;
        if (seen_count_ == seen_.size()) seen_.emplace_back();
        Negotiation& slot = seen_[seen_count_++];
        slot.protocol.assign(protocol);
        slot.cipher.assign(cipher);
        slot.sessions = n;
      });
  if (!whole) {
    throw std::runtime_error("whatif: the stored negotiations of client " + client_.ip +
                             " are damaged");
  }
  return true;
}

void WhatifTally::end() { close_client(); }

// Judges one negotiation of client `c`: all of its sessions, whatever host,
// bits and trust they had.
void WhatifTally::judge(Client& c, const Negotiation& n) {
  c.logged += n.sessions;
  const std::optional<bool> protocol_ok = policy_.protocols.allows(n.protocol);
  if (!protocol_ok || n.cipher.empty()) {  // parameters not logged (or not known to us)
    c.unknown += n.sessions;
    return;
  }
  if (*protocol_ok && (!policy_.ciphers || policy_.ciphers->allows(n.protocol, n.cipher))) return;
  c.disallowed_sessions += n.sessions;
  if (c.disallowed_count == c.disallowed.size()) c.disallowed.emplace_back();
  c.disallowed[c.disallowed_count++] = n;
  // Bounded: the most used kMaxListed are kept.
  const auto first = c.disallowed.begin();
  const auto last = first + static_cast<std::ptrdiff_t>(c.disallowed_count);
  std::sort(first, last, [](const Negotiation& a, const Negotiation& b) {
    if (a.sessions != b.sessions) return a.sessions > b.sessions;
    return std::tie(a.protocol, a.cipher) < std::tie(b.protocol, b.cipher);
  });
  if (c.disallowed_count > kMaxListed) --c.disallowed_count;
}

// Judges the current client and hands its listing row to the sort.
void WhatifTally::close_client() {
  if (!open_) return;
  open_ = false;
  Client& c = client_;
  // A negotiation's entries, in whatever order they came, summed here.
  const auto first = seen_.begin();
  const auto last = first + static_cast<std::ptrdiff_t>(seen_count_);
  seen_count_ = 0;
  std::sort(first, last, [](const Negotiation& a, const Negotiation& b) {
    return std::tie(a.protocol, a.cipher) < std::tie(b.protocol, b.cipher);
  });
  for (auto it = first; it != last;) {
    Negotiation sum = *it;
    for (++it; it != last && it->protocol == sum.protocol && it->cipher == sum.cipher; ++it)
      sum.sessions += it->sessions;
    judge(c, sum);
  }
  Verdict v;
  if (c.disallowed_sessions > 0) {
    v = Verdict::kAtRisk;
  } else if (c.logged > 0 || c.tls_sessions > 0) {
    // TLS seen: every session's parameters allowed, or some not logged
    // (also TLS sessions counted before the inventory existed).
    v = c.unknown > 0 || c.logged == 0 ? Verdict::kUnknown : Verdict::kOk;
  } else if (c.failed_sessions > 0) {
    v = Verdict::kFailing;
  } else if (c.messages > 0) {
    v = policy_.require_tls ? Verdict::kPlaintextLost : Verdict::kPlaintext;
  } else {
    return;  // connected, never sent: a probe
  }
  // Messages per day over the days it was seen (at least one).
  double days = 1;
  if (c.first_seen && c.last_seen && *c.last_seen > *c.first_seen)
    days = std::max(1.0, static_cast<double>(*c.last_seen - *c.first_seen) / 86400e6);
  const double per_day_value = static_cast<double>(c.messages) / days;

  // The rest of the listing row, packed for the sort (see RecordReader).
  payload_.clear();
  // With TLS required, its sessions without STARTTLS would be refused too.
  const bool refused =
      policy_.require_tls && c.plaintext_sessions > 0 && v != Verdict::kPlaintextLost;
  payload_.push_back(static_cast<char>((refused ? kRefused : 0) | (c.first_seen ? kHasFirst : 0) |
                                       (c.last_seen ? kHasLast : 0)));
  if (c.first_seen) put_fixed(payload_, *c.first_seen);
  if (c.last_seen) put_fixed(payload_, *c.last_seen);
  put_count(payload_, c.disallowed_sessions);
  put_count(payload_, c.logged > 0 ? c.logged : c.tls_sessions);
  put_count(payload_, c.logged > 0 ? c.unknown : c.tls_sessions);
  put_count(payload_, c.plaintext_sessions);
  put_count(payload_, c.failed_sessions);
  put_long_text(payload_, c.name);
  scratch_.clear();
  for (std::size_t i = 0; i < c.disallowed_count; ++i) {
    const Negotiation& n = c.disallowed[i];
    if (!scratch_.empty()) scratch_ += ' ';
    scratch_ += n.protocol;
    scratch_ += '/';
    scratch_ += n.cipher;
    scratch_ += '=';
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, n.sessions);
    scratch_.append(digits, r.ptr);
  }
  put_long_text(payload_, scratch_);
  // The order: verdict, messages per day (most first), messages (most
  // first), address; as bytes that sort so.
  key_.clear();
  key_.push_back(static_cast<char>(v));
  put_descending(key_, ordered_bits(per_day_value));
  put_descending(key_, static_cast<std::uint64_t>(c.messages) ^ (std::uint64_t{1} << 63));
  key_ += c.ip;
  sorted_.add(key_, payload_);
}

void WhatifTally::emit(RowSink& sink) {
  sink.begin(columns());
  sorted_.drain([&](std::string_view key, std::string_view payload) {
    const std::size_t verdict = key.empty() ? 0 : static_cast<unsigned char>(key[0]);
    if (key.size() < kKeyAddress || verdict >= kVerdictText.size())
      throw std::runtime_error("whatif: a sorted record's key is damaged");
    const VerdictText& shown = kVerdictText[verdict];
    RecordReader in(payload);
    const unsigned char flags = in.byte();
    const std::int64_t first = (flags & kHasFirst) != 0 ? in.fixed() : 0;
    const std::int64_t last = (flags & kHasLast) != 0 ? in.fixed() : 0;
    row_.resize(columns().size());
    // In columns()' order.
    set_cell(row_[0], Cell::Type::kText, key.substr(kKeyAddress));
    set_cell(row_[2], Cell::Type::kText, shown.verdict);
    set_cell(row_[3], Cell::Type::kText, shown.effect);
    if ((flags & kRefused) != 0) row_[3].text += ", plaintext refused";
    for (std::size_t i = 5; i <= 9; ++i) set_cell(row_[i], Cell::Type::kInteger, in.count());
    set_cell(row_[1], Cell::Type::kText, in.long_text());
    set_cell(row_[4], Cell::Type::kText, in.long_text());
    char digits[32];
    const auto messages =
        static_cast<std::int64_t>(get_descending(key, 9) ^ (std::uint64_t{1} << 63));
    auto r = std::to_chars(digits, digits + sizeof digits, messages);
    set_cell(row_[10], Cell::Type::kInteger,
             std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
    // printf's "%.1f", without printf's parsing of its format per client.
    r = std::to_chars(digits, digits + sizeof digits, from_ordered_bits(get_descending(key, 1)),
                      std::chars_format::fixed, 1);
    set_cell(row_[11], Cell::Type::kReal,
             std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
    set_time(row_[12], (flags & kHasFirst) != 0, first);
    set_time(row_[13], (flags & kHasLast) != 0, last);
    return sink.take_row(row_);
  });
  sink.end();
}

ResultSet WhatifTally::result() {
  ResultSet rs;
  ResultCollector all(rs);
  emit(all);
  return rs;
}

}  // namespace pftls
