// store: what every backend shares (see store.h).
#include "store/store.h"

#include "store/stored_number.h"

namespace pftls {

void Store::query_rows(std::string_view name, const QueryParams& params, RowSink& sink) {
  const ResultSet rs = query(name, params);
  sink.begin(rs.columns);
  for (const auto& row : rs.rows) {
    if (!sink.row(row)) break;
  }
  sink.end();
}

std::int64_t effective_window(Store& store, std::optional<std::int64_t> override_seconds) {
  if (override_seconds) return *override_seconds;
  return stored_number<std::int64_t>(store, "window_seconds").value_or(kDefaultWindowSeconds);
}

}  // namespace pftls
