#!/usr/bin/env bash
# match_superset.sh PFTLS LOG...: for every log, the incidents found with
# --match subnet and with --match org include every incident --match ip
# finds (the same message on the same host): a pool match only adds
# failures of other members, and "no TLS session in between" is asked of
# the address that retried in each mode (README "--match").
set -euo pipefail
pftls=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The inbound incidents of database $1 under --match $2, as "queue_id,mx_host".
incidents_of() {
  "$pftls" incidents --db "$1" --match "$2" --format csv |
    awk -F, 'NR > 1 && $2 == "inbound-downgrade" { print $11 "," $15 }' | sort
}
total=0 logs=0
for log in "$@"; do
  db=$tmp/$logs.db
  "$pftls" ingest --db "$db" --tz UTC --year 2026 "$log" 2>/dev/null ||
    { echo "FAIL: ingest of $log" >&2; exit 1; }
  incidents_of "$db" ip >"$tmp/ip"
  for m in subnet org; do
    incidents_of "$db" "$m" >"$tmp/$m"
    missing=$(comm -23 "$tmp/ip" "$tmp/$m")
    [[ -z $missing ]] || { echo "FAIL: $log: --match $m misses incidents of --match ip: $missing" >&2; exit 1; }
  done
  total=$((total + $(wc -l <"$tmp/ip")))
  logs=$((logs + 1))
done
((total > 0)) || { echo "FAIL: no incident in any log: the test shows nothing" >&2; exit 1; }
echo "match superset: $logs logs, $total incidents with --match ip, all found by subnet and org"
