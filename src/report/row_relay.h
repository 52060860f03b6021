// row_relay: a RowSink that hands its rows to another RowSink on a thread
// of its own, so that the database steps to the next rows while the
// writer formats the last ones (a listing of a million clients keeps both
// cores busy instead of one).
//
// Contract:
// - begin() passes the columns on at once, on the caller's thread; the rows
//   reach `inner` in their order, on the relay's thread; end() waits until
//   every row is through, then calls inner's end() on the caller's thread.
// - Bounded: rows travel in batches of kRelayBatchRows, and at most
//   `batches` batches exist (kRelayBatches unless given), full or being
//   filled; row() waits while all are full. The cells' buffers are reused
//   from batch to batch, and
//   `inner` gets each row by take_row(): it may keep the cells' text.
// - row() returns false once `inner` has returned false or thrown; an
//   exception thrown by `inner` is thrown again from end() (or from the
//   destructor's join: never, it is dropped there only when end() was not
//   reached because the caller itself threw).
// - `inner` must not use what the caller uses meanwhile (the database
//   connection): a writer, a tally.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "report/result_set.h"

namespace pftls {

inline constexpr std::size_t kRelayBatchRows = 1024;
inline constexpr std::size_t kRelayBatches = 4;
// For a sink that works in bursts (whatif's tally, which sorts and writes
// 8 MiB of records now and then): the rows of its bursts wait here instead
// of stopping the database's thread.
inline constexpr std::size_t kRelayBatchesForBursts = 16;

// Wraps `inner` (owned) in a relay.
std::unique_ptr<RowSink> row_relay(std::unique_ptr<RowSink> inner,
                                   std::size_t batches = kRelayBatches);
// Wraps `inner` (not owned; it must outlive the relay).
std::unique_ptr<RowSink> row_relay(RowSink& inner, std::size_t batches = kRelayBatches);

}  // namespace pftls
