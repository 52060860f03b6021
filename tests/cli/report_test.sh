#!/usr/bin/env bash
# report_test.sh PFTLS CASE: `pftls report`. One ctest test per case (label
# cli):
#   every_sample     each sample log: the report exits 0, its text lines fit
#                    80 columns and carry no control character, its JSON is
#                    valid (jq, from .ci/setup)
#   previous_period  a sender that used TLS last week and sends plaintext
#                    this week is listed as a regression; one that kept TLS
#                    is not; a sender failing only this week is new; the
#                    session counts by TLS state per week
#   usage            bad --format, --since not before --until, unknown --tz:
#                    exit 2, nothing opened
set -uo pipefail
PFTLS=$1
CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "no jq (.ci/setup installs it)"

# Text checks of one report: width in characters (UTF-8), no control bytes
# but newline (C0, DEL), no C1 or bidi controls.
check_text() {
  local f=$1 what=$2 width
  width=$(LC_ALL=C.UTF-8 wc -L <"$f")
  ((width <= 80)) || fail "$what: a line of $width columns"$'\n'"$(cat "$f")"
  if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$f"; then
    fail "$what: a control character reaches the terminal"
  fi
  if LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$f"; then fail "$what: a C1 control"; fi
  if LC_ALL=C grep -q -e $'\xe2\x80[\xaa-\xae]' -e $'\xe2\x81[\xa6-\xa9]' "$f"; then
    fail "$what: a bidi control"
  fi
}

case $CASE in
  every_sample)
    n=0
    for log in "$SAMPLES"/*/*.log; do
      name=${log#"$SAMPLES"/}
      rm -f db db-wal db-shm
      "$PFTLS" ingest --db db --year 2026 --tz UTC "$log" >/dev/null 2>err
      rc=$?
      [[ $rc == 0 || $rc == 3 ]] || fail "$name: ingest exit $rc: $(cat err)"
      for period in "" "--since 2000-01-01 --until 2030-01-01"; do
        # shellcheck disable=SC2086
        "$PFTLS" report --db db $period >out 2>err || fail "$name: report $period: $(cat err)"
        [[ -s out ]] || fail "$name: empty report"
        check_text out "$name report $period"
        # shellcheck disable=SC2086
        "$PFTLS" report --db db --format json $period >out.json 2>err ||
          fail "$name: report --format json $period: $(cat err)"
        jq -e 'has("period") and has("sessions") and has("changes")' out.json >/dev/null ||
          fail "$name: not the report's JSON"$'\n'"$(head -c 2000 out.json)"
      done
      "$PFTLS" report --db db --since 2000-01-01 --until 2030-01-01 --tz Europe/Berlin >out 2>err ||
        fail "$name: --tz: $(cat err)"
      check_text out "$name report --tz"
      n=$((n + 1))
    done
    ((n >= 20)) || fail "only $n sample logs found under $SAMPLES"
    # A sender whose name is long and full of controls (ESC, BEL, a C1 CSI,
    # a right-to-left override): the text cuts it ("…") and keeps the
    # controls out; JSON keeps it, escaped.
    long=$(printf 'mx-%s.e\x1b[31mvil\x07\xc2\x9b\xe2\x80\xaeexample' "$(printf 'a%.0s' {1..120})")
    {
      printf 'Mar  4 10:00:00 mx1 postfix/smtpd[4001]: connect from %s[192.0.2.99]\n' "$long"
      printf 'Mar  4 10:00:01 mx1 postfix/smtpd[4001]: SSL_accept error from %s[192.0.2.99]: -1\n' "$long"
      printf 'Mar  4 10:00:01 mx1 postfix/smtpd[4001]: lost connection after STARTTLS from %s[192.0.2.99]\n' "$long"
      printf 'Mar  4 10:00:01 mx1 postfix/smtpd[4001]: disconnect from %s[192.0.2.99] ehlo=1 starttls=0/1 commands=1/2\n' "$long"
    } >hostile.log
    rm -f db
    "$PFTLS" ingest --db db --year 2026 --tz UTC hostile.log >/dev/null 2>&1
    "$PFTLS" report --db db --since 2026-03-04 --until 2026-03-05 >out || fail "hostile report"
    check_text out "hostile report"
    grep -q '^192\.0\.2\.99 .*mx-aaaa.*…' out || fail "hostile: the long name not elided"$'\n'"$(cat out)"
    "$PFTLS" report --db db --since 2026-03-04 --until 2026-03-05 --format json >out.json ||
      fail "hostile json"
    jq -e '.top_failing_senders[0].client_name | test("vil\u0007")' out.json >/dev/null ||
      fail "hostile: JSON lost the name"$'\n'"$(cat out.json)"
    ;;

  previous_period)
    # Week 1 (from Mon 2 Mar 2026): 192.0.2.50 and 192.0.2.60 send over TLS.
    # Week 2 (from Mon 9 Mar): .50 comes back in plaintext, .60 keeps TLS,
    # .70 fails its handshake (new failing sender).
    tls_session() { # DAY PID IP NAME QUEUEID
      cat <<EOF
Mar  $1 10:00:00 mx1 postfix/smtpd[$2]: connect from $4[$3]
Mar  $1 10:00:01 mx1 postfix/smtpd[$2]: Anonymous TLS connection established from $4[$3]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Mar  $1 10:00:02 mx1 postfix/smtpd[$2]: $5: client=$4[$3]
Mar  $1 10:00:03 mx1 postfix/smtpd[$2]: disconnect from $4[$3] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7
EOF
    }
    {
      tls_session 2 3001 192.0.2.50 mx.regress.example 1A0000000A
      tls_session 2 3002 192.0.2.60 mx.steady.example 1A0000000B
      tls_session 9 3003 192.0.2.60 mx.steady.example 1A0000000C
      cat <<'EOF'
Mar  9 11:00:00 mx1 postfix/smtpd[3004]: connect from mx.regress.example[192.0.2.50]
Mar  9 11:00:01 mx1 postfix/smtpd[3004]: 1A0000000D: client=mx.regress.example[192.0.2.50]
Mar  9 11:00:02 mx1 postfix/smtpd[3004]: disconnect from mx.regress.example[192.0.2.50] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Mar  9 12:00:00 mx1 postfix/smtpd[3005]: connect from mx.broken.example[192.0.2.70]
Mar  9 12:00:01 mx1 postfix/smtpd[3005]: SSL_accept error from mx.broken.example[192.0.2.70]: -1
Mar  9 12:00:01 mx1 postfix/smtpd[3005]: lost connection after STARTTLS from mx.broken.example[192.0.2.70]
Mar  9 12:00:01 mx1 postfix/smtpd[3005]: disconnect from mx.broken.example[192.0.2.70] ehlo=1 starttls=0/1 commands=1/2
Mar 14 23:00:00 mx1 postfix/anvil[820]: statistics: max connection rate 1/60s for (smtp:192.0.2.60) at Mar 14 23:00:00
EOF
    } >mail.log
    "$PFTLS" ingest --db db --year 2026 --tz UTC mail.log >/dev/null 2>err || fail "ingest: $(cat err)"
    week=(--since 2026-03-09 --until 2026-03-16)
    "$PFTLS" report --db db "${week[@]}" --format json >r.json 2>err || fail "report: $(cat err)"
    [[ $(jq -c '[.tls_regressions[].client_ip]' r.json) == '["192.0.2.50"]' ]] ||
      fail "regressions: $(jq -c .tls_regressions r.json)"
    [[ $(jq -c '[.new_failing_senders[].client_ip]' r.json) == '["192.0.2.70"]' ]] ||
      fail "new failing senders: $(jq -c .new_failing_senders r.json)"
    state() { jq -r --arg s "$1" '.sessions[] | select(.state == $s) | "\(.sessions) \(.previous)"' r.json; }
    [[ $(state tls) == "1 2" ]] || fail "tls sessions (period previous): $(state tls)"
    [[ $(state plaintext) == "1 0" ]] || fail "plaintext sessions: $(state plaintext)"
    [[ $(state failed) == "1 0" ]] || fail "failed sessions: $(state failed)"
    # The text: the regression is a line under its heading.
    "$PFTLS" report --db db "${week[@]}" >r.txt 2>err || fail "report text: $(cat err)"
    check_text r.txt "report"
    awk '/^Senders that used TLS/ { s = 1; next } s && /^$/ { exit } s' r.txt >reg.txt
    grep -q '^192\.0\.2\.50 .*mx\.regress\.example' reg.txt || fail "no regression line"$'\n'"$(cat r.txt)"
    if grep -q '192\.0\.2\.60' reg.txt; then fail "a sender that kept TLS is listed"; fi
    # The week before: .50 and .60 used TLS; nothing regressed then.
    "$PFTLS" report --db db --since 2026-03-02 --until 2026-03-09 --format json >p.json ||
      fail "report of the week before"
    [[ $(jq '.tls_regressions | length' p.json) == 0 ]] || fail "regressions the week before"
    [[ $(jq -r '.sessions[] | select(.state == "tls") | .sessions' p.json) == 2 ]] ||
      fail "tls sessions the week before: $(jq -c .sessions p.json)"
    ;;

  usage)
    expect_usage() {
      "$PFTLS" report --db nodb "$@" >out 2>err
      rc=$?
      [[ $rc == 2 ]] || fail "report $*: exit $rc, expected 2"
      [[ -s err ]] || fail "report $*: no message"
      [[ ! -e nodb ]] || fail "report $*: created a database"
    }
    expect_usage --format csv
    expect_usage --since 2026-03-09 --until 2026-03-02
    expect_usage --tz Not/AZone
    expect_usage --since soon
    grep -q "since" err || fail "the message does not name --since: $(cat err)"
    ;;

  *) fail "unknown case" ;;
esac
