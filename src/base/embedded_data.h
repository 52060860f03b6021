// embedded_data: the project's data files (parsers/*.patterns,
// queries/*.sql) compiled into the binary, so that pftls runs from any
// directory and the checked-in data is exactly what runs.
#pragma once

#include <span>
#include <string_view>

namespace pftls {

struct EmbeddedFile {
  std::string_view path;  // relative to the source tree, e.g. "queries/incidents.sql"
  std::string_view content;
};

std::span<const EmbeddedFile> embedded_files();
// The content of `path`; empty view when there is no such file.
std::string_view embedded_file(std::string_view path);

}  // namespace pftls
