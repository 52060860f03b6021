// journal_json: journalctl -o json entries through simdjson On-Demand.
#include "parse/journal_json.h"

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "parse/postfix_program.h"

namespace pftls {
namespace od = simdjson::ondemand;

namespace {

// The digits of a raw JSON token: "1234" (a string, journald's way) or 1234,
// with the blanks simdjson leaves after a token. False for anything else
// (empty, signs, escapes, a fraction) and for a value above `max`.
bool token_to_uint(std::string_view raw, std::uint64_t max, std::uint64_t& out) {
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"')
    raw = raw.substr(1, raw.size() - 2);
  if (raw.empty() || raw.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : raw) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}
// What the fields of one entry said, as they come (in any order).
struct EntryFields {
  std::string_view ident, host, message, time_raw, pid_raw, syslog_pid_raw;
  bool have_ident = false, have_host = false, have_message = false, have_cursor = false;
  bool bad_field = false;  // a field of ours with the wrong type (e.g. MESSAGE null)
  ProgramName program;
};

// A field handler's verdict: empty to go on with the next field, else the
// entry's status, decided without reading further.
using Verdict = std::optional<EnvelopeStatus>;

}  // namespace

struct JournalJsonParser::Impl {
  od::parser parser;
  std::string padded;  // a copy of the line with padding after it, reused
  std::string bytes;   // MESSAGE decoded from an array of byte values
  std::string cursor;  // last __CURSOR seen

  EnvelopeStatus parse(const char* buf, std::size_t len, std::size_t capacity, Envelope& out);
  Verdict on_field(od::field& field, EntryFields& f);
  Verdict on_message(od::value& value, EntryFields& f);
  Verdict on_message_bytes(od::value& value, EntryFields& f);
  Verdict on_identifier(od::value& value, EntryFields& f);
  Verdict on_cursor(od::value& value, EntryFields& f);
  static Verdict on_hostname(od::value& value, EntryFields& f);
  static EnvelopeStatus finish(const EntryFields& f, Envelope& out);
};

JournalJsonParser::JournalJsonParser() : impl_(std::make_unique<Impl>()) {}
JournalJsonParser::~JournalJsonParser() = default;

std::string_view JournalJsonParser::last_cursor() const { return impl_->cursor; }

EnvelopeStatus JournalJsonParser::parse(std::string_view line, Envelope& out) {
  std::string& p = impl_->padded;
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (p.size() < need) p.resize(need < 4096 ? 4096 : need + need / 2);  // zero-filled once
  if (!line.empty()) std::memcpy(p.data(), line.data(), line.size());
  return impl_->parse(p.data(), line.size(), p.size(), out);
}

EnvelopeStatus JournalJsonParser::Impl::parse(const char* buf, std::size_t len,
                                              std::size_t capacity, Envelope& out) {
  od::document doc;
  if (parser.iterate(buf, len, capacity).get(doc)) return EnvelopeStatus::kMalformed;
  od::object obj;
  if (doc.get_object().get(obj)) return EnvelopeStatus::kMalformed;
  EntryFields f;
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return EnvelopeStatus::kMalformed;
    if (const Verdict v = on_field(field, f)) return *v;
  }
  // The object was read to its end; nothing may follow it.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return EnvelopeStatus::kMalformed;
  return finish(f, out);
}

// The fields pftls reads, told apart by their first bytes before a compare.
Verdict JournalJsonParser::Impl::on_field(od::field& field, EntryFields& f) {
  const od::raw_json_string key = field.key();
  const char* k = key.raw();
  od::value& value = field.value();
  switch (k[0]) {
    case 'M':
      if (key.unsafe_is_equal("MESSAGE")) return on_message(value, f);
      break;
    case 'S':
      if (key.unsafe_is_equal("SYSLOG_IDENTIFIER")) return on_identifier(value, f);
      if (key.unsafe_is_equal("SYSLOG_PID")) f.syslog_pid_raw = value.raw_json_token();
      break;
    case '_':
      if (k[1] == '_') {
        if (key.unsafe_is_equal("__REALTIME_TIMESTAMP")) {
          f.time_raw = value.raw_json_token();
        } else if (key.unsafe_is_equal("__CURSOR")) {
          return on_cursor(value, f);
        }
      } else if (key.unsafe_is_equal("_PID")) {
        f.pid_raw = value.raw_json_token();
      } else if (key.unsafe_is_equal("_HOSTNAME")) {
        return on_hostname(value, f);
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

// MESSAGE: a string; an array of byte values when the text is not valid
// UTF-8; null when it was too large for journalctl.
Verdict JournalJsonParser::Impl::on_message(od::value& value, EntryFields& f) {
  od::json_type type;
  if (value.type().get(type)) return EnvelopeStatus::kMalformed;
  if (type == od::json_type::string) {
    if (value.get_string().get(f.message)) return EnvelopeStatus::kMalformed;
    f.have_message = true;
  } else if (type == od::json_type::array) {
    return on_message_bytes(value, f);
  } else {
    f.bad_field = true;
  }
  return std::nullopt;
}

Verdict JournalJsonParser::Impl::on_message_bytes(od::value& value, EntryFields& f) {
  od::array arr;
  if (value.get_array().get(arr)) return EnvelopeStatus::kMalformed;
  bytes.clear();
  bool ok = true;
  for (auto element : arr) {
    std::uint64_t b;
    if (element.get_uint64().get(b)) {
      // Not a number: damaged JSON, or a multi-valued field.
      od::value v;
      if (element.get(v)) return EnvelopeStatus::kMalformed;
      ok = false;
      continue;
    }
    if (b > 255) ok = false;
    bytes.push_back(static_cast<char>(static_cast<unsigned char>(b)));
  }
  if (ok) {
    f.message = bytes;
    f.have_message = true;
  } else {
    f.bad_field = true;
  }
  return std::nullopt;
}

// Another program: nothing more is needed once its cursor is known too.
Verdict JournalJsonParser::Impl::on_identifier(od::value& value, EntryFields& f) {
  // Not a string (several values?): the program is unknown.
  if (value.get_string().get(f.ident)) return EnvelopeStatus::kMalformed;
  f.have_ident = true;
  f.program = split_program(f.ident);
  if (f.program.kind == ProgramName::kOther && f.have_cursor) return EnvelopeStatus::kOtherProgram;
  return std::nullopt;
}

Verdict JournalJsonParser::Impl::on_cursor(od::value& value, EntryFields& f) {
  std::string_view c;
  if (value.get_string().get(c)) {
    f.bad_field = true;
    return std::nullopt;
  }
  cursor.assign(c);
  f.have_cursor = true;
  if (f.have_ident && f.program.kind == ProgramName::kOther) return EnvelopeStatus::kOtherProgram;
  return std::nullopt;
}

Verdict JournalJsonParser::Impl::on_hostname(od::value& value, EntryFields& f) {
  if (value.get_string().get(f.host)) {
    f.bad_field = true;
  } else {
    f.have_host = true;
  }
  return std::nullopt;
}

EnvelopeStatus JournalJsonParser::Impl::finish(const EntryFields& f, Envelope& out) {
  if (!f.have_ident || f.program.kind == ProgramName::kOther) return EnvelopeStatus::kOtherProgram;
  if (f.program.kind == ProgramName::kNoService || f.bad_field || !f.have_message || !f.have_host ||
      f.host.empty()) {
    return EnvelopeStatus::kMalformed;
  }
  std::uint64_t time = 0, pid = 0;
  if (!token_to_uint(f.time_raw, static_cast<std::uint64_t>(kLatestLogTime), time)) {
    return EnvelopeStatus::kMalformed;
  }
  if (!token_to_uint(f.syslog_pid_raw.empty() ? f.pid_raw : f.syslog_pid_raw, 0xFFFFFFFFULL, pid)) {
    return EnvelopeStatus::kMalformed;
  }
  out.time = static_cast<Micros>(time);
  out.host = f.host;
  out.syslog_name = f.program.syslog_name;
  out.service = f.program.service;
  out.pid = static_cast<std::uint32_t>(pid);
  out.message = f.message;
  return EnvelopeStatus::kPostfix;
}

}  // namespace pftls
