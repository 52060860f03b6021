// row_relay: every row reaches the inner sink once, in order, with its
// cells, on another thread; a sink that stops or throws stops the sender;
// an exception comes back from end(); the rows in flight stay bounded.
#include "report/row_relay.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace pftls {
namespace {

std::vector<Cell> row_of(std::size_t i) {
  return {Cell{Cell::Type::kInteger, std::to_string(i)},
          Cell{i % 3 == 0 ? Cell::Type::kNull : Cell::Type::kText,
               i % 3 == 0 ? "" : std::string(i % 50, 'x')}};
}

// Keeps what it gets and the threads it got it on.
class Recorder final : public RowSink {
 public:
  void begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    begin_thread_ = std::this_thread::get_id();
  }
  bool row(const std::vector<Cell>& cells) override {
    rows_.push_back(cells);
    row_thread_ = std::this_thread::get_id();
    return stop_after_ == 0 || rows_.size() < stop_after_;
  }
  // With take_: keeps the cells' text and leaves other text in its place,
  // as a sink that takes rows may.
  bool take_row(std::vector<Cell>& cells) override {
    if (!take_) return row(cells);
    std::vector<Cell> kept(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
      kept[i].type = cells[i].type;
      kept[i].text.swap(cells[i].text);
      cells[i].text = "left by the taker";
    }
    rows_.push_back(std::move(kept));
    row_thread_ = std::this_thread::get_id();
    return stop_after_ == 0 || rows_.size() < stop_after_;
  }
  void end() override {
    ++ends_;
    end_thread_ = std::this_thread::get_id();
  }

  bool take_ = false;
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
  std::size_t stop_after_ = 0;
  int ends_ = 0;
  std::thread::id begin_thread_, row_thread_, end_thread_;
};

TEST(RowRelay, EveryRowInOrderOnAnotherThread) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, kRelayBatchRows - 1, kRelayBatchRows,
                              kRelayBatchRows * kRelayBatches * 3 + 7}) {
    Recorder inner;
    auto relay = row_relay(inner);
    relay->begin({"n", "text"});
    for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(relay->row(row_of(i)));
    relay->end();
    ASSERT_EQ(inner.rows_.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto want = row_of(i);
      ASSERT_EQ(inner.rows_[i].size(), want.size());
      for (std::size_t c = 0; c < want.size(); ++c) {
        EXPECT_EQ(inner.rows_[i][c].type, want[c].type) << i;
        EXPECT_EQ(inner.rows_[i][c].text, want[c].text) << i;
      }
    }
    EXPECT_EQ(inner.columns_, (std::vector<std::string>{"n", "text"}));
    EXPECT_EQ(inner.ends_, 1);
    EXPECT_EQ(inner.begin_thread_, std::this_thread::get_id());
    EXPECT_EQ(inner.end_thread_, std::this_thread::get_id());
    if (n > 0) {
      EXPECT_NE(inner.row_thread_, std::this_thread::get_id());
    }
  }
}

// take_row(): the relay takes the cells' text and gives back as many
// cells; a sender that overwrites them for its next row (as the stores'
// query_rows do) gets every row through intact.
// The inner sink gets take_row() too, and may keep the text: the relay's
// slots are refilled whole, by row() or take_row(), before their next use.
TEST(RowRelay, TakenRowsArriveIntact) {
  for (const bool sender_takes : {false, true}) {
    for (const bool inner_takes : {false, true}) {
      Recorder inner;
      inner.take_ = inner_takes;
      auto relay = row_relay(inner);
      relay->begin({"n", "text"});
      std::vector<Cell> buffer(2);
      const std::size_t n = kRelayBatchRows * kRelayBatches * 3 + 5;
      for (std::size_t i = 0; i < n; ++i) {
        const auto want = row_of(i);
        for (std::size_t c = 0; c < want.size(); ++c) {
          buffer[c].type = want[c].type;
          buffer[c].text.assign(want[c].text);
        }
        ASSERT_TRUE(sender_takes ? relay->take_row(buffer) : relay->row(buffer));
        ASSERT_EQ(buffer.size(), 2U);
      }
      relay->end();
      ASSERT_EQ(inner.rows_.size(), n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto want = row_of(i);
        for (std::size_t c = 0; c < want.size(); ++c) {
          ASSERT_EQ(inner.rows_[i][c].type, want[c].type) << i << sender_takes << inner_takes;
          ASSERT_EQ(inner.rows_[i][c].text, want[c].text) << i << sender_takes << inner_takes;
        }
      }
    }
  }
}

TEST(RowRelay, AStoppedSinkStopsTheSender) {
  Recorder inner;
  inner.stop_after_ = 10;
  auto relay = row_relay(inner);
  relay->begin({"n"});
  std::size_t sent = 0;
  while (sent < 1000000 && relay->row(row_of(sent))) ++sent;
  relay->end();
  EXPECT_LT(sent, 1000000U);
  // Nothing after the row the sink refused reaches it.
  EXPECT_EQ(inner.rows_.size(), 10U);
  EXPECT_EQ(inner.ends_, 1);
}

class Thrower final : public RowSink {
 public:
  void begin(const std::vector<std::string>& /*columns*/) override {}
  bool row(const std::vector<Cell>& /*cells*/) override {
    if (++rows_ == 3) throw std::runtime_error("disk full");
    return true;
  }
  void end() override { ended_ = true; }
  int rows_ = 0;
  bool ended_ = false;
};

TEST(RowRelay, TheSinksExceptionComesBackFromEnd) {
  Thrower inner;
  auto relay = row_relay(inner);
  relay->begin({"n"});
  std::size_t sent = 0;
  while (sent < 1000000 && relay->row(row_of(sent))) ++sent;
  EXPECT_LT(sent, 1000000U);
  EXPECT_THROW(relay->end(), std::runtime_error);
  EXPECT_EQ(inner.rows_, 3);
  EXPECT_FALSE(inner.ended_);
}

// A sink slower than the sender: the sender waits instead of queueing.
class Slow final : public RowSink {
 public:
  explicit Slow(const std::atomic<std::size_t>& sent) : sent_(sent) {}
  void begin(const std::vector<std::string>& /*columns*/) override {}
  bool row(const std::vector<Cell>& /*cells*/) override {
    ++taken_;
    const std::size_t ahead = sent_.load() - taken_;
    if (ahead > most_ahead_) most_ahead_ = ahead;
    if (taken_ % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    return true;
  }
  void end() override {}
  const std::atomic<std::size_t>& sent_;
  std::size_t taken_ = 0;
  std::size_t most_ahead_ = 0;
};

TEST(RowRelay, RowsInFlightAreBounded) {
  for (const std::size_t batches : {kRelayBatches, kRelayBatchesForBursts}) {
    std::atomic<std::size_t> sent{0};
    Slow inner(sent);
    auto relay = row_relay(inner, batches);
    relay->begin({"n"});
    const std::size_t n = kRelayBatchRows * batches * 4;
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(relay->row(row_of(i)));
      sent.store(i + 1);
    }
    relay->end();
    EXPECT_EQ(inner.taken_, n);
    EXPECT_LE(inner.most_ahead_, kRelayBatchRows * batches) << batches;
    EXPECT_GT(inner.most_ahead_, kRelayBatchRows) << batches;  // the sender did run ahead
  }
}

TEST(RowRelay, OwnsItsSinkWhenGivenOne) {
  auto counter = std::make_unique<RowCounter>();
  RowCounter& seen = *counter;
  auto relay = row_relay(std::move(counter));
  relay->begin({"n"});
  for (std::size_t i = 0; i < 1000; ++i) relay->row(row_of(i));
  relay->end();
  EXPECT_EQ(seen.rows(), 1000U);
}

TEST(RowRelay, DestroyedWithoutEndJoinsItsThread) {
  Recorder inner;
  {
    auto relay = row_relay(inner);
    relay->begin({"n"});
    for (std::size_t i = 0; i < kRelayBatchRows * 2; ++i) relay->row(row_of(i));
  }  // the caller threw, say: no end()
  EXPECT_EQ(inner.ends_, 0);
  EXPECT_LE(inner.rows_.size(), kRelayBatchRows * 2);
}

}  // namespace
}  // namespace pftls
