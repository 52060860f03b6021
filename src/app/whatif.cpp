// whatif: verdicts of inbound clients under a proposed TLS policy.
#include "app/whatif.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <tuple>

#include "base/log_time.h"

namespace pftls {
namespace {

// The fields read from queries/whatif.sql, in this order.
constexpr std::array<const char*, 11> kInput = {
    "client_ip",       "client_name", "tls_sessions", "plaintext_sessions",
    "failed_sessions", "messages",    "first_seen",   "last_seen",
    "protocol",        "cipher",      "negotiations"};

enum class Verdict { kAtRisk, kPlaintextLost, kUnknown, kFailing, kPlaintext, kOk };

std::optional<std::int64_t> number(const Cell& c) {
  if (c.type == Cell::Type::kNull) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(c.text.data(), c.text.data() + c.text.size(), n);
  if (ec != std::errc() || end != c.text.data() + c.text.size()) return std::nullopt;
  return n;
}

Cell text(std::string s) { return Cell{Cell::Type::kText, std::move(s)}; }
Cell integer(std::int64_t n) { return Cell{Cell::Type::kInteger, std::to_string(n)}; }
Cell time_cell(const std::optional<std::int64_t>& t) { return t ? text(format_utc(*t)) : Cell{}; }

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
  const std::string& protocol = cell(8).text;
  const std::string& cipher = cell(9).text;
  // The rows of one negotiation (one per host, bits and trust) are summed
  // before it is judged: the query orders a client's rows by protocol and
  // cipher, so they are adjacent.
  if (clients_.empty() || clients_.back().ip != ip || run_.protocol != protocol ||
      run_.cipher != cipher) {
    close_run();
  }
  // The query orders the rows by client (a search of every client met
  // before, for each new one, took hours on a million clients).
  if (clients_.empty() || clients_.back().ip != ip) {
    Client c;
    c.ip = ip;
    c.name = cell(1).text;
    c.tls_sessions = number(cell(2)).value_or(0);
    c.plaintext_sessions = number(cell(3)).value_or(0);
    c.failed_sessions = number(cell(4)).value_or(0);
    c.messages = number(cell(5)).value_or(0);
    c.first_seen = number(cell(6));
    c.last_seen = number(cell(7));
    clients_.push_back(std::move(c));
  }
  const std::int64_t n = number(cell(10)).value_or(0);
  if (n <= 0) return true;  // no negotiation: a client without TLS
  run_.protocol = protocol;
  run_.cipher = cipher;
  run_.sessions += n;
  return true;
}

void WhatifTally::end() { close_run(); }

// Judges the negotiation summed in run_ for the last client.
void WhatifTally::close_run() {
  const std::int64_t n = run_.sessions;
  run_.sessions = 0;
  if (n <= 0 || clients_.empty()) return;
  Client& c = clients_.back();
  const std::string& protocol = run_.protocol;
  const std::string& cipher = run_.cipher;
  c.logged += n;
  const std::optional<bool> protocol_ok = policy_.protocols.allows(protocol);
  if (!protocol_ok || cipher.empty()) {  // parameters not logged (or not known to us)
    c.unknown += n;
    return;
  }
  if (*protocol_ok && (!policy_.ciphers || policy_.ciphers->allows(protocol, cipher))) return;
  c.disallowed_sessions += n;
  c.disallowed.push_back(Negotiation{protocol, cipher, n});
  // Bounded: the most used kMaxListed are kept.
  std::sort(c.disallowed.begin(), c.disallowed.end(),
            [](const Negotiation& a, const Negotiation& b) {
              if (a.sessions != b.sessions) return a.sessions > b.sessions;
              return std::tie(a.protocol, a.cipher) < std::tie(b.protocol, b.cipher);
            });
  if (c.disallowed.size() > kMaxListed) c.disallowed.pop_back();
}

void WhatifTally::emit(RowSink& sink) const {
  struct Judged {
    const Client* c;
    Verdict v;
    double per_day;
  };
  std::vector<Judged> judged;
  judged.reserve(clients_.size());
  for (const Client& c : clients_) {
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
      continue;  // connected, never sent: a probe
    }
    // Messages per day over the days it was seen (at least one).
    double days = 1;
    if (c.first_seen && c.last_seen && *c.last_seen > *c.first_seen)
      days = std::max(1.0, static_cast<double>(*c.last_seen - *c.first_seen) / 86400e6);
    judged.push_back(Judged{&c, v, static_cast<double>(c.messages) / days});
  }
  std::sort(judged.begin(), judged.end(), [](const Judged& a, const Judged& b) {
    if (a.v != b.v) return a.v < b.v;
    if (a.per_day != b.per_day) return a.per_day > b.per_day;
    if (a.c->messages != b.c->messages) return a.c->messages > b.c->messages;
    return a.c->ip < b.c->ip;
  });
  sink.begin(columns());
  std::vector<Cell> row;  // one row at a time: the listing is not held twice
  for (const Judged& j : judged) {
    const Client& c = *j.c;
    const char* verdict = "ok";
    std::string effect = "none";
    switch (j.v) {
      case Verdict::kAtRisk:
        verdict = "at-risk";
        effect = "may fail";
        break;
      case Verdict::kPlaintextLost:
        verdict = "plaintext";
        effect = "lost";
        break;
      case Verdict::kUnknown:
        verdict = "unknown";
        effect = "cannot tell";
        break;
      case Verdict::kFailing:
        verdict = "failing";
        effect = "fails already";
        break;
      case Verdict::kPlaintext:
        verdict = "plaintext";
        effect = "not lost";
        break;
      case Verdict::kOk:
        break;
    }
    // With TLS required, its sessions without STARTTLS would be refused too.
    if (policy_.require_tls && c.plaintext_sessions > 0 && j.v != Verdict::kPlaintextLost)
      effect += ", plaintext refused";
    std::string listed;
    for (const Negotiation& n : c.disallowed) {
      if (!listed.empty()) listed += ' ';
      listed += n.protocol + '/' + n.cipher + '=' + std::to_string(n.sessions);
    }
    std::array<char, 32> per_day{};
    std::snprintf(per_day.data(), per_day.size(), "%.1f", j.per_day);
    row = {text(c.ip),
           text(c.name),
           text(verdict),
           text(effect),
           text(listed),
           integer(c.disallowed_sessions),
           integer(c.logged > 0 ? c.logged : c.tls_sessions),
           integer(c.logged > 0 ? c.unknown : c.tls_sessions),
           integer(c.plaintext_sessions),
           integer(c.failed_sessions),
           integer(c.messages),
           Cell{Cell::Type::kReal, per_day.data()},
           time_cell(c.first_seen),
           time_cell(c.last_seen)};
    if (!sink.row(row)) break;
  }
  sink.end();
}

ResultSet WhatifTally::result() const {
  ResultSet rs;
  ResultCollector all(rs);
  emit(all);
  return rs;
}

}  // namespace pftls
