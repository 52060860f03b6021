// Unit tests for pattern_set: the built-in patterns, queue-id splitting,
// matching of the lines pftls lives on, and the loader's error reports.
#include "parse/pattern_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "../xorshift.h"
#include "parse/pattern_set_internal.h"
#include "parse/queue_id.h"
#include "parse/queue_id_internal.h"

namespace pftls {
namespace {

// ---------------------------------------------------------------------------
// The built-in set

TEST(PatternSetBuiltin, LoadsWithItsSamples) {
  const PatternSet* set = nullptr;
  ASSERT_NO_THROW(set = &PatternSet::builtin());
  EXPECT_GT(set->size(), 20u);
  EXPECT_GT(sample_count(*set), 0u);
  EXPECT_GE(sample_count(*set), set->size());  // every pattern carries a sample
  EXPECT_FALSE(pattern_id(*set, 0).empty());
  EXPECT_TRUE(pattern_id(*set, -1).empty());
  EXPECT_TRUE(pattern_id(*set, static_cast<int>(set->size())).empty());
}

// ---------------------------------------------------------------------------
// split_queue_id

struct SplitCase {
  const char* message;
  bool ok;
  const char* queue_id;
  const char* body;
};

void PrintTo(const SplitCase& c, std::ostream* os) { *os << '\'' << c.message << '\''; }

class SplitQueueIdTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitQueueIdTest, Splits) {
  const SplitCase& c = GetParam();
  std::string_view qid = "unchanged", body = "unchanged";
  EXPECT_EQ(split_queue_id(c.message, qid, body), c.ok) << "'" << c.message << "'";
  if (c.ok) {
    EXPECT_EQ(qid, c.queue_id);
    EXPECT_EQ(body, c.body);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SplitQueueIdTest,
    ::testing::Values(
        SplitCase{"1FBCDAE88B: x", true, "1FBCDAE88B", "x"},
        SplitCase{"1FBCDAE88B: client=a[192.0.2.1]", true, "1FBCDAE88B", "client=a[192.0.2.1]"},
        SplitCase{"0F5383D: removed", true, "0F5383D", "removed"},
        SplitCase{"ABCDE: x", true, "ABCDE", "x"},  // 5 hex digits: shortest short id
        SplitCase{"ED06590130AA1C9D6D862: skipped", true, "ED06590130AA1C9D6D862", "skipped"},
        SplitCase{"4jcRjq0QPkz9JcK: x", true, "4jcRjq0QPkz9JcK", "x"},  // long queue id
        SplitCase{"48rT2v1hQrz1J0N: prepend: x", true, "48rT2v1hQrz1J0N", "prepend: x"},
        SplitCase{"NOQUEUE: reject: RCPT", false, "", ""}, SplitCase{"NOQUEUE: ", false, "", ""},
        SplitCase{"warning: x", false, "", ""}, SplitCase{"warning: ", false, "", ""},
        SplitCase{"statistics: max cache size", false, "", ""},
        SplitCase{"ABC: x", false, "", ""},        // too short
        SplitCase{"ABCD: x", false, "", ""},       // too short
        SplitCase{"1FBCDAE88B:x", false, "", ""},  // no space after the colon
        SplitCase{"1FBCDAE88B", false, "", ""}, SplitCase{"", false, "", ""},
        SplitCase{"1fbcdae88b: x", false, "", ""},  // lower-case hex is neither form (vowels a, e)
        SplitCase{"1234567890ABCDEF123456789: x", false, "", ""},  // 25 chars: too long
        SplitCase{"connect from a[192.0.2.1]", false, "", ""},
        SplitCase{"DNSBL rank 3 for [192.0.2.1]:1038", false, "", ""}));

// Client names of 1 to 70 bytes: the captures end at the right '[' and ']'
// wherever they fall in the 16-byte steps of the literal search.
TEST(PatternSetCaptures, ClientNamesOfEveryLength) {
  const PatternSet& set = PatternSet::builtin();
  for (std::size_t n = 1; n <= 70; ++n) {
    std::string name;
    for (std::size_t k = 0; k < n; ++k) name += static_cast<char>('a' + k % 26);
    for (const char* ip : {"192.0.2.1", "2001:db8::25"}) {
      const std::string message = "connect from " + name + "[" + ip + "]";
      Event ev;
      ASSERT_TRUE(set.match("smtpd", message, ev)) << message;
      EXPECT_EQ(ev.kind, EventKind::kConnect) << message;
      EXPECT_EQ(ev.get(Field::kClientName), name) << message;
      EXPECT_EQ(ev.get(Field::kClientIp), ip) << message;
    }
  }
}

// split_queue_id() decides most messages 16 bytes at a time; it must answer
// exactly as the byte-at-a-time reference on every shape, including ids that
// end at byte 15/16, long ids, high bytes and messages of 15 to 17 bytes.
TEST(SplitQueueId, AgreesWithTheBytewiseReference) {
  const std::string alphabet = "0123456789ABCDEFGHJKZaeiouxyzbc: \x80\xff=.[";
  test_inputs::XorShift64 next(0x9E3779B97F4A7C15ULL);
  std::vector<std::string> messages = {"1FBCDAE88B: client=a[192.0.2.1]",
                                       "ABCDEF0123456789: x",
                                       "ABCDEF012345678: x",
                                       "ABCDEF01234567: x",
                                       "4jcRjq0QPkz9JcK: xyzzy",
                                       "4jcRjq0QPkz9JcKm: xyzzy",
                                       "ABCDE: 0123456789",
                                       "ABCD: 0123456789ab",
                                       "1FBCDAE88B:x0123456789",
                                       "connect from a[192.0.2.1]",
                                       "ABCDEF012345678:",
                                       "ABCDEF01234567: ",
                                       "warning: TLS library problem"};
  for (int i = 0; i < 200000; ++i) {
    std::string m;
    const std::size_t id_len = next() % 26;
    for (std::size_t k = 0; k < id_len; ++k)
      m += alphabet[next() % 16 == 0 ? next() % alphabet.size() : next() % 16];
    if (next() % 8 != 0) m += ':';
    if (next() % 8 != 0) m += ' ';
    const std::size_t tail = next() % 20;
    for (std::size_t k = 0; k < tail; ++k) m += alphabet[next() % alphabet.size()];
    messages.push_back(std::move(m));
  }
  std::size_t split = 0;
  for (const std::string& m : messages) {
    std::string_view q1 = "unchanged", b1 = "unchanged", q2 = "unchanged", b2 = "unchanged";
    const bool r1 = split_queue_id(m, q1, b1);
    const bool r2 = split_queue_id_bytewise(m, q2, b2);
    ASSERT_EQ(r1, r2) << "'" << m << "'";
    if (r1) {
      ++split;
      ASSERT_EQ(q1, q2) << "'" << m << "'";
      ASSERT_EQ(b1, b2) << "'" << m << "'";
      ASSERT_EQ(q1.data(), m.data());  // views into the message, not copies
    }
  }
  EXPECT_GT(split, 10000u);  // the generator makes both answers often
  EXPECT_LT(split, messages.size() - 10000);
}

// ---------------------------------------------------------------------------
// match() on key lines

using Fields = std::vector<std::pair<Field, std::string>>;

struct MatchCase {
  const char* what;
  const char* service;
  const char* message;
  EventKind kind;
  Fields fields;  // checked; every field not listed must be empty
};

void PrintTo(const MatchCase& c, std::ostream* os) { *os << c.what; }

class MatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(MatchTest, Recognises) {
  const MatchCase& c = GetParam();
  Event ev;
  const int taken = matching_pattern(PatternSet::builtin(), c.service, c.message, ev);
  ASSERT_GE(taken, 0) << c.what << ": no match for " << c.service << ": " << c.message;
  EXPECT_EQ(ev.kind, c.kind) << c.what << ": got " << event_kind_name(ev.kind) << " from "
                             << pattern_id(PatternSet::builtin(), taken);
  for (std::size_t i = 0; i < static_cast<std::size_t>(Field::kCount); ++i) {
    const auto f = static_cast<Field>(i);
    std::string want;
    bool listed = false;
    for (const auto& [field, value] : c.fields) {
      if (field == f) {
        want = value;
        listed = true;
      }
    }
    if (!listed && f == Field::kRest) continue;  // discarded text, not checked unless listed
    EXPECT_EQ(ev.get(f), want) << c.what << ": field " << field_name(f);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sessions, MatchTest,
    ::testing::Values(
        MatchCase{
            "connect",
            "smtpd",
            "connect from extmta1-new.aexp.com[148.173.96.86]",
            EventKind::kConnect,
            {{Field::kClientName, "extmta1-new.aexp.com"}, {Field::kClientIp, "148.173.96.86"}}},
        MatchCase{"connect IPv6 unknown",
                  "smtpd",
                  "connect from unknown[2001:db8::25]",
                  EventKind::kConnect,
                  {{Field::kClientName, "unknown"}, {Field::kClientIp, "2001:db8::25"}}},
        MatchCase{"disconnect with counters",
                  "smtpd",
                  "disconnect from mail.example.com[192.0.2.25] ehlo=2 starttls=0/1 commands=2/3",
                  EventKind::kDisconnect,
                  {{Field::kClientName, "mail.example.com"},
                   {Field::kClientIp, "192.0.2.25"},
                   {Field::kCounters, "ehlo=2 starttls=0/1 commands=2/3"}}},
        MatchCase{
            "disconnect without counters",
            "smtpd",
            "disconnect from extmta1-new.aexp.com[148.173.96.86]",
            EventKind::kDisconnect,
            {{Field::kClientName, "extmta1-new.aexp.com"}, {Field::kClientIp, "148.173.96.86"}}},
        MatchCase{"disconnect IPv6 with counters",
                  "smtpd",
                  "disconnect from unknown[2001:db8::7] ehlo=1 quit=1 commands=2",
                  EventKind::kDisconnect,
                  {{Field::kClientName, "unknown"},
                   {Field::kClientIp, "2001:db8::7"},
                   {Field::kCounters, "ehlo=1 quit=1 commands=2"}}},
        MatchCase{"client=",
                  "smtpd",
                  "1FBCDAE88B: client=extmta1-new.aexp.com[148.173.96.86]",
                  EventKind::kClient,
                  {{Field::kQueueId, "1FBCDAE88B"},
                   {Field::kClientName, "extmta1-new.aexp.com"},
                   {Field::kClientIp, "148.173.96.86"},
                   {Field::kRest, ""}}},
        MatchCase{"client= with port",
                  "smtpd",
                  "3F1A2B4C5D: client=mx.example.org[192.0.2.4]:41234",
                  EventKind::kClient,
                  {{Field::kQueueId, "3F1A2B4C5D"},
                   {Field::kClientName, "mx.example.org"},
                   {Field::kClientIp, "192.0.2.4"},
                   {Field::kClientPort, "41234"},
                   {Field::kRest, ""}}},
        MatchCase{"client= IPv6 with port and sasl, long queue id",
                  "smtpd",
                  "4jcRjq0QPkz9JcK: client=mail.example.org[2001:db8:1::25]:41234, "
                  "sasl_method=PLAIN, sasl_username=alice",
                  EventKind::kClient,
                  {{Field::kQueueId, "4jcRjq0QPkz9JcK"},
                   {Field::kClientName, "mail.example.org"},
                   {Field::kClientIp, "2001:db8:1::25"},
                   {Field::kClientPort, "41234"},
                   {Field::kRest, "sasl_method=PLAIN, sasl_username=alice"}}},
        MatchCase{"client= with sasl, no port",
                  "smtpd",
                  "3F1A2B4C5D: client=unknown[198.51.100.3], sasl_method=LOGIN, sasl_username=bob",
                  EventKind::kClient,
                  {{Field::kQueueId, "3F1A2B4C5D"},
                   {Field::kClientName, "unknown"},
                   {Field::kClientIp, "198.51.100.3"},
                   {Field::kRest, "sasl_method=LOGIN, sasl_username=bob"}}},
        MatchCase{"client= on submission (service smtpd)",
                  "smtpd",
                  "3F1A2B4C5D: client=unknown[198.51.100.3]",
                  EventKind::kClient,
                  {{Field::kQueueId, "3F1A2B4C5D"},
                   {Field::kClientName, "unknown"},
                   {Field::kClientIp, "198.51.100.3"}}}));

INSTANTIATE_TEST_SUITE_P(
    TlsEstablished, MatchTest,
    ::testing::Values(
        MatchCase{"Anonymous",
                  "smtpd",
                  "Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.2 with "
                  "cipher AECDH-AES256-SHA (256/256 bits)",
                  EventKind::kTlsEstablished,
                  {{Field::kClientName, "a.example"},
                   {Field::kClientIp, "192.0.2.1"},
                   {Field::kTlsTrust, "Anonymous"},
                   {Field::kTlsProtocol, "TLSv1.2"},
                   {Field::kTlsCipher, "AECDH-AES256-SHA"},
                   {Field::kTlsBits, "256"}}},
        MatchCase{"Untrusted",
                  "smtpd",
                  "Untrusted TLS connection established from b.example[192.0.2.2]: TLSv1.3 with "
                  "cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                  EventKind::kTlsEstablished,
                  {{Field::kClientName, "b.example"},
                   {Field::kClientIp, "192.0.2.2"},
                   {Field::kTlsTrust, "Untrusted"},
                   {Field::kTlsProtocol, "TLSv1.3"},
                   {Field::kTlsCipher, "TLS_AES_256_GCM_SHA384"},
                   {Field::kTlsBits, "256"}}},
        MatchCase{"Trusted",
                  "smtpd",
                  "Trusted TLS connection established from c.example[192.0.2.3]: TLSv1.2 with "
                  "cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)",
                  EventKind::kTlsEstablished,
                  {{Field::kClientName, "c.example"},
                   {Field::kClientIp, "192.0.2.3"},
                   {Field::kTlsTrust, "Trusted"},
                   {Field::kTlsProtocol, "TLSv1.2"},
                   {Field::kTlsCipher, "ECDHE-RSA-AES128-GCM-SHA256"},
                   {Field::kTlsBits, "128"}}},
        MatchCase{"Verified",
                  "smtpd",
                  "Verified TLS connection established from d.example[2001:db8::4]: TLSv1.3 with "
                  "cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519",
                  EventKind::kTlsEstablished,
                  {{Field::kClientName, "d.example"},
                   {Field::kClientIp, "2001:db8::4"},
                   {Field::kTlsTrust, "Verified"},
                   {Field::kTlsProtocol, "TLSv1.3"},
                   {Field::kTlsCipher, "TLS_AES_128_GCM_SHA256"},
                   {Field::kTlsBits, "128"}}},
        MatchCase{"Postfix 2.x, no trust word",
                  "smtpd",
                  "TLS connection established from e.example[198.51.100.4]: TLSv1 with cipher "
                  "DHE-RSA-AES256-SHA (256/256 bits)",
                  EventKind::kTlsEstablished,
                  {{Field::kClientName, "e.example"},
                   {Field::kClientIp, "198.51.100.4"},
                   {Field::kTlsTrust, ""},
                   {Field::kTlsProtocol, "TLSv1"},
                   {Field::kTlsCipher, "DHE-RSA-AES256-SHA"},
                   {Field::kTlsBits, "256"}}}));

INSTANTIATE_TEST_SUITE_P(
    TlsFailures, MatchTest,
    ::testing::Values(
        MatchCase{"SSL_accept error -1",
                  "smtpd",
                  "SSL_accept error from extmta1-new.aexp.com[148.173.96.86]: -1",
                  EventKind::kSslAcceptError,
                  {{Field::kClientName, "extmta1-new.aexp.com"},
                   {Field::kClientIp, "148.173.96.86"},
                   {Field::kDetail, "-1"}}},
        MatchCase{"SSL_accept error 0",
                  "smtpd",
                  "SSL_accept error from m.example[207.82.80.201]: 0",
                  EventKind::kSslAcceptError,
                  {{Field::kClientName, "m.example"},
                   {Field::kClientIp, "207.82.80.201"},
                   {Field::kDetail, "0"}}},
        MatchCase{"SSL_accept error lost connection",
                  "smtpd",
                  "SSL_accept error from unknown[72.13.58.7]: lost connection",
                  EventKind::kSslAcceptError,
                  {{Field::kClientName, "unknown"},
                   {Field::kClientIp, "72.13.58.7"},
                   {Field::kDetail, "lost connection"}}},
        MatchCase{"SSL_accept error timed out",
                  "smtpd",
                  "SSL_accept error from unknown[2001:db8::9]: Connection timed out",
                  EventKind::kSslAcceptError,
                  {{Field::kClientName, "unknown"},
                   {Field::kClientIp, "2001:db8::9"},
                   {Field::kDetail, "Connection timed out"}}},
        MatchCase{"SSL_accept error without detail",
                  "smtpd",
                  "SSL_accept error from unknown[192.0.2.8]",
                  EventKind::kSslAcceptError,
                  {{Field::kClientName, "unknown"}, {Field::kClientIp, "192.0.2.8"}}},
        MatchCase{"TLS library problem, OpenSSL 1.0",
                  "smtpd",
                  "warning: TLS library problem: error:1408A0C1:SSL routines:"
                  "SSL3_GET_CLIENT_HELLO:no shared cipher:s3_srvr.c:1440:",
                  EventKind::kTlsLibraryProblem,
                  {{Field::kOpensslCode, "1408A0C1"}, {Field::kOpensslReason, "no shared cipher"}}},
        MatchCase{
            "TLS library problem, OpenSSL 1.1",
            "smtpd",
            "warning: TLS library problem: error:1417A0C1:SSL routines:"
            "tls_post_process_client_hello:no shared cipher:../ssl/statem/statem_srvr.c:2283:",
            EventKind::kTlsLibraryProblem,
            {{Field::kOpensslCode, "1417A0C1"}, {Field::kOpensslReason, "no shared cipher"}}},
        MatchCase{"TLS library problem, OpenSSL 3.0",
                  "smtpd",
                  "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:"
                  "../ssl/statem/statem_srvr.c:2220:",
                  EventKind::kTlsLibraryProblem,
                  {{Field::kOpensslCode, "0A0000C1"}, {Field::kOpensslReason, "no shared cipher"}}},
        MatchCase{"TLS library problem, Postfix 2.x with pid",
                  "smtpd",
                  "warning: TLS library problem: 7659:error:1408A0C1:SSL routines:"
                  "SSL3_GET_CLIENT_HELLO:no shared cipher:s3_srvr.c:1418:",
                  EventKind::kTlsLibraryProblem,
                  {{Field::kOpensslCode, "1408A0C1"}, {Field::kOpensslReason, "no shared cipher"}}},
        MatchCase{"TLS library problem, OpenSSL 3.2 alert",
                  "smtpd",
                  "warning: TLS library problem: error:0A000410:SSL routines::ssl/tls alert "
                  "handshake failure:../ssl/record/rec_layer_s3.c:865:SSL alert number 40:",
                  EventKind::kTlsLibraryProblem,
                  {{Field::kOpensslCode, "0A000410"},
                   {Field::kOpensslReason, "ssl/tls alert handshake failure"}}},
        MatchCase{"TLS library problem, OpenSSL 1.0 alert",
                  "smtpd",
                  "warning: TLS library problem: error:14094410:SSL routines:ssl3_read_bytes:"
                  "sslv3 alert handshake failure:s3_pkt.c:1493:SSL alert number 40:",
                  EventKind::kTlsLibraryProblem,
                  {{Field::kOpensslCode, "14094410"},
                   {Field::kOpensslReason, "sslv3 alert handshake failure"}}},
        MatchCase{"TLS library problem, unknown shape",
                  "smtpd",
                  "warning: TLS library problem: something unexpected",
                  EventKind::kTlsLibraryProblem,
                  {{Field::kDetail, "something unexpected"}}},
        MatchCase{"lost after STARTTLS",
                  "smtpd",
                  "lost connection after STARTTLS from unknown[72.13.58.7]",
                  EventKind::kLostAfterStarttls,
                  {{Field::kClientName, "unknown"}, {Field::kClientIp, "72.13.58.7"}}},
        MatchCase{"lost after STARTTLS, Postfix 3.10 NOQUEUE",
                  "smtpd",
                  "NOQUEUE: lost connection after STARTTLS from mail.example.com[192.0.2.25]",
                  EventKind::kLostAfterStarttls,
                  {{Field::kClientName, "mail.example.com"}, {Field::kClientIp, "192.0.2.25"}}},
        MatchCase{"timeout after STARTTLS",
                  "smtpd",
                  "timeout after STARTTLS from unknown[198.51.100.9]",
                  EventKind::kTimeoutAfterStarttls,
                  {{Field::kClientName, "unknown"}, {Field::kClientIp, "198.51.100.9"}}},
        MatchCase{"timeout after STARTTLS, Postfix 3.10 NOQUEUE",
                  "smtpd",
                  "NOQUEUE: timeout after STARTTLS from unknown[2001:db8::9]",
                  EventKind::kTimeoutAfterStarttls,
                  {{Field::kClientName, "unknown"}, {Field::kClientIp, "2001:db8::9"}}},
        MatchCase{"lost after another command is not a STARTTLS failure",
                  "smtpd",
                  "lost connection after DATA (0 bytes) from unknown[72.13.58.7]",
                  EventKind::kIgnored,
                  {}},
        MatchCase{
            "NOQUEUE reject is ignored",
            "smtpd",
            "NOQUEUE: reject: RCPT from unknown[192.0.2.58]: 554 5.7.1 <a@example.org>: Relay "
            "access denied; from=<b@example.net> to=<a@example.org> proto=ESMTP helo=<x>",
            EventKind::kIgnored,
            {}}));

INSTANTIATE_TEST_SUITE_P(
    Queue, MatchTest,
    ::testing::Values(
        MatchCase{
            "message-id with brackets",
            "cleanup",
            "1FBCDAE88B: message-id=<UMS2553@welcome.aexp.com>",
            EventKind::kMessageId,
            {{Field::kQueueId, "1FBCDAE88B"}, {Field::kMessageId, "UMS2553@welcome.aexp.com"}}},
        MatchCase{"message-id empty brackets",
                  "cleanup",
                  "4104E3D: message-id=<>",
                  EventKind::kMessageId,
                  {{Field::kQueueId, "4104E3D"}, {Field::kMessageId, ""}}},
        MatchCase{"message-id without brackets",
                  "cleanup",
                  "ADD961003206D: message-id=abc@example.net",
                  EventKind::kMessageId,
                  {{Field::kQueueId, "ADD961003206D"}, {Field::kMessageId, "abc@example.net"}}},
        MatchCase{"message-id, long queue id",
                  "cleanup",
                  "4jcRjq0QPkz9JcK: message-id=<x@y>",
                  EventKind::kMessageId,
                  {{Field::kQueueId, "4jcRjq0QPkz9JcK"}, {Field::kMessageId, "x@y"}}},
        MatchCase{"qmgr from=",
                  "qmgr",
                  "1FBCDAE88B: from=<alerts@welcome.aexp.com>, size=5360, nrcpt=1 (queue active)",
                  EventKind::kSender,
                  {{Field::kQueueId, "1FBCDAE88B"}, {Field::kSender, "alerts@welcome.aexp.com"}}},
        MatchCase{"qmgr from=<> (bounce)",
                  "qmgr",
                  "1FBCDAE88B: from=<>, size=1200, nrcpt=1 (queue active)",
                  EventKind::kSender,
                  {{Field::kQueueId, "1FBCDAE88B"}, {Field::kSender, ""}}},
        MatchCase{
            "delivery to= with brackets (lmtp)",
            "lmtp",
            "7EE668039: to=<admin@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=3.6, "
            "delays=0.2/0.02/0.04/3.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 153053D)",
            EventKind::kRecipient,
            {{Field::kQueueId, "7EE668039"},
             {Field::kRecipient, "admin@example.com"},
             {Field::kClientName, "127.0.0.1"},  // smtp/lmtp: the relay
             {Field::kClientIp, "127.0.0.1"},
             {Field::kClientPort, "2525"},
             {Field::kStatus, "sent"},
             {Field::kDetail, "250 2.0.0 Ok: queued as 153053D)"}}},
        MatchCase{
            "delivery to= with brackets (smtp)",
            "smtp",
            "0D9633D: to=<jos@example.com>, orig_to=<bestuur@example.com>, "
            "relay=mail1.example.net[10.74.103.11]:25, delay=11, dsn=2.0.0, status=sent (250 ok)",
            EventKind::kRecipient,
            {{Field::kQueueId, "0D9633D"},
             {Field::kRecipient, "jos@example.com"},
             {Field::kClientName, "mail1.example.net"},
             {Field::kClientIp, "10.74.103.11"},
             {Field::kClientPort, "25"},
             {Field::kStatus, "sent"},
             {Field::kDetail, "250 ok)"}}},
        MatchCase{
            "delivery to= without brackets (local)",
            "local",
            "2A22C263F6: to=user@hostname.example.com, orig_to=root@localhost, relay=local, "
            "delay=0.07, dsn=2.0.0, status=sent (delivered to command: procmail)",
            EventKind::kRecipient,
            {{Field::kQueueId, "2A22C263F6"}, {Field::kRecipient, "user@hostname.example.com"}}},
        MatchCase{
            "delivery to= (virtual)",
            "virtual",
            "B657F2DB195D: to=<postmaster@example.com>, relay=virtual, delay=0.52, dsn=2.0.0, "
            "status=sent (delivered to maildir)",
            EventKind::kRecipient,
            {{Field::kQueueId, "B657F2DB195D"}, {Field::kRecipient, "postmaster@example.com"}}},
        MatchCase{"removed",
                  "qmgr",
                  "0F5383D: removed",
                  EventKind::kRemoved,
                  {{Field::kQueueId, "0F5383D"}}},
        MatchCase{"removed by postsuper",
                  "postsuper",
                  "D4F2023DB: removed",
                  EventKind::kRemoved,
                  {{Field::kQueueId, "D4F2023DB"}}},
        MatchCase{"warning from any daemon",
                  "trivial-rewrite",
                  "warning: virtual_alias_domains lookup failure",
                  EventKind::kIgnored,
                  {}}));

TEST(PatternSetMatch, UnknownLinesReturnFalse) {
  const PatternSet& set = PatternSet::builtin();
  const std::pair<const char*, const char*> lines[] = {
      {"smtpd", "this is not a postfix message"},
      {"smtpd", "connect to nowhere"},
      {"smtpd", "disconnect"},
      {"smtpd", "SSL_accept error"},
      {"smtpd", ""},
      {"smtpd", "1FBCDAE88B: something smtpd never says"},
      {"cleanup", "1FBCDAE88B: not-a-message-id"},
      {"qmgr", "0F5383D: to be or not to be"},
      {"no-such-daemon", "connect from a[192.0.2.1]"},
  };
  for (const auto& [service, message] : lines) {
    Event ev;
    const int taken = matching_pattern(set, service, message, ev);
    EXPECT_LT(taken, 0) << service << ": " << message << " -> " << pattern_id(set, taken);
  }
}

// Verbose TLS logging (loglevel 2 to 4): recognised, and evidence only where
// it names a failure (the fatal alerts).
TEST(PatternSetMatch, VerboseTlsLines) {
  const PatternSet& set = PatternSet::builtin();
  const std::pair<const char*, const char*> ignored[] = {
      {"smtpd", "SSL_accept:before/accept initialization"},
      {"smtpd", "SSL_accept:error in SSLv2/v3 read client hello A"},
      {"smtpd", "initializing the server-side TLS engine"},
      {"smtp", "initializing the client-side TLS engine"},
      {"smtp", "SSL_connect:SSLv3/TLS write client hello"},
      {"smtpd", "SSL3 alert write:warning:close notify"},
      {"tlsproxy", "SSL_accept:SSLv3/TLS write server hello"},
      {"tlsmgr", "open smtpd TLS cache btree:/var/lib/postfix/smtpd_scache"},
      // After the peer: matched without it.
      {"smtpd", "mx01.arz.at[193.110.182.61]: TLS cipher list \"aNULL:-aNULL:HIGH\""},
      {"smtp", "mail.example.org[192.0.2.7]:25: depth=0 verify=1 subject=/CN=mail.example.org"},
      {"smtpd", "localhost[127.0.0.1]: save session 12AB&smtp&[127.0.0.1]:25 to smtpd cache"},
  };
  for (const auto& [service, message] : ignored) {
    Event ev;
    EXPECT_GE(matching_pattern(set, service, message, ev), 0) << service << ": " << message;
    EXPECT_EQ(ev.kind, EventKind::kIgnored) << service << ": " << message;
  }
  Event ev;
  // Our smtp client's offer note: its own event (outbound_tracker.h).
  ASSERT_GE(matching_pattern(set, "smtp", "Host offered STARTTLS: [127.0.0.1]", ev), 0);
  EXPECT_EQ(ev.kind, EventKind::kStarttlsOffered);
  EXPECT_EQ(ev.get(Field::kClientName), "127.0.0.1");
  ev.clear();
  ASSERT_GE(matching_pattern(set, "smtpd", "SSL3 alert write:fatal:handshake failure", ev), 0);
  EXPECT_EQ(ev.kind, EventKind::kTlsLibraryProblem);
  EXPECT_EQ(ev.get(Field::kOpensslReason), "SSL3 alert write:fatal:handshake failure");
  // A peer prefix never turns a line into evidence, nor makes junk known.
  const std::pair<const char*, const char*> unknown[] = {
      {"smtpd", "a.example[192.0.2.1]: SSL_accept error from b[192.0.2.2]: -1"},
      {"smtpd", "a.example[192.0.2.1]: something else"},
      {"smtpd", "a example[192.0.2.1]: TLS cipher list \"x\""},
      {"smtpd", "[192.0.2.1]: TLS cipher list \"x\""},
  };
  for (const auto& [service, message] : unknown) {
    Event e;
    EXPECT_LT(matching_pattern(set, service, message, e), 0) << service << ": " << message;
  }
}

TEST(PatternSetMatch, ReusedEventClearedBetweenLinesCarriesNothingOver) {
  // ingest reuses one Event and clear()s it before each match().
  const PatternSet& set = PatternSet::builtin();
  Event ev;
  ASSERT_TRUE(set.match(
      "smtpd", "disconnect from a.example[192.0.2.1] ehlo=1 starttls=0/1 commands=1/2", ev));
  EXPECT_EQ(ev.get(Field::kCounters), "ehlo=1 starttls=0/1 commands=1/2");
  ev.clear();
  ASSERT_TRUE(set.match("smtpd", "disconnect from b.example[192.0.2.2]", ev));
  EXPECT_EQ(ev.kind, EventKind::kDisconnect);
  EXPECT_EQ(ev.get(Field::kClientIp), "192.0.2.2");
  EXPECT_EQ(ev.get(Field::kCounters), "");
  ev.clear();
  ASSERT_TRUE(set.match("smtpd", "1FBCDAE88B: client=c.example[192.0.2.3]", ev));
  ev.clear();
  ASSERT_TRUE(set.match("smtpd", "connect from d.example[192.0.2.4]", ev));
  EXPECT_EQ(ev.kind, EventKind::kConnect);
  EXPECT_EQ(ev.get(Field::kQueueId), "");
  EXPECT_EQ(ev.get(Field::kRest), "");
  ev.clear();
  ASSERT_TRUE(set.match("smtpd", "SSL_accept error from e.example[192.0.2.5]: -1", ev));
  ev.clear();
  ASSERT_TRUE(set.match("smtpd", "SSL_accept error from f.example[192.0.2.6]", ev));
  EXPECT_EQ(ev.get(Field::kDetail), "");
  EXPECT_EQ(ev.get(Field::kClientName), "f.example");
}

TEST(PatternSetMatch, ServiceDispatch) {
  // Session lines count only from smtpd: an smtp client "connect to" and a
  // "TLS connection established to" are not smtpd events (the latter is the
  // smtp client's own event, for the outbound tracker).
  const PatternSet& set = PatternSet::builtin();
  Event ev;
  ASSERT_TRUE(set.match("smtp",
                        "Untrusted TLS connection established to mx4.hotmail.com[65.55.92.136]:25: "
                        "TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits)",
                        ev));
  EXPECT_EQ(ev.kind, EventKind::kTlsEstablishedTo);
  Event ev1;
  ASSERT_TRUE(
      set.match("smtp", "connect to intern.nl[194.109.6.98]:25: Connection timed out", ev1));
  EXPECT_EQ(ev1.kind, EventKind::kIgnored);
  Event ev2;
  EXPECT_FALSE(set.match("cleanup", "connect from a.example[192.0.2.1]", ev2));
  Event ev3;
  EXPECT_FALSE(set.match("qmgr", "1FBCDAE88B: client=a.example[192.0.2.1]", ev3));
}

// Postfix builds every smtpd "name[addr]" with SMTPD_BUILD_NAMADDRPORT, so
// with smtpd_client_port_logging = yes all session lines carry ":PORT", not
// only client= (which the patterns already allow for).
TEST(PatternSetMatch, SmtpdClientPortLogging) {
  const PatternSet& set = PatternSet::builtin();
  struct Case {
    const char* message;
    EventKind kind;
  };
  const Case cases[] = {
      {"connect from a.example[192.0.2.1]:41234", EventKind::kConnect},
      {"disconnect from a.example[192.0.2.1]:41234 ehlo=1 starttls=0/1 commands=1/2",
       EventKind::kDisconnect},
      {"SSL_accept error from a.example[192.0.2.1]:41234: -1", EventKind::kSslAcceptError},
      {"lost connection after STARTTLS from a.example[192.0.2.1]:41234",
       EventKind::kLostAfterStarttls},
      {"Anonymous TLS connection established from a.example[192.0.2.1]:41234: TLSv1.3 with cipher "
       "TLS_AES_256_GCM_SHA384 (256/256 bits)",
       EventKind::kTlsEstablished},
  };
  for (const auto& c : cases) {
    Event ev;
    EXPECT_TRUE(set.match("smtpd", c.message, ev)) << c.message;
    EXPECT_EQ(ev.kind, c.kind) << c.message;
    EXPECT_EQ(ev.get(Field::kClientIp), "192.0.2.1") << c.message;
  }
}

// ---------------------------------------------------------------------------
// CaptureGate: captures only where they are needed

// Declines every line of the kinds it is asked about; records what it was asked.
class RecordingGate final : public CaptureGate {
 public:
  explicit RecordingGate(std::uint32_t asks, bool answer = false)
      : CaptureGate(asks), answer_(answer) {}
  bool wants(EventKind kind, std::string_view queue_id, std::string_view text) const override {
    asked.push_back({kind, std::string(queue_id), std::string(text)});
    return answer_;
  }
  struct Question {
    EventKind kind;
    std::string queue_id;
    std::string text;
  };
  mutable std::vector<Question> asked;

 private:
  bool answer_;
};

constexpr std::uint32_t bit(EventKind k) { return 1u << static_cast<unsigned>(k); }

TEST(CaptureGate, DeclinedLineKeepsKindAndQueueIdOnly) {
  const PatternSet& set = PatternSet::builtin();
  RecordingGate gate(bit(EventKind::kMessageId));
  Event ev;
  ASSERT_TRUE(set.match("cleanup", "1FBCDAE88B: message-id=<a@b.example>", ev, &gate));
  EXPECT_EQ(ev.kind, EventKind::kMessageId);
  EXPECT_EQ(ev.get(Field::kQueueId), "1FBCDAE88B");
  EXPECT_EQ(ev.get(Field::kMessageId), "");  // not captured
  EXPECT_FALSE(ev.captured);
  ASSERT_EQ(gate.asked.size(), 1u);
  EXPECT_EQ(gate.asked[0].kind, EventKind::kMessageId);
  EXPECT_EQ(gate.asked[0].queue_id, "1FBCDAE88B");
  EXPECT_EQ(gate.asked[0].text, "message-id=<a@b.example>");
}

TEST(CaptureGate, WantedLineIsCapturedInFull) {
  const PatternSet& set = PatternSet::builtin();
  RecordingGate gate(bit(EventKind::kMessageId), true);
  Event ev;
  ASSERT_TRUE(set.match("cleanup", "1FBCDAE88B: message-id=<a@b.example>", ev, &gate));
  EXPECT_EQ(ev.get(Field::kMessageId), "a@b.example");
  EXPECT_TRUE(ev.captured);
  EXPECT_EQ(gate.asked.size(), 1u);
}

TEST(CaptureGate, KindsNotAskedAboutAreAlwaysCaptured) {
  const PatternSet& set = PatternSet::builtin();
  RecordingGate gate(bit(EventKind::kMessageId));
  Event ev;
  ASSERT_TRUE(set.match("smtpd", "connect from a.example[192.0.2.1]", ev, &gate));
  EXPECT_EQ(ev.kind, EventKind::kConnect);
  EXPECT_EQ(ev.get(Field::kClientIp), "192.0.2.1");
  EXPECT_TRUE(gate.asked.empty());
}

TEST(CaptureGate, NotAskedWhereALaterPatternOfAnotherKindSharesThePrefix) {
  // "lost connection after " (ignored) is a prefix of the later pattern's
  // "lost connection after STARTTLS from ": the prefix does not decide the
  // kind, so the gate is not asked and the line means what it always meant.
  const std::string text =
      "[t.lost-any]\n"
      "services = smtpd\n"
      "event    = ignore\n"
      "match    = lost connection after {rest} from {client_name}[{client_ip}] on port 25\n"
      "sample   = lost connection after DATA from a.example[192.0.2.1] on port 25\n"
      "[t.lost-starttls]\n"
      "services = smtpd\n"
      "event    = lost-after-starttls\n"
      "match    = lost connection after STARTTLS from {client_name}[{client_ip}]\n"
      "sample   = lost connection after STARTTLS from a.example[192.0.2.1]\n";
  PatternSet set = PatternSet::load({PatternSource{"t.patterns", text}});
  RecordingGate gate(bit(EventKind::kIgnored));
  Event ev;
  ASSERT_TRUE(
      set.match("smtpd", "lost connection after STARTTLS from a.example[192.0.2.1]", ev, &gate));
  EXPECT_EQ(ev.kind, EventKind::kLostAfterStarttls);
  EXPECT_EQ(ev.get(Field::kClientIp), "192.0.2.1");
  EXPECT_TRUE(gate.asked.empty());
}

TEST(CaptureGate, DeclinedLineIsRecognisedByItsPrefix) {
  const PatternSet& set = PatternSet::builtin();
  RecordingGate gate(bit(EventKind::kSender));
  Event ev;
  // The tail is not checked once the gate declines: the prefix recognises it.
  EXPECT_TRUE(set.match("qmgr", "1FBCDAE88B: from=<a@b.example>, size=12, nrcpt=1 (queue active)",
                        ev, &gate));
  EXPECT_EQ(ev.kind, EventKind::kSender);
  Event full;
  EXPECT_TRUE(
      set.match("qmgr", "1FBCDAE88B: from=<a@b.example>, size=12, nrcpt=1 (queue active)", full));
  EXPECT_EQ(full.get(Field::kSender), "a@b.example");
}

// ---------------------------------------------------------------------------
// load() errors

std::string load_error(const std::string& name, const std::string& text) {
  try {
    PatternSet::load({PatternSource{name, text}});
  } catch (const PatternError& e) {
    return e.what();
  }
  return "";
}

const char* const kGood =
    "[t.connect]\n"
    "services = smtpd\n"
    "event    = connect\n"
    "match    = connect from {client_name}[{client_ip}]\n"
    "sample   = connect from a.example[192.0.2.1]\n"
    "expect   = client_name=a.example; client_ip=192.0.2.1\n";

TEST(PatternSetLoad, CustomSourceLoadsAndMatches) {
  PatternSet set = PatternSet::load({PatternSource{"t.patterns", kGood}});
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(sample_count(set), 1u);
  Event ev;
  ASSERT_TRUE(set.match("smtpd", "connect from b.example[192.0.2.2]", ev));
  EXPECT_EQ(ev.kind, EventKind::kConnect);
  EXPECT_EQ(ev.get(Field::kClientIp), "192.0.2.2");
  Event ev1;
  EXPECT_EQ(pattern_id(set, matching_pattern(set, "smtpd", "connect from b[192.0.2.2]", ev1)),
            "t.connect");
  Event ev2;
  EXPECT_FALSE(set.match("smtp", "connect from b.example[192.0.2.2]", ev2));
}

struct LoadErrorCase {
  const char* what;
  std::string text;
  std::vector<std::string> must_contain;
};

void PrintTo(const LoadErrorCase& c, std::ostream* os) { *os << c.what; }

class PatternLoadErrorTest : public ::testing::TestWithParam<LoadErrorCase> {};

TEST_P(PatternLoadErrorTest, ThrowsWithLocation) {
  const LoadErrorCase& c = GetParam();
  const std::string err = load_error("bad.patterns", c.text);
  ASSERT_FALSE(err.empty()) << c.what << ": load() did not throw";
  for (const auto& s : c.must_contain) {
    EXPECT_NE(err.find(s), std::string::npos) << c.what << ": '" << s << "' not in: " << err;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, PatternLoadErrorTest,
    ::testing::Values(LoadErrorCase{"sample does not match",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_name}[{client_ip}]\n"
                                    "sample   = connected from a.example[192.0.2.1]\n",
                                    {"bad.patterns:5:", "t.connect", "matches no pattern"}},
                      LoadErrorCase{"sample captures differ from expect",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_name}[{client_ip}]\n"
                                    "sample   = connect from a.example[192.0.2.1]\n"
                                    "expect   = client_ip=192.0.2.99\n",
                                    {"bad.patterns:5:", "client_ip", "192.0.2.99"}},
                      LoadErrorCase{"unknown field in template",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_nmae}[{client_ip}]\n"
                                    "sample   = connect from a.example[192.0.2.1]\n",
                                    {"bad.patterns:4:", "unknown field", "client_nmae"}},
                      LoadErrorCase{"unknown field in expect",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_name}[{client_ip}]\n"
                                    "sample   = connect from a.example[192.0.2.1]\n"
                                    "expect   = clientip=192.0.2.1\n",
                                    {"bad.patterns:6:", "unknown field", "clientip"}},
                      LoadErrorCase{"unknown event",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = conect\n"
                                    "match    = connect from {client_name}[{client_ip}]\n"
                                    "sample   = connect from a.example[192.0.2.1]\n",
                                    {"bad.patterns:3:", "unknown event", "conect"}},
                      LoadErrorCase{"missing sample",
                                    "\n"
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_name}[{client_ip}]\n",
                                    {"bad.patterns:2:", "t.connect", "sample"}},
                      LoadErrorCase{"regex without prefix",
                                    "[t.problem]\n"
                                    "services = smtpd\n"
                                    "event    = tls-library-problem\n"
                                    "regex    = ^warning: TLS library problem: (?P<detail>.*)\n"
                                    "sample   = warning: TLS library problem: x\n",
                                    {"bad.patterns:1:", "t.problem", "prefix"}},
                      LoadErrorCase{"two adjacent captures",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_name}{client_ip}\n"
                                    "sample   = connect from a.example192.0.2.1\n",
                                    {"bad.patterns:4:", "two captures"}},
                      LoadErrorCase{"template without literal start",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "match    = {client_name} connected\n"
                                    "sample   = a.example connected\n",
                                    {"bad.patterns:4:", "literal"}},
                      LoadErrorCase{"unknown key",
                                    "[t.connect]\n"
                                    "services = smtpd\n"
                                    "event    = connect\n"
                                    "macth    = connect from {client_name}[{client_ip}]\n"
                                    "sample   = connect from a.example[192.0.2.1]\n",
                                    {"bad.patterns:4:", "unknown key", "macth"}},
                      LoadErrorCase{"no services",
                                    "[t.connect]\n"
                                    "event    = connect\n"
                                    "match    = connect from {client_name}[{client_ip}]\n"
                                    "sample   = connect from a.example[192.0.2.1]\n",
                                    {"bad.patterns:1:", "services"}},
                      LoadErrorCase{
                          "sample taken by an earlier pattern",
                          "[t.any-connect]\n"
                          "services = smtpd\n"
                          "event    = ignore\n"
                          "match    = connect from {rest}\n"
                          "sample   = connect from x\n"
                          "\n"
                          "[t.connect]\n"
                          "services = smtpd\n"
                          "event    = connect\n"
                          "match    = connect from {client_name}[{client_ip}]\n"
                          "sample   = connect from a.example[192.0.2.1]\n",
                          {"bad.patterns:11:", "[t.connect]", "is taken by", "[t.any-connect]"}}));

TEST(PatternSetLoad, ListsEveryProblem) {
  const std::string err = load_error("multi.patterns",
                                     "[a]\n"
                                     "services = smtpd\n"
                                     "event    = bogus1\n"
                                     "match    = x {rest}\n"
                                     "sample   = x y\n"
                                     "[b]\n"
                                     "services = smtpd\n"
                                     "event    = bogus2\n"
                                     "match    = z {rest}\n"
                                     "sample   = z y\n");
  EXPECT_NE(err.find("multi.patterns:3:"), std::string::npos) << err;
  EXPECT_NE(err.find("multi.patterns:8:"), std::string::npos) << err;
}

TEST(PatternSetLoad, NameOfEachSourceAppearsInItsErrors) {
  try {
    PatternSet::load({PatternSource{"first.patterns", kGood},
                      PatternSource{"second.patterns", "[x]\nservices = smtpd\nevent = nope\n"}});
    FAIL() << "load() did not throw";
  } catch (const PatternError& e) {
    const std::string err = e.what();
    EXPECT_NE(err.find("second.patterns:3:"), std::string::npos) << err;
    EXPECT_EQ(err.find("first.patterns"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace pftls
