#!/usr/bin/env bash
# news_test.sh PFTLS CASE: what `ingest` prints for a cron job (news only
# without a terminal), --on-incident, --unrecognised appending, the stored
# zone and stdin fed twice. One ctest test per case (label cli).
set -uo pipefail
PFTLS=$1
CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# run (lib.sh): stderr is a file, never a terminal, as in cron.
# On a pseudo-terminal (script(1)): stdout and stderr both end up in out.
run_tty() {
  local cmd
  cmd=$(printf '%q ' "$PFTLS" "$@")
  script -qec "$cmd" /dev/null </dev/null >"$tmp/out" 2>&1
  echo $? >"$tmp/rc"
}
expect_silent() {
  [[ ! -s $tmp/out ]] || fail "stdout not empty: $(cat "$tmp/out")"
  [[ ! -s $tmp/err ]] || fail "stderr not empty: $(cat "$tmp/err")"
}
incidents() { "$PFTLS" incidents --db db --format csv | tail -n +2 | grep -c . ; }
AMEX=$SAMPLES/amex/mail.log
# The amex sample: a failure in its first two lines, the plaintext retry after.
head -2 "$AMEX" >first.log
tail -n +3 "$AMEX" >rest.log

case $CASE in
  nothing_new_prints_nothing)
    cp first.log mail.log
    run ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    expect_silent
    cat rest.log >>mail.log
    run ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    [[ ! -s $tmp/err ]] || fail "stderr not empty: $(cat "$tmp/err")"
    expect_out "1 new TLS downgrade incident (pftls show ID for the evidence):"
    expect_out "incident_id  kind     confidence"
    id=$("$PFTLS" incidents --db db --format csv | sed -n 2p | cut -d, -f1)
    grep -qE "^$id +inbound +(confirmed|probable) +[0-9T:Z-]+ +.*\[[0-9.]+\]$" "$tmp/out" ||
      fail "no table row for incident $id: $(cat "$tmp/out")"
    awk 'length > 100 { exit 1 }' "$tmp/out" || fail "a line wider than 100 columns"
    run ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    expect_silent ;;
  terminal_gets_summary)
    cp "$AMEX" mail.log
    run_tty ingest --db db --year 2016 --tz UTC mail.log
    expect_rc 0
    [[ $(grep -c '^pftls: ingest: ' "$tmp/out") == 1 ]] || fail "no one summary line: $(cat "$tmp/out")"
    expect_out " 1 new incidents"
    expect_out "1 new TLS downgrade incident"
    run_tty ingest --db db --year 2016 --tz UTC mail.log
    [[ $(grep -c '^pftls: ingest: .* 0 new incidents' "$tmp/out") == 1 ]] ||
      fail "nothing new on a terminal: $(cat "$tmp/out")" ;;
  quiet_and_verbose)
    cp first.log mail.log
    run ingest --db db --verbose --year 2016 --tz UTC mail.log
    expect_rc 0
    expect_err "pftls: ingest: 2 lines read"
    run_tty ingest --db db --quiet --year 2016 --tz UTC mail.log
    expect_rc 0
    [[ ! -s $tmp/out ]] || fail "--quiet on a terminal printed: $(cat "$tmp/out")"
    run ingest --db db --quiet --verbose mail.log
    expect_rc 2
    expect_err "--quiet and --verbose" ;;
  warning_once_a_day)
    # The same kind of bad line warns once a day; another kind still warns.
    grep -F 'no pattern knows' "$SAMPLES/hostile/mail.log" >mail.log
    run ingest --db db --year 2026 --tz UTC mail.log
    expect_rc 0
    expect_err "mail.log:1: unrecognised postfix/smtpd line"
    sed 's/3002/3102/' mail.log >>mail.log.new && cat mail.log.new >>mail.log
    run ingest --db db --year 2026 --tz UTC mail.log
    expect_rc 0
    expect_silent
    echo 'Mar  4 12:00:01 mx1 postfix/qmgr[3002]: a qmgr line no pattern knows' >>mail.log
    run ingest --db db --year 2026 --tz UTC mail.log
    expect_rc 0
    expect_err "mail.log:3: unrecognised postfix/qmgr line"
    grep -qF "postfix/smtpd" "$tmp/err" && fail "smtpd warned twice in a day: $(cat "$tmp/err")"
    # The counts stay in status.
    "$PFTLS" status --db db | grep -q "mail.log" || fail "status lacks the input"
    # A day later (the stored record says smtpd was warned long ago): it warns again.
    sqlite3 db "SELECT value FROM settings WHERE key = 'warned_kinds'" | grep -q " unrecognised postfix/smtpd line$" ||
      fail "no memory of the smtpd warning"
    sqlite3 db "UPDATE settings SET value = '1000 unrecognised postfix/smtpd line' || char(10) WHERE key = 'warned_kinds'"
    grep -F 'no pattern knows' "$SAMPLES/hostile/mail.log" | sed 's/3002/3202/' >>mail.log
    run ingest --db db --year 2026 --tz UTC mail.log
    expect_rc 0
    expect_err "unrecognised postfix/smtpd line"
    # --verbose shows every warning, remembered or not.
    grep -F 'no pattern knows' "$SAMPLES/hostile/mail.log" | sed 's/3002/3302/' >>mail.log
    run ingest --db db --verbose --year 2026 --tz UTC mail.log
    expect_err "unrecognised postfix/smtpd line" ;;
  on_incident_gets_json_lines)
    cat >hook.sh <<'SH'
#!/bin/sh
cat >"$1"
echo "hook ran with $2" >&2
SH
    chmod +x hook.sh
    cp first.log mail.log
    run ingest --db db --year 2016 --tz UTC --on-incident "$tmp/hook.sh $tmp/got second" mail.log
    expect_rc 0
    expect_silent
    [[ ! -e got ]] || fail "the command ran without new incidents"
    cat rest.log >>mail.log
    run ingest --db db --year 2016 --tz UTC --on-incident "$tmp/hook.sh $tmp/got second" mail.log
    expect_rc 0
    expect_err "hook ran with second"
    grep -q "pftls: warning" "$tmp/err" && fail "a warning for a command that worked: $(cat "$tmp/err")"
    [[ $(grep -c . got) == 1 ]] || fail "expected one JSON line: $(cat got)"
    "$PFTLS" incidents --db db --format json >all.json
    # One incident: its object in the JSON array is the JSON line.
    [[ $(cat got) == "$(sed -n 2p all.json | sed 's/^ //')" ]] ||
      fail "JSON line differs from incidents --format json: $(cat got) vs $(cat all.json)"
    ;;
  on_incident_failure_reported)
    printf '#!/bin/sh\nexit 3\n' >fails.sh
    chmod +x fails.sh
    cp "$AMEX" mail.log
    run ingest --db db --year 2016 --tz UTC --on-incident "$tmp/fails.sh" mail.log
    expect_rc 0
    expect_err "pftls: warning: --on-incident: $tmp/fails.sh: exit status 3"
    expect_out "1 new TLS downgrade incident"
    [[ $(incidents) == 1 ]] || fail "the run was lost"
    # One that cannot be started, and one that never reads its stdin.
    cp "$AMEX" other.log
    run ingest --db db2 --year 2016 --tz UTC --on-incident "$tmp/no-such-program" other.log
    expect_rc 0
    expect_err "pftls: warning: --on-incident: cannot run $tmp/no-such-program: No such file or directory"
    run ingest --db db3 --year 2016 --tz UTC --on-incident "true" other.log
    expect_rc 0
    [[ ! -s $tmp/err ]] || fail "stderr not empty: $(cat "$tmp/err")"
    printf '#!/bin/sh\nkill -9 $$\n' >killed.sh
    chmod +x killed.sh
    run ingest --db db4 --year 2016 --tz UTC --on-incident "$tmp/killed.sh" other.log
    expect_rc 0
    expect_err "killed by signal 9" ;;
  unrecognised_appends)
    grep -F 'no pattern knows' "$SAMPLES/hostile/mail.log" >mail.log
    echo old >unknown.txt
    run ingest --db db --year 2026 --tz UTC --unrecognised unknown.txt mail.log
    expect_rc 0
    [[ $(sed -n 1p unknown.txt) == old ]] || fail "unknown.txt truncated: $(cat unknown.txt)"
    [[ $(grep -c 'no pattern knows' unknown.txt) == 1 ]] || fail "unknown.txt: $(cat unknown.txt)"
    sed 's/3002/3102/' mail.log >more && cat more >>mail.log
    run ingest --db db --year 2026 --tz UTC --unrecognised unknown.txt mail.log
    expect_rc 0
    [[ $(grep -c 'no pattern knows' unknown.txt) == 2 ]] || fail "not appended: $(cat unknown.txt)"
    # A new file is created 0640 at most; a symlink is refused, whatever it points to.
    run ingest --db db5 --year 2026 --tz UTC --unrecognised new.txt mail.log
    expect_rc 0
    [[ $(( 0$(stat -c %a new.txt) & 0137 )) == 0 ]] || fail "new.txt mode $(stat -c %a new.txt)"
    echo precious >victim
    ln -s "$tmp/victim" link.txt
    sqlite3 db .dump | sha256sum >before
    echo more >>mail.log
    run ingest --db db --year 2026 --tz UTC --unrecognised link.txt mail.log
    expect_rc 2
    expect_err "cannot write link.txt: a symlink (not followed)"
    [[ $(cat victim) == precious ]] || fail "the symlink was followed"
    # A write error is exit 2, and the run is rolled back.
    full=/dev/full
    if [[ $(id -u) == 0 ]]; then mknod "$tmp/full" c 1 7 && full=$tmp/full; fi
    grep -F 'no pattern knows' "$SAMPLES/hostile/mail.log" | sed 's/3002/3402/' >>mail.log
    run ingest --db db --year 2026 --tz UTC --unrecognised "$full" mail.log
    expect_rc 2
    expect_err "cannot write $full: No space left on device"
    [[ $(sqlite3 db .dump | sha256sum) == "$(cat before)" ]] || fail "database changed by a failed run" ;;
  zone_stored)
    # The zone of the first run is kept: a later run without --tz reads in it.
    cp first.log mail.log
    run ingest --db db --year 2016 --tz Asia/Tokyo mail.log
    expect_rc 0
    "$PFTLS" status --db db | grep -qF "Zone (ingest --tz): Asia/Tokyo" || fail "status lacks the zone"
    cat rest.log >>mail.log
    TZ=UTC run ingest --db db --year 2016 mail.log
    expect_rc 0
    expect_err "pftls: warning: no --tz: using the zone stored with the database, Asia/Tokyo"
    "$PFTLS" ingest --db ref --year 2016 --tz Asia/Tokyo "$AMEX" >/dev/null 2>&1
    [[ $("$PFTLS" incidents --db db --format csv) == "$("$PFTLS" incidents --db ref --format csv)" ]] ||
      fail "the stored zone was not used"
    # Once a day without a terminal.
    TZ=UTC run ingest --db db mail.log
    expect_silent
    run ingest --db db --tz UTC mail.log
    expect_err "pftls: warning: --tz UTC replaces the zone stored with the database (Asia/Tokyo)"
    "$PFTLS" status --db db | grep -qF "Zone (ingest --tz): UTC" || fail "status lacks the new zone" ;;
  stdin_fed_twice)
    "$PFTLS" ingest --db db --year 2016 --tz UTC <"$AMEX" >"$tmp/out" 2>"$tmp/err"
    expect_out "1 new TLS downgrade incident"
    run ingest --db db --year 2016 --tz UTC - <"$AMEX"
    expect_rc 0
    expect_silent
    [[ $(incidents) == 1 ]] || fail "incidents doubled: $(incidents)"
    # A stream fed first in part and then whole is read on from where it stopped.
    "$PFTLS" ingest --db db2 --year 2016 --tz UTC <first.log >/dev/null 2>&1
    cat first.log rest.log | "$PFTLS" ingest --db db2 --year 2016 --tz UTC >"$tmp/out" 2>"$tmp/err"
    expect_out "1 new TLS downgrade incident"
    [[ $("$PFTLS" incidents --db db2 --format csv) == "$("$PFTLS" incidents --db db --format csv)" ]] ||
      fail "grown stream: not the incidents of one run"
    "$PFTLS" status --db db2 | grep -q "^-  " || fail "status does not list stdin: $("$PFTLS" status --db db2)"
    # Another stream is another input: read whole.
    sed 's/148\.173\.96\.86/198.51.100.86/g' "$AMEX" |
      "$PFTLS" ingest --verbose --db db --year 2016 --tz UTC >"$tmp/out" 2>"$tmp/err"
    expect_err "pftls: ingest: $(grep -c . "$AMEX") lines read"
    [[ $("$PFTLS" status --db db | grep -c '^-  ') == 2 ]] || fail "not two stdin inputs" ;;
  *)
    fail "unknown case" ;;
esac
