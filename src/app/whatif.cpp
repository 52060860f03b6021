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

// A listing cell in a sorted record: its type, its length, its text.
void put_cell(std::string& out, Cell::Type type, std::string_view text) {
  out.push_back(static_cast<char>(type));
  const auto n = static_cast<std::uint32_t>(text.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += text;
}

void put_text(std::string& out, std::string_view text) { put_cell(out, Cell::Type::kText, text); }

void put_integer(std::string& out, std::int64_t n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  put_cell(out, Cell::Type::kInteger,
           std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
}

void put_time(std::string& out, const std::optional<std::int64_t>& t, std::string& scratch) {
  if (!t) {
    put_cell(out, Cell::Type::kNull, {});
    return;
  }
  scratch.clear();
  append_utc(scratch, *t);
  put_text(out, scratch);
}

std::string_view get_cell(std::string_view in, Cell& c) {
  std::uint32_t n = 0;
  if (in.size() < 1 + sizeof n) throw std::runtime_error("whatif: a sorted record is cut short");
  c.type = static_cast<Cell::Type>(in[0]);
  std::memcpy(&n, in.data() + 1, sizeof n);
  in.remove_prefix(1 + sizeof n);
  if (in.size() < n) throw std::runtime_error("whatif: a sorted record is cut short");
  c.text.assign(in.data(), n);
  return in.substr(n);
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
        if (seen_count_ > 0) {
          Negotiation& last = seen_[seen_count_ - 1];
          if (last.protocol == protocol && last.cipher == cipher) {
            last.sessions += n;
            return;
          }
        }
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

  const VerdictText& shown = kVerdictText[static_cast<std::size_t>(v)];
  // The listing row, packed for the sort as it is made.
  payload_.clear();
  put_text(payload_, c.ip);
  put_text(payload_, c.name);
  put_text(payload_, shown.verdict);
  scratch_.assign(shown.effect);
  // With TLS required, its sessions without STARTTLS would be refused too.
  if (policy_.require_tls && c.plaintext_sessions > 0 && v != Verdict::kPlaintextLost)
    scratch_ += ", plaintext refused";
  put_text(payload_, scratch_);
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
  put_text(payload_, scratch_);
  put_integer(payload_, c.disallowed_sessions);
  put_integer(payload_, c.logged > 0 ? c.logged : c.tls_sessions);
  put_integer(payload_, c.logged > 0 ? c.unknown : c.tls_sessions);
  put_integer(payload_, c.plaintext_sessions);
  put_integer(payload_, c.failed_sessions);
  put_integer(payload_, c.messages);
  // printf's "%.1f", without printf's parsing of its format per client.
  std::array<char, 32> per_day{};
  const auto end = std::to_chars(per_day.data(), per_day.data() + per_day.size(), per_day_value,
                                 std::chars_format::fixed, 1);
  put_cell(payload_, Cell::Type::kReal,
           std::string_view(per_day.data(), static_cast<std::size_t>(end.ptr - per_day.data())));
  put_time(payload_, c.first_seen, scratch_);
  put_time(payload_, c.last_seen, scratch_);
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
  sorted_.drain([&](std::string_view /*key*/, std::string_view payload) {
    row_.resize(columns().size());
    for (Cell& cell : row_) payload = get_cell(payload, cell);
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
