#!/usr/bin/env bash
# cron_test.sh PFTLS PFTLS_GEN CASE: cron-grade ingest, by name.
# The promise under test: however a log is cut into runs (growing file,
# rotations, torn lines, crashes, overlapping runs), every export (incidents,
# failures of both directions, clients, the TLS inventory, and the never-tls,
# failing and lost listings)
# and every outbound incident's evidence (show o<N>) equals that of one run
# over the whole log.
set -uo pipefail
PFTLS=$1
GEN=$2
CASE=$3
SAMPLES=$(cd "$(dirname "$0")/../../samples" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
YEAR=2024
ARGS=(--year $YEAR --tz UTC)

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }
incidents() { "$PFTLS" export incidents --db "$1"; }
# Every export of database $1, each under a heading line.
exports() {
  local q
  for q in "export incidents" "export failures" "export failures --direction out" \
    "export clients" "never-tls --format csv" "failing --format csv" "lost --format csv" \
    "export tls"; do
    echo "== $q"
    # shellcheck disable=SC2086 # the words of $q are the arguments
    "$PFTLS" $q --db "$1" || echo "(exit $?)"
  done
  # Each outbound incident's evidence (show o<N>).
  local id
  for id in $("$PFTLS" export incidents --db "$1" 2>/dev/null | grep -o '^o[0-9]*'); do
    echo "== show $id"
    "$PFTLS" show "$id" --db "$1" || echo "(exit $?)"
  done
}
reference() {  # reference DB from one run over the whole log $1
  "$PFTLS" ingest --db ref.db "${ARGS[@]}" "$1" 2>/dev/null || fail "reference ingest failed"
  exports ref.db >ref.csv
  [[ $(grep -c ',inbound-downgrade,' ref.csv) -ge 2 ]] ||
    fail "the generated log has too few incidents to test anything"
}
same_as_reference() {
  exports "$1" >got.csv
  diff -u ref.csv got.csv >diff.txt || fail "$2: exports differ from one run over the whole log: $(head -20 diff.txt)"
}
ingest() { "$PFTLS" ingest --verbose --db db "${ARGS[@]}" "$@" 2>>ingest.err; }
# Appends bytes [from, from+n) of file $1 to file $2.
append() { tail -c +$(($3 + 1)) "$1" | head -c "$4" >>"$2"; }
# Debian logrotate with delaycompress: .N.gz -> .N+1.gz, .1 -> .2.gz, live -> .1, new live.
rotate() {
  local d=$1 n
  for ((n = 8; n >= 2; n--)); do [[ -f $d/mail.log.$n.gz ]] && mv "$d/mail.log.$n.gz" "$d/mail.log.$((n + 1)).gz"; done
  if [[ -f $d/mail.log.1 ]]; then gzip -c "$d/mail.log.1" >"$d/mail.log.2.gz" && rm "$d/mail.log.1"; fi
  mv "$d/mail.log" "$d/mail.log.1"
  : >"$d/mail.log"
}

case $CASE in
  growing_rotating_property)
    # Many random splits of one generated log: chunks cut anywhere (even
    # mid-line), a run after each chunk, a rotation every few chunks.
    "$GEN" --seed 11 --lines 12000 --span 30h --start 2024-03-10T06:00:00 --out full.log 2>/dev/null
    reference full.log
    total=$(stat -c %s full.log)
    for trial in 1 2 3 4; do
      RANDOM=$((trial * 7919))
      rm -rf logs db db-wal db-shm ingest.err
      mkdir logs
      : >logs/mail.log
      pos=0 chunks=0 runs=0
      while ((pos < total)); do
        n=$(( (RANDOM * 32768 + RANDOM) % (total / 25) + 1 ))
        ((pos + n > total)) && n=$((total - pos))
        chunks=$((chunks + 1))
        due=$((chunks % (2 + trial % 3) == 0))
        if ((due)); then
          # Rotate only at a line end (a syslog writer never splits a line):
          # stretch this chunk to the end of its last line.
          n=$(LC_ALL=C awk -v t=$((pos + n)) '{ s += length($0) + 1; if (s >= t) { print s; exit } }' full.log)
          n=$((n - pos))
        fi
        append full.log logs/mail.log $pos $n
        pos=$((pos + n))
        ((due)) && rotate logs
        ingest logs/mail.log || fail "trial $trial: ingest failed: $(tail -3 ingest.err)"
        runs=$((runs + 1))
      done
      same_as_reference db "trial $trial ($runs runs)"
      # The whole rotation set again: everything was read, nothing doubles.
      ingest logs/mail.log* || fail "trial $trial: ingest of the set failed"
      same_as_reference db "trial $trial, set read again"
      ls logs/*.gz >/dev/null 2>&1 || fail "trial $trial made no compressed rotation"
    done ;;
  whole_set_in_any_order)
    "$GEN" --seed 5 --lines 9000 --span 30h --start 2024-03-10T06:00:00 --out full.log 2>/dev/null
    reference full.log
    mkdir logs
    split -n l/4 -d full.log part.
    cp part.00 logs/mail.log.3 && gzip logs/mail.log.3
    cp part.01 logs/mail.log.2 && bzip2 logs/mail.log.2
    cp part.02 logs/mail.log.1
    cp part.03 logs/mail.log
    # Named newest first on purpose: the suffix decides the order.
    ingest logs/mail.log logs/mail.log.1 logs/mail.log.2.bz2 logs/mail.log.3.gz || fail "ingest failed"
    same_as_reference db "set named in reverse"
    ingest logs/mail.log* || fail "second ingest failed"
    same_as_reference db "set read twice" ;;
  read_before_compression)
    "$GEN" --seed 6 --lines 6000 --span 30h --start 2024-03-10T06:00:00 --out full.log 2>/dev/null
    reference full.log
    mkdir logs
    half=$(( $(wc -l <full.log) / 2 ))
    head -n $half full.log >logs/mail.log
    ingest logs/mail.log || fail "first ingest failed"
    mv logs/mail.log logs/mail.log.1 && gzip logs/mail.log.1
    tail -n +$((half + 1)) full.log >logs/mail.log
    # The compressed file was read before it was compressed: not again.
    ingest logs/mail.log.1.gz logs/mail.log || fail "second ingest failed"
    same_as_reference db "compressed after reading" ;;
  copytruncate)
    "$GEN" --seed 7 --lines 6000 --span 30h --start 2024-03-10T06:00:00 --out full.log 2>/dev/null
    reference full.log
    mkdir logs
    third=$(( $(wc -l <full.log) / 3 ))
    head -n $third full.log >logs/mail.log
    ingest logs/mail.log || fail "first ingest failed"
    sed -n "$((third + 1)),$((2 * third))p" full.log >>logs/mail.log
    # logrotate copytruncate: copy to .1, truncate in place (same inode).
    cp logs/mail.log logs/mail.log.1
    : >logs/mail.log
    tail -n +$((2 * third + 1)) full.log >>logs/mail.log
    ingest logs/mail.log || fail "second ingest failed"
    same_as_reference db "copytruncate" ;;
  torn_line_held_back)
    printf '%s\n' \
      'Mar 10 06:00:01 mx1 postfix/smtpd[10]: SSL_accept error from a.example[192.0.2.5]: -1' \
      'Mar 10 06:05:00 mx1 postfix/smtpd[11]: connect from a.example[192.0.2.5]' >mail.log
    printf 'Mar 10 06:05:01 mx1 postfix/smtpd[11]: 1A2B3C4D5E: cli' >>mail.log
    ingest mail.log || fail "first ingest failed"
    [[ $(incidents db | wc -l) == 1 ]] || fail "an incident from half a line"
    "$PFTLS" status --db db | grep -q "torn line pending" || fail "status does not show the torn line"
    printf 'ent=a.example[192.0.2.5]\n' >>mail.log
    ingest mail.log || fail "second ingest failed"
    incidents db | grep -q ',192.0.2.5,a.example,2024-03-10T06:00:01Z,' || fail "the completed line was lost: $(incidents db)"
    [[ $(incidents db | wc -l) == 2 ]] || fail "expected exactly one incident" ;;
  torn_line_of_quiet_file)
    printf '%s\n' \
      'Mar 10 06:00:01 mx1 postfix/smtpd[10]: SSL_accept error from a.example[192.0.2.5]: -1' \
      'Mar 10 06:05:00 mx1 postfix/smtpd[11]: connect from a.example[192.0.2.5]' >mail.log
    printf 'Mar 10 06:05:01 mx1 postfix/smtpd[11]: 1A2B3C4D5E: client=a.example[192.0.2.5]' >>mail.log
    touch -d '-2 minutes' mail.log
    ingest mail.log || fail "ingest failed"
    [[ $(incidents db | wc -l) == 2 ]] || fail "a file quiet for 2 minutes: its last line is complete" ;;
  noop_is_cheap)
    "$GEN" --seed 8 --lines 200000 --span 30h --start 2024-03-10T06:00:00 --out mail.log 2>/dev/null
    ingest mail.log || fail "ingest failed"
    ingest mail.log || fail "no-op ingest failed"
    # The no-op run read nothing and found nothing.
    tail -1 ingest.err | grep -q ': 0 lines read,' || fail "the second run read lines again: $(tail -1 ingest.err)" ;;
  crash_and_rerun)
    "$GEN" --seed 9 --lines 400000 --span 30h --start 2024-03-10T06:00:00 --out mail.log 2>/dev/null
    reference mail.log
    for trial in 1 2 3 4 5; do
      rm -f db db-wal db-shm
      # Kill a run at a random moment, maybe twice, then finish normally.
      for kill_round in 1 2; do
        "$PFTLS" ingest --db db "${ARGS[@]}" mail.log 2>/dev/null &
        pid=$!
        sleep "0.$(( (RANDOM % 9) + 1 ))"
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
      done
      ingest mail.log || fail "trial $trial: ingest after kill -9 failed: $(tail -2 ingest.err)"
      [[ $(sqlite3 db 'PRAGMA integrity_check') == ok ]] || fail "trial $trial: integrity_check failed"
      same_as_reference db "trial $trial, after kill -9"
    done ;;
  concurrent_runs)
    "$GEN" --seed 10 --lines 300000 --span 30h --start 2024-03-10T06:00:00 --out mail.log 2>/dev/null
    reference mail.log
    "$PFTLS" ingest --db db "${ARGS[@]}" mail.log 2>a.err &
    a=$!
    "$PFTLS" ingest --db db "${ARGS[@]}" mail.log 2>b.err &
    b=$!
    wait $a; ra=$?
    wait $b; rb=$?
    [[ $ra == 0 || $ra == 75 ]] || fail "first run exit $ra: $(cat a.err)"
    [[ $rb == 0 || $rb == 75 ]] || fail "second run exit $rb: $(cat b.err)"
    [[ $ra == 0 || $rb == 0 ]] || fail "neither run completed"
    same_as_reference db "two runs at once"
    # A run that cannot get the lock in time says so and exits 75.
    (printf 'BEGIN IMMEDIATE;\n'; sleep 3; printf 'ROLLBACK;\n') | sqlite3 db &
    holder=$!
    sleep 0.5
    "$PFTLS" ingest --db db --lock-wait 0.5 "${ARGS[@]}" mail.log 2>c.err
    rc=$?
    wait $holder
    [[ $rc == 75 ]] || fail "locked database: exit $rc, expected 75"
    grep -q "locked" c.err || fail "no clear message: $(cat c.err)" ;;
  outbound_every_cut)
    # The sample logs with outbound incidents, cut into two runs at every
    # line: the outbound evidence (show o<N>, with message-id and sender)
    # and every export equal one run's; the 3.11 log's outbound failures
    # have every outcome (tls-retry, downgraded, bounced, pending).
    ARGS=(--year 2026 --tz UTC)
    for log in "$SAMPLES/postfix-3.7/mx.test.log" "$SAMPLES/versions/postfix-3.11.log"; do
      rm -f ref.db* ref.csv
      cp "$log" whole.log
      "$PFTLS" ingest --db ref.db "${ARGS[@]}" whole.log >/dev/null 2>&1 || fail "reference ingest failed"
      exports ref.db >ref.csv
      grep -q '^== show o1$' ref.csv || fail "$log: no outbound incident to test"
      # Our smtp client's failures, with outcomes that a cut could change.
      outbound=$(sed -n '/^== export failures --direction out$/,/^== /p' ref.csv)
      grep -q ',downgraded,' <<<"$outbound" || fail "$log: no downgraded outbound failure"
      if [[ $log == *3.11* ]]; then
        for o in tls-retry bounced pending; do
          grep -q ",$o," <<<"$outbound" || fail "$log: no outbound failure $o"
        done
      fi
      lines=$(wc -l <"$log")
      for ((cut = 1; cut < lines; cut++)); do
        rm -f db db-wal db-shm
        head -n $cut "$log" >whole.log
        ingest whole.log || fail "cut $cut: first run failed"
        cp "$log" whole.log
        ingest whole.log || fail "cut $cut: second run failed"
        same_as_reference db "$(basename "$log") cut after line $cut"
      done
    done ;;
  *)
    fail "unknown case" ;;
esac
echo "ok [$CASE]"
