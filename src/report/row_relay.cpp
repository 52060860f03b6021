// row_relay: batches of rows through a bounded ring to a thread of their
// own (see the header for the contract).
#include "report/row_relay.h"

#include <algorithm>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

namespace pftls {
namespace {

struct Batch {
  std::vector<std::vector<Cell>> rows;  // kRelayBatchRows slots, reused
  std::size_t used = 0;                 // set when published
};

class RowRelay final : public RowSink {
 public:
  RowRelay(std::unique_ptr<RowSink> owned, RowSink& inner, std::size_t batches)
      : owned_(std::move(owned)), inner_(inner), batches_(std::max<std::size_t>(batches, 1)) {
    for (Batch& b : batches_) b.rows.resize(kRelayBatchRows);
  }
  RowRelay(const RowRelay&) = delete;
  RowRelay& operator=(const RowRelay&) = delete;
  ~RowRelay() override { stop(); }

  void begin(const std::vector<std::string>& columns) override {
    inner_.begin(columns);
    worker_ = std::thread([this] { drain(); });
  }

  bool row(const std::vector<Cell>& cells) override {
    std::vector<Cell>* slot = next_slot();
    if (slot == nullptr) return false;
    slot->resize(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
      (*slot)[i].type = cells[i].type;
      (*slot)[i].text.assign(cells[i].text);
    }
    filled();
    return true;
  }

  // The cells change places with the slot's: no copy, and the sender gets
  // buffers that have held text before.
  bool take_row(std::vector<Cell>& cells) override {
    std::vector<Cell>* slot = next_slot();
    if (slot == nullptr) return false;
    const std::size_t n = cells.size();
    slot->swap(cells);
    cells.resize(n);
    filled();
    return true;
  }

  void end() override {
    if (worker_.joinable()) {
      if (pending_ > 0) publish();
      stop();
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    inner_.end();
  }

 private:
  // The slot for the next row, once the writer has given it back; nullptr
  // when the writer has stopped.
  std::vector<Cell>* next_slot() {
    if (!worker_.joinable() || failed_.load(std::memory_order_relaxed)) return nullptr;
    if (pending_ == 0) {
      std::unique_lock lock(mu_);
      slot_free_.wait(lock, [&] { return fill_ - drained_ < batches_.size() || failed_; });
      if (failed_) return nullptr;
    }
    return &batches_[fill_ % batches_.size()].rows[pending_];
  }

  void filled() {
    if (++pending_ == kRelayBatchRows) publish();
  }

  // The batch being filled is full (or the last): the writer may take it.
  void publish() {
    batches_[fill_ % batches_.size()].used = std::exchange(pending_, 0);
    std::lock_guard lock(mu_);
    ++fill_;
    batch_ready_.notify_one();
  }

  void stop() {
    if (!worker_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    batch_ready_.notify_one();
    worker_.join();
  }

  void drain() {
    for (;;) {
      std::size_t next = 0;
      {
        std::unique_lock lock(mu_);
        batch_ready_.wait(lock, [&] { return drained_ < fill_ || closing_; });
        if (drained_ == fill_) return;  // closing, and nothing left
        next = drained_;
      }
      Batch& b = batches_[next % batches_.size()];
      bool go_on = true;
      try {
        for (std::size_t i = 0; i < b.used && go_on; ++i) go_on = inner_.take_row(b.rows[i]);
      } catch (...) {
        error_ = std::current_exception();
        go_on = false;
      }
      std::lock_guard lock(mu_);
      ++drained_;
      if (!go_on) failed_ = true;
      slot_free_.notify_one();
      if (failed_) return;
    }
  }

  std::unique_ptr<RowSink> owned_;
  RowSink& inner_;
  std::vector<Batch> batches_;  // never resized: rows are filled in place
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable batch_ready_;  // fill_ grew, or closing_
  std::condition_variable slot_free_;    // drained_ grew, or failed_
  std::size_t fill_ = 0;                 // batches published (under mu_)
  std::size_t drained_ = 0;              // batches written (under mu_)
  bool closing_ = false;                 // no batch will follow (under mu_)
  std::atomic<bool> failed_{false};      // inner stopped or threw (set under mu_)
  std::size_t pending_ = 0;              // rows in the batch being filled (caller's)
  std::exception_ptr error_;             // inner's exception; read after join
};

}  // namespace

std::unique_ptr<RowSink> row_relay(std::unique_ptr<RowSink> inner, std::size_t batches) {
  RowSink& ref = *inner;
  return std::make_unique<RowRelay>(std::move(inner), ref, batches);
}

std::unique_ptr<RowSink> row_relay(RowSink& inner, std::size_t batches) {
  return std::make_unique<RowRelay>(nullptr, inner, batches);
}

}  // namespace pftls
