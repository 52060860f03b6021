#!/usr/bin/env bash
# pg_behaviour_test.sh: pftls on a real PostgreSQL server (a throwaway
# cluster, cluster.sh), beyond query output: an unreachable server (exit 75,
# one line naming it, no password), a foreign or unknown schema (exit 2),
# schema version 3 migrated, prune as in SQLite,
# runs of the same host excluding each other (advisory lock: --lock-wait,
# then exit 75) while another host's run proceeds, a run killed mid-way (none
# of it visible, the next run carries on), and the server stopped mid-run
# (exit 75, then a clean resume), pftls copy from SQLite, two hosts sharing
# one database, each with its own state between runs, and the cron output
# (warnings once a day, the stored zone, stdin fed twice), and the metrics
# and status --format json (as on SQLite).
#
#   pg_behaviour_test.sh PFTLS SAMPLE_LOG PFTLS_GEN
set -euo pipefail
pftls=$1 sample=$2 gen=$3
source "$(dirname "$0")/cluster.sh"
pg_cluster_start
tmp=$PG_DIR/work
mkdir -p "$tmp"
opts=(--year 2026 --tz UTC)
fail() { echo "FAIL: $*" >&2; exit 1; }

# Expects exit code $1 from the rest of the command line; its stderr in $tmp/err.
expect_exit() {
  local want=$1 rc=0
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [[ $rc == "$want" ]] || { cat "$tmp/err" >&2; fail "exit $rc, not $want: $*"; }
}
# Waits (up to 60 s) until SQL in database DB answers 1: a run has got as
# far as the test needs, however slow the machine (a fixed sleep was not
# always enough on a loaded one).
wait_until() {  # wait_until DB SQL
  local i
  for ((i = 0; i < 600; i++)); do
    [[ $(pg_psql "$1" -c "$2" 2>/dev/null) == 1 ]] && return 0
    sleep 0.1
  done
  fail "waited 60 s in vain for: $2"
}
# The host lock of a run is held (a session advisory lock: the schema lock
# is a transaction's).
host_lock_held="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
one_line_without() {  # one_line_without SECRET: stderr is one line and does not hold SECRET
  [[ $(wc -l <"$tmp/err") == 1 ]] || { cat "$tmp/err" >&2; fail "not one line"; }
  if grep -q -- "$1" "$tmp/err"; then cat "$tmp/err" >&2; fail "the password was printed"; fi
}

"$pftls" ingest --db "$tmp/ref.db" "${opts[@]}" "$sample" 2>/dev/null
"$pftls" export incidents --db "$tmp/ref.db" >"$tmp/ref.csv"
[[ $(wc -l <"$tmp/ref.csv") -gt 1 ]] || fail "the sample gives no incident"

echo "-- an unreachable server: exit 75, one line naming it, never the password" >&2
gone="postgresql://pftls:Sekr3tPw@/pftls?host=$PG_DIR/nowhere&port=$PG_PORT"
expect_exit 75 "$pftls" ingest --db "$gone" "${opts[@]}" "$sample"
one_line_without Sekr3tPw
grep -q "cannot connect to PostgreSQL server postgresql://pftls:\*\*\*@/pftls?host=$PG_DIR/nowhere" "$tmp/err" ||
  { cat "$tmp/err" >&2; fail "the server is not named"; }
expect_exit 75 "$pftls" export incidents --db "postgres:///pftls?host=$PG_DIR/nowhere&password=Sekr3tPw"
one_line_without Sekr3tPw
PGPASSWORD=Sekr3tPw PFTLS_DB="postgresql:///pftls?host=$PG_DIR/nowhere" expect_exit 75 "$pftls" never-tls
one_line_without Sekr3tPw
grep -q 'postgresql:///pftls' "$tmp/err" || fail "\$PFTLS_DB was not used"

echo "-- a database that is not pftls's, or of a schema version it does not know: exit 2" >&2
pg_createdb foreign
pg_psql foreign -c 'CREATE TABLE t (x int)'
expect_exit 2 "$pftls" ingest --db "$(pg_url foreign)" "${opts[@]}" "$sample"
grep -q 'not a pftls database' "$tmp/err" || fail "foreign database: $(cat "$tmp/err")"
pg_createdb future
"$pftls" ingest --db "$(pg_url future)" "${opts[@]}" "$sample" 2>/dev/null
pg_psql future -c 'UPDATE pftls_schema SET version = 99'
expect_exit 2 "$pftls" ingest --db "$(pg_url future)" "${opts[@]}" "$sample"
grep -q 'schema version 99' "$tmp/err" || fail "unknown schema: $(cat "$tmp/err")"
expect_exit 2 "$pftls" export incidents --db "$(pg_url future)"
pg_createdb empty
expect_exit 2 "$pftls" export incidents --db "$(pg_url empty)"

echo "-- schema version 3 (no client_stats.named_at) is migrated on opening" >&2
pg_createdb v3
"$pftls" ingest --db "$(pg_url v3)" "${opts[@]}" "$sample" 2>/dev/null
# What version 3 had: none of the tables, indexes and the view added since.
pg_psql v3 -c 'ALTER TABLE client_stats DROP COLUMN named_at; DROP VIEW tls_mix;
  DROP TABLE tls_peers, tls_inventory, session_days, outbound_evidence, outbound_messages,
    open_outbound_lines, open_outbound_notes, plain_marks, tls_marks, outbound_failures;
  DROP INDEX sessions_failed_reason, client_stats_never_tls, sessions_failed_any,
    sessions_failed_any_subnet, sessions_failed_any_org, sessions_tls_any, messages_any;
  UPDATE pftls_schema SET version = 3'
"$pftls" export clients --db "$(pg_url v3)" >"$tmp/v3.csv" || fail "a version 3 database was not opened"
"$pftls" export clients --db "$tmp/ref.db" | cmp -s - "$tmp/v3.csv" ||
  fail "version 3: the clients differ from SQLite's"
[[ $(pg_psql v3 -c 'SELECT max(version) FROM pftls_schema') == 4 ]] || fail "not migrated to version 4"
[[ $(pg_psql v3 -c "SELECT count(*) FROM client_stats WHERE named_at = 0") -gt 0 ]] ||
  fail "the migrated names have a time"
# Every query and the next runs work on what the migration made.
"$pftls" export incidents --db "$(pg_url v3)" | cmp -s - "$tmp/ref.csv" ||
  fail "version 3: the incidents differ from SQLite's"
"$pftls" report --db "$(pg_url v3)" --since 2000-01-01 --until 2030-01-01 >/dev/null ||
  fail "version 3: no report after the migration"
"$pftls" ingest --db "$(pg_url v3)" "${opts[@]}" "$sample" 2>/dev/null || fail "version 3: ingest"
# The migration made tls_peers too (from the inventory it made, empty).
[[ $(pg_psql v3 -c "SELECT count(*) FROM pg_tables WHERE tablename = 'tls_peers'") == 1 ]] ||
  fail "version 3: no tls_peers after the migration"
[[ $("$pftls" export tls --db "$(pg_url v3)" | wc -l) == 1 ]] || fail "version 3: export tls"

echo "-- prune: the same rows go as from a SQLite file, in one transaction" >&2
"$gen" --seed 3 --lines 40000 --span 20d --fail-permille 20 >"$tmp/days.log" 2>/dev/null
pg_createdb pruned
for db in "$(pg_url pruned)" "$tmp/pruned.db"; do
  "$pftls" ingest --db "$db" --year 2024 --tz UTC "$tmp/days.log" 2>/dev/null
  "$pftls" prune --db "$db" --before 2024-03-20T00:00:00Z --vacuum >"$tmp/prune.out"
  sed 's/; vacuumed//' "$tmp/prune.out" >>"$tmp/prune.both"
done
[[ $(sort -u "$tmp/prune.both" | wc -l) == 1 ]] || fail "prune: $(cat "$tmp/prune.both")"
grep -q ' [1-9][0-9]* sessions' "$tmp/prune.both" || fail "prune removed nothing"
for q in "export incidents" "export failures" "never-tls --format csv"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db "$tmp/pruned.db" | cut -d, -f2- | sort) \
    <("$pftls" "${qa[@]}" --db "$(pg_url pruned)" | cut -d, -f2- | sort) >&2 ||
    fail "prune: $q differs from SQLite's"
done
grep -q 'no pftls database' "$tmp/err" || fail "empty database: $(cat "$tmp/err")"

echo "-- runs of one host exclude each other; the next run carries on" >&2
pg_createdb locks
url=$(pg_url locks)
head -n 20 "$sample" >"$tmp/first.log"
tail -n +21 "$sample" >"$tmp/rest.log"
"$pftls" ingest --db "$url" "${opts[@]}" /dev/null 2>/dev/null
mkfifo "$tmp/fifo"
"$pftls" ingest --db "$url" "${opts[@]}" - <"$tmp/fifo" 2>"$tmp/holder.err" &
holder=$!
exec 3>"$tmp/fifo"
cat "$tmp/first.log" >&3
wait_until locks "$host_lock_held"
start=$SECONDS
expect_exit 75 "$pftls" ingest --db "$url" "${opts[@]}" --lock-wait 1 "$sample"
grep -q "another pftls run of host $(hostname)" "$tmp/err" || fail "lock: $(cat "$tmp/err")"
((SECONDS - start < 10)) || fail "--lock-wait 1 waited $((SECONDS - start)) s"
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
  # Another host (its own host name) is not kept waiting.
  unshare --uts sh -c 'hostname pftls-other-host && exec "$@"' sh \
    "$pftls" ingest --db "$url" "${opts[@]}" --lock-wait 0 /dev/null 2>"$tmp/err" ||
    fail "another host's run waited: $(cat "$tmp/err")"
fi
exec 3>&-
wait "$holder" || fail "the first run failed: $(cat "$tmp/holder.err")"
"$pftls" ingest --db "$url" "${opts[@]}" "$sample" 2>/dev/null

echo "-- a run killed mid-way leaves nothing; the next run carries on" >&2
pg_createdb killed
url=$(pg_url killed)
"$pftls" ingest --db "$url" "${opts[@]}" - <"$tmp/fifo" 2>/dev/null &
victim=$!
exec 3>"$tmp/fifo"
cat "$tmp/first.log" >&3
# Killed once its run has begun: schema made, host lock taken.
wait_until killed "SELECT CASE WHEN to_regclass('runs') IS NULL THEN 0 ELSE 1 END"
wait_until killed "$host_lock_held"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
exec 3>&-
[[ $(pg_psql killed -c 'SELECT count(*) FROM runs') == 0 ]] || fail "a killed run is visible"
[[ $(pg_psql killed -c 'SELECT count(*) FROM sessions') == 0 ]] || fail "a killed run's sessions are visible"
"$pftls" ingest --db "$url" "${opts[@]}" "$sample" 2>/dev/null
"$pftls" export incidents --db "$url" >"$tmp/killed.csv"
diff "$tmp/ref.csv" "$tmp/killed.csv" >&2 || fail "after a killed run: not the SQLite result"

echo "-- the server stopped mid-run: exit 75, nothing of it kept, then a clean resume" >&2
pg_createdb stopped
url=$(pg_url stopped)
cp "$tmp/first.log" "$tmp/grow.log"
"$pftls" ingest --db "$url" "${opts[@]}" "$tmp/grow.log" 2>/dev/null
"$pftls" ingest --db "$url" "${opts[@]}" - <"$tmp/fifo" 2>"$tmp/err" &
victim=$!
exec 3>"$tmp/fifo"
cat "$tmp/rest.log" >&3
sleep 1
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
exec 3>&-
rc=0
wait "$victim" || rc=$?
[[ $rc == 75 ]] || { cat "$tmp/err" >&2; fail "server stopped mid-run: exit $rc, not 75"; }
one_line_without Sekr3tPw
grep -q "PostgreSQL postgresql:///stopped" "$tmp/err" || fail "the server is not named: $(cat "$tmp/err")"
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
  -o "-c listen_addresses='' -k $PG_SOCK -p $PG_PORT -c fsync=off" start >/dev/null
[[ $(pg_psql stopped -c 'SELECT count(*) FROM runs') == 1 ]] || fail "the stopped run is visible"
# Resumed from where the last committed run ended: the rest of the file.
cat "$tmp/rest.log" >>"$tmp/grow.log"
"$pftls" ingest --db "$url" "${opts[@]}" "$tmp/grow.log" 2>/dev/null
"$pftls" export incidents --db "$url" >"$tmp/stopped.csv"
# The same rows; the ids may differ: the ids the stopped run took are not
# given again (PostgreSQL sequences do not roll back).
diff <(cut -d, -f2- "$tmp/ref.csv") <(cut -d, -f2- "$tmp/stopped.csv") >&2 ||
  fail "after the server stopped: not the SQLite result"
[[ -z $(cut -d, -f1 "$tmp/stopped.csv" | sort | uniq -d) ]] || fail "an incident id twice"
echo "-- two hosts share one database: each run carries on its own host's state" >&2
# Each host reads its own log in 5 runs; in each round both hosts' runs go
# at once. Every export equals one SQLite run over the merged stream (ids
# aside: they follow the order of the commits).
pg_createdb shared
url=$(pg_url shared)
"$gen" --seed 7 --hosts 2 --lines 30000 --fail-permille 100 >"$tmp/two.log" 2>/dev/null
"$pftls" ingest --db "$tmp/two.db" --year 2024 --tz UTC "$tmp/two.log" >/dev/null 2>&1
for h in mx1 mx2; do
  mkdir -p "$tmp/hosts/$h"
  awk -v h="$h" '$4 == h' "$tmp/two.log" >"$tmp/hosts/$h.all"
  [[ -s "$tmp/hosts/$h.all" ]] || fail "no lines of host $h"
done
for k in 1 2 3 4 5; do
  pids=()
  for h in mx1 mx2; do
    n=$(wc -l <"$tmp/hosts/$h.all")
    head -n $((n * k / 5)) "$tmp/hosts/$h.all" >"$tmp/hosts/$h/mail.log"
    PFTLS_HOST=$h "$pftls" ingest --db "$url" --year 2024 --tz UTC --lock-wait 60 \
      "$tmp/hosts/$h/mail.log" >/dev/null 2>"$tmp/hosts/$h.err" &
    pids+=($!)
  done
  for i in 0 1; do
    wait "${pids[$i]}" || fail "round $k, host $((i + 1)): $(cat "$tmp/hosts/mx$((i + 1)).err")"
  done
done
for q in "export incidents" "export failures" "lost --format csv"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db "$tmp/two.db" | cut -d, -f2- | sort) \
    <("$pftls" "${qa[@]}" --db "$url" | cut -d, -f2- | sort) >&2 ||
    fail "two hosts in concurrent runs: pftls $q is not the one-run result"
done
for q in "export clients" "never-tls --format csv" "failing --format csv"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db "$tmp/two.db" | sort) <("$pftls" "${qa[@]}" --db "$url" | sort) >&2 ||
    fail "two hosts in concurrent runs: pftls $q is not the one-run result"
done
[[ $("$pftls" export incidents --db "$url" | wc -l) -gt 50 ]] || fail "too few incidents to tell"
[[ $(pg_psql shared -c "SELECT string_agg(run_host, ' ' ORDER BY run_host) FROM settings
                         WHERE key = 'next_ord'") == "mx1 mx2" ]] ||
  fail "each host should have its own line order"
PFTLS_HOST='bad host' expect_exit 2 "$pftls" ingest --db "$url" --year 2024 --tz UTC /dev/null
grep -q 'PFTLS_HOST' "$tmp/err" || fail "a bad PFTLS_HOST: $(cat "$tmp/err")"

echo "-- cross-host: the plaintext host's run commits first, the failure's last" >&2
xs=$(cd "$(dirname "$0")/../../samples/crosshost" && pwd)
pg_createdb crosshost
url=$(pg_url crosshost)
for h in mx2 mx3 mx1; do
  PFTLS_HOST=$h "$pftls" ingest --db "$url" "${opts[@]}" "$xs/$h.log" >/dev/null 2>&1 ||
    fail "ingest of $h"
done
"$pftls" ingest --db "$tmp/xs.db" "${opts[@]}" "$xs/mx1.log" "$xs/mx2.log" "$xs/mx3.log" \
  >/dev/null 2>&1
for q in "export incidents" "export failures" "export clients" "incidents --per-host --format csv"; do
  read -r -a qa <<<"$q"
  "$pftls" "${qa[@]}" --db "$tmp/xs.db" | cut -d, -f2- >"$tmp/xs.s"
  "$pftls" "${qa[@]}" --db "$url" | cut -d, -f2- >"$tmp/xs.p"
  diff "$tmp/xs.s" "$tmp/xs.p" >&2 || fail "cross-host, reversed commits: pftls $q differs"
done
grep -q ',mx2,ip,mx1' "$tmp/xs.p" 2>/dev/null || "$pftls" export incidents --db "$url" |
  grep -q ',mx2,ip,mx1' || fail "no cross-host incident on PostgreSQL"
# show of a mark incident: the plaintext host's lines, stored with the mark
mark=$("$pftls" incidents --db "$url" --format csv --client 203.0.113.7 | sed -n '2s/,.*//p')
[[ $mark == p* ]] || fail "203.0.113.7's incident is no mark on PostgreSQL: '$mark'"
"$pftls" show --db "$url" "$mark" >"$tmp/mark.p" || fail "show $mark"
grep -q 'mx2.log:3: .* 4A1B2C3D4E: client=mta.retry.example\[203.0.113.7\]$' "$tmp/mark.p" ||
  fail "show $mark lacks the plaintext host's client= line: $(cat "$tmp/mark.p")"
grep -q 'mx2.log:2: .* connect from mta.retry.example' "$tmp/mark.p" ||
  fail "show $mark lacks the plaintext host's connect line"
# A database whose plain_marks predates those lines: a reader answers (no
# lines), the next ingest adds the columns under the schema lock.
pg_psql crosshost -c "ALTER TABLE plain_marks DROP COLUMN connect_input, DROP COLUMN connect_line,
  DROP COLUMN connect_raw, DROP COLUMN client_input, DROP COLUMN client_line, DROP COLUMN client_raw"
"$pftls" show --db "$url" "$mark" >"$tmp/mark.old" || fail "show $mark before the columns"
grep -q 'SSL_accept error from mta.retry.example' "$tmp/mark.old" || fail "show $mark: no failure"
grep -q 'client=mta.retry.example' "$tmp/mark.old" && fail "an old mark shows lines"
PFTLS_HOST=mx3 "$pftls" ingest --db "$url" "${opts[@]}" /dev/null >/dev/null 2>&1 ||
  fail "ingest after the columns were dropped"
[[ $(pg_psql crosshost -c "SELECT count(*) FROM information_schema.columns
      WHERE table_name = 'plain_marks' AND column_name LIKE 'c%_%' AND column_name <> 'client_ip'
        AND column_name <> 'client_name' AND column_name <> 'client_subnet'") == 6 ]] ||
  fail "ingest did not add the mark columns"
# pftls copy of a SQLite file whose plain_marks lacks them: copied as empty
for c in connect_input connect_line connect_raw client_input client_line client_raw; do
  sqlite3 "$tmp/xs.db" "ALTER TABLE plain_marks DROP COLUMN $c" >/dev/null || fail "drop $c"
done
pg_createdb xscopy
"$pftls" copy --from "$tmp/xs.db" --to "$(pg_url xscopy)" 2>"$tmp/err" ||
  fail "copy of marks without lines: $(cat "$tmp/err")"
[[ $(pg_psql xscopy -c "SELECT count(*) FROM plain_marks WHERE client_raw = ''") -gt 0 ]] ||
  fail "copy: no marks copied"

echo "-- marks in multi-row INSERTs: the same rows and plain_marks ids as SQLite's" >&2
# Two hosts' generated logs merged: thousands of marks, so full batches and
# a shorter last one of both kinds.
for h in 1 2; do
  "$gen" --seed $((40 + h)) --lines 30000 2>/dev/null |
    sed -E "s/^([A-Z][a-z]{2} +[0-9]+ [0-9:]+) mx1 /\1 h$h /" >"$tmp/mk$h.log"
done
sort -m -s -k1,1M -k2,2n -k3,3 "$tmp"/mk1.log "$tmp"/mk2.log >"$tmp/mk.log"
pg_createdb marks
"$pftls" ingest --db "$(pg_url marks)" "${opts[@]}" "$tmp/mk.log" >/dev/null 2>&1 || fail "ingest marks"
"$pftls" ingest --db "$tmp/mk.db" "${opts[@]}" "$tmp/mk.log" >/dev/null 2>&1 || fail "ingest marks"
plain_sql="SELECT id, mx_host, queue_id, client_ip, client_name, accepted_at, accepted_ord,
  connect_line, client_line, client_raw FROM plain_marks ORDER BY id"
tls_sql="SELECT client_ip, tls_at, mx_host, tls_ord FROM tls_marks ORDER BY 1, 2, 3, 4"
for q in "$plain_sql" "$tls_sql"; do
  sqlite3 -separator '|' "$tmp/mk.db" "$q" >"$tmp/mk.s"
  pg_psql marks -c "$q" >"$tmp/mk.p"
  [[ $(wc -l <"$tmp/mk.s") -gt 1024 ]] || fail "too few marks to fill two batches: $q"
  diff "$tmp/mk.s" "$tmp/mk.p" >/dev/null || fail "marks differ from SQLite's: $q"
done

echo "-- tls_mix: a view; a reader of a database without it makes its own" >&2
report=(report --since 2000-01-01 --until 2030-01-01 --format json)
"$pftls" "${report[@]}" --db "$tmp/mk.db" >"$tmp/rep.s" || fail "report on SQLite"
"$pftls" "${report[@]}" --db "$(pg_url marks)" >"$tmp/rep.p" || fail "report on PostgreSQL"
jq -e '(.protocol_mix | length > 0) and (.cipher_mix | length > 0)' "$tmp/rep.p" \
  >/dev/null || fail "the report has no protocol or cipher mix: $(head -c 600 "$tmp/rep.p")"
diff "$tmp/rep.s" "$tmp/rep.p" >&2 || fail "report differs from SQLite's"
pg_psql marks -c "DROP VIEW tls_mix"
"$pftls" "${report[@]}" --db "$(pg_url marks)" >"$tmp/rep.old" || fail "report without tls_mix"
diff "$tmp/rep.p" "$tmp/rep.old" >&2 || fail "report without the view differs"
[[ $(pg_psql marks -c "SELECT count(*) FROM pg_views WHERE viewname = 'tls_mix'") == 0 ]] ||
  fail "a reader made tls_mix in the database"
"$pftls" ingest --db "$(pg_url marks)" "${opts[@]}" /dev/null >/dev/null 2>&1 || fail "ingest"
[[ $(pg_psql marks -c "SELECT count(*) FROM pg_views WHERE viewname = 'tls_mix'") == 1 ]] ||
  fail "ingest did not make tls_mix again"

echo "-- tls_peers: made by a writer from the inventory; a reader without it reads the same" >&2
"$pftls" export tls --db "$(pg_url marks)" >"$tmp/tls.p" || fail "export tls"
"$pftls" export tls --db "$tmp/mk.db" | diff - "$tmp/tls.p" >&2 || fail "export tls differs from SQLite's"
[[ $(wc -l <"$tmp/tls.p") -gt 1 ]] || fail "no TLS peers to compare"
pg_psql marks -c "DROP TABLE tls_peers"
"$pftls" export tls --db "$(pg_url marks)" | diff "$tmp/tls.p" - >&2 || fail "export tls without tls_peers differs"
[[ $(pg_psql marks -c "SELECT count(*) FROM pg_tables WHERE tablename = 'tls_peers'") == 0 ]] ||
  fail "a reader made tls_peers in the database"
"$pftls" ingest --db "$(pg_url marks)" "${opts[@]}" /dev/null >/dev/null 2>&1 || fail "ingest"
[[ $(pg_psql marks -c "SELECT count(*) FROM pg_tables WHERE tablename = 'tls_peers'") == 1 ]] ||
  fail "ingest did not make tls_peers again"
"$pftls" export tls --db "$(pg_url marks)" | diff "$tmp/tls.p" - >&2 || fail "export tls of the remade tls_peers differs"

echo "-- pftls copy: a SQLite store into a new database; the next runs carry on alike" >&2
pg_createdb copied
url=$(pg_url copied)
cp "$tmp/first.log" "$tmp/copy.log"
"$pftls" ingest --db "$tmp/copy.db" "${opts[@]}" "$tmp/copy.log" 2>/dev/null
"$pftls" copy --from "$tmp/copy.db" --to "$url" 2>"$tmp/err" || fail "copy: $(cat "$tmp/err")"
grep -q '^pftls: copy: [1-9][0-9]* rows$' "$tmp/err" || fail "copy said: $(cat "$tmp/err")"
"$pftls" export tls --db "$tmp/copy.db" | diff - <("$pftls" export tls --db "$url") >&2 ||
  fail "after copy: export tls differs (tls_peers not made from the copied inventory)"
cat "$tmp/rest.log" >>"$tmp/copy.log"
for db in "$tmp/copy.db" "$url"; do
  "$pftls" ingest --db "$db" "${opts[@]}" "$tmp/copy.log" 2>/dev/null
done
for q in "export incidents" "export failures" "export clients" "export tls" "never-tls" "show 2"; do
  read -r -a qa <<<"$q"
  "$pftls" "${qa[@]}" --db "$tmp/copy.db" >"$tmp/copy.s"
  "$pftls" "${qa[@]}" --db "$url" >"$tmp/copy.p"
  diff "$tmp/copy.s" "$tmp/copy.p" >&2 || fail "after copy: pftls $q differs"
done
"$pftls" export incidents --db "$url" >"$tmp/copy.p"
diff "$tmp/ref.csv" "$tmp/copy.p" >&2 || fail "after copy and a run: not the one-run result"
expect_exit 2 "$pftls" copy --from "$tmp/copy.db" --to "$url"
grep -q 'already holds pftls data' "$tmp/err" || fail "copy into a used database: $(cat "$tmp/err")"
expect_exit 2 "$pftls" copy --from "$tmp/none.db" --to "$url"

echo "-- cron news: nothing new prints nothing, warnings once a day, the zone, stdin fed twice" >&2
pg_createdb news
url=$(pg_url news)
printf 'Mar  4 12:00:01 mx1 postfix/smtpd[3002]: an smtpd line no pattern knows\n' >"$tmp/news.log"
expect_exit 0 "$pftls" ingest --db "$url" "${opts[@]}" "$tmp/news.log"
grep -q "unrecognised postfix/smtpd line" "$tmp/err" || fail "no warning: $(cat "$tmp/err")"
printf 'Mar  4 12:00:02 mx1 postfix/smtpd[3003]: an smtpd line no pattern knows\n' >>"$tmp/news.log"
expect_exit 0 "$pftls" ingest --db "$url" --year 2026 "$tmp/news.log"
grep -q "using the zone stored with the database, UTC" "$tmp/err" || fail "zone: $(cat "$tmp/err")"
grep -q "smtpd" "$tmp/err" && fail "the same warning again: $(cat "$tmp/err")"
printf 'Mar  4 12:00:03 mx1 postfix/smtpd[3004]: an smtpd line no pattern knows\n' >>"$tmp/news.log"
expect_exit 0 "$pftls" ingest --db "$url" --year 2026 "$tmp/news.log"
[[ ! -s $tmp/out && ! -s $tmp/err ]] || fail "warned twice in a day: $(cat "$tmp/err")"
"$pftls" status --db "$url" | grep -qF "Zone (ingest --tz): UTC" || fail "status lacks the zone"
expect_exit 0 "$pftls" ingest --db "$url" "${opts[@]}" - <"$sample"
grep -q "new TLS downgrade incident" "$tmp/out" || fail "no new incidents on stdout: $(cat "$tmp/out")"
expect_exit 0 "$pftls" ingest --db "$url" "${opts[@]}" - <"$sample"
[[ ! -s $tmp/out && ! -s $tmp/err ]] || fail "stdin fed twice: $(cat "$tmp/out" "$tmp/err")"
"$pftls" export incidents --db "$url" >"$tmp/news.csv"
diff <(cut -d, -f2- "$tmp/ref.csv") <(cut -d, -f2- "$tmp/news.csv") >&2 ||
  fail "stdin fed twice: not the incidents of one run"

echo "-- metrics and status --format json: as on SQLite" >&2
pg_createdb metrics
url=$(pg_url metrics)
expect_exit 0 "$pftls" ingest --db "$url" "${opts[@]}" --metrics "$tmp/pg.prom" "$sample"
"$pftls" metrics --db "$tmp/ref.db" >"$tmp/sqlite.prom"
# The same families and values; only the time of the run differs.
diff <(grep -v '^pftls_last_run_time_seconds ' "$tmp/sqlite.prom") \
  <(grep -v '^pftls_last_run_time_seconds ' "$tmp/pg.prom") >&2 || fail "metrics differ from SQLite's"
grep -q '^pftls_incidents_total{' "$tmp/pg.prom" || fail "no incidents in the metrics"
if [[ -x /usr/bin/promtool ]]; then
  /usr/bin/promtool check metrics <"$tmp/pg.prom" >&2 || fail "promtool check metrics"
fi
"$pftls" status --db "$url" --format json >"$tmp/status.json"
[[ $(sqlite3 :memory: "SELECT json_extract(readfile('$tmp/status.json'), '\$.hosts[0].host')") == mx1 ]] ||
  fail "status --format json: $(cat "$tmp/status.json")"
"$pftls" status --db "$url" | grep -qE '^mx1 +2026-' || fail "status lacks the host row"

echo "pg behaviour: all passed" >&2
