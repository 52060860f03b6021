// result_set: the rows a named query returns, independent of the database.
#pragma once

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

}  // namespace pftls
