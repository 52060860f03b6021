#!/usr/bin/env bash
# pftls benchmark (issue 2 item 15). Never part of the default test run.
#
# Generates a 2,000,000-line synthetic Postfix log (and a gzip of it) with
# pftls_gen, then measures side by side with hyperfine, page cache warm:
#   pftls ingest (fresh database each run) of big.log     vs  grep -c 'SSL_accept error' big.log
#   pftls ingest (fresh database each run) of big.log.gz  vs  zcat big.log.gz > /dev/null
# and pftls's peak RSS with /usr/bin/time -v. Targets: plain <= 3.5x grep,
# gz <= 1.0x zcat, peak RSS < 64 MiB. It also checks that the incidents pftls
# finds in the big log are exactly the planted ones.
#
# usage: run_bench.sh [--pftls BIN] [--gen BIN] [--dir DIR] [--lines N] [--seed N]
#                     [--runs N] [--build-type T]
#   (PFTLS_BIN / PFTLS_GEN in the environment work too)
# DIR (default: a temporary directory, removed afterwards) keeps big.log,
# big.log.gz and results.md; an existing big.log made with the same
# options is reused.
# Exit: 0 every target met, 1 a target missed or a wrong result, 2 usage/setup.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PFTLS_BIN=${PFTLS_BIN:-}
PFTLS_GEN=${PFTLS_GEN:-}
DIR=
LINES=2000000
SEED=1
RUNS=10
BUILD_TYPE=
START=2024-03-10T06:00:00
YEAR=2024
while (($#)); do
  case $1 in
    --pftls) PFTLS_BIN=$2; shift 2 ;;
    --gen) PFTLS_GEN=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --lines) LINES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --build-type) BUILD_TYPE=$2; shift 2 ;;
    --build-type=*) BUILD_TYPE=${1#*=}; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
for b in "$PFTLS_BIN" "$PFTLS_GEN"; do
  [[ -n $b && -x $b ]] || { echo "run_bench: need --pftls BIN and --gen BIN (executables); got '$b'" >&2; exit 2; }
done
for t in hyperfine /usr/bin/time gzip zcat grep awk; do
  command -v "$t" >/dev/null || { echo "run_bench: $t not found (Debian: apt-get install hyperfine time gzip)" >&2; exit 2; }
done
PFTLS_BIN=$(realpath "$PFTLS_BIN")
PFTLS_GEN=$(realpath "$PFTLS_GEN")
CLEANUP=
if [[ -z $DIR ]]; then
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/pftls-bench.XXXXXX")
  CLEANUP=$DIR
fi
mkdir -p "$DIR"
DIR=$(realpath "$DIR")
trap '[[ -n $CLEANUP ]] && rm -rf "$CLEANUP"' EXIT

if [[ -n $BUILD_TYPE && $BUILD_TYPE != Release && $BUILD_TYPE != RelWithDebInfo ]]; then
  echo "run_bench: WARNING: build type '$BUILD_TYPE'; the targets are meant for a Release build" >&2
fi

LOG=$DIR/big.log
GZ=$DIR/big.log.gz
DB=$DIR/db.sqlite
GEN_ARGS=(--seed "$SEED" --lines "$LINES" --start "$START" --span 36h)
stamp="pftls_gen ${GEN_ARGS[*]} $(cksum <"$PFTLS_GEN")"
if [[ -f $LOG && -f $GZ && -f $DIR/big.stamp && $(cat "$DIR/big.stamp") == "$stamp" ]]; then
  echo "== reusing $LOG"
else
  echo "== generating $LINES lines: pftls_gen ${GEN_ARGS[*]}"
  rm -f "$DIR/big.stamp"
  "$PFTLS_GEN" "${GEN_ARGS[@]}" --out "$LOG" --expected "$DIR/big.expected.csv"
  gzip -c "$LOG" >"$GZ"
  echo "$stamp" >"$DIR/big.stamp"
fi
cat "$LOG" "$GZ" >/dev/null  # warm the page cache

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo "   $LOG: $(wc -l <"$LOG") lines, $(mib "$(stat -c %s "$LOG")") MiB; $GZ: $(mib "$(stat -c %s "$GZ")") MiB"

status=0

# Correctness on the big file: the planted incidents, no others.
echo "== correctness: incidents found in $LOG vs planted"
rm -f "$DB" "$DB"-wal "$DB"-shm
"$PFTLS_BIN" ingest --db "$DB" --tz UTC --year "$YEAR" "$LOG"
"$PFTLS_BIN" export incidents --db "$DB" >"$DIR/big.pftls.csv"
awk -f "$HERE/project_incidents.awk" "$DIR/big.pftls.csv" | LC_ALL=C sort >"$DIR/big.got"
tail -n +2 "$DIR/big.expected.csv" | LC_ALL=C sort >"$DIR/big.want"
if diff -U0 "$DIR/big.want" "$DIR/big.got" >"$DIR/big.diff"; then
  echo "   ok: $(wc -l <"$DIR/big.want") planted incidents found, no others"
else
  echo "   WRONG: missing (-) / unexpected (+):"
  head -40 "$DIR/big.diff"
  status=1
fi

prep="rm -f '$DB' '$DB-wal' '$DB-shm'"
ingest_plain="'$PFTLS_BIN' ingest --db '$DB' --tz UTC --year $YEAR '$LOG'"
ingest_gz="'$PFTLS_BIN' ingest --db '$DB' --tz UTC --year $YEAR '$GZ'"
grep_cmd="grep -c 'SSL_accept error' '$LOG'"
zcat_cmd="zcat '$GZ' > /dev/null"

# --output=pipe: with hyperfine's default (stdout on /dev/null) GNU grep stops
# at the first match, which would make the baseline meaningless.
echo "== plain text: pftls ingest vs grep -c"
hyperfine --style basic --output=pipe --warmup 2 --runs "$RUNS" --prepare "$prep" --export-csv "$DIR/plain.csv" \
  -n pftls-ingest-plain "$ingest_plain" -n grep-c "$grep_cmd"
echo "== gzip: pftls ingest vs zcat"
hyperfine --style basic --output=pipe --warmup 2 --runs "$RUNS" --prepare "$prep" --export-csv "$DIR/gz.csv" \
  -n pftls-ingest-gz "$ingest_gz" -n zcat "$zcat_cmd"

mean() { awk -F, -v n="$2" '$1 == n { print $2 }' "$1"; }
p=$(mean "$DIR/plain.csv" pftls-ingest-plain)
g=$(mean "$DIR/plain.csv" grep-c)
pz=$(mean "$DIR/gz.csv" pftls-ingest-gz)
z=$(mean "$DIR/gz.csv" zcat)

rss() {  # peak RSS in KiB of one ingest into a fresh database
  rm -f "$DB" "$DB"-wal "$DB"-shm
  /usr/bin/time -v "$PFTLS_BIN" ingest --db "$DB" --tz UTC --year "$YEAR" "$1" 2>&1 >/dev/null |
    awk -F': ' '/Maximum resident set size/ { print $2 }'
}
echo "== peak RSS (/usr/bin/time -v)"
rss_plain=$(rss "$LOG")
rss_gz=$(rss "$GZ")
rm -f "$DB" "$DB"-wal "$DB"-shm

report=$(awk -v p="$p" -v g="$g" -v pz="$pz" -v z="$z" -v rp="$rss_plain" -v rz="$rss_gz" '
  function v(ok) { return ok ? "PASS" : "FAIL" }
  BEGIN {
    r1 = p / g; r2 = pz / z; m1 = rp / 1024; m2 = rz / 1024
    printf "| measure | pftls | baseline | ratio | target | |\n|---|---|---|---|---|---|\n"
    printf "| ingest big.log vs grep -c | %.3f s | %.3f s | %.2fx | <= 3.5x | %s |\n", p, g, r1, v(r1 <= 3.5)
    printf "| ingest big.log.gz vs zcat | %.3f s | %.3f s | %.2fx | <= 1.0x | %s |\n", pz, z, r2, v(r2 <= 1.0)
    printf "| peak RSS, plain | %.1f MiB | | | < 64 MiB | %s |\n", m1, v(m1 < 64)
    printf "| peak RSS, gz | %.1f MiB | | | < 64 MiB | %s |\n", m2, v(m2 < 64)
  }')
fails=$(grep -c '| FAIL |' <<<"$report" || true)

{
  echo "# pftls benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs;" \
    "$(grep --version | head -1); $(gzip --version | head -1); $(hyperfine --version);" \
    "locale ${LC_ALL:-${LANG:-POSIX}}."
  echo "Input: $LINES lines ($(mib "$(stat -c %s "$LOG")") MiB, gzip $(mib "$(stat -c %s "$GZ")") MiB)," \
    "pftls_gen ${GEN_ARGS[*]}; means of $RUNS runs after 2 warm-ups (hyperfine --output=pipe)," \
    "page cache warm, fresh database per pftls run."
  echo
  echo "$report"
  echo
  echo "Reproduce: \`cmake --build BUILD --target bench\`, or"
  echo "\`tests/bench/run_bench.sh --pftls BUILD/src/pftls --gen BUILD/tests/bench/pftls_gen --dir DIR\`."
} >"$DIR/results.md"
echo
cat "$DIR/results.md"
if [[ -z $CLEANUP ]]; then echo "(written to $DIR/results.md)"; fi

if ((fails > 0)); then status=1; fi
exit $status
