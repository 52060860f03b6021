// name_interner: small dense ids for the few names seen on every line
// (hosts, syslog names), so tables key on integers, not strings.
//
// Contract: intern(s) returns the id of s, giving the next id (0, 1, ...)
// to a new name; once max_names names are held it returns kNone for a new
// one. find(s) never adds. name(id) is the name of an id. Ids and names are
// never released. LastName remembers the id it gave last: consecutive log
// lines mostly repeat their host and syslog name, and are told with one
// short compare instead of a hash lookup. ProcessKey names one process of
// a host by those ids and its pid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "base/same_text.h"

namespace pftls {

class NameInterner {
 public:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  explicit NameInterner(std::size_t max_names = kNone) : max_names_(max_names) {}

  std::uint32_t find(std::string_view s) const {
    auto it = ids_.find(s);
    return it == ids_.end() ? kNone : it->second;
  }
  std::uint32_t intern(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    if (names_.size() >= max_names_) return kNone;
    const auto id = static_cast<std::uint32_t>(names_.size());
    names_.emplace_back(s);
    ids_.emplace(names_.back(), id);
    return id;
  }
  const std::string& name(std::uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::size_t max_names_;
  std::vector<std::string> names_;
  TextMap<std::uint32_t> ids_;
};

struct ProcessKey {
  std::uint32_t host;
  std::uint32_t syslog_name;
  std::uint32_t pid;
  bool operator==(const ProcessKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ProcessKey& k) {
    return H::combine(std::move(h), k.host, k.syslog_name, k.pid);
  }
};

class LastName {
 public:
  // The id of s in `names`, added when `create`; kNone when not there (or full).
  [[gnu::always_inline]] std::uint32_t id(NameInterner& names, std::string_view s,
                                          bool create = true) {
    if (id_ != NameInterner::kNone && same_text(names.name(id_), s)) return id_;
    return look_up(names, s, create);
  }

 private:
  [[gnu::noinline]] std::uint32_t look_up(NameInterner& names, std::string_view s, bool create) {
    const std::uint32_t id = create ? names.intern(s) : names.find(s);
    if (id != NameInterner::kNone) id_ = id;
    return id;
  }

  std::uint32_t id_ = NameInterner::kNone;
};

}  // namespace pftls
