#!/usr/bin/env bash
# journal_test.sh PFTLS: `pftls ingest --journal` against a real journal file.
#
# Writes the AMEX story (samples/amex/mail.log, Dec 23 2016 Europe/Berlin) and
# entries of other units in the Journal Export Format (one MESSAGE not valid
# UTF-8, written as a binary field, so journalctl emits it as a byte array),
# turns it into a journal file with systemd-journal-remote (installed with
# apt-get when missing, as root), and checks through real journalctl:
#   1. the default units (postfix.service, postfix@*.service) read the
#      postfix@-.service entries and nothing else: exactly the AMEX incident;
#   2. a second run reads 0 lines and adds nothing;
#   3. entries appended to the same file (journal-remote appends) are read
#      alone, after the stored cursor, and a second planted incident appears;
#   4. a unit filter without Postfix finds nothing;
#   5. journalctl failing (a missing file) or missing from PATH: exit 2, one
#      line naming journalctl, database unchanged (sqlite3 .dump);
#   6. files and the journal in one run: the files first, then the journal.
# KEEP=1 keeps the temporary directory.
set -uo pipefail
# `| grep >/dev/null`, never `| grep -q`: -q stops reading at the first match
# and the writer may die of SIGPIPE, which pipefail reports as a failure.
export LC_ALL=C
PFTLS=${1:?usage: journal_test.sh PFTLS}
[[ $PFTLS == */* ]] || PFTLS=$(command -v "$PFTLS") || exit 1
PFTLS=$(cd "$(dirname "$PFTLS")" && pwd)/$(basename "$PFTLS")
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$HERE/../../samples
tmp=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT

fail() { echo "FAIL [journal]: $*" >&2; exit 1; }
say() { echo "[journal] $*" >&2; }

# ------------------------------------------------------------------ install --
remote_bin() { dpkg -L systemd-journal-remote 2>/dev/null | grep -m1 '/systemd-journal-remote$'; }
if ! command -v journalctl >/dev/null || [[ -z $(remote_bin) ]]; then
  [[ $(id -u) -eq 0 ]] || fail "systemd-journal-remote is missing and this is not root: cannot install it"
  say "installing systemd-journal-remote"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-journal-remote \
    >/dev/null || fail "apt-get install systemd-journal-remote failed"
fi
REMOTE=$(remote_bin)
[[ -x $REMOTE ]] || fail "no systemd-journal-remote binary (dpkg -L systemd-journal-remote)"
command -v journalctl >/dev/null || fail "no journalctl on PATH"

# ------------------------------------------------------- export format text --
BOOT_ID=0f3c2a9e8d7b4c5a9e8d7b4c5a9e8d7b
mono=1000000
le64() {  # a number as 8 bytes, little-endian
  local i
  for ((i = 0; i < 8; i++)); do
    # shellcheck disable=SC2059
    printf "\\x$(printf %02x $((($1 >> (8 * i)) & 255)))"
  done
}
# entry LOCALTIME UNIT IDENT PID MESSAGE [binary]: one journal entry; the
# local time is Europe/Berlin; with "binary" MESSAGE is printf %b bytes.
entry() {
  local secs
  secs=$(TZ=Europe/Berlin date -d "$1" +%s) || fail "bad time $1"
  mono=$((mono + 1000))
  printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=%s\n_HOSTNAME=box\n' \
    "$((secs * 1000000))" "$mono" "$BOOT_ID"
  printf 'SYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%s\n_PID=%s\n_SYSTEMD_UNIT=%s\n' "$3" "$4" "$4" "$2"
  if [[ ${6:-} == binary ]]; then
    local bytes
    bytes=$(printf '%b' "$5")
    printf 'MESSAGE\n'
    le64 "${#bytes}"
    printf '%s\n\n' "$bytes"
  else
    printf 'MESSAGE=%s\n\n' "$5"
  fi
}
# The AMEX lines, each as an entry of postfix@-.service.
amex_entries() {
  local line re='^([A-Z][a-z]{2}) +([0-9]+) ([0-9:]{8}) box (postfix/[a-z]+)\[([0-9]+)\]: (.*)$'
  while IFS= read -r line; do
    [[ $line =~ $re ]] || fail "unexpected sample line: $line"
    entry "${BASH_REMATCH[2]} ${BASH_REMATCH[1]} 2016 ${BASH_REMATCH[3]}" postfix@-.service \
      "${BASH_REMATCH[4]}" "${BASH_REMATCH[5]}" "${BASH_REMATCH[6]}"
  done <"$SAMPLES/amex/mail.log"
}

{
  entry "2016-12-23 15:59:00" ssh.service sshd 811 "Accepted publickey for root from 192.0.2.200 port 50000 ssh2"
  amex_entries
  entry "2016-12-23 16:10:00" cron.service CRON 900 "(root) CMD (run-parts /etc/cron.hourly)"
  # Not valid UTF-8 (0xff): journalctl writes MESSAGE as an array of bytes.
  entry "2016-12-23 16:20:00" postfix@-.service postfix/smtpd 30001 \
    'warning: hostname h\xffst.example does not resolve to address 185.14.29.32' binary
} >"$tmp/batch1.export"
AMEX_ENTRIES=$(($(wc -l <"$SAMPLES/amex/mail.log") + 1))  # Postfix entries in batch 1

# A second planted downgrade, a day later, and more entries of other units.
{
  entry "2016-12-24 10:00:00" postfix@-.service postfix/smtpd 4101 "connect from mx.second.example[192.0.2.77]"
  entry "2016-12-24 10:00:01" postfix@-.service postfix/smtpd 4101 \
    "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2283:"
  entry "2016-12-24 10:00:01" postfix@-.service postfix/smtpd 4101 "SSL_accept error from mx.second.example[192.0.2.77]: -1"
  entry "2016-12-24 10:00:01" ssh.service sshd 812 "Connection closed by 192.0.2.201 port 50001"
  entry "2016-12-24 10:00:01" postfix@-.service postfix/smtpd 4101 "lost connection after STARTTLS from mx.second.example[192.0.2.77]"
  entry "2016-12-24 10:00:01" postfix@-.service postfix/smtpd 4101 \
    "disconnect from mx.second.example[192.0.2.77] ehlo=1 starttls=0/1 commands=1/2"
  entry "2016-12-24 10:20:00" postfix@-.service postfix/smtpd 4102 "connect from mx.second.example[192.0.2.77]"
  entry "2016-12-24 10:20:01" postfix@-.service postfix/smtpd 4102 "3C4D5E6F7A: client=mx.second.example[192.0.2.77]"
  entry "2016-12-24 10:20:01" postfix@-.service postfix/cleanup 4103 "3C4D5E6F7A: message-id=<second-1@second.example>"
  entry "2016-12-24 10:20:02" postfix@-.service postfix/smtpd 4102 \
    "disconnect from mx.second.example[192.0.2.77] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
} >"$tmp/batch2.export"
SECOND_ENTRIES=9  # Postfix entries in batch 2

to_journal() {
  "$REMOTE" --output="$tmp/remote.journal" - <"$1" 2>"$tmp/remote.err" ||
    fail "systemd-journal-remote failed: $(cat "$tmp/remote.err")"
}
to_journal "$tmp/batch1.export"
JOURNAL=$tmp/remote.journal
journalctl --file "$JOURNAL" -o json --no-pager | grep >/dev/null '"MESSAGE":\[' ||
  fail "journalctl does not write the non-UTF-8 MESSAGE as a byte array"
[[ $(journalctl --file "$JOURNAL" -o json --no-pager -u 'postfix@*.service' | wc -l) == "$AMEX_ENTRIES" ]] ||
  fail "journalctl -u 'postfix@*.service' does not select the postfix@-.service entries"

# ------------------------------------------------------------------ checks --
cd "$tmp" || exit 1
# ingest with --verbose: its summary line is read below.
run() {
  [[ ${1-} == ingest ]] && set -- ingest --verbose "${@:2}"
  "$PFTLS" "$@" >out 2>err
  echo $? >rc
}
expect_rc() { [[ $(cat rc) == "$1" ]] || fail "exit code $(cat rc), expected $1; stderr: $(cat err)"; }
expect_err() { grep -qF -- "$1" err || fail "stderr lacks '$1': $(cat err)"; }
incidents() {  # client_ip,failure_at,plaintext_at per incident
  "$PFTLS" export incidents --db "$1" | tail -n +2 | cut -d, -f4,6,9 | tr -d '\r' | sort
}
incident_id() { "$PFTLS" export incidents --db "$1" | awk -F, -v ip="$2" '$4 == ip { print $1 }'; }
dump() { sqlite3 "$1" .dump | sha256sum; }
AMEX='148.173.96.86,2016-12-23T15:01:05Z,2016-12-23T15:29:17Z'
SECOND='192.0.2.77,2016-12-24T09:00:01Z,2016-12-24T09:20:01Z'

say "1. first run: the AMEX incident, default units"
run ingest --db j.db --journal-file "$JOURNAL"
expect_rc 0
expect_err "ingest: $AMEX_ENTRIES lines read, $AMEX_ENTRIES Postfix lines, 0 unrecognised, 0 malformed"
[[ $(incidents j.db) == "$AMEX" ]] || fail "incidents after run 1: $(incidents j.db)"
"$PFTLS" show "$(incident_id j.db 148.173.96.86)" --db j.db | grep -F >/dev/null "journal:$JOURNAL:" || fail "evidence does not name journal:$JOURNAL"
"$PFTLS" status --db j.db | grep -F >/dev/null "journal:$JOURNAL" || fail "the run record does not name the journal"
sqlite3 j.db "SELECT value FROM settings WHERE key LIKE 'journal_cursor:%'" | grep >/dev/null '^s=' ||
  fail "no journal cursor stored"

say "2. second run: nothing new"
run ingest --db j.db --journal-file "$JOURNAL"
expect_rc 0
expect_err "ingest: 0 lines read"
expect_err " 0 new incidents"
[[ $(incidents j.db) == "$AMEX" ]] || fail "incidents after run 2: $(incidents j.db)"

say "3. appended entries: only they are read, a second incident"
to_journal "$tmp/batch2.export"
run ingest --db j.db --journal-file "$JOURNAL"
expect_rc 0
expect_err "ingest: $SECOND_ENTRIES lines read"
expect_err " 1 new incidents"
[[ $(incidents j.db) == "$(printf '%s\n%s' "$AMEX" "$SECOND")" ]] || fail "incidents after run 3: $(incidents j.db)"
# Evidence numbers go on from the entries read before.
second_id=$(incident_id j.db 192.0.2.77)
"$PFTLS" show "$second_id" --db j.db | grep -F >/dev/null "journal:$JOURNAL:$((AMEX_ENTRIES + 1))" ||
  fail "evidence line numbers do not continue: $("$PFTLS" show "$second_id" --db j.db)"
run ingest --db j.db --journal-file "$JOURNAL"
expect_err "ingest: 0 lines read"

say "4. a unit filter without Postfix finds nothing"
run ingest --db u.db --journal-file "$JOURNAL" --unit ssh.service --unit cron.service
expect_rc 0
expect_err "ingest: 3 lines read, 0 Postfix lines"
[[ -z $(incidents u.db) ]] || fail "incidents with --unit ssh.service: $(incidents u.db)"

say "5. journalctl fails: exit 2, one line, database unchanged"
dump j.db >before
run ingest --db j.db --journal-file "$tmp/no-such.journal"
expect_rc 2
expect_err "journalctl"
[[ $(grep -c . err) == 1 ]] || fail "expected a one-line error: $(cat err)"
[[ $(dump j.db) == "$(cat before)" ]] || fail "database changed by a failed journalctl run"
mkdir empty-path
PATH=$tmp/empty-path run ingest --db j.db --journal-file "$JOURNAL"
expect_rc 2
expect_err "cannot run journalctl"
[[ $(dump j.db) == "$(cat before)" ]] || fail "database changed when journalctl is missing"
run ingest --db fresh.db --journal-file "$tmp/no-such.journal"
expect_rc 2
[[ ! -e fresh.db ]] || fail "a failed first run left a database"

say "6. files first, then the journal, in one run"
run ingest --db both.db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" --journal-file "$JOURNAL"
expect_rc 0
incidents both.db | grep -F >/dev/null "$SECOND" || fail "journal incident missing when combined with a file"
"$PFTLS" status --db both.db | grep -F >/dev/null "mail.log journal:" || fail "run inputs: $("$PFTLS" status --db both.db)"

say "all checks passed"
