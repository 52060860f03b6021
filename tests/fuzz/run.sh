#!/usr/bin/env bash
# run.sh BUILD SECONDS [TARGET...]: runs each fuzz target of BUILD (a
# PFTLS_FUZZ=ON build, e.g. build-fuzz) for SECONDS, one after the other,
# with the seeds of seeds.sh and the dictionary pftls.dict. Default targets:
# all four (line_path journal_json line_source result_writer).
#   FUZZ_JOBS=N   N processes per target (libFuzzer -fork=N); default 1
# The corpus grows in BUILD/fuzz/corpus/TARGET and is reused by the next run;
# a crash, a leak, a timeout (10 s for one input) or a failed check is saved
# as BUILD/fuzz/findings/TARGET-* and fails the run (exit 1), naming the
# command that replays it. Each target's executions, executions per second
# and coverage are printed; the last line is "fuzz: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD SECONDS [TARGET...]}" && pwd)
seconds=${2:?usage: run.sh BUILD SECONDS [TARGET...]}
shift 2
targets=("$@")
((${#targets[@]})) || targets=(line_path journal_json line_source result_writer)
jobs=${FUZZ_JOBS:-1}

work=$build/fuzz
rm -rf "$work/seeds"
bash "$top/tests/fuzz/seeds.sh" "$work/seeds" 2>/dev/null || { echo "run.sh: seeds.sh failed" >&2; exit 1; }
mkdir -p "$work/findings" "$work/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0
for t in "${targets[@]}"; do
  exe=$build/tests/fuzz/${t}_fuzz
  if [[ ! -x $exe ]]; then
    echo "fuzz $t: no $exe (configure with -DPFTLS_FUZZ=ON, build the fuzz_targets target)" >&2
    failed=$((failed + 1))
    continue
  fi
  mkdir -p "$work/corpus/$t"
  log=$work/logs/$t.log
  fork=()
  ((jobs > 1)) && fork=(-fork="$jobs" -ignore_crashes=0)
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -dict="$top/tests/fuzz/pftls.dict" -print_final_stats=1 "${fork[@]}" \
    -artifact_prefix="$work/findings/$t-" "$work/corpus/$t" "$work/seeds/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  files=$(find "$work/corpus/$t" -type f | wc -l)
  if ((rc == 0)); then
    passed=$((passed + 1))
    echo "fuzz $t: ${runs:-?} executions in ${seconds}s (${speed:-?}/s), $cov, corpus $files inputs"
  else
    failed=$((failed + 1))
    echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} executions; the end of $log:"
    grep -Ev '^#[0-9]+' "$log" | tail -40
    for f in "$work/findings/$t-"*; do
      [[ -e $f ]] && echo "  replay: $exe $f"
    done
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
