// incident_hook: runs the --on-incident command, feeding it on its stdin.
//
// Contract: run_incident_hook() starts argv[0] (looked up on PATH when it
// has no slash, as execvp; no shell) with stdin a pipe that `feed` writes
// to, stdout and stderr pftls's own, SIGPIPE at its default and no other
// descriptor of pftls open. A command that stops reading (exits, closes its
// stdin) ends the feeding without SIGPIPE for pftls. The whole of it,
// feeding and waiting, is bounded by `limit`: a command still running then
// is killed (SIGKILL). Returns "" when the command exited 0, else one line
// saying what went wrong ("cannot run CMD: REASON", "CMD: exit status N",
// "CMD: killed by signal N", "CMD: still running after S s, killed");
// never throws for the command's sake.
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace pftls {

std::string run_incident_hook(const std::vector<std::string>& argv,
                              const std::function<void(std::ostream&)>& feed,
                              std::chrono::milliseconds limit);

}  // namespace pftls
