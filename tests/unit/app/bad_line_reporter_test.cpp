// BadLineReporter: the first `limit` bad lines of each kind are reported as
// FILE:LINE, the rest counted, and one closing line says so.
#include "app/bad_line_reporter.h"

#include <gtest/gtest.h>

#include <sstream>

namespace pftls {
namespace {

TEST(BadLineReporter, ReportsTheFirstLinesOfEachKindAsFileLine) {
  std::ostringstream diag;
  BadLineReporter bad(diag, 2);
  for (std::uint64_t line = 1; line <= 3; ++line) {
    if (auto* out = bad.warn(BadLineReporter::kMalformed, "a.log", line)) *out << "bad\n";
  }
  if (auto* out = bad.warn(BadLineReporter::kTruncated, "b.log", 9)) *out << "long\n";
  EXPECT_EQ(diag.str(),
            "pftls: warning: a.log:1: bad\n"
            "pftls: warning: a.log:2: bad\n"
            "pftls: warning: b.log:9: long\n");
}

TEST(BadLineReporter, FinishSaysMoreWereLeftOutOnlyWhenALimitWasPassed) {
  std::ostringstream quiet;
  BadLineReporter at_limit(quiet, 1);
  EXPECT_NE(at_limit.warn(BadLineReporter::kUnrecognised, "f", 1), nullptr);
  at_limit.finish();
  EXPECT_EQ(quiet.str().find("further"), std::string::npos);

  std::ostringstream diag;
  BadLineReporter over(diag, 1);
  (void)over.warn(BadLineReporter::kUnrecognised, "f", 1);
  EXPECT_EQ(over.warn(BadLineReporter::kUnrecognised, "f", 2), nullptr);
  over.finish();
  EXPECT_NE(diag.str().find("further bad lines not listed"), std::string::npos);
}

TEST(BadLineReporter, ZeroLimitReportsNothing) {
  std::ostringstream diag;
  BadLineReporter bad(diag, 0);
  EXPECT_EQ(bad.warn(BadLineReporter::kMalformed, "f", 1), nullptr);
  EXPECT_EQ(diag.str(), "");
}

}  // namespace
}  // namespace pftls
