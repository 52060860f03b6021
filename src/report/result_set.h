// result_set: the rows a named query returns, independent of the database,
// whole (ResultSet) or one at a time (RowSink): a query's output streams
// through a RowSink, so no result needs to be held whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pftls {

struct Cell {
  enum class Type { kNull, kInteger, kReal, kText };
  Type type = Type::kNull;
  std::string text;  // the value as text (empty for NULL)
};

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

// Receives a result: its columns once, then each row, then end(). row()
// returns false when the receiver wants no more rows (its output failed,
// say); the sender then stops and still calls end().
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void begin(const std::vector<std::string>& columns) = 0;
  virtual bool row(const std::vector<Cell>& cells) = 0;
  // row() for a sender that lets the receiver take the cells' text:
  // `cells` may come back holding other text, as many cells, which the
  // sender overwrites, every cell, before its next row. The default copies.
  virtual bool take_row(std::vector<Cell>& cells) { return row(cells); }
  virtual void end() = 0;
};

// A RowSink that only counts the rows: the memory of one row at a time,
// however many there are (an ingest run's new incidents, say).
class RowCounter final : public RowSink {
 public:
  void begin(const std::vector<std::string>& /*columns*/) override {}
  bool row(const std::vector<Cell>& /*cells*/) override {
    ++rows_;
    return true;
  }
  void end() override {}
  std::uint64_t rows() const { return rows_; }

 private:
  std::uint64_t rows_ = 0;
};

// A RowSink that keeps everything: for small results a caller reads whole.
class ResultCollector final : public RowSink {
 public:
  explicit ResultCollector(ResultSet& out) : out_(out) {}
  void begin(const std::vector<std::string>& columns) override { out_.columns = columns; }
  bool row(const std::vector<Cell>& cells) override {
    out_.rows.push_back(cells);
    return true;
  }
  void end() override {}

 private:
  ResultSet& out_;
};

}  // namespace pftls
