#!/usr/bin/env bash
# pg_golden_diff.sh: the differential golden test. Every golden sample (the
# ingest arguments of each case of tests/golden, collected by CMake into
# CASES) is ingested into a fresh SQLite file and into a fresh PostgreSQL
# database of a throwaway cluster (cluster.sh), and every query command's
# output must be byte-identical on both: the case's own query, and each of
# QUERIES below over the same data, and `show` of every inbound incident.
#
#   pg_golden_diff.sh PFTLS CASES [--split-lines NAME]...
#
# CASES: one line per golden case: NAME, the ingest arguments, "--", the
# query arguments, tab-separated. --split-lines NAME: case NAME's sample is
# also fed one line per run (cron at every line boundary) into a second
# PostgreSQL database, which must give the same output as one run (resume
# across runs). Redaction pseudonyms are random per database (keyed by each
# one's own key): with --redact, they are compared by which are equal, as
# run_golden.sh --pseudonyms does.
set -euo pipefail
pftls=$1 cases=$2
shift 2
declare -A split_cases=()
while [[ ${1:-} == --split-lines ]]; do split_cases[$2]=1; shift 2; done
source "$(dirname "$0")/cluster.sh"
pg_cluster_start
tmp=$PG_DIR/work
mkdir -p "$tmp"

queries=(
  "export incidents"
  "export incidents --match subnet"
  "export incidents --match org"
  "incidents --format json"
  "incidents --window 1h"
  "export failures"
  "export failures --window 1h"
  "lost --window 1h --format csv"
  "failures --format json"
  "export clients"
  "clients --format json"
  "never-tls --format csv"
  "export tls"
  "tls --direction out --format json"
  "whatif --protocols >=TLSv1.2 --ciphers ECDHE+AESGCM:!aNULL --require-tls --format json"
  "failing --format json"
  "report --since 2000-01-01 --until 2030-01-01 --format json"
  "export evidence"
  "export evidence --match org"
)

rename_pseudonyms() {
  local x='[0-9a-f]'
  awk -v re="(user|host)-$x$x$x$x$x$x$x$x" '{
    out = ""; rest = $0
    while (match(rest, re)) {
      token = substr(rest, RSTART, RLENGTH); kind = substr(token, 1, 4)
      if (!(token in name)) name[token] = kind "-" (++count[kind])
      out = out substr(rest, 1, RSTART - 1) name[token]; rest = substr(rest, RSTART + RLENGTH)
    }
    print out rest
  }' "$1" >"$1.renamed"
  mv "$1.renamed" "$1"
}

fail=0 n=0 compared=0 splits=0
declare -A done_sets=()
compare() {  # compare NAME ARGS...: one query on both databases
  local name=$1
  shift
  local rs=0 rp=0
  "$pftls" "$@" --db "$tmp/s.db" >"$tmp/s.out" 2>"$tmp/s.err" || rs=$?
  "$pftls" "$@" --db "$url" >"$tmp/p.out" 2>"$tmp/p.err" || rp=$?
  if [[ " $* " == *" --redact "* ]]; then
    rename_pseudonyms "$tmp/s.out"
    rename_pseudonyms "$tmp/p.out"
  fi
  compared=$((compared + 1))
  if [[ $rs != "$rp" ]] || ! cmp -s "$tmp/s.out" "$tmp/p.out" || ! cmp -s "$tmp/s.err" "$tmp/p.err"; then
    echo "DIFFERS: case $name: pftls $* (exit $rs on SQLite, $rp on PostgreSQL)" >&2
    diff -u "$tmp/s.out" "$tmp/p.out" | head -30 >&2 || true
    diff -u "$tmp/s.err" "$tmp/p.err" | head -10 >&2 || true
    fail=1
  fi
}

while IFS=$'\t' read -r -a f; do
  [[ ${#f[@]} -gt 0 ]] || continue
  name=${f[0]}
  ingest=() query=()
  i=1
  while [[ $i -lt ${#f[@]} && ${f[$i]} != -- ]]; do ingest+=("${f[$i]}"); i=$((i + 1)); done
  i=$((i + 1))
  while [[ $i -lt ${#f[@]} ]]; do query+=("${f[$i]}"); i=$((i + 1)); done
  key="${ingest[*]}"
  n=$((n + 1))
  db=d$n
  url=$(pg_url "$db")
  rm -f "$tmp"/s.db*
  pg_createdb "$db"
  "$pftls" ingest --verbose --db "$tmp/s.db" "${ingest[@]}" 2>"$tmp/ingest.s" || { echo "case $name: SQLite ingest failed" >&2; cat "$tmp/ingest.s" >&2; exit 1; }
  "$pftls" ingest --verbose --db "$url" "${ingest[@]}" 2>"$tmp/ingest.p" || { echo "case $name: PostgreSQL ingest failed" >&2; cat "$tmp/ingest.p" >&2; exit 1; }
  cmp -s "$tmp/ingest.s" "$tmp/ingest.p" || { echo "case $name: ingest said different things" >&2; diff "$tmp/ingest.s" "$tmp/ingest.p" >&2; fail=1; }
  compare "$name" "${query[@]}"
  if [[ -n ${split_cases[$name]:-} ]]; then
    # The same sample one line per run, resumed each time, in a second database.
    splits=$((splits + 1))
    url=$(pg_url "${db}s")
    pg_createdb "${db}s"
    files=() opts=()
    for a in "${ingest[@]}"; do if [[ -f $a ]]; then files+=("$a"); else opts+=("$a"); fi; done
    : >"$tmp/grow.log"
    cat "${files[@]}" | while IFS= read -r line || [[ -n $line ]]; do
      printf '%s\n' "$line" >>"$tmp/grow.log"
      "$pftls" ingest --db "$url" "${opts[@]}" "$tmp/grow.log" 2>/dev/null
    done
    "$pftls" "${query[@]}" --db "$url" | sed "s|$tmp/grow\.log|INPUT|g" >"$tmp/split.out"
    url=$(pg_url "$db")
    "$pftls" "${query[@]}" --db "$url" | sed "s|${files[0]}|INPUT|g" >"$tmp/whole.out"
    if ! cmp -s "$tmp/whole.out" "$tmp/split.out"; then
      echo "DIFFERS: case $name: one line per run on PostgreSQL" >&2
      diff -u "$tmp/whole.out" "$tmp/split.out" >&2 || true
      fail=1
    fi
  fi
  [[ -n ${done_sets[$key]:-} ]] && continue
  done_sets[$key]=1
  for q in "${queries[@]}"; do
    read -r -a qa <<<"$q"
    compare "$name" "${qa[@]}"
  done
  for id in $("$pftls" export incidents --db "$tmp/s.db" | awk -F, 'NR > 1 && $1 ~ /^[0-9]+$/ {print $1}'); do
    compare "$name" show "$id"
  done
done <"$cases"

echo "pg differential: $n cases, ${#done_sets[@]} samples, $compared outputs compared," \
  "$splits cases also one line per run" >&2
((n > 0)) || { echo "no cases in $cases" >&2; exit 1; }
((splits == ${#split_cases[@]})) || { echo "not every --split-lines case was found" >&2; exit 1; }
exit $fail
