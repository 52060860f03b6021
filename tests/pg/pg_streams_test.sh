#!/usr/bin/env bash
# pg_streams_test.sh: a PostgreSQL listing streams through a cursor, so its
# memory does not grow with its rows. 300,000 clients (written by SQL into
# a throwaway cluster, cluster.sh): clients, never-tls and whatif list them
# all with a peak RSS under 64 MiB (whole results in libpq took about
# 1 KiB a row: a gigabyte for a year's million clients), the same rows as
# the same clients in SQLite; a listing cut short by its reader (head)
# ends cleanly and the connection is usable again.
#
#   pg_streams_test.sh PFTLS
set -euo pipefail
pftls=$1
source "$(dirname "$0")/cluster.sh"
pg_cluster_start
tmp=$PG_DIR/work
mkdir -p "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
readonly MAX_RSS_KIB=$((64 * 1024)) CLIENTS=300000

pg_createdb streams
url=$(pg_url streams)
"$pftls" ingest --db "$url" </dev/null >/dev/null 2>&1 || fail "creating the schema failed"
"$pftls" ingest --db "$tmp/ref.db" </dev/null >/dev/null 2>&1 || fail "creating the SQLite twin failed"
# The same clients in both: a third without TLS, some failing.
fill() {
  cat <<EOF2
INSERT INTO client_stats (client_ip, client_name, sessions, tls_sessions, plaintext_sessions,
  failed_sessions, messages, plaintext_messages, first_seen, last_seen)
SELECT '10.' || (i / 65536 % 256) || '.' || (i / 256 % 256) || '.' || (i % 256),
  'mta' || i || '.example', 2, CASE WHEN i % 3 = 0 THEN 0 ELSE 2 END,
  CASE WHEN i % 3 = 0 THEN 2 ELSE 0 END, CASE WHEN i % 7 = 0 THEN 1 ELSE 0 END, 1 + i % 5,
  CASE WHEN i % 3 = 0 THEN 1 + i % 5 ELSE 0 END, 1700000000000000, 1700000000000000 + i * 1000000
EOF2
}
pg_psql streams -c "$(fill) FROM generate_series(1::bigint, $CLIENTS) AS g(i)"
sqlite3 "$tmp/ref.db" "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $CLIENTS)
  $(fill) FROM k" || fail "filling the SQLite twin failed"

for q in "clients" "never-tls" "whatif --protocols >=TLSv1.2"; do
  read -r -a qa <<<"$q"
  /usr/bin/time -v -o "$tmp/time" "$pftls" "${qa[@]}" --db "$url" --format csv >"$tmp/out" 2>"$tmp/err" ||
    fail "$q: exit $?: $(cat "$tmp/err")"
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
  rows=$(($(wc -l <"$tmp/out") - 1))
  echo "pg_streams: $q: $rows rows, peak RSS $rss KiB"
  ((rss < MAX_RSS_KIB)) || fail "$q: peak RSS $rss KiB over $MAX_RSS_KIB KiB"
  ((rows > 50000)) || fail "$q: only $rows rows"
  "$pftls" "${qa[@]}" --db "$tmp/ref.db" --format csv >"$tmp/ref" 2>&1 || fail "$q on SQLite failed"
  cmp -s "$tmp/out" "$tmp/ref" || fail "$q: not the rows SQLite gives"
done

# Cut short: the first line, a clean exit, and the next command works.
set +o pipefail
"$pftls" clients --db "$url" --format csv 2>"$tmp/err" | head -2 >"$tmp/out"
rc=${PIPESTATUS[0]}
set -o pipefail
[[ $rc == 0 || $rc == 141 ]] || fail "clients | head: exit $rc: $(cat "$tmp/err")"
[[ $(wc -l <"$tmp/out") == 2 ]] || fail "clients | head: $(cat "$tmp/out")"
"$pftls" status --db "$url" >/dev/null 2>"$tmp/err" || fail "status after a cut listing: $(cat "$tmp/err")"
echo "pg_streams: every listing under $MAX_RSS_KIB KiB, the same as SQLite's"
