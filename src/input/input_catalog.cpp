// input_catalog: fingerprints, rotation sets and the reading plan of a run.
#include "input/input_catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>

#include "input/line_source.h"

namespace pftls {
namespace {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void file_ids(const std::string& path, std::uint64_t& device, std::uint64_t& inode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    device = static_cast<std::uint64_t>(st.st_dev);
    inode = static_cast<std::uint64_t>(st.st_ino);
  }
}

bool prefix_compatible(const std::string& record_fp, const std::string& file_prefix) {
  // The file must be at least as long as what the record saw of it.
  if (record_fp.empty() || file_prefix.size() < record_fp.size()) return false;
  return file_prefix.compare(0, record_fp.size(), record_fp) == 0;
}

// The first bytes of a file for matching a record; a damaged file matches
// none (it is reported when it is read).
std::string prefix_or_none(const std::string& path) {
  try {
    return LineSource::read_prefix(path, kFingerprintBytes);
  } catch (const DamagedInputError&) {
    return {};
  }
}

constexpr const char* kCompressedSuffixes[] = {"", ".gz", ".bz2", ".xz", ".zst"};
constexpr int kMaxRotation = 30;

// One path named for a run, with its rotation number (0: the live log).
struct Member {
  std::string path;
  int number = 0;
};

// The paths in rotation sets (mail.log.2.gz, mail.log.1 and mail.log are one
// set), in the order each set was first named; every "-" (stdin) is a set of
// its own. Within a set: oldest (highest number) first, each path once.
std::vector<std::vector<Member>> group_rotations(const std::vector<std::string>& paths) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<Member>> groups;
  for (const auto& p : paths) {
    std::string key = p;
    int number = 0;
    if (p == "-") {
      key = "-\n" + std::to_string(order.size());
    } else {
      split_rotation(p, key, number);
    }
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back({p, number});
  }
  std::vector<std::vector<Member>> out;
  for (const auto& key : order) {
    auto& members = groups[key];
    std::stable_sort(members.begin(), members.end(),
                     [](const Member& a, const Member& b) { return a.number > b.number; });
    members.erase(std::unique(members.begin(), members.end(),
                              [](const Member& a, const Member& b) { return a.path == b.path; }),
                  members.end());
    out.push_back(std::move(members));
  }
  return out;
}

// The record of the unfinished file last read at `path`, or nullptr.
const InputRecord* last_unfinished(const std::vector<InputRecord>& records,
                                   const std::string& path) {
  const InputRecord* last = nullptr;
  for (const auto& r : records) {
    if (r.path == path && !r.complete && (!last || r.last_read_at > last->last_read_at)) last = &r;
  }
  return last;
}

// The rotations of `base` (base.1, base.2.gz, ...), newest first, up to and
// including the one that starts with `fingerprint`; empty when none does.
std::vector<Member> find_rotated_rest(const std::string& base, const std::string& fingerprint) {
  std::vector<Member> newer;
  for (int n = 1; n <= kMaxRotation; ++n) {
    for (const char* ext : kCompressedSuffixes) {
      std::string candidate = base + "." + std::to_string(n) + ext;
      if (!file_exists(candidate)) continue;
      const bool found = prefix_compatible(fingerprint, prefix_or_none(candidate));
      newer.push_back({candidate, n});
      if (found) return newer;
      break;  // one file per rotation number
    }
  }
  return {};
}

}  // namespace

void split_rotation(const std::string& path, std::string& base, int& number) {
  std::string p = path;
  for (const char* ext : {".gz", ".bz2", ".xz", ".zst"}) {
    std::string e = ext;
    if (p.size() > e.size() && p.compare(p.size() - e.size(), e.size(), e) == 0) {
      p.resize(p.size() - e.size());
      break;
    }
  }
  auto dot = p.rfind('.');
  if (dot != std::string::npos && dot + 1 < p.size() && dot > 0 &&
      p.find_first_not_of("0123456789", dot + 1) == std::string::npos && p.size() - dot <= 4) {
    base = p.substr(0, dot);
    number = std::stoi(p.substr(dot + 1));
    return;
  }
  base = path;
  number = 0;
}

InputRecord* InputCatalog::match(const std::string& prefix, std::uint64_t device,
                                 std::uint64_t inode, const std::string& path) {
  InputRecord* best = nullptr;
  int best_score = -1;
  auto consider = [&](InputRecord& r) {
    if ((r.path == "-") != (path == "-")) return;  // stdin is never a file
    if (!prefix_compatible(r.fingerprint, prefix)) return;
    int score = 1 + (r.device == device && r.inode == inode ? 4 : 0) + (r.path == path ? 2 : 0);
    if (score > best_score || (score == best_score && best && r.offset > best->offset)) {
      best = &r;
      best_score = score;
    }
  };
  for (auto& r : records_) consider(r);
  for (auto& r : added_) consider(*r);
  return best;
}

InputRecord* InputCatalog::record_for(const std::string& path, const std::string& prefix) {
  std::uint64_t device = 0, inode = 0;
  file_ids(path, device, inode);
  if (InputRecord* r = match(prefix, device, inode, path)) return r;
  auto r = std::make_unique<InputRecord>();
  r->path = path;
  r->device = device;
  r->inode = inode;
  added_.push_back(std::move(r));
  return added_.back().get();
}

InputRecord* InputCatalog::stdin_record(const std::string& prefix, bool ended) {
  if (InputRecord* r = match(prefix, 0, 0, "-")) return r;
  if (ended && !prefix.empty()) {
    for (auto& r : records_) {
      if (r.path == "-" && r.fingerprint.compare(0, prefix.size(), prefix) == 0) return &r;
    }
  }
  auto r = std::make_unique<InputRecord>();
  r->path = "-";
  added_.push_back(std::move(r));
  return added_.back().get();
}

std::vector<PlannedInput> InputCatalog::plan(const std::vector<std::string>& paths,
                                             std::vector<std::string>& warnings) {
  std::vector<PlannedInput> out;
  for (auto& members : group_rotations(paths)) {
    if (members.front().path == "-") {
      out.push_back(PlannedInput{"-", nullptr, true, {}, {}});
      continue;
    }
    std::vector<Member> files = members;
    // A live log named alone: was it rotated since it was last read?
    if (members.size() == 1 && members[0].number == 0) {
      const std::string& base = members[0].path;
      const InputRecord* last = last_unfinished(records_, base);
      if (last && !prefix_compatible(last->fingerprint, prefix_or_none(base))) {
        std::vector<Member> rest = find_rotated_rest(base, last->fingerprint);
        if (rest.empty()) {
          warnings.push_back(base +
                             " was rotated since the last run and the rest of the old file (from "
                             "byte " +
                             std::to_string(last->offset) + ") was not found among its rotations");
        } else {
          files.assign(rest.rbegin(), rest.rend());
          files.push_back(members[0]);
        }
      }
    }
    for (const auto& m : files) out.push_back(planned(m.path, m.number));
  }
  return out;
}

PlannedInput InputCatalog::planned(const std::string& path, int number) {
  PlannedInput in;
  in.path = path;
  in.rotated = number > 0;
  try {
    in.prefix = LineSource::read_prefix(path, kFingerprintBytes);
  } catch (const DamagedInputError& e) {
    in.damage = e.what();  // no first bytes, no record: read_file() reports it
    return in;
  }  // a numbered rotation; compressed files are final in any case
  // An empty file: nothing to read, nothing to remember.
  in.record = in.prefix.empty() ? nullptr : record_for(path, in.prefix);
  return in;
}

bool InputCatalog::unchanged(const PlannedInput& in, const std::optional<std::uint64_t>& size,
                             std::int64_t mtime) {
  const InputRecord* r = in.record;
  if (!r || r->id == 0 || !size) return false;
  if (r->complete) return true;
  return *size == r->size && mtime == r->mtime && r->pending_bytes == 0;
}

}  // namespace pftls
