// prometheus_text: escaping, merging after cleaning, folding to "other".
#include "report/prometheus_text.h"

#include <gtest/gtest.h>

#include <sstream>

namespace pftls {
namespace {

std::string write(const std::vector<MetricFamily>& f, std::size_t max_values = kMaxLabelValues) {
  std::ostringstream out;
  write_prometheus(f, out, max_values);
  return out.str();
}

MetricFamily hosts_family(bool counter) {
  MetricFamily f;
  f.name = counter ? "pftls_x_total" : "pftls_x_seconds";
  f.help = "x";
  f.counter = counter;
  f.label_names = {"host"};
  return f;
}

TEST(PrometheusTextTest, LabelValueEscapedAndCleaned) {
  EXPECT_EQ(prometheus_label_value("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(prometheus_label_value("a\nb"), "ab");  // controls go before escaping
  EXPECT_EQ(prometheus_label_value(""), "unknown");
  EXPECT_EQ(prometheus_label_value("\xff"), "\xef\xbf\xbd");  // not UTF-8: U+FFFD
  const std::string cut = prometheus_label_value(std::string(200, 'a'));
  EXPECT_EQ(cut.size(), kMaxLabelBytes);
  // A cut never splits a UTF-8 sequence.
  const std::string u = prometheus_label_value("a" + std::string(100, '\0') + std::string(70, 'x') +
                                               "\xc3\xa9\xc3\xa9\xc3\xa9");
  EXPECT_LE(u.size(), kMaxLabelBytes);
  EXPECT_NE(static_cast<unsigned char>(u.back()) & 0xC0, 0xC0);
}

TEST(PrometheusTextTest, HelpTypeAndSortedSamples) {
  MetricFamily f = hosts_family(true);
  f.samples = {{{"b"}, 2}, {{"a"}, 1}};
  MetricFamily plain;
  plain.name = "pftls_lines_read_total";
  plain.help = "Lines";
  plain.samples = {{{}, 7}};
  EXPECT_EQ(write({f, plain}),
            "# HELP pftls_x_total x\n# TYPE pftls_x_total counter\n"
            "pftls_x_total{host=\"a\"} 1\npftls_x_total{host=\"b\"} 2\n"
            "# HELP pftls_lines_read_total Lines\n# TYPE pftls_lines_read_total counter\n"
            "pftls_lines_read_total 7\n");
}

TEST(PrometheusTextTest, ValuesEqualAfterCleaningAreOneSeries) {
  MetricFamily c = hosts_family(true);
  c.samples = {{{"a\x01"}, 2}, {{"a"}, 3}};
  EXPECT_NE(write({c}).find("pftls_x_total{host=\"a\"} 5\n"), std::string::npos);
  MetricFamily g = hosts_family(false);
  g.samples = {{{"a\x01"}, 2}, {{"a"}, 3}};
  const std::string text = write({g});
  EXPECT_NE(text.find("pftls_x_seconds{host=\"a\"} 3\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("} 2\n"), std::string::npos) << text;
}

TEST(PrometheusTextTest, FoldsBeyondTheBoundIntoOther) {
  MetricFamily f = hosts_family(true);
  f.label_names = {"host", "reason"};
  f.samples = {{{"h1", "r"}, 10}, {{"h2", "r"}, 5}, {{"h3", "r"}, 1}, {{"h4", "s"}, 2}};
  const std::string text = write({f}, 2);
  EXPECT_NE(text.find("pftls_x_total{host=\"h1\",reason=\"r\"} 10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pftls_x_total{host=\"h2\",reason=\"r\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pftls_x_total{host=\"other\",reason=\"r\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pftls_x_total{host=\"other\",reason=\"s\"} 2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("h3"), std::string::npos);
  EXPECT_NE(
      text.find("pftls_metrics_folded_label_values{metric=\"pftls_x_total\",label=\"host\"} 2\n"),
      std::string::npos)
      << text;
  // Two reasons fit the bound: nothing folded there.
  EXPECT_EQ(text.find("label=\"reason\""), std::string::npos) << text;
}

TEST(PrometheusTextTest, GaugeKeepsTheOldestAndFoldsTheNewest) {
  MetricFamily g = hosts_family(false);
  g.samples = {{{"new"}, 300}, {{"stale"}, 100}, {{"mid"}, 200}};
  const std::string text = write({g}, 2);
  EXPECT_NE(text.find("pftls_x_seconds{host=\"stale\"} 100\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pftls_x_seconds{host=\"mid\"} 200\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pftls_x_seconds{host=\"other\"} 300\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"new\""), std::string::npos) << text;
}

TEST(PrometheusTextTest, NothingFoldedNoFoldedFamily) {
  MetricFamily f = hosts_family(true);
  f.samples = {{{"a"}, 1}};
  EXPECT_EQ(write({f}).find("folded"), std::string::npos);
}

}  // namespace
}  // namespace pftls
