// pattern_set: matching a message against the loaded patterns: the service's
// table, the queue id, the candidates whose prefix starts with the message's
// first byte, then templates (string searches) or RE2.
#include "parse/pattern_set.h"

#include <re2/re2.h>

#include <algorithm>

#include "base/byte_scan.h"
#include "parse/pattern_set_internal.h"
#include "parse/queue_id.h"

namespace pftls {

namespace {

// The first `literal` in text at or after pos, or npos. Literals are short
// ("[", "]: ", ", "): find_byte finds the first byte, the rest is compared here.
inline std::size_t find_literal(std::string_view text, std::size_t pos,
                                const std::string& literal) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char first = literal[0];
  const std::size_t rest = literal.size() - 1;
  const char* p = begin + pos;
  while (static_cast<std::size_t>(end - p) > rest) {
    p = byte_scan::find_byte(p, end - rest, first);
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
  if (t.ends_with_literal && pos != text.size()) return false;
  for (const auto& f : t.fixed) out.set(f.field, text.substr(f.offset, f.size));
  return true;
}

}  // namespace

int PatternSet::Impl::try_candidates(const CandidateList& list, std::string_view text, Event& out,
                                     const CaptureGate* gate) const {
  if (text.empty()) return -1;
  const auto b = static_cast<unsigned char>(text[0]);
  for (std::size_t k = list.bucket_begin[b], end = list.bucket_begin[b + 1u]; k < end; ++k) {
    const Candidate& c = list.all[list.bucket_items[k]];
    if (!c.prefix_matches(text)) continue;
    if (gate && c.prefix_decides && gate->asks(c.kind) &&
        !gate->wants(c.kind, out.get(Field::kQueueId), text)) {
      out.kind = c.kind;
      out.captured = false;
      return c.pattern;
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
    return c.pattern;
  }
  return -1;
}

// The body of Impl::match, inlined into PatternSet::match, the call the
// line loop makes for every Postfix line.
[[gnu::always_inline]] inline int match_line(const PatternSet::Impl& impl, std::string_view service,
                                             std::string_view message, Event& out,
                                             const CaptureGate* gate) {
  const ServiceTable& table = impl.table_for(service);
  std::string_view queue_id, body;
  if (!table.with_queue_id.all.empty() && split_queue_id(message, queue_id, body)) {
    out.set(Field::kQueueId, queue_id);
    const int taken = impl.try_candidates(table.with_queue_id, body, out, gate);
    if (taken >= 0) return taken;
    out.set(Field::kQueueId, {});
  }
  const int taken = impl.try_candidates(table.without_queue_id, message, out, gate);
  if (taken >= 0) return taken;
  return impl.match_after_peer(table, message, out);
}

int PatternSet::Impl::match(std::string_view service, std::string_view message, Event& out,
                            const CaptureGate* gate) const {
  return match_line(*this, service, message, out, gate);
}

// Verbose TLS logging writes some lines after the peer ("NAME[IP]: TLS
// cipher list ...", "NAME[IP]:PORT: depth=0 ..."). Reached only by lines no
// pattern took: the peer is skipped and the rest may only be ignored, so
// such a line never becomes evidence.
int PatternSet::Impl::match_after_peer(const ServiceTable& table, std::string_view message,
                                       Event& out) const {
  const std::size_t open = message.find('[');
  if (open == 0 || open == std::string_view::npos || open > 255) return -1;
  if (message.substr(0, open).find(' ') != std::string_view::npos) return -1;
  const std::size_t close = message.find(']', open);
  if (close == std::string_view::npos || close - open > 64) return -1;
  std::size_t pos = close + 1;
  if (pos < message.size() && message[pos] == ':' && pos + 1 < message.size() &&
      message[pos + 1] >= '0' && message[pos + 1] <= '9') {
    ++pos;
    while (pos < message.size() && message[pos] >= '0' && message[pos] <= '9') ++pos;
  }
  if (message.substr(pos, 2) != ": ") return -1;
  Event rest;
  const int taken = try_candidates(table.without_queue_id, message.substr(pos + 2), rest, nullptr);
  if (taken < 0 || rest.kind != EventKind::kIgnored) return -1;
  out.clear();
  out.kind = EventKind::kIgnored;
  return taken;
}

PatternSet::PatternSet() : impl_(std::make_unique<Impl>()) {}
PatternSet::~PatternSet() = default;
PatternSet::PatternSet(PatternSet&&) noexcept = default;
PatternSet& PatternSet::operator=(PatternSet&&) noexcept = default;

std::size_t PatternSet::size() const { return impl_->patterns.size(); }

bool PatternSet::match(std::string_view service, std::string_view message, Event& out,
                       const CaptureGate* gate) const {
  return match_line(*impl_, service, message, out, gate) >= 0;
}

}  // namespace pftls
