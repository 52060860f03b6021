// pattern_set: loading, checking and matching Postfix message patterns.
#include "parse/pattern_set.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <sstream>

#include "base/embedded_data.h"
#include "base/same_text.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pftls {

namespace {

// Per byte: 1 = may be in a short (hex) queue id, 2 = in a long one.
constexpr std::array<std::uint8_t, 256> make_queue_id_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = 1 | 2;
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = 1;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] |= 2;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = 2;
  for (char v : {'A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u'})
    t[static_cast<std::size_t>(v)] &= static_cast<std::uint8_t>(~2u);
  return t;
}
constexpr std::array<std::uint8_t, 256> kQueueIdClass = make_queue_id_classes();

}  // namespace

bool split_queue_id_bytewise(std::string_view message, std::string_view& queue_id,
                             std::string_view& body) {
  constexpr std::size_t kMinShort = 5, kMinLong = 10, kMax = 24;
  std::uint8_t classes = 3;
  std::size_t n = 0;
  const std::size_t limit = std::min(message.size(), kMax + 1);
  for (; n < limit; ++n) {
    auto c = static_cast<unsigned char>(message[n]);
    if (c == ':') break;
    classes &= kQueueIdClass[c];
    if (classes == 0) return false;
  }
  if (n >= limit || n + 1 >= message.size() || message[n + 1] != ' ') return false;
  if (!(((classes & 1) && n >= kMinShort) || ((classes & 2) && n >= kMinLong))) return false;
  queue_id = message.substr(0, n);
  body = message.substr(n + 2);
  return true;
}

bool split_queue_id(std::string_view message, std::string_view& queue_id, std::string_view& body) {
#if defined(__SSE2__)
  // The first 16 bytes at once: where the first ':' or byte below '0' (a
  // space, punctuation, a byte >= 0x80) is, and which bytes are short-id
  // ones ([0-9A-F]). Decides the usual cases: a short queue id, and a
  // message whose first word is no queue id; the rest (long ids, 16 bytes
  // without either) goes byte by byte.
  if (message.size() >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(message.data()));
    const unsigned colon = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
    const unsigned low = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8('0'))));
    const unsigned stops = colon | low;
    if (stops != 0) {
      const unsigned n = static_cast<unsigned>(std::countr_zero(stops));
      if (!((colon >> n) & 1u)) return false;  // a byte no queue id has, before any ':'
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                          _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
      const __m128i hex = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                        _mm_cmplt_epi8(v, _mm_set1_epi8('F' + 1)));
      const unsigned short_bytes = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(digit, hex)));
      const unsigned want = (1u << n) - 1;
      if (n >= 5 && (short_bytes & want) == want) {
        if (message[n + 1] != ' ') return false;  // n <= 15, so n + 1 < 16 <= size
        queue_id = std::string_view(message.data(), n);
        body = std::string_view(message.data() + n + 2, message.size() - n - 2);
        return true;
      }
      if (n < 5) return false;  // too short for either form
    }
  }
#endif
  return split_queue_id_bytewise(message, queue_id, body);
}

namespace {

constexpr std::string_view kQueueIdHead = "{queue_id}: ";
constexpr std::string_view kAnyService = "*";

struct Template {
  struct Step {
    Field field;
    std::string literal;  // text that must follow the capture; empty: capture to the end
  };
  std::string prefix;
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
  int templ = -1;  // -1: the pattern's regex
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
struct CandidateList {
  std::vector<Candidate> all;
  std::array<std::uint16_t, 257> bucket_begin{};
  std::vector<std::uint16_t> bucket_items;

  void index(const std::vector<Pattern>& patterns) {
    for (auto& c : all) c.set_head();
    for (std::size_t i = 0; i < all.size(); ++i) {
      Candidate& c = all[i];
      const EventKind kind = patterns[static_cast<std::size_t>(c.pattern)].kind;
      c.kind = kind;
      c.prefix_decides = true;
      for (std::size_t j = i + 1; j < all.size() && c.prefix_decides; ++j) {
        const Candidate& d = all[j];
        if (patterns[static_cast<std::size_t>(d.pattern)].kind == kind) continue;
        const std::string& a = c.prefix;
        const std::string& b = d.prefix;
        // Some text starts with both exactly when one is a prefix of the other.
        const bool overlap = a.size() <= b.size() ? b.compare(0, a.size(), a) == 0
                                                  : a.compare(0, b.size(), b) == 0;
        if (overlap) c.prefix_decides = false;
      }
    }
    bucket_items.clear();
    for (std::size_t b = 0; b < 256; ++b) {
      bucket_begin[b] = static_cast<std::uint16_t>(bucket_items.size());
      for (std::size_t i = 0; i < all.size(); ++i) {
        const std::string& prefix = all[i].prefix;
        if (prefix.empty() || static_cast<unsigned char>(prefix[0]) == b) {
          bucket_items.push_back(static_cast<std::uint16_t>(i));
        }
      }
    }
    bucket_begin[256] = static_cast<std::uint16_t>(bucket_items.size());
    if (bucket_items.size() > UINT16_MAX) throw PatternError("too many pattern templates");
  }
};

struct ServiceTable {
  CandidateList with_queue_id;
  CandidateList without_queue_id;
};


// The first `literal` in text at or after pos, or npos. Literals are short
// ("[", "]: ", ", "): memchr finds the first byte, the rest is compared here.
// The first c in [p, end), or null. The text searched is short as a rule
// (a host name up to its '['): 16 bytes a compare here beat a memchr call.
inline const char* find_byte(const char* p, const char* end, char c) {
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  for (; end - p >= 16; p += 16) {
    const auto m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), needle)));
    if (m != 0) return p + std::countr_zero(m);
  }
#endif
  for (; p < end; ++p)
    if (*p == c) return p;
  return nullptr;
}

inline std::size_t find_literal(std::string_view text, std::size_t pos, const std::string& literal) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char first = literal[0];
  const std::size_t rest = literal.size() - 1;
  const char* p = begin + pos;
  while (static_cast<std::size_t>(end - p) > rest) {
    p = find_byte(p, end - rest, first);
    if (!p) return std::string_view::npos;
    std::size_t i = 0;
    while (i < rest && p[1 + i] == literal[1 + i]) ++i;
    if (i == rest) return static_cast<std::size_t>(p - begin);
    ++p;
  }
  return std::string_view::npos;
}

bool match_template(const Template& t, std::string_view text, Event& out) {
  // The prefix has been checked by the caller.
  std::size_t pos = t.prefix.size();
  for (const auto& step : t.steps) {
    if (step.literal.empty()) {
      out.set(step.field, std::string_view(text.data() + pos, text.size() - pos));
      pos = text.size();
      break;
    }
    std::size_t at = find_literal(text, pos, step.literal);
    if (at == std::string_view::npos) return false;
    out.set(step.field, std::string_view(text.data() + pos, at - pos));
    pos = at + step.literal.size();
  }
  return !t.ends_with_literal || pos == text.size();
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

struct PatternSet::Impl {
  std::vector<Pattern> patterns;
  // A few dozen services at most: a linear scan comparing lengths first
  // beats hashing the name on every line.
  std::vector<std::pair<std::string, ServiceTable>> by_service;
  ServiceTable any;  // services no pattern names: only the "*" patterns
  std::size_t samples = 0;

  ServiceTable* find_table(std::string_view service) {
    for (auto& [name, table] : by_service)
      if (same_text(name, service))
        return &table;
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

  bool try_candidates(const CandidateList& list, std::string_view text, Event& out,
                      const CaptureGate* gate) const {
    if (text.empty()) return false;
    const auto b = static_cast<unsigned char>(text[0]);
    for (std::size_t k = list.bucket_begin[b], end = list.bucket_begin[b + 1u]; k < end; ++k) {
      const Candidate& c = list.all[list.bucket_items[k]];
      if (!c.prefix_matches(text)) continue;
      if (gate && c.prefix_decides && gate->asks(c.kind) &&
          !gate->wants(c.kind, out.get(Field::kQueueId), text)) {
        out.kind = c.kind;
        out.pattern_index = c.pattern;
        out.captured = false;
        return true;
      }
      const Pattern& p = patterns[static_cast<std::size_t>(c.pattern)];
      if (c.templ >= 0) {
        if (!match_template(p.templates[static_cast<std::size_t>(c.templ)], text, out)) continue;
      } else {
        constexpr int kMaxGroups = 8;
        re2::StringPiece groups[kMaxGroups + 1];
        int n = std::min(p.regex->NumberOfCapturingGroups(), kMaxGroups) + 1;
        if (!p.regex->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(),
                            RE2::ANCHOR_START, groups, n)) {
          continue;
        }
        for (const auto& [index, field] : p.groups) {
          const auto& g = groups[index];
          out.set(field, g.data() ? std::string_view(g.data(), g.size()) : std::string_view{});
        }
      }
      out.kind = p.kind;
      out.pattern_index = c.pattern;
      return true;
    }
    return false;
  }

  bool match(std::string_view service, std::string_view message, Event& out,
             const CaptureGate* gate) const {
    const ServiceTable& table = table_for(service);
    std::string_view queue_id, body;
    if (!table.with_queue_id.all.empty() && split_queue_id(message, queue_id, body)) {
      out.set(Field::kQueueId, queue_id);
      if (try_candidates(table.with_queue_id, body, out, gate)) return true;
      out.set(Field::kQueueId, {});
    }
    return try_candidates(table.without_queue_id, message, out, gate);
  }
};

PatternSet::PatternSet() : impl_(std::make_unique<Impl>()) {}
PatternSet::~PatternSet() = default;
PatternSet::PatternSet(PatternSet&&) noexcept = default;
PatternSet& PatternSet::operator=(PatternSet&&) noexcept = default;

std::size_t PatternSet::size() const { return impl_->patterns.size(); }
std::size_t PatternSet::sample_count() const { return impl_->samples; }
std::string_view PatternSet::pattern_id(int index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= impl_->patterns.size()) return {};
  return impl_->patterns[static_cast<std::size_t>(index)].id;
}

bool PatternSet::match(std::string_view service, std::string_view message, Event& out,
                       const CaptureGate* gate) const {
  return impl_->match(service, message, out, gate);
}

namespace {

class Loader {
 public:
  std::vector<Pattern> patterns;
  std::vector<std::string> errors;

  void parse(const PatternSource& src) {
    std::istringstream in(src.text);
    std::string raw;
    int line_no = 0;
    Pattern* cur = nullptr;
    while (std::getline(in, raw)) {
      ++line_no;
      std::string line = trim(raw);
      if (line.empty() || line[0] == '#') continue;
      auto where = src.name + ":" + std::to_string(line_no) + ": ";
      if (line.front() == '[') {
        if (line.back() != ']' || line.size() < 3) {
          errors.push_back(where + "bad section header");
          cur = nullptr;
          continue;
        }
        patterns.emplace_back();
        cur = &patterns.back();
        cur->id = line.substr(1, line.size() - 2);
        cur->source = src.name;
        cur->line = line_no;
        continue;
      }
      auto eq = raw.find('=');
      if (eq == std::string::npos) {
        errors.push_back(where + "expected 'key = value'");
        continue;
      }
      if (!cur) {
        errors.push_back(where + "key outside of a [pattern] section");
        continue;
      }
      std::string key = trim(std::string_view(raw).substr(0, eq));
      std::string_view value = std::string_view(raw).substr(eq + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && value.back() == '\r') value.remove_suffix(1);
      apply(*cur, key, value, where, line_no);
    }
  }

  void finish_and_check(PatternSet::Impl& impl) {
    for (auto& p : patterns) validate(p);
    if (!errors.empty()) return;
    build_tables(impl);
    impl.patterns = std::move(patterns);
    for (std::size_t i = 0; i < impl.patterns.size(); ++i) check_samples(impl, static_cast<int>(i));
  }

 private:
  void apply(Pattern& p, const std::string& key, std::string_view value, const std::string& where,
             int line_no) {
    if (key == "services") {
      std::istringstream words{std::string(value)};
      std::string w;
      while (words >> w) p.services.push_back(w);
    } else if (key == "event") {
      if (!event_kind_from_name(value, p.kind)) errors.push_back(where + "unknown event '" + std::string(value) + "'");
      p.kind_set = true;
    } else if (key == "match") {
      add_template(p, value, where);
    } else if (key == "regex") {
      p.regex_text = std::string(value);
    } else if (key == "prefix") {
      p.regex_prefix = std::string(value);
    } else if (key == "sample") {
      p.samples.push_back(Sample{std::string(value), line_no, {}});
    } else if (key == "expect") {
      if (p.samples.empty()) {
        errors.push_back(where + "'expect' must follow a 'sample'");
        return;
      }
      parse_expect(p.samples.back(), value, where);
    } else {
      errors.push_back(where + "unknown key '" + key + "'");
    }
  }

  void add_template(Pattern& p, std::string_view text, const std::string& where) {
    bool qid = text.substr(0, kQueueIdHead.size()) == kQueueIdHead;
    if (qid) text.remove_prefix(kQueueIdHead.size());
    if (!p.templates.empty() || !p.regex_text.empty()) {
      if (qid != p.with_queue_id) {
        errors.push_back(where + "all templates of a pattern must agree on {queue_id}");
        return;
      }
    }
    p.with_queue_id = qid;
    p.queue_id_set = true;
    Template t;
    std::size_t pos = 0;
    std::string literal;
    bool have_capture = false;
    Field pending{};
    auto flush = [&](bool last) {
      if (!have_capture) {
        t.prefix = literal;
      } else {
        t.steps.push_back({pending, literal});
        if (literal.empty() && !last) errors.push_back(where + "two captures need literal text between them");
      }
      literal.clear();
    };
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '{') {
        auto close = text.find('}', pos);
        if (close == std::string_view::npos) {
          errors.push_back(where + "unclosed '{' in template");
          return;
        }
        Field f;
        auto name = text.substr(pos + 1, close - pos - 1);
        if (!field_from_name(name, f)) {
          errors.push_back(where + "unknown field '{" + std::string(name) + "}'");
          return;
        }
        if (f == Field::kQueueId) {
          errors.push_back(where + "{queue_id} may only open a template, as '{queue_id}: '");
          return;
        }
        flush(false);
        have_capture = true;
        pending = f;
        pos = close + 1;
      } else {
        literal.push_back(c);
        ++pos;
      }
    }
    if (have_capture) {
      t.ends_with_literal = !literal.empty();
      t.steps.push_back({pending, literal});
    } else {
      t.prefix = literal;
      t.ends_with_literal = true;
    }
    if (t.prefix.empty() && !qid) errors.push_back(where + "a template must start with literal text");
    p.templates.push_back(std::move(t));
  }

  void parse_expect(Sample& s, std::string_view value, const std::string& where) {
    // "field=value; field=value" ; a value may contain spaces but not ';'.
    while (!value.empty()) {
      auto semi = value.find(';');
      auto item = value.substr(0, semi);
      value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
      auto eq = item.find('=');
      if (eq == std::string_view::npos) {
        errors.push_back(where + "expect item without '='");
        continue;
      }
      Field f;
      std::string name = trim(item.substr(0, eq));
      if (!field_from_name(name, f)) {
        errors.push_back(where + "unknown field '" + name + "' in expect");
        continue;
      }
      s.expect.emplace_back(f, trim(item.substr(eq + 1)));
    }
  }

  void validate(Pattern& p) {
    std::string where = p.source + ":" + std::to_string(p.line) + ": [" + p.id + "] ";
    if (p.services.empty()) errors.push_back(where + "no 'services'");
    if (!p.kind_set) errors.push_back(where + "no 'event'");
    if (p.samples.empty()) errors.push_back(where + "no 'sample': every pattern carries its own examples");
    if (p.templates.empty() == p.regex_text.empty()) {
      errors.push_back(where + "needs either 'match' templates or one 'regex'");
      return;
    }
    if (!p.regex_text.empty()) {
      if (p.regex_prefix.empty()) errors.push_back(where + "a regex needs a literal 'prefix' for dispatch");
      std::string_view rx = p.regex_text;
      if (rx.substr(0, kQueueIdHead.size()) == kQueueIdHead) {
        p.with_queue_id = true;
        rx.remove_prefix(kQueueIdHead.size());
      }
      RE2::Options opt;
      opt.set_log_errors(false);
      p.regex = std::make_unique<RE2>(re2::StringPiece(rx.data(), rx.size()), opt);
      if (!p.regex->ok()) {
        errors.push_back(where + "bad regex: " + p.regex->error());
        return;
      }
      if (p.regex->NumberOfCapturingGroups() > 8) errors.push_back(where + "more than 8 groups");
      for (const auto& [name, index] : p.regex->NamedCapturingGroups()) {
        Field f;
        if (!field_from_name(name, f)) {
          errors.push_back(where + "unknown group name '" + name + "'");
          continue;
        }
        p.groups.emplace_back(index, f);
      }
      if (std::string_view(p.regex_prefix).size() > 0 &&
          rx.substr(0, 1) != "^") {
        errors.push_back(where + "a regex must be anchored with '^'");
      }
    }
  }

  void build_tables(PatternSet::Impl& impl) {
    std::vector<std::string> named;
    for (const auto& p : patterns)
      for (const auto& s : p.services)
        if (s != kAnyService && std::find(named.begin(), named.end(), s) == named.end()) named.push_back(s);
    for (const auto& s : named) impl.by_service.emplace_back(s, ServiceTable{});
    // Patterns that name a service come first, "*" patterns (catch-alls)
    // after them; within each group, file order.
    for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      const Pattern& p = patterns[i];
      bool any = std::find(p.services.begin(), p.services.end(), kAnyService) != p.services.end();
      if (any != (pass == 1)) continue;
      std::vector<Candidate> cands;
      auto candidate = [&](const std::string& prefix, int templ) {
        Candidate c;
        c.prefix = prefix;
        c.pattern = static_cast<int>(i);
        c.templ = templ;
        cands.push_back(std::move(c));
      };
      for (std::size_t t = 0; t < p.templates.size(); ++t) candidate(p.templates[t].prefix, static_cast<int>(t));
      if (p.regex) candidate(p.regex_prefix, -1);
      auto add = [&](ServiceTable& table) {
        auto& list = p.with_queue_id ? table.with_queue_id.all : table.without_queue_id.all;
        list.insert(list.end(), cands.begin(), cands.end());
      };
      if (any) {
        add(impl.any);
        for (auto& [name, table] : impl.by_service) add(table);
      } else {
        for (const auto& s : p.services) add(*impl.find_table(s));
      }
    }
    for (auto* table : {&impl.any}) {
      table->with_queue_id.index(patterns);
      table->without_queue_id.index(patterns);
    }
    for (auto& [name, table] : impl.by_service) {
      table.with_queue_id.index(patterns);
      table.without_queue_id.index(patterns);
    }
    impl.index_services();
  }

  void check_samples(PatternSet::Impl& impl, int index) {
    const Pattern& p = impl.patterns[static_cast<std::size_t>(index)];
    std::string service = p.services.front() == kAnyService ? "pftls-any-service" : p.services.front();
    for (const auto& s : p.samples) {
      ++impl.samples;
      std::string where = p.source + ":" + std::to_string(s.line) + ": [" + p.id + "] sample ";
      Event ev;
      if (!impl.match(service, s.text, ev, nullptr)) {
        errors.push_back(where + "matches no pattern");
        continue;
      }
      if (ev.pattern_index != index) {
        errors.push_back(where + "is taken by [" + impl.patterns[static_cast<std::size_t>(ev.pattern_index)].id + "]");
        continue;
      }
      for (const auto& [field, want] : s.expect) {
        if (ev.get(field) != want) {
          errors.push_back(where + "captures " + std::string(field_name(field)) + "='" +
                           std::string(ev.get(field)) + "', expected '" + want + "'");
        }
      }
    }
  }
};

}  // namespace

PatternSet PatternSet::load(const std::vector<PatternSource>& sources) {
  Loader loader;
  for (const auto& src : sources) loader.parse(src);
  PatternSet set;
  loader.finish_and_check(*set.impl_);
  if (!loader.errors.empty()) {
    std::string msg = "invalid patterns:";
    for (const auto& e : loader.errors) msg += "\n  " + e;
    throw PatternError(msg);
  }
  return set;
}

const PatternSet& PatternSet::builtin() {
  static const PatternSet set = [] {
    std::vector<PatternSource> sources;
    for (const auto& f : embedded_files())
      if (f.path.substr(0, 8) == "parsers/" && f.path.ends_with(".patterns"))
        sources.push_back({std::string(f.path), std::string(f.content)});
    return load(sources);
  }();
  return set;
}

}  // namespace pftls
