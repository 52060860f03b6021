// Unit tests for failure_reason: OpenSSL codes and texts, session-end
// details, and the rank used to pick one reason per failed session.
//
// Reason codes are the low 12 bits of the packed error: 1408A0C1 (OpenSSL
// 1.0, lib 0x14 func 0x08A reason 0x0C1), 1417A0C1 (1.1) and 0A0000C1 (3.x)
// all carry SSL_R_NO_SHARED_CIPHER = 193 = 0xC1. Alerts are 1000 + the TLS
// alert number: 0x410 = 1040 = handshake_failure (40), 0x42E = 1070 =
// protocol_version (70).
#include "parse/failure_reason.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace pftls {
namespace {

struct OpensslCase {
  const char* code;
  const char* text;
  const char* want;
};

void PrintTo(const OpensslCase& c, std::ostream* os) {
  *os << "code='" << c.code << "' text='" << c.text << "'";
}

class ReasonFromOpensslTest : public ::testing::TestWithParam<OpensslCase> {};

TEST_P(ReasonFromOpensslTest, Classifies) {
  const OpensslCase& c = GetParam();
  EXPECT_EQ(reason_from_openssl(c.code, c.text), c.want)
      << "code='" << c.code << "' text='" << c.text << "'";
}

INSTANTIATE_TEST_SUITE_P(NoSharedCipher, ReasonFromOpensslTest,
                         ::testing::Values(
                             // By text, whatever the code.
                             OpensslCase{"1408A0C1", "no shared cipher", "no-shared-cipher"},
                             OpensslCase{"1417A0C1", "no shared cipher", "no-shared-cipher"},
                             OpensslCase{"0A0000C1", "no shared cipher", "no-shared-cipher"},
                             OpensslCase{"", "no shared cipher", "no-shared-cipher"},
                             OpensslCase{"", "NO SHARED CIPHER", "no-shared-cipher"},
                             // By code alone, with no text or an unknown wording.
                             OpensslCase{"1408A0C1", "", "no-shared-cipher"},
                             OpensslCase{"1417A0C1", "", "no-shared-cipher"},
                             OpensslCase{"0A0000C1", "", "no-shared-cipher"},
                             OpensslCase{"0a0000c1", "", "no-shared-cipher"},
                             OpensslCase{"0A0000C1", "some future wording", "no-shared-cipher"}));

INSTANTIATE_TEST_SUITE_P(
    Protocol, ReasonFromOpensslTest,
    ::testing::Values(OpensslCase{"", "unsupported protocol", "unsupported-protocol"},
                      OpensslCase{"0A000102", "unsupported protocol", "unsupported-protocol"},
                      OpensslCase{"0A000102", "", "unsupported-protocol"},
                      OpensslCase{"1408A10B", "wrong version number", "wrong-version-number"},
                      OpensslCase{"", "wrong version number", "wrong-version-number"},
                      OpensslCase{"0A00010B", "", "wrong-version-number"},
                      OpensslCase{"0A000126", "unexpected eof while reading", "unexpected-eof"},
                      OpensslCase{"", "unexpected eof while reading", "unexpected-eof"},
                      OpensslCase{"0A000126", "", "unexpected-eof"}));

INSTANTIATE_TEST_SUITE_P(
    Alerts, ReasonFromOpensslTest,
    ::testing::Values(
        OpensslCase{"14094410", "sslv3 alert handshake failure", "alert-handshake-failure"},
        OpensslCase{"", "sslv3 alert handshake failure", "alert-handshake-failure"},
        // The peer's "protocol version" alert says our versions do not meet.
        OpensslCase{"1409442E", "tlsv1 alert protocol version", "unsupported-protocol"},
        OpensslCase{"", "tlsv1 alert protocol version", "unsupported-protocol"},
        // OpenSSL 3.2+ wording.
        OpensslCase{"0A000410", "ssl/tls alert handshake failure", "alert-handshake-failure"},
        OpensslCase{"", "ssl/tls alert handshake failure", "alert-handshake-failure"},
        OpensslCase{"", "SSLv3 Alert Handshake Failure", "alert-handshake-failure"},
        OpensslCase{"0A000418", "tlsv1 alert unknown ca", "alert-unknown-ca"},
        // Alerts by code only.
        OpensslCase{"0A000410", "", "alert-handshake-failure"},
        OpensslCase{"0A00042E", "", "unsupported-protocol"},
        OpensslCase{"0A000418", "", "alert-unknown-ca"},
        OpensslCase{"0A00045C", "", "alert-certificate-required"},
        OpensslCase{"", "tlsv13 alert certificate required", "alert-certificate-required"},
        OpensslCase{"", "tlsv1 unrecognized name", "alert-unrecognized-name"},
        OpensslCase{"14094412", "sslv3 alert bad certificate", "alert-bad-certificate"},
        // Verbose logging's alert lines, whole.
        OpensslCase{"", "SSL3 alert read:fatal:unknown CA", "alert-unknown-ca"},
        OpensslCase{"", "SSL3 alert write:fatal:handshake failure", "sent-alert-handshake-failure"},
        OpensslCase{"", "SSL3 alert read:fatal:protocol version", "unsupported-protocol"}));

INSTANTIATE_TEST_SUITE_P(
    NotTlsAndOthers, ReasonFromOpensslTest,
    ::testing::Values(
        OpensslCase{"1417D0FC", "unknown protocol", "unknown-protocol"},
        OpensslCase{"0A0000FC", "", "unknown-protocol"},
        OpensslCase{"1417D18C", "version too low", "unsupported-protocol"},
        OpensslCase{"0A00018C", "", "unsupported-protocol"},
        OpensslCase{"1408F09C", "http request", "http-request"},
        OpensslCase{"0A00009B", "https proxy request", "http-request"},
        OpensslCase{"0A00006C", "bad key share", "bad-key-share"},
        OpensslCase{"0A000178", "", "no-suitable-signature-algorithm"},
        OpensslCase{"", "no suitable signature algorithm", "no-suitable-signature-algorithm"},
        OpensslCase{"1408F119", "decryption failed or bad record mac", "bad-record-mac"},
        OpensslCase{"", "bad record mac", "bad-record-mac"},
        OpensslCase{"1416F086", "certificate verify failed", "certificate-verify-failed"},
        OpensslCase{"0A000086", "", "certificate-verify-failed"},
        // The server's own set-up, at start-up: not a handshake.
        OpensslCase{"0B080074", "key values mismatch", "server-setup"},
        OpensslCase{"02001002", "No such file or directory", "server-setup"},
        OpensslCase{"140DC002", "system lib", "server-setup"}));

INSTANTIATE_TEST_SUITE_P(
    Unknown, ReasonFromOpensslTest,
    ::testing::Values(OpensslCase{"", "", ""}, OpensslCase{"0A000001", "something new", ""},
                      OpensslCase{"C1", "", ""},          // too short to carry a reason code
                      OpensslCase{"0A0000G1", "", ""}));  // not hex

TEST(ReasonFromOpenssl, FunctionNamesAndPathsAreNotLookedAt) {
  // A reason text is what is classified; the function name and source path,
  // which differ between OpenSSL versions, are not passed and not needed.
  EXPECT_EQ(reason_from_openssl("1408A0C1", "no shared cipher"),
            reason_from_openssl("0A0000C1", "no shared cipher"));
  // A function name that looks like a reason does not turn an unknown code
  // into a known reason when it is not the reason text.
  EXPECT_EQ(reason_from_openssl("0A000001", "ssl3_get_client_hello"), "");
}

struct DetailCase {
  const char* detail;
  const char* want;
};

void PrintTo(const DetailCase& c, std::ostream* os) { *os << "'" << c.detail << "'"; }

class ReasonFromAcceptDetailTest : public ::testing::TestWithParam<DetailCase> {};

TEST_P(ReasonFromAcceptDetailTest, Classifies) {
  EXPECT_EQ(reason_from_accept_detail(GetParam().detail), GetParam().want)
      << "'" << GetParam().detail << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Details, ReasonFromAcceptDetailTest,
    ::testing::Values(DetailCase{"lost connection", "lost-connection"},
                      DetailCase{"Connection reset by peer", "connection-reset"},
                      DetailCase{"Broken pipe", "lost-connection"},
                      DetailCase{"Connection timed out", "timeout"},
                      DetailCase{"timeout", "timeout"}, DetailCase{"-1", "other"},
                      DetailCase{"0", "other"}, DetailCase{"", "other"}));

TEST(ReasonRank, OpensslBeatsSessionEndBeatsOther) {
  EXPECT_GT(reason_rank("no-shared-cipher"), reason_rank("lost-connection"));
  EXPECT_GT(reason_rank("alert-handshake-failure"), reason_rank("timeout"));
  EXPECT_GT(reason_rank("unsupported-protocol"), reason_rank("timeout"));
  EXPECT_GT(reason_rank("wrong-version-number"), reason_rank("lost-connection"));
  EXPECT_GT(reason_rank("unexpected-eof"), reason_rank("lost-connection"));
  EXPECT_GT(reason_rank("lost-connection"), reason_rank("other"));
  EXPECT_GT(reason_rank("timeout"), reason_rank("other"));
  EXPECT_GT(reason_rank("other"), reason_rank(""));
  EXPECT_EQ(reason_rank("lost-connection"), reason_rank("timeout"));
  EXPECT_EQ(reason_rank("no-shared-cipher"), reason_rank("alert-protocol-version"));
}

TEST(ReasonRank, SentAlertBetweenOpensslAndSessionEnd) {
  EXPECT_GT(reason_rank("no-shared-cipher"), reason_rank("sent-alert-handshake-failure"));
  EXPECT_GT(reason_rank("sent-alert-handshake-failure"), reason_rank("lost-connection"));
  EXPECT_EQ(reason_rank("connection-reset"), reason_rank("lost-connection"));
  EXPECT_EQ(reason_rank("unknown-protocol"), reason_rank("no-shared-cipher"));
  EXPECT_EQ(reason_rank("server-setup"), 0);  // not evidence of a failed handshake
}

// A table that breaks its own rules does not load; every problem is named.
TEST(ReasonTable, RejectsBrokenTables) {
  const char* ok_other = "[other]\nrank = 1\nsample = SSL_accept error from a[192.0.2.1]: -1\n";
  EXPECT_NO_THROW(ReasonTable::load("t.reasons", ok_other));
  const std::pair<const char*, const char*> broken[] = {
      {"[x]\nrank = 4\ntext = no shared cipher\n", "has no sample"},
      {"[x]\ntext = no shared cipher\nsample = warning: TLS library problem: "
       "error:0A0000C1:SSL routines::no shared cipher:\n",
       "has no rank"},
      {"[x]\nrank = 4\ntext = no shared cipher\nsample = warning: TLS library problem: "
       "error:0A000102:SSL routines::unsupported protocol:\n",
       "sample gives 'other', expected [x]"},
      {"[x]\nrank = 4\ncode = 1C\nsample = x\n", "code must be three hex digits"},
      {"[x]\nrank = 9\n", "rank must be 0 to 4"},
      {"[X y]\n", "bad section header"},
      {"[x]\nrank = 4\ncolour = red\n", "unknown key 'colour'"},
      {"[x]\nrank = 4\ntext = a\nsample = connect from a[192.0.2.1]\n",
       "sample is not a line tls.reasons classifies"},
  };
  for (const auto& [text, want] : broken) {
    try {
      (void)ReasonTable::load("t.reasons", std::string(text) + ok_other);
      ADD_FAILURE() << "loaded: " << text;
    } catch (const ReasonError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("t.reasons:"), std::string::npos) << e.what();
    }
  }
  try {
    (void)ReasonTable::load("t.reasons", "[x]\nrank = 4\n");
    ADD_FAILURE() << "loaded without [other]";
  } catch (const ReasonError& e) {
    EXPECT_NE(std::string(e.what()).find("no [other] section"), std::string::npos);
  }
}

// The built-in table loads, and its samples are whole lines classified.
TEST(ReasonTable, BuiltinClassifiesWholeLines) {
  const ReasonTable& t = ReasonTable::builtin();
  std::string r;
  ASSERT_TRUE(t.classify_line(
      "warning: TLS library problem: 7659:error:1408A0C1:SSL routines:SSL3_GET_CLIENT_HELLO:no "
      "shared cipher:s3_srvr.c:1387:",
      r));
  EXPECT_EQ(r, "no-shared-cipher");
  ASSERT_TRUE(
      t.classify_line("SSL_accept error from a.example[192.0.2.1]:41234: Connection timed out", r));
  EXPECT_EQ(r, "timeout");
  ASSERT_TRUE(t.classify_line("SSL_connect error to mx.example[192.0.2.1]:25: -1", r));
  EXPECT_EQ(r, "other");
  EXPECT_FALSE(t.classify_line("SSL3 alert write:warning:close notify", r));
  EXPECT_FALSE(t.classify_line("connect from a.example[192.0.2.1]", r));
}

TEST(ReasonRank, AmexPicksNoSharedCipherOverDashOne) {
  // AMEX: "SSL_accept error ...: -1" then "TLS library problem ... no shared
  // cipher": the better-ranked reason is the OpenSSL one.
  const std::string from_accept = reason_from_accept_detail("-1");
  const std::string from_openssl = reason_from_openssl("1408A0C1", "no shared cipher");
  EXPECT_EQ(from_accept, "other");
  EXPECT_EQ(from_openssl, "no-shared-cipher");
  EXPECT_GT(reason_rank(from_openssl), reason_rank(from_accept));
}

}  // namespace
}  // namespace pftls
