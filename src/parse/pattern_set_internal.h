// pattern_set_internal: the tables behind PatternSet, shared by the loader
// (pattern_loader.cpp), which builds and checks them, and the matcher
// (pattern_set.cpp), which reads them on every line.
//
// Contract: a PatternSet::Impl is complete once PatternLoader has filled it;
// it is never changed afterwards. The functions at the end answer which
// pattern took a line and how many samples were checked: the loader's
// sample check and the unit tests ask, no production caller does.
#pragma once

#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/same_text.h"
#include "parse/pattern_set.h"

namespace pftls {

inline constexpr std::string_view kQueueIdHead = "{queue_id}: ";
inline constexpr std::string_view kAnyService = "*";

struct Template {
  struct Step {
    Field field;
    std::string literal;  // text that must follow the capture; empty: capture to the end
  };
  // A field set to a stretch of the literal prefix ("{tls_trust=Anonymous}"):
  // the line's own bytes at [offset, offset + size), which equal the literal.
  struct Fixed {
    Field field;
    std::uint32_t offset;
    std::uint32_t size;
  };
  std::string prefix;
  std::vector<Fixed> fixed;
  std::vector<Step> steps;
  bool ends_with_literal = true;
};

struct Sample {
  std::string text;
  int line = 0;
  std::vector<std::pair<Field, std::string>> expect;
};

struct Pattern {
  std::string id;
  std::string source;
  int line = 0;
  EventKind kind = EventKind::kIgnored;
  bool kind_set = false;
  std::vector<std::string> services;
  bool with_queue_id = false;
  bool queue_id_set = false;
  std::vector<Template> templates;
  std::string regex_text;
  std::string regex_prefix;
  std::unique_ptr<RE2> regex;
  std::vector<std::pair<int, Field>> groups;  // regex group index -> field
  std::vector<Sample> samples;
};

// What a line is compared with first. The fields read for every line it
// is compared with come first and fit one cache line; the prefix text,
// read only for prefixes longer than 16 bytes, comes last.
struct Candidate {
  // The prefix's first (up to) 8 bytes as a word and the mask of those
  // bytes: most non-matching prefixes are told apart by one comparison;
  // bytes 8 to 15 likewise, so most prefixes need no memcmp at all.
  std::uint64_t head = 0;
  std::uint64_t head_mask = 0;
  std::uint64_t head2 = 0;
  std::uint64_t head2_mask = 0;
  std::uint32_t prefix_size = 0;
  int pattern = 0;
  int templ = -1;                        // -1: the pattern's regex
  EventKind kind = EventKind::kIgnored;  // the pattern's
  // The prefix alone decides the kind: no later candidate of another kind
  // can match text that this prefix matches (see CaptureGate).
  bool prefix_decides = false;
  std::string prefix;

  void set_head() {
    prefix_size = static_cast<std::uint32_t>(prefix.size());
    std::size_t n = std::min<std::size_t>(prefix.size(), 8);
    head = 0;
    std::memcpy(&head, prefix.data(), n);
    head_mask = n == 8 ? ~0ULL : ((1ULL << (8 * n)) - 1);
    std::size_t n2 = prefix.size() > 8 ? std::min<std::size_t>(prefix.size() - 8, 8) : 0;
    head2 = 0;
    if (n2 > 0) std::memcpy(&head2, prefix.data() + 8, n2);
    head2_mask = n2 == 8 ? ~0ULL : ((1ULL << (8 * n2)) - 1);
  }
  bool prefix_matches(std::string_view text) const {
    if (text.size() < prefix_size) return false;
    if (text.size() >= 16) {
      std::uint64_t word, word2;
      std::memcpy(&word, text.data(), 8);
      if ((word ^ head) & head_mask) return false;
      std::memcpy(&word2, text.data() + 8, 8);
      if ((word2 ^ head2) & head2_mask) return false;
      return prefix_size <= 16 ||
             std::memcmp(text.data() + 16, prefix.data() + 16, prefix_size - 16) == 0;
    }
    return text.compare(0, prefix_size, prefix) == 0;
  }
};

// Candidates in match order, and for each first byte of a message the
// indices of the candidates whose prefix starts with it (an empty prefix is
// in every bucket): a line is compared only with prefixes that can match.
// The buckets are one array of indices and 257 offsets into it (half a
// kilobyte, not 256 vectors): the part of the table a line reads stays in
// cache.

// Candidates in match order, and for each first byte of a message the
// indices of the candidates whose prefix starts with it (an empty prefix is
// in every bucket): a line is compared only with prefixes that can match.
// The buckets are one array of indices and 257 offsets into it (half a
// kilobyte, not 256 vectors): the part of the table a line reads stays in
// cache.
struct CandidateList {
  std::vector<Candidate> all;
  std::array<std::uint16_t, 257> bucket_begin{};
  std::vector<std::uint16_t> bucket_items;

  // Fills the heads, kinds, prefix_decides and the buckets of `all`
  // (pattern_loader.cpp). Throws PatternError past 65535 bucket entries.
  void index(const std::vector<Pattern>& patterns);
};

struct ServiceTable {
  CandidateList with_queue_id;
  CandidateList without_queue_id;
};

struct PatternSet::Impl {
  std::vector<Pattern> patterns;
  std::vector<std::pair<std::string, ServiceTable>> by_service;
  ServiceTable any;  // services no pattern names: only the "*" patterns
  std::size_t samples = 0;

  ServiceTable* find_table(std::string_view service) {
    for (auto& [name, table] : by_service)
      if (same_text(name, service)) return &table;
    return nullptr;
  }
  // Services by (length, first, second and last byte): one probe and one
  // compare, in a table of 2 KiB that stays in cache.
  static std::size_t service_slot(std::string_view s) {
    const std::size_t first = static_cast<unsigned char>(s[0]) & 7u;
    const std::size_t last = static_cast<unsigned char>(s.back()) & 7u;
    const std::size_t second = static_cast<unsigned char>(s[1 % s.size()]) & 7u;
    return ((s.size() & 15u) << 6) ^ (first << 3) ^ last ^ (second << 7);
  }
  static constexpr std::size_t kServiceSlots = 1 << 10;
  static constexpr std::int16_t kNoService = -1, kCollision = -2;
  std::array<std::int16_t, kServiceSlots> service_index{};

  void index_services() {
    service_index.fill(kNoService);
    for (std::size_t i = 0; i < by_service.size(); ++i) {
      auto& slot = service_index[service_slot(by_service[i].first)];
      slot = slot == kNoService ? static_cast<std::int16_t>(i) : kCollision;
    }
  }

  const ServiceTable& table_for(std::string_view service) const {
    if (service.empty()) return any;
    std::int16_t i = service_index[service_slot(service)];
    if (i == kNoService) return any;
    if (i >= 0) {
      const auto& [name, table] = by_service[static_cast<std::size_t>(i)];
      return same_text(name, service) ? table : any;
    }
    for (const auto& [name, table] : by_service)
      if (same_text(name, service)) return table;
    return any;
  }

  // The index of the pattern that takes the line, or -1 (pattern_set.cpp).
  int match(std::string_view service, std::string_view message, Event& out,
            const CaptureGate* gate) const;
  int try_candidates(const CandidateList& list, std::string_view text, Event& out,
                     const CaptureGate* gate) const;
  // A line that starts with "NAME[IP]: " and whose rest an ignore pattern takes.
  int match_after_peer(const ServiceTable& table, std::string_view message, Event& out) const;
};

// Which pattern of `set` takes the line (-1: none), its id ("smtpd.connect",
// empty for an index out of range) and the number of samples load() checked.
inline int matching_pattern(const PatternSet& set, std::string_view service,
                            std::string_view message, Event& out) {
  return set.impl().match(service, message, out, nullptr);
}
inline std::string_view pattern_id(const PatternSet& set, int index) {
  const auto& patterns = set.impl().patterns;
  if (index < 0 || static_cast<std::size_t>(index) >= patterns.size()) return {};
  return patterns[static_cast<std::size_t>(index)].id;
}
inline std::size_t sample_count(const PatternSet& set) { return set.impl().samples; }

}  // namespace pftls
