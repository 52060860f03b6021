// output_file: -o FILE through FILE.tmp and a rename.
#include "report/output_file.h"

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace pftls {

void write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path.empty()) {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) throw std::runtime_error("cannot write to standard output");
    return;
  }
  const std::string tmp = path + ".tmp";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    write(out);
    out.close();
    if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw std::runtime_error("cannot write " + path);
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace pftls
