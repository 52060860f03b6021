#!/usr/bin/env bash
# crosshost_test.sh PFTLS CASE: incidents across the hosts of one store
# (samples/crosshost, its README says what each client does): the same
# incidents whatever order the hosts' runs commit in and in one merged run;
# --per-host, --skew, failure_host, and show of a plaintext mark (also
# redacted).
PFTLS=$1 CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
S=$SAMPLES/crosshost

ingest_each() {  # DB FILE...: one run per file, in that order
  local db=$1 f
  shift
  for f in "$@"; do
    run ingest --db "$db" "$S/$f"
    expect_rc 0
  done
}
# The incidents without their ids (mark ids follow the commit order).
incidents() {  # DB [OPTIONS...]
  local db=$1
  shift
  "$PFTLS" incidents --db "$db" --format csv "$@" | cut -d, -f2- || fail "incidents $*"
}

case $CASE in
  commit_order)
    ingest_each a.db mx1.log mx2.log mx3.log
    ingest_each b.db mx3.log mx2.log mx1.log
    ingest_each c.db mx2.log mx1.log mx3.log
    run ingest --db d.db "$S/mx1.log" "$S/mx2.log" "$S/mx3.log"
    expect_rc 0
    incidents a.db >a.csv
    [[ $(wc -l <a.csv) == 3 ]] || fail "expected 2 incidents: $(cat a.csv)"
    grep -q '^inbound-downgrade,probable,203.0.113.7,.*,mx2,ip,mx1' a.csv ||
      fail "no cross-host incident for 203.0.113.7 (failure mx1, plaintext mx2): $(cat a.csv)"
    grep -q '^inbound-downgrade,probable,203.0.113.9,.*,mx2,ip,mx1' a.csv ||
      fail "plaintext 4 s before the failure (within --skew 5s) not an incident: $(cat a.csv)"
    ! grep -q '203.0.113.8' a.csv || fail "TLS at a third host in between, yet an incident"
    ! grep -q '203.0.113.10' a.csv || fail "plaintext 22 s before the failure, yet an incident"
    for db in b.db c.db d.db; do
      incidents $db >x.csv
      cmp -s a.csv x.csv || fail "$db differs from one run per host in order: $(diff a.csv x.csv)"
    done
    ;;
  per_host_and_skew)
    ingest_each a.db mx2.log mx3.log mx1.log
    incidents a.db --per-host >p.csv
    [[ $(wc -l <p.csv) == 1 ]] || fail "--per-host: each host saw one side only: $(cat p.csv)"
    incidents a.db --skew 30s >s.csv
    grep -q '203.0.113.10' s.csv || fail "--skew 30s: plaintext 22 s before not taken: $(cat s.csv)"
    incidents a.db --skew 0s >z.csv
    ! grep -q '203.0.113.9' z.csv || fail "--skew 0s: plaintext before the failure taken"
    run incidents --db a.db --skew 10m
    expect_rc 2
    expect_err "--skew"
    ;;
  failure_outcomes)
    ingest_each a.db mx2.log mx3.log mx1.log
    outcome() {  # IP [OPTIONS...]: the outcome of that IP's failure
      local ip=$1
      shift
      "$PFTLS" failures --db a.db --format csv --client "$ip" "$@" | sed -n 2p | cut -d, -f8
    }
    [[ $(outcome 203.0.113.7) == downgraded ]] || fail "203.0.113.7: $(outcome 203.0.113.7)"
    [[ $(outcome 203.0.113.8) == tls-retry ]] || fail "203.0.113.8: TLS at mx3 first"
    [[ $(outcome 203.0.113.9) == downgraded ]] || fail "203.0.113.9: within the skew"
    [[ $(outcome 203.0.113.10) == pending ]] || fail "203.0.113.10: plaintext 22 s before"
    [[ $(outcome 203.0.113.10 --skew 30s) == downgraded ]] || fail "203.0.113.10 --skew 30s"
    [[ $(outcome 203.0.113.7 --per-host) == pending ]] || fail "203.0.113.7 --per-host"
    ;;
  news_once)
    # A run's news are the incidents whose plaintext message (or mark) it
    # stored, each told once.
    run ingest --db a.db "$S/mx1.log"
    expect_rc 0
    [[ ! -s $tmp/out ]] || fail "failures alone are no news: $(cat "$tmp/out")"
    # mx3's TLS session of 203.0.113.8 is not in yet: three incidents.
    run ingest --db a.db "$S/mx2.log"
    expect_rc 0
    expect_out "3 new TLS downgrade incidents"
    expect_out "203.0.113.8"
    # It withdraws one and tells nothing again.
    run ingest --db a.db "$S/mx3.log"
    expect_rc 0
    [[ ! -s $tmp/out ]] || fail "the same incidents told again: $(cat "$tmp/out")"
    [[ $("$PFTLS" incidents --db a.db --format csv | grep -c inbound) == 2 ]] ||
      fail "the TLS session at mx3 withdraws 203.0.113.8's incident"
    ;;
  show_mark)
    ingest_each a.db mx2.log mx1.log
    id=$("$PFTLS" incidents --db a.db --format csv --client 203.0.113.7 | sed -n 2p | cut -d, -f1)
    [[ $id == p* ]] || fail "the plaintext message of an unwatched client is a mark (pN): '$id'"
    run show --db a.db "$id"
    expect_rc 0
    expect_out "mx1 postfix/smtpd[2101]: SSL_accept error from mta.retry.example[203.0.113.7]"
    expect_out "received by:        mx2"
    # The plaintext host's lines, stored with the mark, each with its file
    # and line: the session's connect line and the message's client= line.
    expect_out "-- plaintext session"
    expect_out "mx2.log:2: Mar  4 10:05:00 mx2 postfix/smtpd[3101]: connect from mta.retry.example[203.0.113.7]"
    expect_out "mx2.log:3: Mar  4 10:05:01 mx2 postfix/smtpd[3101]: 4A1B2C3D4E: client=mta.retry.example[203.0.113.7]"
    # after the failed session's lines (log time order)
    failed_at=$(grep -n "SSL_accept error" "$tmp/out" | head -1 | cut -d: -f1)
    plain_at=$(grep -n "client=mta.retry.example" "$tmp/out" | head -1 | cut -d: -f1)
    ((failed_at < plain_at)) || fail "the plaintext lines come before the failure's"
    # export evidence (the same report for one client) shows them too
    run export evidence --db a.db --client 203.0.113.7
    expect_rc 0
    expect_out "4A1B2C3D4E: client=mta.retry.example[203.0.113.7]"
    run show --db a.db "p999"
    expect_rc 2
    ;;
  show_redacted)
    # --redact hides every host of the store, the failure's as well as the
    # plaintext message's, in the header and in each line's host field.
    ingest_each a.db mx1.log mx2.log mx3.log
    id=$("$PFTLS" incidents --db a.db --format csv --client 203.0.113.7 | sed -n 2p | cut -d, -f1)
    [[ $id == p* ]] || fail "no mark incident: '$id'"
    run show --db a.db --redact "$id"
    expect_rc 0
    expect_out "SSL_accept error from mta.retry.example[203.0.113.7]"
    expect_out "4A1B2C3D4E: client=mta.retry.example[203.0.113.7]"
    if grep -E '[0-9] mx[0-9] |by: +mx' "$tmp/out"; then fail "a host name is shown"; fi
    [[ $(grep -cE '^[^ ]*mx1\.log:[0-9]+: .* host-[0-9a-f]{8} postfix/' "$tmp/out") -gt 0 ]] ||
      fail "the failure host's lines are not pseudonymised: $(cat "$tmp/out")"
    [[ $(grep -cE '^[^ ]*mx2\.log:[0-9]+: .* host-[0-9a-f]{8} postfix/' "$tmp/out") -gt 0 ]] ||
      fail "the plaintext host's lines are not pseudonymised"
    # two hosts, two pseudonyms
    [[ $(grep -oE ' host-[0-9a-f]{8} postfix/' "$tmp/out" | sort -u | wc -l) == 2 ]] ||
      fail "not one pseudonym per host"
    ;;
  mark_lines_added)
    # A database whose plain_marks predates the marks' lines (same schema
    # version): a reader answers without changing the file (no lines for
    # those marks), and the next ingest adds the columns.
    ingest_each a.db mx1.log mx2.log
    for c in connect_input connect_line connect_raw client_input client_line client_raw; do
      sqlite3 a.db ".filectrl persist_wal 1" "ALTER TABLE plain_marks DROP COLUMN $c" >/dev/null ||
        fail "drop $c"
    done
    id=$("$PFTLS" incidents --db a.db --format csv --client 203.0.113.7 | sed -n 2p | cut -d, -f1)
    [[ $id == p* ]] || fail "no mark incident: '$id'"
    before=$(sha256sum <a.db)
    run show --db a.db "$id"
    expect_rc 0
    expect_out "SSL_accept error from mta.retry.example[203.0.113.7]"
    grep -q "client=mta.retry.example" "$tmp/out" && fail "an old mark has lines"
    [[ $(sha256sum <a.db) == "$before" ]] || fail "a reader changed the database"
    ingest_each a.db mx3.log
    cols=$(sqlite3 a.db "SELECT count(*) FROM pragma_table_info('plain_marks')
      WHERE name IN ('connect_input', 'connect_line', 'connect_raw', 'client_input', 'client_line',
                     'client_raw')")
    [[ $cols == 6 ]] || fail "ingest added $cols of the 6 columns"
    run show --db a.db "$id"
    expect_rc 0
    expect_out "SSL_accept error from mta.retry.example[203.0.113.7]"
    ;;
  *) fail "unknown case" ;;
esac
