// output_file: a report written whole or not at all.
//
// Contract: write_output() calls `write` with standard output when `path`
// is empty, else with PATH.tmp, which it renames to PATH once everything is
// written and closed: a reader of PATH never sees half a report. On any
// error (or an exception from `write`) the temporary file is removed; a
// write error throws std::runtime_error ("cannot write PATH"). PATH is then
// as it was.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace pftls {

void write_output(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace pftls
