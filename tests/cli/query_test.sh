#!/usr/bin/env bash
# query_test.sh PFTLS CASE: the query commands as the whole team uses them,
# by name: read-only access for a user who may only read the database
# (tested as `nobody` when run as root), relative times and --since/--until
# on every listing, ndjson, ids as strings and null, "did you mean", zones
# in any case, --columns/--wide and a table fitted to the terminal.
set -uo pipefail
PFTLS=$1
CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
chmod 755 "$tmp" # others may reach the database below it (tests run as root)

# As a user who owns nothing here: nobody when we are root, else ourselves.
run_other() {
  if [[ $(id -u) == 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$PFTLS" "$@" >"$tmp/out" 2>"$tmp/err"
  else
    "$PFTLS" "$@" >"$tmp/out" 2>"$tmp/err"
  fi
  echo $? >"$tmp/rc"
}
# d/db from the sessions sample (2026-03-04), and more LOGS if given.
seed_db() {
  mkdir -p "$tmp/d" && chmod 755 "$tmp/d"
  "$PFTLS" ingest --db d/db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log" "$@" \
    >/dev/null 2>&1 || fail "seeding the database failed"
}
listings=(incidents failures lost clients failing never-tls)
# Days from the samples' day (2026-03-04) to now.
days_since_samples() { echo $((($(date -u +%s) - $(date -u -d 2026-03-04 +%s)) / 86400)); }

case $CASE in
  readonly_other_user)
    seed_db
    [[ -e d/db-wal && -e d/db-shm ]] || fail "ingest did not keep the -wal and -shm files"
    [[ $(stat -c %a d/db-shm) == "$(stat -c %a d/db)" ]] || fail "-shm mode differs from the database's"
    for cmd in "${listings[@]}" status; do
      "$PFTLS" "$cmd" --db d/db >"$tmp/root.out" 2>&1 || fail "$cmd as root failed"
      run_other "$cmd" --db d/db
      expect_rc 0
      expect_no_err
      # status shows each host's lag behind now: a second may pass between the two.
      if [[ $cmd == status ]]; then
        sed -i '/^Hosts/,/^$/d' "$tmp/out" "$tmp/root.out"
        [[ -s $tmp/out ]] || fail "status is empty for another user"
      fi
      cmp -s "$tmp/out" "$tmp/root.out" || fail "$cmd differs for another user"
    done
    id=$("$PFTLS" incidents --db d/db --format csv | sed -n 2p | cut -d, -f1)
    run_other show "$id" --db d/db
    expect_rc 0
    # A writer holds the database open with a change still in the WAL: the
    # reader sees it (it reads the WAL, which it cannot write).
    (
      echo ".filectrl persist_wal 1"
      echo "PRAGMA wal_autocheckpoint=0;"
      echo "DELETE FROM client_stats WHERE messages > 0 AND tls_sessions = 0 AND starttls_sessions = 0;"
      sleep 3
    ) | sqlite3 d/db >/dev/null &
    writer=$!
    sleep 1
    [[ -s d/db-wal ]] || fail "the change is not in the WAL"
    run_other never-tls --db d/db --format csv
    expect_rc 0
    [[ $(wc -l <"$tmp/out") == 1 ]] || fail "the WAL's change was not read: $(cat "$tmp/out")"
    wait "$writer"
    ;;
  readonly_before_added_tables)
    # A database of this schema version written by a pftls that did not yet
    # have the tables added within it (TLS inventory, session days, outbound
    # evidence): every query of a reader answers, the file is not changed,
    # and an ingest then makes the tables.
    seed_db
    added=(tls_inventory session_days outbound_evidence outbound_messages open_outbound_lines
      open_outbound_notes outbound_failures)
    # (the -wal and -shm files kept, as pftls keeps them for readers)
    for t in "${added[@]}"; do
      sqlite3 d/db ".filectrl persist_wal 1" "DROP TABLE $t" >/dev/null || fail "drop $t"
    done
    # and the indexes added within it (a reader answers without them, slower)
    added_indexes=(sessions_failed_reason client_stats_never_tls)
    for i in "${added_indexes[@]}"; do
      sqlite3 d/db ".filectrl persist_wal 1" "DROP INDEX $i" >/dev/null || fail "drop $i"
    done
    id=$("$PFTLS" incidents --db d/db --format csv | sed -n '2s/,.*//p')
    [[ -n $id ]] || fail "no incident to show"
    before=$(sha256sum <d/db)
    for cmd in "${listings[@]}" tls "whatif --protocols >=TLSv1.2" report status metrics "show $id" \
      "failures --direction out" "failures --direction both"; do
      # shellcheck disable=SC2086
      run_other $cmd --db d/db
      expect_rc 0
    done
    [[ $(sha256sum <d/db) == "$before" ]] || fail "a reader changed the database"
    run ingest --db d/db --year 2026 --tz UTC "$SAMPLES/sessions/mail.log"
    expect_rc 0
    for t in "${added[@]}" "${added_indexes[@]}"; do
      [[ $(sqlite3 d/db "SELECT count(*) FROM sqlite_schema WHERE name = '$t'") == 1 ]] ||
        fail "ingest did not make $t"
    done ;;
  failures_direction)
    # failures --direction: in (the default, unchanged), out (our smtp
    # client's failed handshakes, one row per attempt, every outcome on the
    # 3.11 sample), both (a first column direction), and bad values.
    log=$SAMPLES/versions/postfix-3.11.log
    "$PFTLS" ingest --db db --year 2026 --tz UTC "$log" >/dev/null 2>&1 || fail "ingest failed"
    for f in table csv json ndjson; do
      "$PFTLS" failures --db db --format $f >default.$f || fail "failures --format $f"
      run failures --db db --direction in --format $f
      expect_rc 0
      cmp -s default.$f "$tmp/out" || fail "--direction in differs from the default ($f)"
    done
    run failures --db db --direction out --format csv
    expect_rc 0
    cp "$tmp/out" out.csv
    [[ $(head -1 out.csv) == "$(head -1 default.csv)" ]] || fail "outbound columns differ: $(head -1 out.csv)"
    # Each SSL_connect error of the log (or Cannot start TLS line without
    # one) is one row.
    want=$(grep -c 'postfix/smtp\[.*SSL_connect error to' "$log")
    [[ $(($(wc -l <out.csv) - 1)) == "$want" ]] || fail "expected $want outbound rows: $(cat out.csv)"
    for o in tls-retry downgraded bounced pending; do
      grep -q ",$o," out.csv || fail "no outbound row with outcome $o: $(cat out.csv)"
    done
    grep -q ',203.0.113.70,mx.old.example,.*,bounced,.*,4fRk8J3dPcz2Jn6' out.csv ||
      fail "old.example's failure is not bounced: $(cat out.csv)"
    grep -q ',203.0.113.80,mx.slow.example,.*,pending,,4fRkBM5fRbz2Jq8' out.csv ||
      fail "slow.example's failure is not pending: $(cat out.csv)"
    # export failures gives the same rows; --client is the remote MX.
    run export failures --db db --direction out
    expect_rc 0
    cmp -s out.csv "$tmp/out" || fail "export failures --direction out differs from failures --format csv"
    run failures --db db --direction out --client 203.0.113.70 --format csv
    [[ $(grep -c . "$tmp/out") == 3 ]] || fail "--client: $(cat "$tmp/out")"
    if grep -v '^failure_id' "$tmp/out" | grep -qv ',203.0.113.70,'; then fail "--client kept another MX"; fi
    run failures --db db --direction out --since 2026-03-03T10:22:00Z --format csv
    [[ $(grep -c . "$tmp/out") == 4 ]] || fail "--since: $(cat "$tmp/out")"
    # ids are strings in JSON, the outcome time null while pending
    run failures --db db --direction out --format ndjson
    expect_out '"failure_id": "1"'
    expect_out '"outcome": "pending", "outcome_at": null'
    # both: the inbound rows, then the outbound ones, a first column direction
    run failures --db db --direction both --format csv
    expect_rc 0
    [[ $(head -1 "$tmp/out") == "direction,$(head -1 default.csv)" ]] || fail "both: header $(head -1 "$tmp/out")"
    { tail -n +2 default.csv | sed 's/^/in,/'; tail -n +2 out.csv | sed 's/^/out,/'; } >both.want
    tail -n +2 "$tmp/out" | diff -u both.want - >diff.txt || fail "both: $(cat diff.txt)"
    run failures --db db --direction both
    expect_rc 0
    head -1 "$tmp/out" | grep -q '^direction  *failure_id  *client_ip ' || fail "both table: $(head -1 "$tmp/out")"
    # Bad values and commands without the option
    run failures --db db --direction sideways
    expect_rc 2
    expect_one_line_err
    expect_err "--direction"
    run lost --db db --direction out
    expect_rc 2
    run tls --db db --direction both --format csv
    expect_rc 0 ;;
  readonly_denied)
    [[ $(id -u) == 0 ]] || { echo "not root: no other user to test"; exit 0; }
    seed_db
    chmod 600 d/db
    run_other incidents --db d/db
    expect_rc 2
    expect_one_line_err
    expect_err "d/db: Permission denied"
    if grep -q "attempt to write" "$tmp/err"; then fail "said 'attempt to write'"; fi
    chmod 644 d/db
    chmod 600 d/db-shm
    run_other failures --db d/db
    expect_rc 2
    expect_one_line_err
    expect_err "d/db-shm: Permission denied"
    chmod 644 d/db-shm
    chmod 700 d
    run_other clients --db d/db
    expect_rc 2
    expect_one_line_err
    expect_err "cannot read database d/db: Permission denied" ;;
  readonly_without_wal_files)
    [[ $(id -u) == 0 ]] || { echo "not root: no other user to test"; exit 0; }
    seed_db
    rm d/db-wal d/db-shm # as an older pftls left it
    run_other incidents --db d/db
    expect_rc 2
    expect_one_line_err
    expect_err "-wal and -shm files are missing"
    if grep -q "attempt to write" "$tmp/err"; then fail "said 'attempt to write'"; fi
    "$PFTLS" ingest --db d/db </dev/null 2>/dev/null || fail "ingest failed"
    run_other incidents --db d/db
    expect_rc 0 ;;
  wal_modes_follow_db)
    seed_db
    chmod 640 d/db
    "$PFTLS" ingest --db d/db </dev/null 2>/dev/null || fail "ingest failed"
    for f in d/db-wal d/db-shm; do
      [[ $(stat -c %a $f) == 640 ]] || fail "$f has mode $(stat -c %a $f), not the database's 640"
    done
    [[ ! -s d/db-wal ]] || fail "the kept WAL was not emptied at close" ;;
  relative_times)
    seed_db
    days=$(days_since_samples)
    for cmd in "${listings[@]}"; do
      "$PFTLS" "$cmd" --db d/db --format csv >all.csv || fail "$cmd failed"
      # (lost, the failures query, has none in this sample)
      [[ $cmd == lost || $(wc -l <all.csv) -gt 1 ]] || fail "$cmd: no rows to test with"
      run "$cmd" --db d/db --format csv --since "$((days + 2))d"
      expect_rc 0
      cmp -s "$tmp/out" all.csv || fail "$cmd --since $((days + 2))d is not every row"
      for since in "$((days - 2))d" today yesterday now 24h; do
        run "$cmd" --db d/db --format csv --since "$since"
        expect_rc 0
        [[ $(wc -l <"$tmp/out") == 1 ]] || fail "$cmd --since $since has rows: $(cat "$tmp/out")"
      done
      run "$cmd" --db d/db --format csv --until "$((days + 2))d"
      expect_rc 0
      [[ $(wc -l <"$tmp/out") == 1 ]] || fail "$cmd --until $((days + 2))d has rows"
      run "$cmd" --db d/db --format csv --since 2026-03-04 --until today
      expect_rc 0
      cmp -s "$tmp/out" all.csv || fail "$cmd --since 2026-03-04 --until today is not every row"
      run "$cmd" --db d/db --format csv --since 2026-03-05T00:00:00+01:00
      expect_rc 0
      [[ $(wc -l <"$tmp/out") == 1 ]] || fail "$cmd --since 2026-03-05 has rows"
    done
    run failures --db d/db --since 7x
    expect_rc 2
    expect_one_line_err
    expect_err "--since: '7x' is not a time"
    expect_err "yesterday" ;;
  ndjson_ids_null)
    seed_db "$SAMPLES/postfix-3.7/mx.test.log" # its outbound incident: o1
    for cmd in "${listings[@]}"; do
      "$PFTLS" "$cmd" --db d/db --format csv >all.csv || fail "$cmd failed"
      run "$cmd" --db d/db --format ndjson
      expect_rc 0
      [[ $(wc -l <"$tmp/out") == $(($(wc -l <all.csv) - 1)) ]] || fail "$cmd: not one line a row"
      while IFS= read -r line; do
        printf '%s' "$line" >line.json
        [[ $(sqlite3 :memory: "SELECT json_valid(CAST(readfile('line.json') AS TEXT)) AND
              json_type(CAST(readfile('line.json') AS TEXT)) = 'object'") == 1 ]] ||
          fail "$cmd: not a JSON object: $line"
      done <"$tmp/out"
      run "$cmd" --db d/db --format json
      expect_rc 0
      [[ $(sqlite3 :memory: "SELECT json_valid(CAST(readfile('$tmp/out') AS TEXT))") == 1 ]] ||
        fail "$cmd --format json is not JSON"
    done
    run incidents --db d/db --format ndjson
    grep -q '"incident_id": "[0-9][0-9]*", "kind": "inbound' "$tmp/out" ||
      fail "inbound id not a string: $(cat "$tmp/out")"
    grep -q '"incident_id": "o1",' "$tmp/out" || fail "no outbound id o1: $(cat "$tmp/out")"
    grep -q '"failed_attempts": [0-9]' "$tmp/out" || fail "a count became a string"
    run failures --db d/db --format json
    grep -q '"failure_id": "[0-9]*",' "$tmp/out" || fail "failure id not a string"
    grep -q '"outcome_at": null' "$tmp/out" || fail "an absent outcome_at is not null"
    if grep -q '""' "$tmp/out"; then fail "an empty string instead of null"; fi
    run failures --db d/db --format xml
    expect_rc 2
    expect_err "table, csv, json, ndjson" ;;
  did_you_mean)
    run inicdents --db d/db
    expect_rc 2
    expect_one_line_err
    expect_err "did you mean incidents?"
    run failures --db d/db --sinse 1d
    expect_rc 2
    expect_one_line_err
    expect_err "did you mean --since?"
    run export incidnets
    expect_rc 2
    expect_err "did you mean incidents?"
    run incidents --db d/db --match subnett
    expect_rc 2
    expect_err "ip"
    expect_err "org"
    run incidents --db d/db --colour
    expect_rc 2
    if grep -q "did you mean" "$tmp/err"; then fail "a far word got a suggestion: $(cat "$tmp/err")"; fi ;;
  zone_any_case)
    for tz in utc UTC Utc europe/berlin EUROPE/BERLIN; do
      rm -f db db-wal db-shm
      run ingest --db db --year 2026 --tz "$tz" "$SAMPLES/sessions/mail.log"
      expect_rc 0
    done
    run status --db db
    grep -q "Zone (ingest --tz): Europe/Berlin" "$tmp/out" || fail "zone not stored by its name: $(cat "$tmp/out")"
    run ingest --db db --tz europe/berlyn </dev/null
    expect_rc 2
    expect_one_line_err
    expect_err "did you mean Europe/Berlin?" ;;
  columns_wide_fit)
    seed_db
    run incidents --db d/db --columns client_ip,incident_id --format csv
    expect_rc 0
    [[ $(head -1 "$tmp/out") == $'client_ip,incident_id\r' ]] || fail "--columns header: $(head -1 "$tmp/out")"
    run incidents --db d/db --columns client_ip,nope
    expect_rc 2
    expect_one_line_err
    expect_err "no column 'nope'"
    expect_err "matched_by"
    run incidents --db d/db --wide
    expect_rc 0
    [[ $(head -1 "$tmp/out" | wc -w) == 17 ]] || fail "--wide does not show all 17 columns"
    for cmd in "${listings[@]}"; do
      run "$cmd" --db d/db
      expect_rc 0
      max=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$tmp/out")
      ((max <= 100)) || fail "$cmd's default table is $max characters wide"
    done
    # On a 60-column terminal the table fits it, cells cut with an ellipsis.
    COLUMNS=60 script -qec "stty cols 60 2>/dev/null; '$PFTLS' incidents --db d/db" /dev/null |
      tr -d '\r' >tty.out
    grep -q 192.0.2 tty.out || fail "no table on the terminal: $(cat tty.out)"
    grep -q $'\u2026' tty.out || fail "no cell cut on a narrow terminal: $(cat tty.out)"
    max=$(sed 's/\xe2\x80\xa6/./g' tty.out | awk '{ if (length($0) > m) m = length($0) } END { print m }')
    ((max <= 60)) || fail "the table is $max characters on a 60-column terminal" ;;
  *)
    fail "unknown case" ;;
esac
exit 0
