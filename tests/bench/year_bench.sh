#!/usr/bin/env bash
# year_bench.sh: a year of a busy MX in one store, and how long every query
# command takes on it (issue 16: each must answer within 1 s).
#
#   year_bench.sh PFTLS PFTLS_GEN [--lines N] [--clients N] [--dir DIR] [--runs K]
#
# pftls_gen writes LINES lines (default 100,000,000) spread over 365 days of
# 2024 with CLIENTS background sending addresses (default 1,000,000), piped
# straight into one `pftls ingest` (no 13 GB log file on disk). Measured with
# /usr/bin/time -v: the ingest's wall time and peak RSS, the database's size
# and rows per table, then each query command as a user runs it (table to a
# file, and --format csv) K times (default 3), reporting the best wall time
# and the peak RSS. Prints a Markdown table; exits 1 when a command fails or
# takes 1 s or more (so the target is never silently missed), 2 on usage.
# The database is kept in DIR (default ./year-bench) for a closer look.
set -uo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
(($# >= 2)) || usage
PFTLS=$(readlink -f "$1")
GEN=$(readlink -f "$2")
shift 2
LINES=100000000 CLIENTS=1000000 DIR=year-bench RUNS=3
while (($#)); do
  case $1 in
    --lines) LINES=$2 ;;
    --clients) CLIENTS=$2 ;;
    --dir) DIR=$2 ;;
    --runs) RUNS=$2 ;;
    *) usage ;;
  esac
  shift 2 || usage
done
[[ -x $PFTLS && -x $GEN && -x /usr/bin/time ]] || {
  echo "year_bench: need PFTLS, PFTLS_GEN and /usr/bin/time (Debian's time)" >&2
  exit 2
}
mkdir -p "$DIR" && cd "$DIR" || exit 2
DB=$PWD/year.db
rm -f "$DB" "$DB-wal" "$DB-shm"

# "WALL_S RSS_KIB" of the command line run by /usr/bin/time -v.
measure() {
  /usr/bin/time -v -o time.out "$@" >cmd.out 2>cmd.err
  local rc=$?
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
                for (i = 1; i <= n; i++) s = s * 60 + p[i]; w = s }
              /Maximum resident set size/ { r = $2 }
              END { printf "%.2f %d\n", w, r }' time.out
  return $rc
}

echo "year_bench: $LINES lines, $CLIENTS clients, 2024 (365 days), into $DB" >&2
ingest_start=$(date +%s.%N)
"$GEN" --seed 1 --lines "$LINES" --clients "$CLIENTS" --start 2024-01-01T00:00:00 --span 365d \
  2>gen.err |
  /usr/bin/time -v -o ingest.time "$PFTLS" ingest --db "$DB" --tz UTC --year 2024 --quiet - \
    >ingest.out 2>ingest.err
rc=("${PIPESTATUS[@]}")
ingest_end=$(date +%s.%N)
if [[ ${rc[0]} != 0 || ${rc[1]} != 0 ]]; then
  echo "year_bench: generator exit ${rc[0]}, ingest exit ${rc[1]}: $(tail -n 3 gen.err ingest.err)" >&2
  exit 1
fi
ingest_rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' ingest.time)
ingest_cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' ingest.time)
size=$(stat -c %s "$DB")
echo "| what | figure |"
echo "|---|---|"
echo "| generated | $(tail -n 1 gen.err) |"
printf '| ingest (generator piped in) | %.0f s wall, %.0f s CPU, peak RSS %d KiB |\n' \
  "$(echo "$ingest_end - $ingest_start" | bc)" "$ingest_cpu" "$ingest_rss"
echo "| database | $((size / 1048576)) MiB |"
for t in sessions messages evidence client_stats tls_inventory outbound; do
  echo "| rows in $t | $(sqlite3 "$DB" "SELECT count(*) FROM $t" 2>/dev/null || echo '?') |"
done
echo
echo "| command | best wall (s) of $RUNS | peak RSS (KiB) | rows |"
echo "|---|---|---|---|"
failed=0
first_id=$("$PFTLS" incidents --db "$DB" --format csv 2>/dev/null | sed -n '2s/,.*//p')
commands=(
  "incidents" "failures" "lost" "clients" "failing" "never-tls" "tls" "status" "metrics"
  "incidents --format csv" "failures --format csv" "lost --format csv" "clients --format csv"
  "failing --format csv" "never-tls --format csv" "tls --format csv"
  "incidents --since 2024-12-24" "failures --since 2024-12-24" "clients --client 10.0.0.1"
  "tls --client 10.0.0.1" "whatif --protocols >=TLSv1.2 --ciphers ECDHE+AESGCM"
  "report --since 2024-12-30 --until 2024-12-31" "report --since 2024-12-24 --until 2024-12-31"
  "report --since 2024-12-01 --until 2024-12-31" "show ${first_id:-1}"
)
for c in "${commands[@]}"; do
  best="" rss=0
  for ((i = 0; i < RUNS; i++)); do
    # shellcheck disable=SC2086
    if ! m=$(measure "$PFTLS" $c --db "$DB"); then
      echo "year_bench: '$c' failed: $(head -c 300 cmd.err)" >&2
      failed=1
      break
    fi
    read -r w r <<<"$m"
    [[ -z $best ]] || (($(echo "$w < $best" | bc))) && best=$w
    ((r > rss)) && rss=$r
  done
  rows=$(grep -c . cmd.out)
  echo "| \`pftls $c\` | ${best:-failed} | $rss | $rows |"
  [[ -n $best ]] && (($(echo "$best >= 1" | bc))) && failed=1
done
exit $failed
