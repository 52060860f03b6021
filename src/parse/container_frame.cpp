// container_frame: compose prefixes, --timestamps stamps, CRI files and
// Docker's json-file entries around a log line.
#include "parse/container_frame.h"

#include <simdjson.h>

#include <cstring>
#include <string>

#include "base/container_prefix.h"

namespace pftls {
namespace od = simdjson::ondemand;
namespace cp = container_prefix;

namespace {

int two(const char* p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

}  // namespace

bool read_frame_stamp(std::string_view s, Micros& time, std::size_t& length) {
  std::size_t digits = 0;
  bool zulu = false;
  const std::size_t n = cp::rfc3339_stamp_length(s, &digits, &zulu);
  if (n == 0) return false;
  const char* p = s.data();
  const int year = two(p) * 100 + two(p + 2);
  const int month = two(p + 5), day = two(p + 8), h = two(p + 11), mi = two(p + 14),
            se = two(p + 17);
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || se > 60) return false;
  Micros fraction = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    fraction = fraction * 10 + (i < digits ? s[20 + i] - '0' : 0);
  }
  std::int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se;
  if (!zulu) {
    const char* o = p + n - 6;
    const int oh = two(o + 1), om = two(o + 4);
    if (oh > 23 || om > 59) return false;
    const std::int64_t offset = oh * 3600 + om * 60;
    seconds += o[0] == '-' ? offset : -offset;
  }
  time = seconds * kMicrosPerSecond + fraction;
  length = n;
  return true;
}

struct ContainerFrame::Json {
  od::parser parser;
  std::string padded;  // a copy of the line with simdjson's padding, reused
};

ContainerFrame::ContainerFrame(FrameKind kind) : kind_(kind) {
  if (kind_ == FrameKind::kDockerJson) json_ = std::make_unique<Json>();
}
ContainerFrame::~ContainerFrame() = default;

ContainerFrame::Result ContainerFrame::unwrap(std::string_view line, FramedLine& out) {
  out = FramedLine{};
  switch (kind_) {
    case FrameKind::kCompose:
      return compose(line, out);
    case FrameKind::kTimestamped: {
      std::size_t rest = 0;
      Micros t = 0;
      std::size_t n = 0;
      if (!read_frame_stamp(line, t, n)) return kNotFramed;
      rest = n < line.size() ? n + 1 : n;
      out.text = line.substr(rest);
      out.time = t;
      return kLine;
    }
    case FrameKind::kCri:
      return cri(line, out);
    case FrameKind::kDockerJson:
      return docker_json(line, out);
  }
  return kNotFramed;
}

ContainerFrame::Result ContainerFrame::compose(std::string_view line, FramedLine& out) {
  std::string_view service;
  std::size_t rest = 0;
  if (!cp::compose_prefix(line, service, rest)) return kNotFramed;
  out.service = service;
  std::string_view text = line.substr(rest);
  std::size_t after = 0;
  Micros t = 0;
  std::size_t n = 0;
  if (cp::timestamps_prefix(text, after) && read_frame_stamp(text, t, n)) {
    out.time = t;
    text.remove_prefix(after);
  }
  out.text = text;
  return kLine;
}

// "STAMP STREAM TAG TEXT": TAG F ends a line, P is a part of one.
ContainerFrame::Result ContainerFrame::cri(std::string_view line, FramedLine& out) {
  Micros t = 0;
  std::size_t n = 0;
  if (!read_frame_stamp(line, t, n) || n >= line.size()) return kNotFramed;
  std::string_view rest = line.substr(n + 1);
  const std::size_t stream_end = rest.find(' ');
  if (stream_end == std::string_view::npos) return kNotFramed;
  const std::string_view stream = rest.substr(0, stream_end);
  if (stream != "stdout" && stream != "stderr") return kNotFramed;
  rest.remove_prefix(stream_end + 1);
  if (rest.empty() || (rest[0] != 'F' && rest[0] != 'P') || (rest.size() > 1 && rest[1] != ' ')) {
    return kNotFramed;
  }
  const bool last = rest[0] == 'F';
  rest.remove_prefix(rest.size() > 1 ? 2 : 1);
  return join(rest, last, t, out);
}

ContainerFrame::Result ContainerFrame::join(std::string_view part, bool last,
                                            std::optional<Micros> time, FramedLine& out) {
  if (!joining_ && last) {
    out.text = part;
    out.time = time;
    return kLine;
  }
  if (!joining_) {
    joined_.clear();
    joined_time_ = time;  // a joined line is dated by its first part
    joining_ = true;
  }
  const std::size_t room = kMaxJoinedBytes - joined_.size();
  joined_.append(part.substr(0, std::min(room, part.size())));
  if (!last) return kPartial;
  joining_ = false;
  out.text = joined_;
  out.time = joined_time_;
  return kLine;
}

ContainerFrame::Result ContainerFrame::docker_json(std::string_view line, FramedLine& out) {
  std::string& p = json_->padded;
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (p.size() < need) p.resize(need < 4096 ? 4096 : need + need / 2);
  if (!line.empty()) std::memcpy(p.data(), line.data(), line.size());
  od::document doc;
  if (json_->parser.iterate(p.data(), line.size(), p.size()).get(doc)) return kBad;
  od::object obj;
  if (doc.get_object().get(obj)) return kBad;
  std::string_view log, stamp;
  bool have_log = false, have_time = false;
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return kBad;
    const od::raw_json_string key = field.key();
    if (key.unsafe_is_equal("log")) {
      if (field.value().get_string().get(log)) return kBad;
      have_log = true;
    } else if (key.unsafe_is_equal("time")) {
      if (field.value().get_string().get(stamp)) return kBad;
      have_time = true;
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS || !have_log) return kBad;
  std::optional<Micros> time;
  Micros t = 0;
  std::size_t n = 0;
  if (have_time && read_frame_stamp(stamp, t, n) && n == stamp.size()) time = t;
  // The driver ends a whole line with "\n"; without it, a part of a longer one.
  const bool last = !log.empty() && log.back() == '\n';
  if (last) log.remove_suffix(1);
  return join(log, last, time, out);
}

}  // namespace pftls
