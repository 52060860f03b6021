#!/usr/bin/env bash
# pg_hosts_bench.sh: eight MX hosts' logs of LINES lines each (default 1M)
# ingested into one PostgreSQL database by eight concurrent runs (one per
# host, as eight cron jobs would), against the same lines merged into one
# stream and ingested into one SQLite file by one run. Prints per store the
# wall time, the peak RSS of each pftls process, the rows written and the
# database's size. A benchmark, not a test: run it by hand on a quiet
# machine; it needs Debian's postgresql-15 (a throwaway cluster of its own,
# tests/pg/cluster.sh, with fsync on as a production server has it) and
# about 1.2 GB in its work directory for 1M lines per host.
#
#   pg_hosts_bench.sh PFTLS PFTLS_GEN [LINES]
set -euo pipefail
pftls=$1 gen=$2 lines=${3:-1000000}
readonly HOSTS=8
PG_FSYNC=on
source "$(dirname "$0")/../pg/cluster.sh"
pg_cluster_start
work=$PG_DIR/work
mkdir -p "$work"
opts=(--year 2024 --tz UTC)

# Eight one-host logs of other seeds, host mx1 renamed h1..h8.
for ((h = 1; h <= HOSTS; h++)); do
  "$gen" --seed $((100 + h)) --lines "$lines" 2>/dev/null |
    sed -E "s/^([A-Z][a-z]{2} +[0-9]+ [0-9:]+) mx1 /\1 h$h /" >"$work/h$h.log"
done
sort -m -s -k1,1M -k2,2n -k3,3 "$work"/h*.log >"$work/merged.log"
echo "input: $HOSTS hosts x $(wc -l <"$work/h1.log") lines," \
  "$(wc -l <"$work/merged.log") lines merged ($(du -m "$work/merged.log" | cut -f1) MB)"

# peak RSS in KiB from a /usr/bin/time -v report
rss() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
rows_sql="SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM messages) +
  (SELECT count(*) FROM evidence) + (SELECT count(*) FROM client_stats) +
  (SELECT count(*) FROM outbound)"
# the cross-host marks, apart (settled by each run, see README)
marks_sql="SELECT (SELECT count(*) FROM plain_marks) || ' plaintext and ' ||
  (SELECT count(*) FROM tls_marks) || ' TLS marks'"

start=$(date +%s%N)
/usr/bin/time -v -o "$work/time.sqlite" "$pftls" ingest --verbose --db "$work/one.db" "${opts[@]}" \
  "$work/merged.log" >/dev/null 2>"$work/err.sqlite"
ms=$((($(date +%s%N) - start) / 1000000))
echo "SQLite, one run over the merged stream: ${ms} ms wall, peak RSS $(rss "$work/time.sqlite") KiB," \
  "$(sqlite3 "$work/one.db" "$rows_sql") rows, $(du -k "$work/one.db" | cut -f1) KiB on disk," \
  "$(sqlite3 "$work/one.db" "$marks_sql")"
grep '^pftls: ingest:' "$work/err.sqlite" || true

pg_createdb bench
url=$(pg_url bench)
"$pftls" ingest --db "$url" "${opts[@]}" /dev/null 2>/dev/null  # the schema, not timed
start=$(date +%s%N)
pids=()
for ((h = 1; h <= HOSTS; h++)); do
  PFTLS_HOST=h$h /usr/bin/time -v -o "$work/time.h$h" "$pftls" ingest --verbose --db "$url" "${opts[@]}" \
    --lock-wait 600 "$work/h$h.log" >/dev/null 2>"$work/err.h$h" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
ms=$((($(date +%s%N) - start) / 1000000))
peaks=$(for ((h = 1; h <= HOSTS; h++)); do rss "$work/time.h$h"; done | sort -n | tr '\n' ' ')
echo "PostgreSQL, $HOSTS concurrent runs: ${ms} ms wall, peak RSS per process (KiB): $peaks"
echo "PostgreSQL: $(pg_psql bench -c "$rows_sql") rows," \
  "$(pg_psql bench -c "SELECT pg_database_size(current_database()) / 1024") KiB database size," \
  "$(pg_psql bench -c "$marks_sql")"
for q in "export incidents" "export failures"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db "$work/one.db" | cut -d, -f2- | sort) \
    <("$pftls" "${qa[@]}" --db "$url" | cut -d, -f2- | sort) >/dev/null ||
    echo "WARNING: pftls $q differs between the stores" >&2
done
