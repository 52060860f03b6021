// warning_memory: the warnings given in the last day, kept in a setting.
#include "app/warning_memory.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "base/text.h"

namespace pftls {

namespace {

// At most kMaxKindBytes bytes, cut before a UTF-8 sequence, not inside one.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

}  // namespace

WarningMemory::WarningMemory(Store& store, std::int64_t now_seconds) : now_(now_seconds) {
  const std::string text = store.setting(kSetting).value_or("");
  std::string_view rest = text;
  while (!rest.empty() && warned_.size() < kMaxKinds) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp + 1 >= line.size()) continue;
    std::int64_t when = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + sp, when);
    if (ec != std::errc() || end != line.data() + sp) continue;
    warned_[cut(std::string(line.substr(sp + 1)), kMaxKindBytes)] = when;
  }
}

bool WarningMemory::fresh(std::string_view raw) {
  std::string kind = cut(strip_controls(raw), kMaxKindBytes);
  if (this_run_.count(kind)) return true;
  auto it = warned_.find(kind);
  if (it != warned_.end()) {
    // A time in the future (a clock set back) counts as long ago.
    if (it->second <= now_ && now_ - it->second < kQuietSeconds) return false;
    it->second = now_;
    changed_ = true;
    this_run_.insert(kind);
    return true;
  }
  if (warned_.size() >= kMaxKinds) {
    auto oldest =
        std::min_element(warned_.begin(), warned_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    warned_.erase(oldest);
  }
  warned_.emplace(kind, now_);
  this_run_.insert(std::move(kind));
  changed_ = true;
  return true;
}

void WarningMemory::save(Store& store) const {
  if (!changed_) return;
  std::string text;
  for (const auto& [kind, when] : warned_) {
    if (when <= now_ && now_ - when >= kQuietSeconds) continue;
    text += std::to_string(when) + ' ' + kind + '\n';
  }
  store.set_setting(kSetting, text);
}

}  // namespace pftls
