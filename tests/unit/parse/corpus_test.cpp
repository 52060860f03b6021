// Robustness test over real Postfix log messages: the test cases of the
// postfix-grok-patterns project (tests/data/postfix-grok-patterns, BSD
// 3-Clause, see the LICENSE there).
//
// Every message must go through PatternSet::match() and EnvelopeParser
// without harm; the TLS-related smtpd lines must be classified; at least 90%
// of the messages of real Postfix services must be recognised.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "parse/pattern_set.h"
#include "parse/pattern_set_internal.h"
#include "parse/syslog_envelope.h"

namespace pftls {
namespace {

const std::string kDir = std::string(PFTLS_SOURCE_DIR) + "/tests/data/postfix-grok-patterns";

struct Row {
  int line = 0;  // in lines.tsv
  std::string service;
  std::string source;  // the grok test case it came from
  std::string message;
};

bool plausible_service(std::string_view s) {
  if (s.empty() || s.size() > 32 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Rows: "service<TAB>source<TAB>message". Skips the header (it starts with
// '#'), the continuation lines of multi-line messages (no tabs) and any row
// whose first column is not a plausible service name.
std::vector<Row> read_corpus() {
  std::ifstream in(kDir + "/lines.tsv", std::ios::binary);
  std::vector<Row> rows;
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty() || text[0] == '#') continue;
    const auto t1 = text.find('\t');
    if (t1 == std::string::npos) continue;
    const auto t2 = text.find('\t', t1 + 1);
    if (t2 == std::string::npos) continue;
    Row r;
    r.line = n;
    r.service = text.substr(0, t1);
    r.source = text.substr(t1 + 1, t2 - t1 - 1);
    r.message = text.substr(t2 + 1);
    if (!plausible_service(r.service)) continue;
    rows.push_back(std::move(r));
  }
  return rows;
}

const std::vector<Row>& corpus() {
  static const std::vector<Row> rows = read_corpus();
  return rows;
}

// grok sub-pattern tests in the corpus: fragments, not Postfix services.
bool is_fragment_service(std::string_view s) {
  return s == "command_counter_data" || s == "delays" || s == "relay" || s == "tls_features";
}

std::string describe(const Row& r) {
  return "lines.tsv:" + std::to_string(r.line) + " " + r.service + ": " + r.message;
}

// Every captured view must lie inside the message it came from.
void expect_fields_inside(const Event& ev, std::string_view message, const std::string& what) {
  const char* begin = message.data();
  const char* end = message.data() + message.size();
  for (std::size_t i = 0; i < static_cast<std::size_t>(Field::kCount); ++i) {
    std::string_view f = ev.get(static_cast<Field>(i));
    if (f.empty()) continue;
    EXPECT_TRUE(f.data() >= begin && f.data() + f.size() <= end)
        << what << ": field " << field_name(static_cast<Field>(i)) << " points outside the line";
  }
}

// "... from NAME[IP]..." -> IP, found by hand, independently of the patterns.
std::string ip_after(std::string_view message, std::string_view marker) {
  auto at = message.find(marker);
  if (at == std::string_view::npos) return {};
  auto open = message.find('[', at + marker.size());
  auto close = message.find(']', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  return std::string(message.substr(open + 1, close - open - 1));
}

TEST(Corpus, IsPresentWithLicence) {
  EXPECT_TRUE(std::filesystem::exists(kDir + "/LICENSE"));
  EXPECT_TRUE(std::filesystem::exists(kDir + "/README.md"));
  std::ifstream lic(kDir + "/LICENSE");
  std::string first;
  std::getline(lic, first);
  EXPECT_EQ(first, "BSD 3-Clause License");
  // shared/README.md: "191 real Postfix log messages".
  EXPECT_EQ(corpus().size(), 191u);
}

TEST(Corpus, EveryMessageAndEveryPrefixMatchesSafely) {
  const PatternSet& set = PatternSet::builtin();
  for (const Row& r : corpus()) {
    for (std::string_view service : {std::string_view(r.service), std::string_view("smtpd"),
                                     std::string_view("no-such-service")}) {
      // The whole message and every prefix of it (a truncated line).
      for (std::size_t len = 0; len <= r.message.size(); ++len) {
        const std::string msg = r.message.substr(0, len);
        Event ev;
        const int taken = matching_pattern(set, service, msg, ev);
        Event again;
        ASSERT_EQ(set.match(service, msg, again), taken >= 0) << describe(r);
        if (taken >= 0) {
          ASSERT_LT(static_cast<std::size_t>(taken), set.size()) << describe(r);
          ASSERT_LT(static_cast<int>(ev.kind), static_cast<int>(EventKind::kCount)) << describe(r);
          expect_fields_inside(ev, msg, describe(r));
        }
      }
    }
  }
}

TEST(Corpus, TlsRelatedSmtpdLinesAreClassified) {
  const PatternSet& set = PatternSet::builtin();
  int ssl_accept = 0, lost_starttls = 0, tls_established = 0, disconnect = 0, client = 0;
  for (const Row& r : corpus()) {
    const std::string_view m = r.message;
    const std::string what = describe(r);
    Event ev;
    const bool ok = set.match(r.service, m, ev);
    if (m.find("SSL_accept error from ") != std::string_view::npos) {
      ++ssl_accept;
      ASSERT_TRUE(ok) << what;
      EXPECT_EQ(ev.kind, EventKind::kSslAcceptError) << what;
      EXPECT_EQ(ev.get(Field::kClientIp), ip_after(m, "SSL_accept error from ")) << what;
      EXPECT_EQ(ev.get(Field::kDetail), m.substr(m.find("]: ") + 3)) << what;
    }
    if (m.find("lost connection after STARTTLS") != std::string_view::npos) {
      ++lost_starttls;
      ASSERT_TRUE(ok) << what;
      EXPECT_EQ(ev.kind, EventKind::kLostAfterStarttls) << what;
      EXPECT_EQ(ev.get(Field::kClientIp), ip_after(m, "STARTTLS from ")) << what;
    }
    if (r.service == "smtpd" &&
        m.find("TLS connection established from ") != std::string_view::npos) {
      ++tls_established;
      ASSERT_TRUE(ok) << what;
      EXPECT_EQ(ev.kind, EventKind::kTlsEstablished) << what;
      EXPECT_EQ(ev.get(Field::kClientIp), ip_after(m, "established from ")) << what;
      // What was negotiated: "PROTOCOL with cipher CIPHER (USED/MAX bits)".
      const std::string_view after = m.substr(m.find("]: ") + 3);
      EXPECT_EQ(ev.get(Field::kTlsProtocol), after.substr(0, after.find(' '))) << what;
      const std::size_t c = after.find("with cipher ") + 12;
      EXPECT_EQ(ev.get(Field::kTlsCipher), after.substr(c, after.find(" (", c) - c)) << what;
      const std::size_t b = after.find(" (", c) + 2;
      EXPECT_EQ(ev.get(Field::kTlsBits), after.substr(b, after.find('/', b) - b)) << what;
    }
    if (r.service == "smtpd" && m.starts_with("disconnect from ")) {
      ++disconnect;
      ASSERT_TRUE(ok) << what;
      EXPECT_EQ(ev.kind, EventKind::kDisconnect) << what;
      EXPECT_EQ(ev.get(Field::kClientIp), ip_after(m, "disconnect from ")) << what;
      const auto sp = m.find("] ");
      const std::string_view counters = sp == std::string_view::npos ? "" : m.substr(sp + 2);
      EXPECT_EQ(ev.get(Field::kCounters), counters) << what;
    }
    if (r.service == "smtpd" && m.find(": client=") != std::string_view::npos) {
      ++client;
      ASSERT_TRUE(ok) << what;
      EXPECT_EQ(ev.kind, EventKind::kClient) << what;
      EXPECT_EQ(ev.get(Field::kQueueId), m.substr(0, m.find(": client="))) << what;
      EXPECT_EQ(ev.get(Field::kClientIp), ip_after(m, "client=")) << what;
    }
    // The SMTP client's TLS lines are recognised but never taken for the
    // server's session events.
    if (r.service == "smtp" &&
        (m.find("SSL_connect error to ") != std::string_view::npos ||
         m.find("TLS connection established to ") != std::string_view::npos)) {
      ASSERT_TRUE(ok) << what;
      EXPECT_NE(ev.kind, EventKind::kSslAcceptError) << what;
      EXPECT_NE(ev.kind, EventKind::kTlsEstablished) << what;
    }
  }
  // What the corpus holds (counted by reading lines.tsv).
  EXPECT_EQ(ssl_accept, 4);
  EXPECT_EQ(lost_starttls, 1);
  EXPECT_EQ(tls_established, 2);
  EXPECT_EQ(disconnect, 5);
  EXPECT_EQ(client, 1);
}

TEST(Corpus, DeliveryLinesWithTlsFeaturesAreRecipients) {
  // Postfix 3.11 adds "tls=FEATURES" to delivery lines; the corpus files
  // them under the grok sub-pattern "tls_features". As smtp lines they are
  // ordinary recipient events.
  const PatternSet& set = PatternSet::builtin();
  int seen = 0;
  for (const Row& r : corpus()) {
    if (r.service != "tls_features" || r.message.find(": to=<") == std::string::npos) continue;
    ++seen;
    Event ev;
    ASSERT_TRUE(set.match("smtp", r.message, ev)) << describe(r);
    EXPECT_EQ(ev.kind, EventKind::kRecipient) << describe(r);
    EXPECT_EQ(ev.get(Field::kQueueId), "7EE668039") << describe(r);
    EXPECT_EQ(ev.get(Field::kRecipient), "user@example.com") << describe(r);
  }
  EXPECT_EQ(seen, 6);
}

TEST(Corpus, MostMessagesOfRealServicesAreRecognised) {
  const PatternSet& set = PatternSet::builtin();
  std::size_t known = 0, recognised = 0;
  std::vector<std::string> unrecognised;
  for (const Row& r : corpus()) {
    Event ev;
    const bool ok = set.match(r.service, r.message, ev);
    if (!ok)
      unrecognised.push_back((is_fragment_service(r.service) ? "[fragment] " : "") + describe(r));
    if (is_fragment_service(r.service)) continue;
    ++known;
    if (ok) ++recognised;
  }
  std::cout << "[ corpus   ] recognised " << recognised << " of " << known
            << " messages of Postfix services; unrecognised rows (" << unrecognised.size()
            << ", fragments included):\n";
  for (const auto& u : unrecognised) std::cout << "[ corpus   ]   " << u << "\n";
  ASSERT_GT(known, 0u);
  EXPECT_GE(static_cast<double>(recognised), 0.9 * static_cast<double>(known))
      << recognised << " of " << known;
}

TEST(Corpus, EveryRowSurvivesTheEnvelope) {
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, 2016);
  parser.begin_input(std::nullopt);
  const Micros want =
      (days_from_civil(2016, 10, 26) * 86400 + 18 * 3600 + 13 * 60 + 50) * kMicrosPerSecond;
  for (const Row& r : corpus()) {
    const std::string line =
        "Oct 26 18:13:50 mx.example.com postfix/" + r.service + "[123]: " + r.message;
    Envelope env;
    ASSERT_EQ(parser.parse(line, env), EnvelopeStatus::kPostfix) << line;
    EXPECT_EQ(env.message, r.message) << line;
    EXPECT_EQ(env.service, r.service) << line;
    EXPECT_EQ(env.syslog_name, "postfix") << line;
    EXPECT_EQ(env.host, "mx.example.com") << line;
    EXPECT_EQ(env.pid, 123u) << line;
    EXPECT_EQ(env.time, want) << line;
  }
}

TEST(Corpus, EveryRowSurvivesTheEnvelopeInRfc3339AndMultiInstanceForm) {
  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, std::nullopt);
  parser.begin_input(std::nullopt);
  const Micros want =
      (days_from_civil(2016, 10, 26) * 86400 + 16 * 3600 + 13 * 60 + 50) * kMicrosPerSecond +
      123456;
  for (const Row& r : corpus()) {
    const std::string line = "2016-10-26T18:13:50.123456+02:00 mx.example.com postfix-in/" +
                             r.service + "[4242]: " + r.message;
    Envelope env;
    ASSERT_EQ(parser.parse(line, env), EnvelopeStatus::kPostfix) << line;
    EXPECT_EQ(env.message, r.message) << line;
    EXPECT_EQ(env.service, r.service) << line;
    EXPECT_EQ(env.syslog_name, "postfix-in") << line;
    EXPECT_EQ(env.pid, 4242u) << line;
    EXPECT_EQ(env.time, want) << line;
  }
}

}  // namespace
}  // namespace pftls
