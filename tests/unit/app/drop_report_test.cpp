// drop_report: a run that dropped nothing says nothing; each bound that
// dropped something is one warning naming the bound and its value, and one
// item of the summary's tail.
#include "app/drop_report.h"

#include <gtest/gtest.h>

#include <sstream>

namespace pftls {
namespace {

TEST(DropReport, NothingDroppedAddsNothing) {
  std::ostringstream diag;
  warn_drops(diag, DropCounts{}, CorrelatorLimits{}, OutboundLimits{});
  EXPECT_EQ(diag.str(), "");
  EXPECT_EQ(drop_summary(DropCounts{}), "");
}

TEST(DropReport, EachBoundHitIsOneWarningWithItsValue) {
  DropCounts d;
  d.evicted_sessions = 1234;
  d.evidence_dropped = 7;
  d.outbound_evicted_failures = 2;
  CorrelatorLimits c;
  c.max_open_sessions = 500;
  c.evidence_total_bytes = 4096;
  OutboundLimits o;
  o.max_failures = 10;
  o.failure_age = 60 * kMicrosPerSecond;
  std::ostringstream diag;
  warn_drops(diag, d, c, o);
  EXPECT_EQ(diag.str(),
            "pftls: warning: 1234 sessions closed by the bound of 500 open sessions\n"
            "pftls: warning: 7 evidence lines not kept by the bound of 4096 bytes of evidence in "
            "open sessions\n"
            "pftls: warning: 2 outbound handshake failures forgotten by the bounds of 10 waiting "
            "processes and 60 s\n");
  EXPECT_EQ(drop_summary(d),
            "; dropped by bounds: 1234 sessions, 7 evidence lines, 2 outbound failures");
}

TEST(DropReport, EveryCountHasItsWarning) {
  std::uint64_t DropCounts::*fields[] = {
      &DropCounts::evicted_sessions,          &DropCounts::evicted_messages,
      &DropCounts::evidence_dropped,          &DropCounts::watch_full,
      &DropCounts::clients_flushed,           &DropCounts::outbound_evicted_failures,
      &DropCounts::outbound_evicted_messages, &DropCounts::outbound_dropped};
  for (auto field : fields) {
    DropCounts d;
    d.*field = 3;
    std::ostringstream diag;
    warn_drops(diag, d, CorrelatorLimits{}, OutboundLimits{});
    EXPECT_EQ(diag.str().rfind("pftls: warning: 3 ", 0), 0u) << diag.str();
    EXPECT_NE(diag.str().find(" bound"), std::string::npos) << diag.str();
    EXPECT_EQ(drop_summary(d).rfind("; dropped by bounds: 3 ", 0), 0u) << drop_summary(d);
  }
}

}  // namespace
}  // namespace pftls
