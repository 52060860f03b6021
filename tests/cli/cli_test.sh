#!/usr/bin/env bash
# cli_test.sh PFTLS CASE: one command-line behaviour of pftls, by name.
# Each case checks exit codes, messages and that a failed run leaves the
# database exactly as it was (compared through `sqlite3 .dump`).
set -uo pipefail
PFTLS=$1
CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# ingest with --verbose: these cases read its summary line and every warning,
# which without a terminal it gives only on request.
run() {
  [[ ${1-} == ingest ]] && set -- ingest --verbose "${@:2}"
  "$PFTLS" "$@" >"$tmp/out" 2>"$tmp/err"
  echo $? >"$tmp/rc"
}
dump() { sqlite3 "$1" .dump | sha256sum; }
seed_db() {
  "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" 2>/dev/null ||
    fail "seeding the database failed"
  dump db >before
}
# A device whose writes fail with ENOSPC. As root, one of our own: a pftls
# that replaced its -o FILE would otherwise replace the machine's /dev/full.
full_device() {
  if [[ $(id -u) == 0 ]]; then
    mknod "$tmp/full" c 1 7 && echo "$tmp/full"
  else
    echo /dev/full
  fi
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
    run incidents --db db --since next-week
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
    # Damaged compressed data on stdin (read once, cannot be skipped and
    # read again later) fails the run; a damaged file is skipped instead
    # (damaged_archive_skipped).
    seed_db
    gzip -c "$SAMPLES/sessions/mail.log" >good.gz
    size=$(stat -c %s good.gz)
    # Damage bytes in the middle of the deflate stream.
    printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=good.gz bs=1 seek=$((size / 2)) conv=notrunc status=none
    run ingest --db db --year 2026 --tz UTC - <good.gz
    expect_rc 2
    expect_err "<stdin>"
    expect_one_line_err
    same_db ;;
  truncated_gzip_leaves_db)
    seed_db
    gzip -c "$SAMPLES/sessions/mail.log" | head -c 300 >cut.gz
    run ingest --db db --year 2026 --tz UTC - <cut.gz
    expect_rc 2
    expect_err "<stdin>"
    same_db ;;
  damaged_archive_skipped)
    # mail.log* with a damaged mail.log.2.gz: the others are read, the
    # damaged one is skipped whole (none of its lines), reported once (exit
    # 3), shown by status, skipped unread while unchanged, read once whole.
    lines_stored() { sqlite3 db 'SELECT sum(lines) FROM runs'; }
    cp "$SAMPLES/amex/mail.log" mail.log
    gzip -c "$SAMPLES/sessions/mail.log" >mail.log.2.gz
    cp mail.log.2.gz whole.gz
    size=$(stat -c %s mail.log.2.gz)
    printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=mail.log.2.gz bs=1 seek=$((size / 2)) conv=notrunc status=none
    run ingest --db db --year 2026 --tz UTC mail.log.2.gz mail.log
    expect_rc 3
    expect_err "mail.log.2.gz: corrupt gzip data"
    expect_err "damaged input skipped, none of its lines read"
    [[ $(grep -c "damaged input" "$tmp/err") == 1 ]] || fail "not one line: $(cat "$tmp/err")"
    [[ $(lines_stored) == "$(wc -l <mail.log)" ]] || fail "stored $(lines_stored) lines, expected only mail.log's"
    "$PFTLS" export incidents --db db | grep -q '148.173.96.86' || fail "mail.log's incident missing"
    run status --db db
    expect_rc 0
    grep -q "^Damaged inputs" "$tmp/out" || fail "status does not show the damaged input: $(cat "$tmp/out")"
    grep -q "^mail.log.2.gz .*corrupt gzip data" "$tmp/out" || fail "status: $(cat "$tmp/out")"
    # Later runs: the live log is read, the unchanged damaged file skipped quietly.
    tail -1 "$SAMPLES/amex/mail.log" >>mail.log
    run ingest --db db --year 2026 --tz UTC mail.log.2.gz mail.log
    expect_rc 0
    expect_err "ingest: 1 lines read"
    grep -q "damaged" "$tmp/err" && fail "reported again: $(cat "$tmp/err")"
    # Renamed by a rotation: the same file, still skipped quietly.
    mv mail.log.2.gz mail.log.3.gz
    run ingest --db db --year 2026 --tz UTC mail.log.3.gz mail.log
    expect_rc 0
    grep -q "damaged" "$tmp/err" && fail "reported again after a rename: $(cat "$tmp/err")"
    mv mail.log.3.gz mail.log.2.gz
    # Replaced by a whole copy: read once, all of it; status forgets the damage.
    cp whole.gz mail.log.2.gz
    run ingest --db db --year 2026 --tz UTC mail.log.2.gz mail.log
    expect_rc 0
    expect_err "ingest: $(wc -l <"$SAMPLES/sessions/mail.log") lines read"
    [[ $(lines_stored) == $(($(wc -l <mail.log) + $(wc -l <"$SAMPLES/sessions/mail.log"))) ]] ||
      fail "stored $(lines_stored) lines"
    run status --db db
    grep -q "Damaged" "$tmp/out" && fail "status still shows a damage: $(cat "$tmp/out")"
    run ingest --db db --year 2026 --tz UTC mail.log.2.gz mail.log
    expect_rc 0
    expect_err "ingest: 0 lines read" ;;
  archive_being_compressed)
    # A .gz caught while it is written (truncated): skipped, then read
    # whole once finished; every line is stored exactly once.
    gzip -c "$SAMPLES/sessions/mail.log" >whole.gz
    head -c 600 whole.gz >mail.log.1.gz
    cp "$SAMPLES/amex/mail.log" mail.log
    run ingest --db db --year 2026 --tz UTC mail.log.1.gz mail.log
    expect_rc 3
    expect_err "mail.log.1.gz: corrupt gzip data"
    cp whole.gz mail.log.1.gz
    run ingest --db db --year 2026 --tz UTC mail.log.1.gz mail.log
    expect_rc 0
    total=$(($(wc -l <mail.log) + $(wc -l <"$SAMPLES/sessions/mail.log")))
    [[ $(sqlite3 db 'SELECT sum(lines) FROM runs') == "$total" ]] ||
      fail "stored $(sqlite3 db 'SELECT sum(lines) FROM runs') lines, expected $total" ;;
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
  no_postfix_lines_warns)
    printf 'Mar  4 10:00:01 mx1 dovecot: imap-login: Login: user=<a@b>\n' >dovecot.log
    head -3 "$SAMPLES/sessions/mail.log" >mail.log
    run ingest --db db --year 2026 --tz UTC dovecot.log mail.log
    expect_rc 0
    expect_err "pftls: warning: no Postfix lines in dovecot.log: not a mail log, or a form pftls does not know"
    grep -q "in mail.log" "$tmp/err" && fail "warned about a mail log: $(cat "$tmp/err")"
    [[ $(grep -c "no Postfix lines" "$tmp/err") == 1 ]] || fail "not one warning: $(cat "$tmp/err")"
    # Its offset is recorded: the next run reads nothing of it and says nothing.
    printf 'Mar  4 10:00:02 mx1 dovecot: imap-login: Logout\n' >>dovecot.log
    run ingest --db db --year 2026 --tz UTC dovecot.log
    expect_rc 0
    expect_err "pftls: ingest: 1 lines read"
    grep -q "no Postfix lines" "$tmp/err" && fail "warned again: $(cat "$tmp/err")"
    true ;;
  postfix_line_not_taken_apart)
    { head -2 "$SAMPLES/sessions/mail.log"
      printf 'Mar  4 10:00:03 relay.example mx1 postfix/smtpd[2101]: lost connection after STARTTLS\n'
      printf 'Mar  4 10:00:03 mx1 dovecot: imap-login: Login: user=<a@b>\n'; } >odd.log
    run ingest --db db --year 2026 --tz UTC odd.log
    expect_rc 0
    expect_err "odd.log:3: a Postfix line in a form pftls cannot take apart, skipped"
    expect_err "0 unrecognised, 1 malformed" ;;
  startup_tls_problem_no_failure)
    { printf 'Mar  4 09:58:01 mx1 postfix/smtpd[2000]: warning: cannot get RSA certificate from file "/etc/ssl/x.pem": disabling TLS support\n'
      printf 'Mar  4 09:58:01 mx1 postfix/smtpd[2000]: warning: TLS library problem: error:0480006C:PEM routines::no start line:../crypto/pem/pem_lib.c:763:Expecting: TRUSTED CERTIFICATE:\n'
      printf 'Mar  4 09:58:02 mx1 postfix/smtpd[2000]: connect from a.example[192.0.2.1]\n'
      printf 'Mar  4 09:58:02 mx1 postfix/smtpd[2000]: disconnect from a.example[192.0.2.1] ehlo=1 quit=1 commands=2\n'; } >start.log
    run ingest --db db --year 2026 --tz UTC start.log
    expect_rc 0
    expect_err "1 sessions, 0 failures" ;;
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
    PATH=$tmp/empty-path run ingest --db db --tz UTC --journal
    expect_rc 2
    expect_err "cannot run journalctl"
    expect_one_line_err
    same_db ;;
  journal_timeout_exit_75)
    # A journalctl that never ends (and a child of it holding its output
    # open) is killed at --journal-timeout; exit 75, one line, database as
    # it was, no process left.
    seed_db
    mkdir fake
    printf '#!/bin/sh\nsleep 1000 &\necho $! >"%s/sleeper"\nwait\n' "$tmp" >fake/journalctl
    chmod +x fake/journalctl
    start=$(date +%s)
    PATH=$tmp/fake:$PATH run ingest --db db --tz UTC --journal --journal-timeout 1
    expect_rc 75
    expect_err "journalctl did not finish within 1 s (--journal-timeout)"
    expect_one_line_err
    (($(date +%s) - start < 20)) || fail "took $(($(date +%s) - start)) s"
    same_db
    sleep 0.2
    # Gone, or a zombie left to init to reap (PID 1 of a container may not).
    state=$(awk '{print $3}' "/proc/$(cat sleeper)/stat" 2>/dev/null)
    [[ -z $state || $state == Z ]] || fail "the child of journalctl is still running ($state)"
    true ;;
  damaged_database_refused)
    # Bytes flipped in a page of old data that an ingest does not read: the
    # daily PRAGMA quick_check refuses the database before writing to it.
    seed_db
    "$PFTLS" ingest --db db </dev/null 2>/dev/null || fail "second run failed"
    sqlite3 db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    page=$(sqlite3 db "SELECT pageno FROM dbstat WHERE name = 'evidence' AND pagetype = 'leaf' LIMIT 1")
    [[ -n $page ]] || fail "no evidence page (dbstat)"
    psize=$(sqlite3 db 'PRAGMA page_size')
    # The day's check passed long ago (a day has gone by).
    sqlite3 db "UPDATE settings SET value = '0' WHERE key = 'integrity_checked_at'"
    sqlite3 db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' |
      dd of=db bs=1 seek=$(((page - 1) * psize + 8)) conv=notrunc status=none
    cp db db.damaged
    run ingest --db db --year 2026 --tz UTC "$SAMPLES/amex/mail.log"
    expect_rc 2
    expect_err "database db is damaged"
    expect_err "sqlite3 db .recover"
    expect_one_line_err
    cmp -s db db.damaged || fail "the damaged database was written to"
    [[ ! -s db-wal ]] || fail "a WAL was written"
    run status --check --db db
    expect_rc 2
    expect_err "sqlite3 db .recover"
    # Without --check, status reads only what it shows: the damaged evidence
    # page is not among it.
    run status --db db
    expect_rc 0
    # A whole database: the check passes and its time is stored by the run.
    for _ in 1 2; do "$PFTLS" ingest --db fine.db </dev/null 2>/dev/null || fail "ingest failed"; done
    [[ -n $(sqlite3 fine.db "SELECT value FROM settings WHERE key = 'integrity_checked_at'") ]] ||
      fail "the check is not recorded" ;;
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
    run incidents --db db --wide
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
  output_written_in_place)
    # -o onto a FIFO or a symlink to the pipe on stdout: written there, the
    # node not replaced by a regular file.
    seed_db
    "$PFTLS" export incidents --db db >want.csv || fail "export to stdout failed"
    mkfifo fifo
    timeout 10 cat fifo >from_fifo &
    reader=$!
    run export incidents --db db -o fifo
    expect_rc 0
    wait $reader
    [[ -p fifo ]] || fail "the FIFO was replaced"
    cmp -s from_fifo want.csv || fail "the FIFO's reader got: $(cat from_fifo)"
    ln -s /proc/self/fd/1 to-stdout
    "$PFTLS" export incidents --db db -o to-stdout | cat >from_pipe
    [[ ${PIPESTATUS[0]} == 0 ]] || fail "export -o to-stdout failed"
    [[ -L to-stdout ]] || fail "the symlink was replaced"
    cmp -s from_pipe want.csv || fail "the pipe got: $(cat from_pipe)"
    if [[ $(id -u) == 0 ]]; then
      mknod null c 1 3
      run export incidents --db db -o null
      expect_rc 0
      [[ -c null ]] || fail "the device node was replaced"
    fi ;;
  output_planted_temporary)
    # Whoever can write the directory plants the temporary's name as a link.
    seed_db
    echo precious >victim
    ln -s "$tmp/victim" out.csv.tmp
    run export incidents --db db -o out.csv
    expect_rc 0
    [[ $(cat victim) == precious ]] || fail "the planted link was followed: $(head -1 victim)"
    [[ -f out.csv && ! -L out.csv ]] || fail "out.csv is not a regular file"
    [[ $(wc -l <out.csv) == 2 ]] || fail "out.csv: $(cat out.csv)"
    [[ $(ls | grep -c '^out\.csv\.') == 1 ]] || fail "a temporary was left: $(ls)" ;;
  output_write_errors)
    seed_db
    full=$(full_device)
    run export incidents --db db -o "$full"
    expect_rc 2
    expect_err "cannot write $full: No space left on device"
    expect_one_line_err
    for cmd in status incidents failing "show 2"; do
      # shellcheck disable=SC2086
      "$PFTLS" $cmd --db db >/dev/full 2>"$tmp/err"
      echo $? >"$tmp/rc"
      expect_rc 2
      expect_err "cannot write to standard output"
    done
    for opt in --help --version; do
      "$PFTLS" $opt >/dev/full 2>"$tmp/err"
      echo $? >"$tmp/rc"
      expect_rc 2
      expect_err "cannot write to standard output"
    done
    same_db ;;
  unrecognised_file_rules)
    # --unrecognised: a failed run leaves the file as it was, a planted
    # temporary name is never used (the file is appended to), a write error
    # fails the run (exit 2; appending, as of issue 15, happens before the
    # commit) and a database the run would have created is removed.
    echo old >unknown.txt
    run ingest --db db --year 2026 --tz UTC --unrecognised unknown.txt "$SAMPLES/hostile/mail.log" /nonexistent
    expect_rc 2
    [[ $(cat unknown.txt) == old ]] || fail "a failed run changed --unrecognised: $(cat unknown.txt)"
    echo precious >victim
    ln -s "$tmp/victim" unknown.txt.tmp
    run ingest --db db --year 2026 --tz UTC --unrecognised unknown.txt "$SAMPLES/hostile/mail.log"
    expect_rc 0
    [[ $(cat victim) == precious ]] || fail "the planted link was followed"
    grep -q 'an smtpd line no pattern knows' unknown.txt || fail "unknown.txt: $(cat unknown.txt)"
    full=$(full_device)
    run ingest --db db2 --year 2026 --tz UTC --unrecognised "$full" "$SAMPLES/hostile/mail.log"
    expect_rc 2
    expect_err "cannot write $full: No space left on device"
    [[ ! -e db2 ]] || fail "a failed first run left its database" ;;
  numeric_options_checked)
    for v in nan NaN inf -1 3601; do
      run ingest --db db --lock-wait "$v" </dev/null
      expect_rc 2
      expect_err "--lock-wait"
    done
    for v in nan inf 0 0.05 -1 86401; do
      run ingest --db db --journal-timeout "$v" </dev/null
      expect_rc 2
      expect_err "--journal-timeout"
    done
    run ingest --db db --window 99999999999999w </dev/null
    expect_rc 2
    expect_err "--window"
    run ingest --db db --window 5300w </dev/null
    expect_rc 2
    [[ ! -e db ]] || fail "a database was created by a usage error" ;;
  client_name_with_bracket)
    # A client name holding '[' does not become the address; an address that
    # is none makes the line malformed.
    printf '%s\n' \
      $'Mar  4 12:00:00 mx1 postfix/smtpd[10]: connect from 2J\e[Hcleared[192.0.2.18]' \
      $'Mar  4 12:00:00 mx1 postfix/smtpd[10]: SSL_accept error from 2J\e[Hcleared[192.0.2.18]: -1' \
      $'Mar  4 12:00:01 mx1 postfix/smtpd[10]: disconnect from 2J\e[Hcleared[192.0.2.18] commands=0/0' \
      'Mar  4 12:00:02 mx1 postfix/smtpd[11]: connect from x.example[not-an-address]' >mail.log
    run ingest --db db --year 2026 --tz UTC mail.log
    expect_rc 0
    expect_err "mail.log:4: client address not an IP address, skipped"
    expect_err "0 unrecognised, 1 malformed"
    [[ $("$PFTLS" export failures --db db | tail -n +2 | cut -d, -f3 | sort -u | tr -d '\r') == 192.0.2.18 ]] ||
      fail "stored addresses: $("$PFTLS" export failures --db db)" ;;
  times_out_of_range)
    # Dates that do not exist and times outside [1970, 9999] are malformed,
    # in every input form.
    printf '%s\n' \
      '1969-12-31T23:59:59Z mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]' \
      '2025-02-29T10:00:00Z mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]' \
      '2026-02-30T10:00:00Z mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]' \
      '9999-12-31T23:30:00-01:00 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]' \
      '2026-03-04T10:00:00Z mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]' >a.log
    printf '%s\n' 'Feb 29 10:00:00 mx1 postfix/smtpd[2]: connect from a.example[192.0.2.1]' >b.log
    j='{"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"3","_HOSTNAME":"mx1","MESSAGE":"connect from a.example[192.0.2.1]","__REALTIME_TIMESTAMP":"'
    printf '%s\n' "${j}9223372036854775000\"}" "${j}1772618402000000\"}" >c.json
    run ingest --db db --year 2025 --tz UTC a.log b.log c.json
    expect_rc 0
    for at in a.log:1 a.log:2 a.log:3 a.log:4 b.log:1 c.json:1; do
      expect_err "$at: "  # "not a …" or "a Postfix line in a form pftls cannot take apart"
    done
    expect_err "0 unrecognised, 6 malformed" ;;
  show_escapes_raw_lines)
    # A raw 8-bit CSI and a bidi override in a client name: escaped in the
    # raw lines of show, gone from the table.
    name=$'ev\x9b2Jil\xe2\x80\xaeelpmaxe.moc'
    printf '%s\n' \
      "Dec 31 23:50:00 mx1 postfix/smtpd[10]: SSL_accept error from $name[192.0.2.5]: -1" \
      "Jan  1 00:10:00 mx1 postfix/smtpd[11]: connect from $name[192.0.2.5]" \
      "Jan  1 00:10:01 mx1 postfix/smtpd[11]: 1A2B3C4D5E: client=$name[192.0.2.5]" >mail.log
    run ingest --db db --year 2024 --tz UTC mail.log
    expect_rc 0
    run show 1 --db db
    expect_rc 0
    grep -qF 'connect from ev\x9b2Jil\xe2\x80\xaeelpmaxe.moc[192.0.2.5]' "$tmp/out" ||
      fail "show does not escape the raw line: $(cat -v "$tmp/out")"
    for cmd in "show 1" incidents "export incidents" "incidents --format json"; do
      # shellcheck disable=SC2086
      "$PFTLS" $cmd --db db >shown || fail "$cmd failed"
      if LC_ALL=C grep -q $'\x9b\|\xe2\x80[\xaa-\xae]' shown; then
        fail "$cmd lets a raw CSI or a bidi override through: $(cat -v shown)"
      fi
      grep -q 'ev.*2Jil.*elpmaxe.moc' shown || fail "$cmd lost the name: $(cat -v shown)"
    done ;;
  show_outbound_incident)
    # An outbound incident by its id o1 (O1 too): our host sent, the remote
    # MX received, and the raw lines of the failed attempts and of the
    # plaintext delivery; ids that are neither N nor oN are refused (one
    # line), an unknown one says so (exit 2, as for N); a redacted report
    # hides our host.
    run ingest --db db --year 2026 --tz UTC "$SAMPLES/postfix-3.7/mx.test.log"
    expect_rc 0
    for id in o1 O1; do
      run show "$id" --db db
      expect_rc 0
      grep -q '^== Incident o1: outbound-downgrade' "$tmp/out" || fail "show $id: no heading: $(cat "$tmp/out")"
      grep -q '^sending MTA: *mx (ours)$' "$tmp/out" || fail "show $id: sender is not our host"
      grep -q '^receiving MTA: *127.0.0.19 (mail.weak.test)$' "$tmp/out" || fail "show $id: no remote MX"
      grep -q '^message-id: *invoice-42@mx.test$' "$tmp/out" || fail "show $id: no message-id"
      grep -q '^sender: *ops@mx.test$' "$tmp/out" || fail "show $id: no sender"
      grep -A3 '^-- failed attempt$' "$tmp/out" | grep -q 'SSL_connect error to mail.weak.test' ||
        fail "show $id: no failed attempt lines: $(cat "$tmp/out")"
      grep -A1 '^-- plaintext delivery$' "$tmp/out" | grep -q 'status=sent' ||
        fail "show $id: no plaintext delivery line: $(cat "$tmp/out")"
    done
    run show o1 --db db --redact
    expect_rc 0
    grep -q ' mx postfix/' "$tmp/out" && fail "show o1 --redact shows our host name"
    grep -q '^sending MTA: *host-[0-9a-f]\{8\} (ours)$' "$tmp/out" || fail "show o1 --redact: no pseudonym"
    run show o99 --db db
    expect_rc 2
    expect_one_line_err
    expect_err "no incident o99"
    for bad in x1 o o0 -1 1o 0; do
      run show "$bad" --db db
      [[ $(rc) != 0 ]] || fail "show $bad: exit 0"
      expect_one_line_err
    done ;;
  *)
    fail "unknown case" ;;
esac
echo "ok [$CASE]"
