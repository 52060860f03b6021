// container_frame: the frame container runtimes put around a log line.
//
// Contract: unwrap() takes one line of an input in one of these forms (told
// per input, input/input_format.h) and hands out the line inside the frame,
// which the EnvelopeParser then reads like any other:
//   kCompose      `docker compose logs` / `docker-compose logs`: a service
//                 prefix "mail    | ", "mail_1  | ", "mailserver-1  | ",
//                 with or without ANSI colour codes around it; a
//                 `--timestamps` stamp after it is the frame's time
//   kTimestamped  `docker logs --timestamps`, `kubectl logs --timestamps`:
//                 an RFC 3339 stamp ("2024-01-01T00:00:00.123456789Z ")
//   kCri          Kubernetes/CRI log files: "STAMP stdout|stderr F|P TEXT";
//                 partial lines (P) are joined up to their F line
//   kDockerJson   Docker's json-file driver: {"log":"TEXT\n","stream":...,
//                 "time":"STAMP"} a line (simdjson); an entry whose log does
//                 not end in "\n" is a partial line, joined to the next ones
// The frame's stamp (up to nanoseconds, Z or an offset; kept to the
// microsecond) is its time: the one of a line without a stamp of its own.
// A line that does not have the frame (a compose line without a prefix, a
// CRI line cut short) is kNotFramed: read as it is. A json-file line that
// is not such an entry is kBad. A joined line is cut at kMaxJoinedBytes.
// The views point into the line or into the frame's own storage, valid
// until the next unwrap().
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "base/log_time.h"

namespace pftls {

enum class FrameKind { kCompose, kTimestamped, kCri, kDockerJson };

struct FramedLine {
  std::string_view text;       // the line inside the frame
  std::optional<Micros> time;  // the frame's stamp, if it has one
  std::string_view service;    // kCompose: the service name
};

inline constexpr std::size_t kMaxJoinedBytes = std::size_t{64} * 1024;

class ContainerFrame {
 public:
  explicit ContainerFrame(FrameKind kind);
  ~ContainerFrame();
  ContainerFrame(const ContainerFrame&) = delete;
  ContainerFrame& operator=(const ContainerFrame&) = delete;

  enum Result { kLine, kPartial, kNotFramed, kBad };
  Result unwrap(std::string_view line, FramedLine& out);
  FrameKind kind() const { return kind_; }
  // Parts of a split line are held, waiting for its last part.
  bool joining() const { return joining_; }

 private:
  struct Json;
  Result compose(std::string_view line, FramedLine& out);
  Result cri(std::string_view line, FramedLine& out);
  Result docker_json(std::string_view line, FramedLine& out);
  // A part of a split line: kept, or joined with the parts before it.
  Result join(std::string_view part, bool last, std::optional<Micros> time, FramedLine& out);

  FrameKind kind_;
  std::unique_ptr<Json> json_;
  std::string joined_;
  bool joining_ = false;
  std::optional<Micros> joined_time_;
};

// An RFC 3339 stamp ("2024-01-01T00:00:00[.f]Z" or "+HH:MM", up to nine
// fraction digits kept to the microsecond) at the start of `s`, ending at a
// space or the end: its UTC time and length. False for anything else.
bool read_frame_stamp(std::string_view s, Micros& time, std::size_t& length);

}  // namespace pftls
