// settle_client_address: the address of "NAME[IP]" is what follows the last
// '[', and it must be an IP address; checked on lines the built-in patterns
// match, as ingest sees them.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <string>

#include "../xorshift.h"

#include "parse/event.h"
#include "parse/pattern_set.h"

namespace pftls {
namespace {

struct Settled {
  bool matched = false;
  bool valid = false;
  std::string name;
  std::string ip;
};

Settled settle(const std::string& service, const std::string& message) {
  Event ev;
  Settled out;
  out.matched = PatternSet::builtin().match(service, message, ev);
  if (!out.matched) return out;
  out.valid = settle_client_address(ev);
  out.name = std::string(ev.get(Field::kClientName));
  out.ip = std::string(ev.get(Field::kClientIp));
  return out;
}

TEST(ClientAddress, OrdinaryAddressesAreKept) {
  for (const char* ip : {"192.0.2.18", "2001:db8::25", "::1", "unknown"}) {
    const Settled s = settle("smtpd", std::string("connect from mx.example[") + ip + "]");
    ASSERT_TRUE(s.matched) << ip;
    EXPECT_TRUE(s.valid) << ip;
    EXPECT_EQ(s.name, "mx.example") << ip;
    EXPECT_EQ(s.ip, ip);
  }
}

// A client name holding '[' (and an escape sequence): the address is the
// last bracket's, the name everything before it.
TEST(ClientAddress, ANameWithABracketDoesNotBecomeTheAddress) {
  const Settled s = settle("smtpd", "connect from 2J\x1b[Hcleared[192.0.2.18]");
  ASSERT_TRUE(s.matched);
  EXPECT_TRUE(s.valid);
  EXPECT_EQ(s.ip, "192.0.2.18");
  EXPECT_EQ(s.name, "2J\x1b[Hcleared");
  const Settled c =
      settle("smtpd", "4jcRjq0QPkz9JcK: client=a[b[c[2001:db8::7]:41234, sasl_method=PLAIN");
  ASSERT_TRUE(c.matched);
  EXPECT_TRUE(c.valid);
  EXPECT_EQ(c.ip, "2001:db8::7");
  EXPECT_EQ(c.name, "a[b[c");
}

TEST(ClientAddress, WhatIsNoAddressMakesTheLineMalformed) {
  for (const char* ip : {"", "Hcleared", "192.0.2", "192.0.2.256", "1.2.3.4.5", "01.2.3.4",
                         "2001:db8:::1", "2001:db8::1%eth0", "unknownx", "192.0.2.1 ",
                         "1234567890123456789012345678901234567890123456789"}) {
    const Settled s = settle("smtpd", std::string("connect from mx.example[") + ip + "]");
    if (!s.matched) continue;  // no pattern takes it: unrecognised, also not stored
    EXPECT_FALSE(s.valid) << "'" << ip << "'";
  }
  const Settled s = settle("smtpd", "connect from mx.example[192.0.2.1[x]");
  ASSERT_TRUE(s.matched);
  EXPECT_FALSE(s.valid);
}

// The one-pass IPv4 check and the rest agree with inet_pton on the text
// after the last '[', for random strings over the bytes that matter.
TEST(ClientAddress, AgreesWithInetPton) {
  test_inputs::XorShift64 rng(17);
  auto below = [&](std::uint64_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::string alphabet = "0123456789.:[af";
  int valid = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string ip;
    switch (below(3)) {
      case 0:  // any bytes that matter
        for (std::size_t i = 0, n = below(18); i < n; ++i) ip.push_back(alphabet[below(15)]);
        break;
      case 1:  // dotted parts, maybe too many or too large, leading zeros, a '[' before
        if (below(4) == 0) ip = "x[";
        for (std::size_t i = 0, n = below(4) ? 4 : 2 + below(4); i < n; ++i) {
          if (i) ip.push_back(below(20) ? '.' : ':');
          if (below(8) == 0) ip.push_back('0');
          ip += std::to_string(below(below(5) ? 256 : 1000));
        }
        break;
      default:  // IPv6-ish
        for (std::size_t i = 0, n = below(40); i < n; ++i)
          ip.push_back("0123456789abcdef::."[below(19)]);
        break;
    }
    const std::string line = "name[" + ip;
    Event ev;
    ev.set(Field::kClientName, std::string_view(line).substr(0, 4));
    ev.set(Field::kClientIp, std::string_view(line).substr(5));
    const std::string after = ip.substr(ip.rfind('[') == std::string::npos ? 0 : ip.rfind('[') + 1);
    in6_addr addr;
    const bool want = ::inet_pton(AF_INET, after.c_str(), &addr) == 1 ||
                      ::inet_pton(AF_INET6, after.c_str(), &addr) == 1;
    ASSERT_EQ(settle_client_address(ev), want) << "'" << ip << "'";
    ASSERT_EQ(ev.get(Field::kClientIp), after) << "'" << ip << "'";
    valid += want ? 1 : 0;
  }
  EXPECT_GT(valid, 10000) << "too few valid addresses generated to compare";
}

TEST(ClientAddress, LinesWithoutAnAddressAreLeftAlone) {
  Event ev;
  ASSERT_TRUE(PatternSet::builtin().match("qmgr", "8E5F6A7B8C: removed", ev));
  EXPECT_TRUE(settle_client_address(ev));
  EXPECT_FALSE(ev.has(Field::kClientIp));
}

}  // namespace
}  // namespace pftls
