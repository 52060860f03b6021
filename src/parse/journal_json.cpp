// journal_json: journalctl -o json entries through simdjson On-Demand.
#include "parse/journal_json.h"

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "parse/postfix_program.h"

namespace pftls {
namespace od = simdjson::ondemand;

static_assert(kJournalJsonPadding >= simdjson::SIMDJSON_PADDING);

namespace {

// The digits of a raw JSON token: "1234" (a string, journald's way) or 1234,
// with the blanks simdjson leaves after a token. False for anything else
// (empty, signs, escapes, a fraction) and for a value above `max`.
bool token_to_uint(std::string_view raw, std::uint64_t max, std::uint64_t& out) {
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                          raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') raw = raw.substr(1, raw.size() - 2);
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

}  // namespace

struct JournalJsonParser::Impl {
  od::parser parser;
  std::string padded;  // a copy of the line with padding after it, reused
  std::string bytes;   // MESSAGE decoded from an array of byte values
  std::string cursor;  // last __CURSOR seen

  EnvelopeStatus parse(const char* buf, std::size_t len, std::size_t capacity, Envelope& out);
};

JournalJsonParser::JournalJsonParser() : impl_(std::make_unique<Impl>()) {}
JournalJsonParser::~JournalJsonParser() = default;

std::string_view JournalJsonParser::last_cursor() const { return impl_->cursor; }

EnvelopeStatus JournalJsonParser::parse(std::string_view line, Envelope& out) {
  return parse(line, 0, out);
}

EnvelopeStatus JournalJsonParser::parse(std::string_view line, std::size_t readable_past_end,
                                        Envelope& out) {
  if (readable_past_end >= simdjson::SIMDJSON_PADDING) {
    return impl_->parse(line.data(), line.size(), line.size() + readable_past_end, out);
  }
  std::string& p = impl_->padded;
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (p.size() < need) p.resize(need < 4096 ? 4096 : need + need / 2);  // zero-filled once
  if (!line.empty()) std::memcpy(p.data(), line.data(), line.size());
  return impl_->parse(p.data(), line.size(), p.size(), out);
}

EnvelopeStatus JournalJsonParser::Impl::parse(const char* buf, std::size_t len, std::size_t capacity,
                                              Envelope& out) {
  od::document doc;
  if (parser.iterate(buf, len, capacity).get(doc)) return EnvelopeStatus::kMalformed;
  od::object obj;
  if (doc.get_object().get(obj)) return EnvelopeStatus::kMalformed;

  std::string_view ident, host, message, time_raw, pid_raw, syslog_pid_raw;
  bool have_ident = false, have_host = false, have_message = false, have_cursor = false;
  bool bad_field = false;  // a field of ours with the wrong type (e.g. MESSAGE null)
  ProgramName program;

  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return EnvelopeStatus::kMalformed;
    const od::raw_json_string key = field.key();
    const char* k = key.raw();
    od::value& value = field.value();
    switch (k[0]) {
      case 'M':
        if (key.unsafe_is_equal("MESSAGE")) {
          od::json_type type;
          if (value.type().get(type)) return EnvelopeStatus::kMalformed;
          if (type == od::json_type::string) {
            if (value.get_string().get(message)) return EnvelopeStatus::kMalformed;
            have_message = true;
          } else if (type == od::json_type::array) {
            // Not valid UTF-8: journalctl writes the bytes as numbers.
            od::array arr;
            if (value.get_array().get(arr)) return EnvelopeStatus::kMalformed;
            bytes.clear();
            bool ok = true;
            for (auto element : arr) {
              std::uint64_t b;
              if (element.get_uint64().get(b)) {
                // Not a number: damaged JSON, or a multi-valued field.
                od::value v;
                if (std::move(element).get(v)) return EnvelopeStatus::kMalformed;
                ok = false;
                continue;
              }
              if (b > 255) ok = false;
              bytes.push_back(static_cast<char>(static_cast<unsigned char>(b)));
            }
            if (ok) {
              message = bytes;
              have_message = true;
            } else {
              bad_field = true;
            }
          } else {
            bad_field = true;  // null: the field was too large for journalctl
          }
        }
        break;
      case 'S':
        if (key.unsafe_is_equal("SYSLOG_IDENTIFIER")) {
          // Not a string (several values?): the program is unknown.
          if (value.get_string().get(ident)) return EnvelopeStatus::kMalformed;
          have_ident = true;
          program = split_program(ident);
          // Another program: nothing more is needed once the cursor is known.
          if (program.kind == ProgramName::kOther && have_cursor) return EnvelopeStatus::kOtherProgram;
        } else if (key.unsafe_is_equal("SYSLOG_PID")) {
          syslog_pid_raw = value.raw_json_token();
        }
        break;
      case '_':
        if (k[1] == '_') {
          if (key.unsafe_is_equal("__REALTIME_TIMESTAMP")) {
            time_raw = value.raw_json_token();
          } else if (key.unsafe_is_equal("__CURSOR")) {
            std::string_view c;
            if (value.get_string().get(c)) {
              bad_field = true;
              break;
            }
            cursor.assign(c);
            have_cursor = true;
            if (have_ident && program.kind == ProgramName::kOther) return EnvelopeStatus::kOtherProgram;
          }
        } else if (key.unsafe_is_equal("_PID")) {
          pid_raw = value.raw_json_token();
        } else if (key.unsafe_is_equal("_HOSTNAME")) {
          if (value.get_string().get(host)) {
            bad_field = true;
            break;
          }
          have_host = true;
        }
        break;
      default:
        break;
    }
  }
  // The object was read to its end; nothing may follow it.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return EnvelopeStatus::kMalformed;

  if (!have_ident || program.kind == ProgramName::kOther) return EnvelopeStatus::kOtherProgram;
  if (program.kind == ProgramName::kNoService || bad_field || !have_message || !have_host || host.empty()) {
    return EnvelopeStatus::kMalformed;
  }
  std::uint64_t time = 0, pid = 0;
  if (!token_to_uint(time_raw, static_cast<std::uint64_t>(INT64_MAX), time)) {
    return EnvelopeStatus::kMalformed;
  }
  if (!token_to_uint(syslog_pid_raw.empty() ? pid_raw : syslog_pid_raw, 0xFFFFFFFFULL, pid)) {
    return EnvelopeStatus::kMalformed;
  }
  out.time = static_cast<Micros>(time);
  out.host = host;
  out.syslog_name = program.syslog_name;
  out.service = program.service;
  out.pid = static_cast<std::uint32_t>(pid);
  out.message = message;
  return EnvelopeStatus::kPostfix;
}

}  // namespace pftls
