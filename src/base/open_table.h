// open_table: a hash map in one flat array, for small keys looked up on
// every log line (the correlator's open smtpd sessions).
//
// Contract: keys are compared with ==, hashed with H (its low bits pick the
// slot: H must mix). Linear probing; erase() shifts the following entries
// back instead of leaving tombstones, so lookups stay short however many
// sessions come and go. The table doubles when it is half full and never
// shrinks; a lookup touches one or two cache lines where a node-based map
// touches three. Pointers returned by find()/insert() are valid until the
// next insert() or erase(). Iteration order is unspecified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace pftls {

template <typename K, typename V, typename H>
class OpenTable {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  V* find(const K& key) {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = H{}(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }

  // Inserts (key, value), or replaces the value of an existing key.
  V& insert(const K& key, V value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = H{}(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.key = key;
        s.value = std::move(value);
        ++size_;
        return s.value;
      }
      if (s.key == key) {
        s.value = std::move(value);
        return s.value;
      }
    }
  }

  // Removes `key` and returns its value, if it was there.
  std::optional<V> erase(const K& key) {
    if (slots_.empty()) return std::nullopt;
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = H{}(key) & mask;
    for (;; i = (i + 1) & mask) {
      if (!slots_[i].used) return std::nullopt;
      if (slots_[i].key == key) break;
    }
    std::optional<V> out(std::move(slots_[i].value));
    // Backward shift: move up every later entry of the run that may sit in
    // the hole's place (its home slot is not cyclically within (hole, j]).
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
      const std::size_t home = H{}(slots_[j].key) & mask;
      const bool home_in_between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (home_in_between) continue;
      slots_[hole].key = slots_[j].key;
      slots_[hole].value = std::move(slots_[j].value);
      hole = j;
    }
    slots_[hole].used = false;
    slots_[hole].value = V{};
    --size_;
    return out;
  }

  template <typename F>
  void for_each(F&& f) {
    for (Slot& s : slots_)
      if (s.used) f(s.key, s.value);
  }

 private:
  struct Slot {
    K key{};
    V value{};
    bool used = false;
  };
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.empty() ? 1024 : old.size() * 2);
    size_ = 0;
    for (Slot& s : old)
      if (s.used) insert(s.key, std::move(s.value));
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace pftls
