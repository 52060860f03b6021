// Unit tests for client_identity: subnets, registrable domains, and the
// OrgDomains memo, which must answer exactly as libpsl does, in any order,
// also for names that are public suffixes themselves or sit under wildcard
// and exception rules of the list.
#include "correlate/client_identity.h"
#include "correlate/client_identity_internal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pftls {
namespace {

TEST(SubnetOf, Ipv4AndIpv6) {
  EXPECT_EQ(subnet_of("192.0.2.77"), "192.0.2.0/24");
  EXPECT_EQ(subnet_of("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(subnet_of("unknown"), "");
  EXPECT_EQ(subnet_of(""), "");
}

TEST(OrgDomainOf, RegistrableDomains) {
  EXPECT_EQ(org_domain_of("extmta1-new.aexp.com"), "aexp.com");
  EXPECT_EQ(org_domain_of("MAIL.Example.CO.UK."), "example.co.uk");
  EXPECT_EQ(org_domain_of("co.uk"), "");
  EXPECT_EQ(org_domain_of("unknown"), "");
  EXPECT_EQ(org_domain_of("192.0.2.1"), "");
  EXPECT_EQ(org_domain_of("2001:db8::1"), "");
}

const std::vector<std::string> kNames = {
    // Siblings under one parent: the memo's common case.
    "host-192-0-2-1.dsl.isp.example",
    "host-192-0-2-2.dsl.isp.example",
    "host-192-0-2-3.dsl.isp.example",
    "mail-out-1.acme.example",
    "mail-out-2.acme.example",
    "acme.example",
    "x.acme.example",
    "mx1.mail.example.co.uk",
    "mx2.mail.example.co.uk",
    "example.co.uk",
    "www.example.co.uk",
    "co.uk",
    // A name that is itself a public suffix under a parent that is not one
    // (s3.amazonaws.com is on the list, amazonaws.com is not).
    "foo.amazonaws.com",
    "bar.amazonaws.com",
    "s3.amazonaws.com",
    "x.s3.amazonaws.com",
    "y.s3.amazonaws.com",
    // Wildcard (*.kawasaki.jp) and exception (!city.kawasaki.jp) rules.
    "a.b.kawasaki.jp",
    "c.b.kawasaki.jp",
    "b.kawasaki.jp",
    "mx.city.kawasaki.jp",
    "www.city.kawasaki.jp",
    "city.kawasaki.jp",
    "kawasaki.jp",
    "x.kawasaki.jp",
    // Private registries.
    "one.blogspot.com",
    "two.blogspot.com",
    "blogspot.com",
    "a.one.blogspot.com",
    "user.github.io",
    "other.github.io",
    "github.io",
    "deep.user.github.io",
    // Case, trailing dots, no names.
    "MX3.Mail.Example.CO.UK.",
    "unknown",
    "",
    "192.0.2.1",
    "2001:db8::25",
    "localhost",
    "a.b.c.d.e.invalid",
};

TEST(OrgDomains, AnswersAsLibpslInEveryOrder) {
  for (int order = 0; order < 3; ++order) {
    std::vector<std::string> names = kNames;
    if (order == 1) names.assign(kNames.rbegin(), kNames.rend());
    if (order == 2) {
      for (std::size_t i = 0; i + 1 < names.size(); i += 2) std::swap(names[i], names[i + 1]);
    }
    OrgDomains memo;
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& n : names)
        EXPECT_EQ(memo.of(n), org_domain_of(n)) << n << " (order " << order << ")";
    }
    EXPECT_GT(OrgDomainsProbe::memo_hits(memo), 10u);  // the memo is used, not just filled
  }
}

}  // namespace
}  // namespace pftls
