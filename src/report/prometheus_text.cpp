// prometheus_text: clean, merge, fold and write metric families.
#include "report/prometheus_text.h"

#include <algorithm>
#include <map>
#include <utility>

#include "base/text.h"

namespace pftls {
namespace {

using Key = std::vector<std::string>;
using Series = std::map<Key, std::int64_t>;

// strip_controls(), cut at a UTF-8 boundary, never empty.
std::string clean(std::string_view raw) {
  std::string s = strip_controls(raw);
  if (s.size() > kMaxLabelBytes) {
    std::size_t n = kMaxLabelBytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
  }
  if (s.empty()) s = "unknown";
  return s;
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void combine(Series& series, Key key, std::int64_t value, bool counter) {
  auto [it, added] = series.emplace(std::move(key), value);
  if (added) return;
  it->second = counter ? it->second + value : std::max(it->second, value);
}

// Folds label `dim` to its max_values largest values; returns how many
// distinct values went into "other".
std::size_t fold(Series& series, std::size_t dim, std::size_t max_values, bool counter) {
  std::map<std::string, std::int64_t> totals;
  for (const auto& [key, value] : series) {
    auto [it, added] = totals.emplace(key[dim], value);
    if (!added) it->second = counter ? it->second + value : std::max(it->second, value);
  }
  if (totals.size() <= max_values) return 0;
  std::vector<std::pair<std::string, std::int64_t>> ranked(totals.begin(), totals.end());
  // Counters keep their largest; gauges (times) their smallest, so what
  // is folded is the newest and a stale host never hides in "other".
  std::stable_sort(ranked.begin(), ranked.end(), [counter](const auto& a, const auto& b) {
    return counter ? a.second > b.second : a.second < b.second;
  });
  std::map<std::string, bool> keep;
  for (std::size_t i = 0; i < ranked.size(); ++i) keep[ranked[i].first] = i < max_values;
  Series folded;
  for (const auto& [key, value] : series) {
    Key k = key;
    if (!keep[k[dim]]) k[dim] = "other";
    combine(folded, std::move(k), value, counter);
  }
  series = std::move(folded);
  return ranked.size() - max_values;
}

void write_family(std::ostream& out, const std::string& name, const std::string& help, bool counter,
                  const std::vector<std::string>& label_names, const Series& series) {
  out << "# HELP " << name << ' ' << help << '\n';
  out << "# TYPE " << name << (counter ? " counter" : " gauge") << '\n';
  for (const auto& [key, value] : series) {
    out << name;
    if (!label_names.empty()) {
      out << '{';
      for (std::size_t i = 0; i < label_names.size(); ++i) {
        if (i) out << ',';
        out << label_names[i] << "=\"" << escape(key[i]) << '"';
      }
      out << '}';
    }
    out << ' ' << value << '\n';
  }
}

}  // namespace

std::string prometheus_label_value(std::string_view raw) { return escape(clean(raw)); }

void write_prometheus(const std::vector<MetricFamily>& families, std::ostream& out,
                      std::size_t max_values) {
  Series folded_counts;
  for (const MetricFamily& f : families) {
    Series series;
    for (const MetricSample& s : f.samples) {
      Key key;
      key.reserve(f.label_names.size());
      for (std::size_t i = 0; i < f.label_names.size(); ++i) {
        key.push_back(clean(i < s.labels.size() ? s.labels[i] : std::string_view()));
      }
      combine(series, std::move(key), s.value, f.counter);
    }
    for (std::size_t dim = 0; dim < f.label_names.size(); ++dim) {
      if (const std::size_t n = fold(series, dim, max_values, f.counter)) {
        folded_counts[{f.name, f.label_names[dim]}] = static_cast<std::int64_t>(n);
      }
    }
    write_family(out, f.name, f.help, f.counter, f.label_names, series);
  }
  if (!folded_counts.empty()) {
    write_family(out, "pftls_metrics_folded_label_values",
                 "Distinct label values folded into \"other\" by the bound on label values", false,
                 {"metric", "label"}, folded_counts);
  }
}

}  // namespace pftls
