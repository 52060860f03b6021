// pattern_loader: parsers/*.patterns text into the tables of a PatternSet.
//
// Contract: reads the format of parsers/README.md line by line, collects
// every problem as "NAME:LINE: message" instead of stopping at the first,
// and builds the tables only from a set without problems. Then every sample
// is matched against the whole set: it must be taken by its own pattern
// with the stated captures. The same pass proves, per candidate, whether
// its prefix alone decides the line's kind (prefix_decides, see CaptureGate).
#include <re2/re2.h>

#include <algorithm>
#include <sstream>

#include "base/embedded_data.h"
#include "parse/failure_reason.h"
#include "parse/pattern_set.h"
#include "parse/pattern_set_internal.h"

namespace pftls {

void CandidateList::index(const std::vector<Pattern>& patterns) {
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
      const bool overlap =
          a.size() <= b.size() ? b.compare(0, a.size(), a) == 0 : a.compare(0, b.size(), b) == 0;
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

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

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
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
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
      if (!event_kind_from_name(value, p.kind))
        errors.push_back(where + "unknown event '" + std::string(value) + "'");
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
        if (literal.empty() && !last)
          errors.push_back(where + "two captures need literal text between them");
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
        // {field=TEXT}: TEXT is literal text of the prefix, and the field
        // is set to it (a word that names what the line says, such as the
        // trust of a TLS connection).
        const auto eq = name.find('=');
        if (eq != std::string_view::npos) {
          const std::string_view fixed = name.substr(eq + 1);
          name = name.substr(0, eq);
          if (!field_from_name(name, f)) {
            errors.push_back(where + "unknown field '{" + std::string(name) + "}'");
            return;
          }
          if (have_capture || fixed.empty() || f == Field::kQueueId) {
            errors.push_back(where + "'{" + std::string(name) +
                             "=TEXT}' must hold text and stand in the literal start of a template");
            return;
          }
          t.fixed.push_back({f, static_cast<std::uint32_t>(literal.size()),
                             static_cast<std::uint32_t>(fixed.size())});
          literal.append(fixed);
          pos = close + 1;
          continue;
        }
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
    if (t.prefix.empty() && !qid)
      errors.push_back(where + "a template must start with literal text");
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
    if (p.samples.empty())
      errors.push_back(where + "no 'sample': every pattern carries its own examples");
    if (p.templates.empty() == p.regex_text.empty()) {
      errors.push_back(where + "needs either 'match' templates or one 'regex'");
      return;
    }
    if (!p.regex_text.empty()) {
      if (p.regex_prefix.empty())
        errors.push_back(where + "a regex needs a literal 'prefix' for dispatch");
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
      if (std::string_view(p.regex_prefix).size() > 0 && rx.substr(0, 1) != "^") {
        errors.push_back(where + "a regex must be anchored with '^'");
      }
    }
  }

  void build_tables(PatternSet::Impl& impl) {
    std::vector<std::string> named;
    for (const auto& p : patterns)
      for (const auto& s : p.services)
        if (s != kAnyService && std::find(named.begin(), named.end(), s) == named.end())
          named.push_back(s);
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
        for (std::size_t t = 0; t < p.templates.size(); ++t)
          candidate(p.templates[t].prefix, static_cast<int>(t));
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
    impl.any.with_queue_id.index(patterns);
    impl.any.without_queue_id.index(patterns);
    for (auto& [name, table] : impl.by_service) {
      table.with_queue_id.index(patterns);
      table.without_queue_id.index(patterns);
    }
    impl.index_services();
  }

  void check_samples(PatternSet::Impl& impl, int index) {
    const Pattern& p = impl.patterns[static_cast<std::size_t>(index)];
    std::string service =
        p.services.front() == kAnyService ? "pftls-any-service" : p.services.front();
    for (const auto& s : p.samples) {
      ++impl.samples;
      std::string where = p.source + ":" + std::to_string(s.line) + ": [" + p.id + "] sample ";
      Event ev;
      const int taken = impl.match(service, s.text, ev, nullptr);
      if (taken < 0) {
        errors.push_back(where + "matches no pattern");
        continue;
      }
      if (taken != index) {
        errors.push_back(where + "is taken by [" +
                         impl.patterns[static_cast<std::size_t>(taken)].id + "]");
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
    PatternSet loaded = load(sources);
    // The failure reasons are data beside the patterns, checked as early.
    try {
      (void)ReasonTable::builtin();
    } catch (const ReasonError& e) {
      throw PatternError(e.what());
    }
    return loaded;
  }();
  return set;
}

}  // namespace pftls
