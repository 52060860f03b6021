// failure_reason: parsers/tls.reasons into rules, and OpenSSL errors and
// session ends through them to a short reason word.
#include "parse/failure_reason.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "base/embedded_data.h"

namespace pftls {
namespace {

constexpr std::string_view kLibraryProblem = "warning: TLS library problem: ";
constexpr std::string_view kOther = "other";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string hyphenate(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The last three hex digits of an OpenSSL error code; false when the code
// is shorter or not hex.
bool reason_code(std::string_view code_hex, unsigned& value) {
  if (code_hex.size() < 3 || code_hex.size() > 8) return false;
  value = 0;
  for (char c : code_hex.substr(code_hex.size() - 3)) {
    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      value |= static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      value |= static_cast<unsigned>(c - 'A' + 10);
    else
      return false;
  }
  return std::all_of(code_hex.begin(), code_hex.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// "[PID:]error:CODE:LIB:FUNC:REASON:..." -> CODE, REASON (as the
// tls.library-problem pattern captures them).
void split_openssl(std::string_view s, std::string_view& code, std::string_view& reason) {
  code = reason = {};
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i > 0 && i < s.size() && s[i] == ':') s.remove_prefix(i + 1);
  if (!s.starts_with("error:")) return;
  s.remove_prefix(6);
  std::string_view parts[4];
  for (auto& part : parts) {
    const auto colon = s.find(':');
    part = s.substr(0, colon);
    s = colon == std::string_view::npos ? std::string_view{} : s.substr(colon + 1);
  }
  code = parts[0];
  reason = parts[3];
}

}  // namespace

ReasonTable ReasonTable::load(std::string_view name, std::string_view text) {
  ReasonTable t;
  std::vector<std::string> errors;
  std::vector<Sample> samples;
  std::istringstream in{std::string(text)};
  std::string raw;
  int line_no = 0;
  const std::string file(name);
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = file + ":" + std::to_string(line_no) + ": ";
    if (line.front() == '[') {
      const std::string_view id = line.substr(1, line.size() - 2);
      if (line.back() != ']' || id.empty() || hyphenate(id) + (id.back() == '*' ? "-*" : "") != id)
        errors.push_back(where + "bad section header (want [lower-case-words])");
      t.sections_.push_back(Section{std::string(id), -1, line_no});
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      errors.push_back(where + "expected 'key = value'");
      continue;
    }
    if (t.sections_.empty()) {
      errors.push_back(where + "key outside of a [class] section");
      continue;
    }
    const std::string_view key = trim(line.substr(0, eq));
    std::string_view value = line.substr(eq + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    const std::size_t sec = t.sections_.size() - 1;
    if (key == "rank") {
      if (value.size() != 1 || value[0] < '0' || value[0] > '4')
        errors.push_back(where + "rank must be 0 to 4");
      else
        t.sections_[sec].rank = value[0] - '0';
    } else if (key == "text" || key == "detail") {
      if (value.empty()) {
        errors.push_back(where + "empty " + std::string(key));
        continue;
      }
      (key == "text" ? t.text_rules_ : t.detail_rules_).push_back(Rule{lower(value), sec});
    } else if (key == "code") {
      unsigned code = 0;
      if (trim(value).size() != 3 || !reason_code(trim(value), code))
        errors.push_back(where + "code must be three hex digits");
      else
        t.code_rules_.emplace_back(code, sec);
    } else if (key == "sample") {
      samples.push_back(Sample{std::string(trim(value)), sec, line_no});
    } else {
      errors.push_back(where + "unknown key '" + std::string(key) + "'");
    }
  }
  t.check(file, samples, errors);
  if (!errors.empty()) {
    std::string msg = "invalid failure reasons:";
    for (const auto& e : errors) msg += "\n  " + e;
    throw ReasonError(msg);
  }
  return t;
}

// Every section complete and every sample giving its own section's class.
void ReasonTable::check(const std::string& file, const std::vector<Sample>& samples,
                        std::vector<std::string>& errors) const {
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    const std::string where = file + ":" + std::to_string(s.line) + ": ";
    if (s.rank < 0) errors.push_back(where + "[" + s.name + "] has no rank");
    if (std::none_of(samples.begin(), samples.end(),
                     [i](const Sample& x) { return x.section == i; }))
      errors.push_back(where + "[" + s.name + "] has no sample");
    for (std::size_t j = 0; j < i; ++j)
      if (sections_[j].name == s.name) errors.push_back(where + "[" + s.name + "] twice");
  }
  if (std::none_of(sections_.begin(), sections_.end(),
                   [](const Section& s) { return s.name == kOther; }))
    errors.push_back(file + ": no [other] section");
  for (const auto& [code, sec] : code_rules_)
    if (sections_[sec].name.back() == '*')
      errors.push_back(file + ":" + std::to_string(sections_[sec].line) + ": [" +
                       sections_[sec].name + "] cannot name a code");
  if (errors.empty()) {
    for (const auto& s : samples) {
      const std::string where = file + ":" + std::to_string(s.line_no) + ": ";
      const std::string& want = sections_[s.section].name;
      std::string got;
      if (!classify_line(s.line, got)) {
        errors.push_back(where + "sample is not a line tls.reasons classifies");
        continue;
      }
      const bool ok = want.back() == '*' ? got.size() > want.size() - 1 &&
                                               got.starts_with(want.substr(0, want.size() - 1))
                                         : got == want;
      if (!ok) errors.push_back(where + "sample gives '" + got + "', expected [" + want + "]");
    }
  }
}

const ReasonTable& ReasonTable::builtin() {
  static const ReasonTable table = load("tls.reasons", embedded_file("parsers/tls.reasons"));
  return table;
}

std::string ReasonTable::name_of(const Rule& rule, std::string_view lowered, std::size_t at) const {
  const std::string& name = sections_[rule.section].name;
  if (name.back() != '*') return name;
  const std::string rest = hyphenate(lowered.substr(at + rule.match.size()));
  if (rest.empty()) return {};
  return name.substr(0, name.size() - 1) + rest;
}

std::string ReasonTable::from_openssl(std::string_view code_hex,
                                      std::string_view reason_text) const {
  const std::string text = lower(reason_text);
  if (!text.empty()) {
    for (const Rule& r : text_rules_) {
      const auto at = text.find(r.match);
      if (at == std::string::npos) continue;
      std::string name = name_of(r, text, at);
      if (!name.empty()) return name;
    }
  }
  unsigned code = 0;
  if (reason_code(code_hex, code)) {
    for (const auto& [c, sec] : code_rules_)
      if (c == code) return sections_[sec].name;
  }
  return {};
}

std::string ReasonTable::from_detail(std::string_view detail) const {
  const std::string text = lower(detail);
  for (const Rule& r : detail_rules_)
    if (text.find(r.match) != std::string::npos) return sections_[r.section].name;
  return std::string(kOther);
}

bool ReasonTable::classify_line(std::string_view message, std::string& reason) const {
  if (message.starts_with(kLibraryProblem)) {
    std::string_view code, text;
    split_openssl(message.substr(kLibraryProblem.size()), code, text);
    reason = from_openssl(code, text);
    if (reason.empty()) reason = kOther;
    return true;
  }
  if (message.starts_with("SSL_accept error from ") ||
      message.starts_with("SSL_connect error to ")) {
    // NAME[IP]: DETAIL or NAME[IP]:PORT: DETAIL
    auto close = message.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = message.substr(close + 1);
    if (rest.starts_with(':')) rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
    if (rest.starts_with(':')) rest.remove_prefix(1);
    reason = from_detail(trim(rest));
    return true;
  }
  if (message.starts_with("SSL3 alert ")) {
    reason = from_openssl({}, message);
    return !reason.empty();
  }
  return false;
}

int ReasonTable::rank(std::string_view reason) const {
  if (reason.empty()) return 0;
  for (const Section& s : sections_) {
    if (s.name == reason) return s.rank;
    if (s.name.back() == '*' && reason.size() >= s.name.size() &&
        reason.starts_with(std::string_view(s.name).substr(0, s.name.size() - 1)))
      return s.rank;
  }
  return 4;
}

std::string reason_from_openssl(std::string_view code_hex, std::string_view reason_text) {
  return ReasonTable::builtin().from_openssl(code_hex, reason_text);
}

std::string reason_from_accept_detail(std::string_view detail) {
  return ReasonTable::builtin().from_detail(detail);
}

int reason_rank(std::string_view reason) { return ReasonTable::builtin().rank(reason); }

}  // namespace pftls
