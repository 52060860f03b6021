// failure_reason: one word for why a TLS handshake failed.
//
// Contract: the classes and their rules are data, parsers/tls.reasons
// (embedded at build time, format described in the file itself), checked
// when first used: every sample line must give its own section's class, or
// ReasonError lists every problem as "tls.reasons:LINE: message". The
// OpenSSL error is classified by its reason text, then by its reason code
// (the last three hex digits of "1408A0C1" / "0A0000C1"); function names and
// source paths are never looked at: they differ between OpenSSL versions.
// Lacking one, how the session ended ("SSL_accept error from ...: DETAIL").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pftls {

class ReasonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The rules of one tls.reasons text. load() throws ReasonError; builtin()
// loads parsers/tls.reasons once (thread-safe) and throws on a broken file.
class ReasonTable {
 public:
  static ReasonTable load(std::string_view name, std::string_view text);
  static const ReasonTable& builtin();

  // From an OpenSSL error ("0A0000C1", "no shared cipher") or a verbose
  // alert line ("SSL3 alert write:fatal:handshake failure" as the text).
  // Empty string when no rule matches.
  std::string from_openssl(std::string_view code_hex, std::string_view reason_text) const;
  // From the text after "SSL_accept error from NAME[IP]: " ("lost
  // connection", "Connection timed out", "-1", ...); "other" when no rule.
  std::string from_detail(std::string_view detail) const;
  // The class of one whole message (the text after "prog[pid]: "): a TLS
  // library problem, an SSL_accept/SSL_connect error or a verbose alert
  // line. False when the line is none of them.
  bool classify_line(std::string_view message, std::string& reason) const;
  // Rank of a class (see tls.reasons); 0 for "" and for a class that is
  // not a handshake failure (server-setup), 4 for an unlisted class.
  int rank(std::string_view reason) const;

  struct Rule {
    std::string match;  // lower case
    std::size_t section = 0;
  };
  struct Section {
    std::string name;  // "alert-*" for a class completed by the matched text
    int rank = -1;     // -1 until the file says
    int line = 0;
  };

 private:
  struct Sample {
    std::string line;
    std::size_t section = 0;
    int line_no = 0;
  };
  void check(const std::string& file, const std::vector<Sample>& samples,
             std::vector<std::string>& errors) const;
  std::string name_of(const Rule& rule, std::string_view lowered, std::size_t at) const;

  std::vector<Section> sections_;
  std::vector<Rule> text_rules_;
  std::vector<std::pair<unsigned, std::size_t>> code_rules_;  // code -> section
  std::vector<Rule> detail_rules_;
};

// The built-in table's answers (ReasonTable::builtin()).
std::string reason_from_openssl(std::string_view code_hex, std::string_view reason_text);
std::string reason_from_accept_detail(std::string_view detail);
// Rank for choosing between evidence of one failed session: an OpenSSL
// reason beats an alert we sent, which beats a session-end reason, which
// beats "other".
int reason_rank(std::string_view reason);

}  // namespace pftls
