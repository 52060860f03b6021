#!/usr/bin/env bash
# Planted-incident test: generate synthetic Postfix traffic with pftls_gen,
# ingest it with pftls, export the incidents and compare them with the ones
# the generator planted (client_ip, failure_at, plaintext_at, queue_id).
#
# usage: check_planted.sh [PFTLS_BIN [PFTLS_GEN [WORKDIR]]]
#        (or PFTLS_BIN / PFTLS_GEN in the environment)
# WORKDIR (default: a fresh temporary directory) keeps the logs, databases and
# CSVs of a failed run; they are removed after a successful one.
# Exit: 0 all cases match; 1 a difference (shown as a diff); 2 usage/setup.
set -euo pipefail

PFTLS_BIN=${1:-${PFTLS_BIN:-}}
PFTLS_GEN=${2:-${PFTLS_GEN:-}}
WORK=${3:-}
if [[ -z $PFTLS_BIN || -z $PFTLS_GEN ]]; then
  echo "usage: $0 PFTLS_BIN PFTLS_GEN [WORKDIR]" >&2
  exit 2
fi
for b in "$PFTLS_BIN" "$PFTLS_GEN"; do
  [[ -x $b ]] || { echo "check_planted: not executable: $b" >&2; exit 2; }
done
if [[ -z $WORK ]]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pftls-planted.XXXXXX")
else
  mkdir -p "$WORK"
  rm -f "$WORK"/mixed* "$WORK"/newyear*
fi
export LC_ALL=C

failures=0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# pftls's CSV export -> client_ip,failure_at,plaintext_at,queue_id
project() { awk -f "$HERE/project_incidents.awk" "$1"; }

# compare NAME EXPECTED_CSV PFTLS_CSV SCENARIOS_CSV
compare() {
  local name=$1 expected=$2 actual=$3 scen=$4
  tail -n +2 "$expected" | sort >"$WORK/$name.want"
  if ! project "$actual" | sort >"$WORK/$name.got"; then
    echo "FAIL $name: could not read pftls's CSV ($actual)"
    failures=$((failures + 1))
    return
  fi
  if diff -U0 --label "$name: planted" --label "$name: pftls" "$WORK/$name.want" "$WORK/$name.got" >"$WORK/$name.diff"; then
    echo "ok   $name: $(wc -l <"$WORK/$name.want") planted incidents found, no others"
    return
  fi
  failures=$((failures + 1))
  echo "FAIL $name: missing (-) and unexpected (+) incidents:"
  cat "$WORK/$name.diff"
  # Name the scenario behind each differing client address.
  echo "  scenarios behind the differences (kind,host,client_ip,client_name,start,planned,notes):"
  grep -E '^[-+][^-+]' "$WORK/$name.diff" | cut -c2- | cut -d, -f1 | sort -u | while read -r ip; do
    grep -F ",$ip," "$scen" | sed 's/^/    /' || echo "    $ip: not a planted scenario address (background traffic)"
  done
}

# ingest NAME DB YEAR [EXTRA_INGEST_ARGS...] -- FILES...
ingest() {
  local name=$1 db=$2 year=$3
  shift 3
  rm -f "$db" "$db"-wal "$db"-shm
  if ! "$PFTLS_BIN" ingest --db "$db" --tz UTC --year "$year" "$@" 2>"$WORK/$name.ingest.err"; then
    echo "FAIL $name: pftls ingest exited non-zero:"
    sed 's/^/    /' "$WORK/$name.ingest.err"
    failures=$((failures + 1))
    return 1
  fi
}

# export_incidents NAME DB [EXTRA_EXPORT_ARGS...]
export_incidents() {
  local name=$1 db=$2
  shift 2
  if ! "$PFTLS_BIN" export incidents --db "$db" "$@" >"$WORK/$name.pftls.csv" 2>"$WORK/$name.export.err"; then
    echo "FAIL $name: pftls export incidents exited non-zero:"
    sed 's/^/    /' "$WORK/$name.export.err"
    failures=$((failures + 1))
    return 1
  fi
}

gen() {  # gen NAME ARGS... -> NAME.log, NAME.expected.csv, NAME.scenarios.csv
  local name=$1
  shift
  if ! "$PFTLS_GEN" "$@" --out "$WORK/$name.log" --expected "$WORK/$name.expected.csv" \
      --scenarios "$WORK/$name.scenarios.csv" 2>"$WORK/$name.gen.err"; then
    cat "$WORK/$name.gen.err" >&2
    echo "check_planted: pftls_gen failed" >&2
    exit 2
  fi
  sed 's/^/     /' "$WORK/$name.gen.err"
}

# 1. A day and a half on two hosts (mx1 with postscreen and submission, mx2 a
#    postfix-in instance sharing pid numbers), many failures: every decoy kind,
#    including the >24h stale failure and the 20-23.5h late downgrade.
echo "case mixed: 60000 lines, 36h, 2 hosts"
gen mixed --seed 1 --lines 60000 --span 36h --hosts 2 --fail-permille 20
if ingest mixed "$WORK/mixed.db" 2024 "$WORK/mixed.log" &&
   export_incidents mixed "$WORK/mixed.db"; then
  compare mixed "$WORK/mixed.expected.csv" "$WORK/mixed.pftls.csv" "$WORK/mixed.scenarios.csv"
fi

# 2. The same log gzip'd (compression is detected by content, not by name).
gzip -c "$WORK/mixed.log" >"$WORK/mixed.log.gz"
if ingest mixed-gz "$WORK/mixed-gz.db" 2024 "$WORK/mixed.log.gz" &&
   export_incidents mixed-gz "$WORK/mixed-gz.db"; then
  compare mixed-gz "$WORK/mixed.expected.csv" "$WORK/mixed-gz.pftls.csv" "$WORK/mixed.scenarios.csv"
fi

# 3. A shorter window given to export: incidents whose latest failure is more
#    than 30 minutes before the plaintext message disappear.
"$PFTLS_GEN" --seed 1 --lines 60000 --span 36h --hosts 2 --fail-permille 20 --window 30m \
  --out /dev/null --expected "$WORK/mixed-30m.expected.csv" 2>/dev/null
if [[ -f $WORK/mixed.db ]] && export_incidents mixed-30m "$WORK/mixed.db" --window 30m; then
  compare mixed-30m "$WORK/mixed-30m.expected.csv" "$WORK/mixed-30m.pftls.csv" "$WORK/mixed.scenarios.csv"
fi

# 4. New Year: Dec 31 22:30 -> Jan 1 01:30 with --year 2023; downgrades and a
#    TLS-retry decoy planted across midnight (one interleaved, one within seconds).
echo "case newyear: 30000 lines from 2023-12-31T22:30:00, 3h"
gen newyear --seed 2 --lines 30000 --start 2023-12-31T22:30:00 --span 3h --hosts 2 --fail-permille 20
if ingest newyear "$WORK/newyear.db" 2023 "$WORK/newyear.log" &&
   export_incidents newyear "$WORK/newyear.db"; then
  compare newyear "$WORK/newyear.expected.csv" "$WORK/newyear.pftls.csv" "$WORK/newyear.scenarios.csv"
fi

# 5. The same New Year log rotated at midnight into two files, ingested in one
#    run (the year advances from one file to the next; sessions span the cut).
cut_at=$(grep -n -m1 '^Jan  1 ' "$WORK/newyear.log" | cut -d: -f1)
head -n $((cut_at - 1)) "$WORK/newyear.log" >"$WORK/newyear.log.1"
tail -n +"$cut_at" "$WORK/newyear.log" >"$WORK/newyear.log.0"
if ingest newyear-split "$WORK/newyear-split.db" 2023 "$WORK/newyear.log.1" "$WORK/newyear.log.0" &&
   export_incidents newyear-split "$WORK/newyear-split.db"; then
  compare newyear-split "$WORK/newyear.expected.csv" "$WORK/newyear-split.pftls.csv" "$WORK/newyear.scenarios.csv"
fi

if ((failures > 0)); then
  echo "check_planted: $failures case(s) failed; files kept in $WORK"
  exit 1
fi
rm -f "$WORK"/mixed* "$WORK"/newyear*
rmdir "$WORK" 2>/dev/null || true
echo "check_planted: all cases pass"
