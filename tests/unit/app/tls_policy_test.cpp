// tls_policy: Postfix's protocol syntax (both the range and the exclusion
// forms, its separators, its errors) and cipher strings expanded by the
// real libssl, as Postfix's OpenSSL expands them.
#include "app/tls_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "app/options.h"

namespace pftls {
namespace {

std::string allowed(std::string_view spec) { return ProtocolPolicy::parse(spec).allowed_names(); }

TEST(ProtocolPolicy, EmptyAllowsAll) {
  EXPECT_EQ(allowed(""), "SSLv2 SSLv3 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed(" , : "), "SSLv2 SSLv3 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3");
  EXPECT_EQ(ProtocolPolicy().allowed_names(), allowed(""));
}

TEST(ProtocolPolicy, LowerAndUpperBounds) {
  EXPECT_EQ(allowed(">=TLSv1.2"), "TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed(">=TLSv1"), "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed("<=TLSv1.2"), "SSLv2 SSLv3 TLSv1 TLSv1.1 TLSv1.2");
  EXPECT_EQ(allowed(">=TLSv1.1, <=TLSv1.2"), "TLSv1.1 TLSv1.2");
  // Postfix's hexadecimal versions, with or without 0 / 0x.
  EXPECT_EQ(allowed(">=0303"), "TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed(">=0x0303"), "TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed(">=303"), "TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed("<=0x301"), "SSLv2 SSLv3 TLSv1");
}

TEST(ProtocolPolicy, ExclusionFormWithEachSeparator) {
  const std::string want = "TLSv1.2 TLSv1.3";
  EXPECT_EQ(allowed("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"), want);
  EXPECT_EQ(allowed("!SSLv2 !SSLv3 !TLSv1 !TLSv1.1"), want);
  EXPECT_EQ(allowed("!SSLv2:!SSLv3:!TLSv1:!TLSv1.1"), want);
  EXPECT_EQ(allowed("!SSLv2,\t!SSLv3 :!TLSv1,,!TLSv1.1"), want);
  EXPECT_EQ(allowed("!sslv2, !SSLV3, !tlsv1, !TLSV1.1"), want);  // any case, as Postfix
  // SSLv2 left out of the exclusions stays allowed here (Postfix's OpenSSL
  // has none): the policy says what the spec says.
  EXPECT_EQ(allowed("!SSLv3, !TLSv1, !TLSv1.1"), "SSLv2 TLSv1.2 TLSv1.3");
}

TEST(ProtocolPolicy, NamesWithoutBangIncludeOnlyThose) {
  EXPECT_EQ(allowed("TLSv1.2 TLSv1.3"), "TLSv1.2 TLSv1.3");
  EXPECT_EQ(allowed("TLSv1.2, TLSv1.3, !TLSv1.3"), "TLSv1.2");
  EXPECT_EQ(allowed("TLSv1 TLSv1.2 >=TLSv1.1"), "TLSv1.2");
}

TEST(ProtocolPolicy, JudgesLoggedNames) {
  const auto p = ProtocolPolicy::parse(">=TLSv1.2");
  EXPECT_EQ(p.allows("TLSv1.3"), true);
  EXPECT_EQ(p.allows("TLSv1.2"), true);
  EXPECT_EQ(p.allows("TLSv1.1"), false);
  EXPECT_EQ(p.allows("TLSv1"), false);
  EXPECT_EQ(p.allows("SSLv3"), false);
  // Log text is compared as logged: anything else is not known.
  EXPECT_EQ(p.allows(""), std::nullopt);
  EXPECT_EQ(p.allows("tlsv1.2"), std::nullopt);
  EXPECT_EQ(p.allows("TLSv1.4"), std::nullopt);
}

TEST(ProtocolPolicy, UnknownNamesAreUsageErrorsNamingTheAllowedValues) {
  for (const char* bad : {"TLSv1.4", "!TLSv1.4", ">=TLSv1.4", ">=", "<=0305", ">=0x02ff", "TLS1.2",
                          "> =TLSv1.2", "!", ">=TLSv1.2x"}) {
    try {
      (void)ProtocolPolicy::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--protocols"), std::string::npos) << what;
      EXPECT_NE(what.find("SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"), std::string::npos)
          << what;
    }
  }
  EXPECT_THROW((void)ProtocolPolicy::parse(">=TLSv1.3 <=TLSv1.2"), UsageError);  // allows none
  EXPECT_THROW((void)ProtocolPolicy::parse(std::string(5000, ' ')), UsageError);
}

bool has(const CipherPolicy& p, std::string_view name) {
  return std::find(p.names().begin(), p.names().end(), name) != p.names().end();
}

TEST(CipherPolicy, ExpandsAsOpenSsl) {
  const auto p = CipherPolicy::expand("ECDHE+AESGCM:!aNULL");
  EXPECT_TRUE(has(p, "ECDHE-RSA-AES256-GCM-SHA384"));
  EXPECT_TRUE(has(p, "ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_FALSE(has(p, "AES256-SHA"));                   // RSA key exchange
  EXPECT_FALSE(has(p, "ECDHE-RSA-AES256-SHA"));         // CBC
  EXPECT_FALSE(has(p, "DHE-RSA-AES256-GCM-SHA384"));    // not ECDHE
  EXPECT_FALSE(has(p, "ECDHE-RSA-CHACHA20-POLY1305"));  // not AES-GCM
  for (const auto& n : p.names()) {
    EXPECT_NE(n.find("ECDHE"), std::string::npos) << n;
    EXPECT_NE(n.find("GCM"), std::string::npos) << n;
    EXPECT_EQ(n.rfind("TLS_", 0), std::string::npos) << "a TLS 1.3 suite: " << n;
  }
  const auto rsa = CipherPolicy::expand("kRSA:!aNULL");
  EXPECT_TRUE(has(rsa, "AES256-SHA"));
  EXPECT_FALSE(has(rsa, "ECDHE-RSA-AES256-GCM-SHA384"));
  // Exclusions apply in order, as OpenSSL reads them.
  EXPECT_FALSE(has(CipherPolicy::expand("HIGH:!SHA1:!SHA256:!SHA384"), "AES256-SHA"));
  EXPECT_TRUE(has(CipherPolicy::expand("HIGH"), "AES256-SHA"));
}

TEST(CipherPolicy, Tls13IsNotGovernedByTheList) {
  const auto p = CipherPolicy::expand("ECDHE+AESGCM:!aNULL");
  EXPECT_TRUE(p.allows("TLSv1.3", "TLS_AES_256_GCM_SHA384"));
  EXPECT_TRUE(p.allows("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"));
  EXPECT_TRUE(p.allows("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"));
  EXPECT_FALSE(p.allows("TLSv1.2", "AES256-SHA"));
  EXPECT_FALSE(p.allows("TLSv1.2", "TLS_AES_256_GCM_SHA384"));
  EXPECT_FALSE(p.allows("TLSv1", "DHE-RSA-AES256-SHA"));
}

TEST(CipherPolicy, AStringSelectingNothingIsAUsageError) {
  for (const char* bad : {"NOPE", "", "!ALL", "aNULL:!aNULL"}) {
    try {
      (void)CipherPolicy::expand(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--ciphers"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW((void)CipherPolicy::expand(std::string("HIGH\0x", 6)), UsageError);
}

}  // namespace
}  // namespace pftls
