#!/usr/bin/env bash
# run_golden.sh: ingest sample logs into a fresh database, run one query
# command, compare its output with an expected file.
#
#   run_golden.sh [--gzip|--bzip2|--xz|--zstd|--split-lines] [--all-recognised] [--pseudonyms] PFTLS EXPECTED INGEST_ARG... -- QUERY_ARG...
#
# --gzip        feed every input file gzip-compressed instead (same result);
#               --bzip2, --xz, --zstd likewise with those compressors.
# File names in the output (evidence) read INPUT.
# --split-lines the inputs are appended to one growing file, one line at a
#               time, with a run after each line (cron at every line
#               boundary): the result must equal one run.
# --all-recognised  also fail unless every ingest run's summary line says
#               "0 unrecognised, 0 malformed" (every line of the sample is
#               one pftls knows).
# --pseudonyms  redaction pseudonyms (user-XXXXXXXX, host-XXXXXXXX) are keyed
#               by each database's random key: the output is compared with
#               each distinct pseudonym renamed by first appearance (user-1,
#               user-2, host-1), so the test still sees which names are the
#               same and which differ.
#
# UPDATE_EXPECTED=1 in the environment: the plain mode writes its output to
# EXPECTED (created if missing) instead of comparing, and passes; the other
# modes still compare. Review the change with git diff.
set -euo pipefail
mode=plain all_recognised=0 pseudonyms=0
while :; do
  case "${1:-}" in
    --gzip|--bzip2|--xz|--zstd) mode=${1#--}; shift ;;
    --split-lines) mode=split; shift ;;
    --all-recognised) all_recognised=1; shift ;;
    --pseudonyms) pseudonyms=1; shift ;;
    *) break ;;
  esac
done
pftls=$1 expected=$2
shift 2
ingest=()
while [[ $# -gt 0 && $1 != -- ]]; do ingest+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

opts=() files=()
for a in "${ingest[@]}"; do
  if [[ -f $a ]]; then files+=("$a"); else opts+=("$a"); fi
done
case $mode in
  plain) "$pftls" ingest --verbose --db "$tmp/db" "${opts[@]}" "${files[@]}" 2>"$tmp/err" ;;
  gzip|bzip2|xz|zstd)
    declare -A ext=([gzip]=gz [bzip2]=bz2 [xz]=xz [zstd]=zst)
    z=()
    for f in "${files[@]}"; do
      n=$tmp/in${#z[@]}.log.${ext[$mode]}; "$mode" -q -c "$f" >"$n"; z+=("$n")
    done
    "$pftls" ingest --verbose --db "$tmp/db" "${opts[@]}" "${z[@]}" 2>"$tmp/err" ;;
  split)
    # The log grows by one line between runs, as under cron.
    : >"$tmp/grow.log"
    for f in "${files[@]}"; do
      while IFS= read -r line || [[ -n $line ]]; do
        printf '%s\n' "$line" >>"$tmp/grow.log"
        "$pftls" ingest --verbose --db "$tmp/db" "${opts[@]}" "$tmp/grow.log" 2>>"$tmp/err" || { cat "$tmp/err"; exit 1; }
      done <"$f"
    done ;;
esac
if (( all_recognised )); then
  summaries=$(grep '^pftls: ingest: ' "$tmp/err" || true)
  if [[ -z $summaries ]] || grep -qv ' 0 unrecognised, 0 malformed,' <<<"$summaries"; then
    echo "golden: not every line was recognised (mode $mode); ingest said:" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
fi
"$pftls" "$@" --db "$tmp/db" >"$tmp/raw"
# Evidence names the file a line came from: one name, whatever the mode.
sed_args=(-e "s|$tmp/grow\.log|INPUT|g" -e "s|$tmp/in[0-9]*\.log\.[a-z0-9]*|INPUT|g")
for f in "${files[@]}"; do sed_args+=(-e "s|$f|INPUT|g"); done
sed "${sed_args[@]}" "$tmp/raw" >"$tmp/actual"
if (( pseudonyms )); then
  x='[0-9a-f]'
  awk -v re="(user|host)-$x$x$x$x$x$x$x$x" '{
    out = ""; rest = $0
    while (match(rest, re)) {
      token = substr(rest, RSTART, RLENGTH); kind = substr(token, 1, 4)
      if (!(token in name)) name[token] = kind "-" (++count[kind])
      out = out substr(rest, 1, RSTART - 1) name[token]; rest = substr(rest, RSTART + RLENGTH)
    }
    print out rest
  }' "$tmp/actual" >"$tmp/renamed"
  mv "$tmp/renamed" "$tmp/actual"
fi
if [[ ${UPDATE_EXPECTED:-0} == 1 && $mode == plain ]]; then
  if ! cmp -s "$expected" "$tmp/actual"; then
    cp "$tmp/actual" "$expected"
    echo "golden: rewrote $expected" >&2
  fi
  exit 0
fi
if ! diff -u "$expected" "$tmp/actual"; then
  echo "golden: output differs from $expected (mode $mode); ingest said:" >&2
  cat "$tmp/err" >&2
  exit 1
fi
