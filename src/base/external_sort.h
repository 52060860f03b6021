// external_sort: records sorted by a byte key in bounded memory.
//
// Contract: add() copies a record (a key and a payload, both bytes). While
// the records held exceed the memory budget they are sorted and written to
// one temporary file as a sorted run; drain() then gives every record once,
// in the order of its key (bytes compared as unsigned, a shorter key that is
// a prefix first), records with equal keys in the order they were added.
// Memory: the budget, plus a read buffer per run while draining (the
// budget shared between the runs, at least kMinReadBuffer each). The
// temporary file lives in $TMPDIR (else /tmp), unlinked as soon as it is
// made, so nothing is left behind even after a crash. A file that cannot be
// made, written or read throws std::runtime_error naming it. One drain per
// sorter; add() after drain() throws std::logic_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pftls {

class ExternalSorter {
 public:
  static constexpr std::size_t kMinReadBuffer = 4096;

  explicit ExternalSorter(std::size_t memory_budget) : budget_(memory_budget) {}
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  void add(std::string_view key, std::string_view payload);
  // Calls f(key, payload) for each record in order until f returns false.
  void drain(const std::function<bool(std::string_view key, std::string_view payload)>& f);

  std::size_t records() const { return records_; }
  std::size_t runs() const { return runs_.size(); }  // written to the file so far

 private:
  struct Held {
    std::size_t at;  // in arena_: key, then payload
    std::uint32_t key_size, payload_size;
    std::uint64_t prefix;  // the key's first bytes (add())
  };
  struct Run {
    std::uint64_t begin, end;  // byte range in the file
  };
  void spill();
  void sorted_in_memory();
  std::string temp_path() const;

  std::size_t budget_;
  std::string arena_;
  std::vector<Held> held_;
  std::vector<Run> runs_;
  std::size_t records_ = 0;
  std::uint64_t file_size_ = 0;
  int fd_ = -1;
  bool drained_ = false;
};

}  // namespace pftls
