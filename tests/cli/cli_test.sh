#!/usr/bin/env bash
# cli_test.sh PFTLS CASE: one command-line behaviour of pftls, by name.
# Each case checks exit codes, messages and that a failed run leaves the
# database exactly as it was (compared through `sqlite3 .dump`).
set -uo pipefail
PFTLS=$1
CASE=$2
SAMPLES=$(cd "$(dirname "$0")/../../samples" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }
run() { "$PFTLS" "$@" >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/rc"; }
rc() { cat "$tmp/rc"; }
expect_rc() { [[ $(rc) == "$1" ]] || fail "exit code $(rc), expected $1; stderr: $(cat "$tmp/err")"; }
expect_err() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks '$1': $(cat "$tmp/err")"; }
expect_one_line_err() {
  local n
  n=$(grep -c . "$tmp/err")
  [[ $n == 1 ]] || fail "expected a one-line error, got $n lines: $(cat "$tmp/err")"
}
dump() { sqlite3 "$1" .dump | sha256sum; }
seed_db() {
  "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>/dev/null ||
    fail "seeding the database failed"
  dump db >before
}
same_db() { [[ $(dump db) == "$(cat before)" ]] || fail "database changed by a failed run"; }

case $CASE in
  no_subcommand)
    run
    expect_rc 2 ;;
  unknown_option)
    run ingest --no-such-option x.log
    expect_rc 2
    expect_err "no-such-option" ;;
  help_lists_exit_codes)
    run --help
    expect_rc 0
    grep -q "75" "$tmp/out" || fail "--help does not document exit code 75" ;;
  bad_window)
    run incidents --db db --window 5x
    expect_rc 2
    expect_err "--window" ;;
  bad_since)
    seed_db
    run incidents --db db --since yesterday
    expect_rc 2
    expect_err "--since" ;;
  bad_zone_creates_nothing)
    run ingest --db db --tz Mars/Olympus_Mons "$SAMPLES/amex/mail.log"
    expect_rc 2
    expect_err "Mars/Olympus_Mons"
    [[ ! -e db ]] || fail "a database was created by a failed run" ;;
  missing_input_leaves_db)
    seed_db
    run ingest --db db --year 2026 --tz UTC "$SAMPLES/amex/mail.log" /nonexistent/mail.log
    expect_rc 2
    expect_err "/nonexistent/mail.log"
    expect_one_line_err
    same_db ;;
  missing_input_creates_no_db)
    run ingest --db fresh.db /nonexistent/mail.log
    expect_rc 2
    [[ ! -e fresh.db ]] || fail "fresh.db was left behind by a failed run" ;;
  unreadable_input)
    seed_db
    mkdir adir
    run ingest --db db adir
    expect_rc 2
    expect_err "adir"
    same_db ;;
  corrupt_gzip_leaves_db)
    seed_db
    gzip -c "$SAMPLES/sessions/mail.log" >good.gz
    size=$(stat -c %s good.gz)
    # Damage bytes in the middle of the deflate stream.
    printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=good.gz bs=1 seek=$((size / 2)) conv=notrunc status=none
    run ingest --db db --year 2026 --tz UTC good.gz
    expect_rc 2
    expect_err "good.gz"
    expect_one_line_err
    same_db ;;
  truncated_gzip_leaves_db)
    seed_db
    gzip -c "$SAMPLES/sessions/mail.log" | head -c 300 >cut.gz
    run ingest --db db --year 2026 --tz UTC cut.gz
    expect_rc 2
    expect_err "cut.gz"
    same_db ;;
  foreign_database)
    printf 'this is not a database, it is a text file\n' >db
    cp db db.orig
    run ingest --db db "$SAMPLES/amex/mail.log"
    expect_rc 2
    expect_err "db"
    expect_one_line_err
    cmp -s db db.orig || fail "the foreign file was modified" ;;
  other_sqlite_database)
    sqlite3 db 'CREATE TABLE mine (x); INSERT INTO mine VALUES (1);'
    dump db >before
    run ingest --db db "$SAMPLES/amex/mail.log"
    expect_rc 2
    expect_err "not a pftls database"
    same_db ;;
  locked_database_exit_75)
    seed_db
    # Another writer holds the lock for 5 s.
    (printf 'BEGIN IMMEDIATE;\nINSERT INTO settings VALUES ("lock", "held");\n'; sleep 5; printf 'ROLLBACK;\n') |
      sqlite3 db &
    holder=$!
    sleep 1
    run ingest --db db --lock-wait 1 --year 2026 --tz UTC "$SAMPLES/amex/mail.log"
    wait $holder
    expect_rc 75
    expect_err "locked"
    same_db ;;
  query_without_db)
    run incidents --db nothing-here.db
    expect_rc 2
    expect_err "nothing-here.db"
    [[ ! -e nothing-here.db ]] || fail "a query created a database" ;;
  bad_lines_reported_not_fatal)
    run ingest --db db --year 2026 --tz UTC "$SAMPLES/hostile/mail.log"
    expect_rc 0
    expect_err "mail.log:4: not a syslog line"
    expect_err "mail.log:5: unrecognised postfix/smtpd line"
    expect_err "1 unrecognised, 1 malformed" ;;
  unrecognised_file)
    run ingest --db db --year 2026 --tz UTC --unrecognised unknown.txt "$SAMPLES/hostile/mail.log"
    expect_rc 0
    expect_err "unrecognised lines by program: smtpd=1"
    [[ $(cat unknown.txt) == 'Mar  4 12:00:01 mx1 postfix/smtpd[3002]: an smtpd line no pattern knows' ]] ||
      fail "--unrecognised wrote: $(cat unknown.txt)" ;;
  long_line_truncated)
    { head -3 "$SAMPLES/sessions/mail.log"
      printf 'Mar  4 10:00:03 mx1 postfix/smtpd[9]: warning: %s\n' "$(head -c 100000 /dev/zero | tr '\0' x)"
      tail -n +4 "$SAMPLES/sessions/mail.log"; } >long.log
    run ingest --db db --year 2026 --tz UTC long.log
    expect_rc 0
    expect_err "long.log:4: line longer than 65536 bytes"
    expect_err "1 truncated"
    "$PFTLS" export incidents --db db | grep -q '192.0.2.10' || fail "incident lost next to a long line" ;;
  journal_unavailable_leaves_db)
    seed_db
    mkdir empty-path
    PATH=$tmp/empty-path run ingest --db db --journal
    expect_rc 2
    expect_err "cannot run journalctl"
    expect_one_line_err
    same_db ;;
  journal_options)
    run ingest --db db --journal-file a.journal --journal-directory dir
    expect_rc 2
    expect_err "excludes"
    run ingest --db db --unit ''
    expect_rc 2
    expect_err "--unit"
    [[ ! -e db ]] || fail "a database was created by a usage error" ;;
  evidence_names_each_file)
    # Evidence lines name the file they were read from, also when two inputs
    # of one run have names of the same length.
    head -2 "$SAMPLES/amex/mail.log" >x1.log
    tail -n +3 "$SAMPLES/amex/mail.log" >x2.log
    run ingest --db db --year 2016 --tz Europe/Berlin x1.log x2.log
    expect_rc 0
    run export evidence --db db --client 148.173.96.86
    expect_rc 0
    grep -q '^x1.log:1: .*SSL_accept error' "$tmp/out" || fail "failure line not named x1.log:1: $(cat "$tmp/out")"
    grep -q '^x2.log:1: .*connect from' "$tmp/out" || fail "plaintext connect not named x2.log:1: $(cat "$tmp/out")"
    grep -q '^x2.log:2: .*client=' "$tmp/out" || fail "client= line not named x2.log:2: $(cat "$tmp/out")" ;;
  two_first_runs_at_once)
    # Two runs creating the same new database at once: both complete (or one
    # waits its turn and says 75), never an I/O error from the WAL switch.
    for i in $(seq 1 25); do
      rm -f db db-wal db-shm
      "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>a.err &
      a=$!
      "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>b.err &
      b=$!
      wait $a; ra=$?
      wait $b; rb=$?
      [[ ($ra == 0 || $ra == 75) && ($rb == 0 || $rb == 75) ]] ||
        fail "round $i: exits $ra and $rb: $(cat a.err b.err)"
      [[ $(sqlite3 db 'PRAGMA journal_mode') == wal ]] || fail "round $i: not in WAL mode"
    done ;;
  stdin_same_as_file)
    "$PFTLS" ingest --db a.db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>/dev/null
    gzip -c "$SAMPLES/sessions/mail.log" | "$PFTLS" ingest --db b.db --year 2026 --tz UTC - 2>/dev/null ||
      fail "ingest from stdin failed"
    diff <("$PFTLS" export incidents --db a.db) <("$PFTLS" export incidents --db b.db) ||
      fail "stdin (gzip) gives other incidents than the file" ;;
  export_to_file)
    seed_db
    run export incidents --db db -o out.csv
    expect_rc 0
    [[ ! -s $tmp/out ]] || fail "export -o also wrote to stdout"
    head -1 out.csv | grep -q '^incident_id,kind,confidence,client_ip,client_name,failure_at,failure_reason,failed_attempts,plaintext_at,gap_seconds,queue_id,message_id,sender,recipients,mx_host' ||
      fail "CSV header differs from the contract"
    [[ $(wc -l <out.csv) == 2 ]] || fail "expected header + one incident" ;;
  window_option)
    seed_db
    # The bank's gap is 1212 s: a 20-minute window excludes it, 21 minutes include it.
    [[ $("$PFTLS" export incidents --db db --window 20m | wc -l) == 1 ]] || fail "20m window kept the incident"
    [[ $("$PFTLS" export incidents --db db --window 21m | wc -l) == 2 ]] || fail "21m window lost the incident"
    "$PFTLS" ingest --db db --window 20m </dev/null 2>/dev/null
    [[ $("$PFTLS" export incidents --db db | wc -l) == 1 ]] || fail "stored default window not used" ;;
  since_until_client)
    seed_db
    [[ $("$PFTLS" export incidents --db db --since 2026-03-04T10:20:14Z | wc -l) == 2 ]] || fail "--since excluded its bound"
    [[ $("$PFTLS" export incidents --db db --until 2026-03-04T10:20:14Z | wc -l) == 1 ]] || fail "--until included its bound"
    [[ $("$PFTLS" export incidents --db db --client 192.0.2.99 | wc -l) == 1 ]] || fail "--client did not filter"
    [[ $("$PFTLS" export incidents --db db --client 192.0.2.10 | wc -l) == 2 ]] || fail "--client lost the incident" ;;
  year_across_files)
    printf '%s\n' \
      'Dec 31 23:50:00 mx1 postfix/smtpd[10]: SSL_accept error from a.example[192.0.2.5]: -1' >mail.log.1
    printf '%s\n' \
      'Jan  1 00:10:00 mx1 postfix/smtpd[11]: connect from a.example[192.0.2.5]' \
      'Jan  1 00:10:01 mx1 postfix/smtpd[11]: 1A2B3C4D5E: client=a.example[192.0.2.5]' >mail.log
    run ingest --db db --year 2024 --tz UTC mail.log.1 mail.log
    expect_rc 0
    "$PFTLS" export incidents --db db | grep -q '2024-12-31T23:50:00Z,other,1,2025-01-01T00:10:01Z,1201,' ||
      fail "Dec 31 -> Jan 1 across files: $("$PFTLS" export incidents --db db)" ;;
  table_has_no_controls)
    "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/hostile/mail.log" 2>/dev/null
    run incidents --db db
    expect_rc 0
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/out"; then fail "control characters reached the table"; fi
    sqlite3 db 'SELECT count(*) FROM messages' >/dev/null || fail "messages table damaged" ;;
  bound_hit_warns)
    # One connect more than the open-session bound (50000), each from its own
    # pid and address: the bound closes sessions, and the run says so.
    "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>err.seed ||
      fail "seeding failed"
    if grep -q 'dropped by bounds\|closed by the bound' err.seed; then
      fail "an ordinary run reports drops: $(cat err.seed)"
    fi
    awk 'BEGIN { for (i = 1; i <= 20001; i++)
      printf "Mar  5 10:00:00 mx1 postfix/smtpd[%d]: connect from unknown[10.%d.%d.%d]\n",
             i, int(i / 65536), int(i / 256) % 256, i % 256 }' >many.log
    run ingest --db db --year 2026 --tz UTC many.log
    expect_rc 0
    warned=$(sed -n 's/^pftls: warning: \([0-9]*\) sessions closed by the bound of 20000 open sessions$/\1/p' "$tmp/err")
    [[ -n $warned && $warned -gt 0 ]] || fail "no warning naming the bound: $(cat "$tmp/err")"
    expect_err "; dropped by bounds: $warned sessions"
    grep '^pftls: ingest: ' "$tmp/err" | grep -q '^pftls: ingest: 20001 lines read, .* new incidents; dropped by bounds: ' ||
      fail "summary line without the drops: $(cat "$tmp/err")" ;;
  new_incidents_per_run)
    # Each run counts the incidents whose plaintext message it stored: the
    # failure alone is none, the plaintext retry in the next run is one, a
    # run with nothing new is none again.
    head -2 "$SAMPLES/amex/mail.log" >mail.log
    run ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    expect_err " 0 new incidents"
    tail -n +3 "$SAMPLES/amex/mail.log" >>mail.log
    run ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    expect_err " 1 new incidents"
    run ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    expect_err " 0 new incidents"
    [[ $("$PFTLS" incidents --db db --format csv | wc -l) == 2 ]] || fail "expected one incident" ;;
  redact_keyed_per_database)
    # Pseudonyms come from a random key per database: the same within one,
    # different in another; a database without a key is not written to.
    for d in a b; do
      "$PFTLS" ingest --db $d.db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>/dev/null ||
        fail "ingest into $d.db failed"
    done
    names() { "$PFTLS" export evidence --db "$1" --org bank.example --redact |
              grep -o '\(user\|host\)-[0-9a-f]\{8\}' | sort -u | tr '\n' ' '; }
    a1=$(names a.db) a2=$(names a.db) b1=$(names b.db)
    [[ $(wc -w <<<"$a1") == 3 ]] || fail "expected two recipients and one host: $a1"
    [[ $a1 == "$a2" ]] || fail "one database, two sets of pseudonyms: $a1 / $a2"
    for p in $a1; do
      [[ " $b1 " != *" $p "* ]] || fail "$p in both databases: $a1 / $b1"
    done
    cp a.db db
    sqlite3 db "DELETE FROM settings WHERE key = 'pseudonym_key'"
    dump db >before
    run show 2 --db db --redact
    expect_rc 2
    expect_err "no pseudonym key"
    expect_one_line_err
    same_db
    "$PFTLS" ingest --db db </dev/null 2>/dev/null || fail "ingest without input failed"
    run show 2 --db db --redact
    expect_rc 0 ;;
  *)
    fail "unknown case" ;;
esac
echo "ok [$CASE]"
