#!/usr/bin/env bash
# whatif_test.sh PFTLS CASE: pftls whatif on the samples: the verdicts move
# with the policy as Postfix would read it (both protocol syntaxes give the
# same answer, the cipher list is libssl's), usage errors are one line and
# exit 2 before any database is opened, and the listing's formats.
set -uo pipefail
PFTLS=$1
CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# The verdict of CLIENT in the csv output.
verdict() { awk -F, -v ip="$1" '$1 == ip { print $3 }' "$tmp/out"; }
effect() { awk -F, -v ip="$1" '$1 == ip { print $4 }' "$tmp/out" | tr -d '"'; }
# 2.10 sample: TLSv1 DHE-RSA-AES256-SHA (192.0.2.40), TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384
# (198.51.100.20, which also failed once), TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256
# (203.0.113.50), a failing client (192.0.2.10), a plaintext one (203.0.113.30).
seed() {
  "$PFTLS" ingest --db db --year 2015 --tz Europe/Berlin "$SAMPLES/versions/postfix-2.10-openssl-1.0.log" \
    >/dev/null 2>&1 || fail "seeding failed"
}

case $CASE in
  usage_errors)
    for spec in 'TLSv1.4' '!TLSv1.9' '>=TLS1.2' '>= TLSv1.2' '>=0x0305'; do
      run whatif --db nothing.db --protocols "$spec"
      expect_rc 2
      expect_one_line_err
      expect_err "--protocols:"
      expect_err "SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"
    done
    run whatif --db nothing.db --protocols '>=TLSv1.3, <=TLSv1.2'
    expect_rc 2
    expect_err "allows no protocol"
    run whatif --db nothing.db --ciphers 'NOSUCHCIPHER'
    expect_rc 2
    expect_one_line_err
    expect_err "--ciphers: 'NOSUCHCIPHER' selects no cipher (OpenSSL: "
    run whatif --db nothing.db --protocols '>=TLSv1.2' --format xml
    expect_rc 2
    expect_err "table, csv, json, ndjson"
    [[ ! -e nothing.db ]] || fail "a usage error created a database"
    # A valid policy on no database: that is the error then.
    run whatif --db nothing.db --protocols '>=TLSv1.2' --ciphers 'ECDHE+AESGCM'
    expect_rc 2
    expect_err "no database at nothing.db" ;;
  verdicts_follow_policy)
    seed
    run whatif --db db --protocols '>=TLSv1' --ciphers 'ALL' --format csv
    expect_rc 0
    [[ $(verdict 192.0.2.40) == ok && $(verdict 198.51.100.20) == ok && $(verdict 203.0.113.50) == ok ]] ||
      fail "a permissive policy is not ok for every TLS client: $(cat "$tmp/out")"
    [[ $(verdict 192.0.2.10) == failing ]] || fail "192.0.2.10 not failing"
    [[ $(verdict 203.0.113.30) == plaintext && $(effect 203.0.113.30) == "not lost" ]] ||
      fail "the plaintext client is not 'plaintext, not lost'"
    # No policy at all: nothing is disallowed.
    run whatif --db db --format csv
    [[ $(grep -c ',at-risk,' "$tmp/out") == 0 ]] || fail "no policy, yet at-risk clients"
    # TLSv1 out: only its client is at risk, and comes first.
    run whatif --db db --protocols '>=TLSv1.2' --format csv
    cp "$tmp/out" range.csv
    [[ $(sed -n 2p "$tmp/out" | cut -d, -f1,3,5) == "192.0.2.40,at-risk,TLSv1/DHE-RSA-AES256-SHA=1" ]] ||
      fail "the TLSv1 client is not first and at-risk: $(cat "$tmp/out")"
    [[ $(verdict 198.51.100.20) == ok ]] || fail "a TLSv1.2 client is not ok under >=TLSv1.2"
    # Postfix's exclusion syntax, with each separator, says the same.
    for spec in '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1' '!SSLv2:!SSLv3:!TLSv1:!TLSv1.1' \
      '!SSLv2 !SSLv3 !TLSv1 !TLSv1.1' 'TLSv1.2 TLSv1.3' '>=0303'; do
      run whatif --db db --protocols "$spec" --format csv
      expect_rc 0
      cmp -s "$tmp/out" range.csv || fail "'$spec' differs from '>=TLSv1.2': $(cat "$tmp/out")"
    done
    # The cipher list as libssl expands it: RSA key exchange only puts every
    # TLS client at risk, AES128 only the others.
    run whatif --db db --ciphers 'kRSA' --format csv
    for ip in 192.0.2.40 198.51.100.20 203.0.113.50; do
      [[ $(verdict $ip) == at-risk ]] || fail "$ip not at-risk under kRSA"
    done
    run whatif --db db --ciphers 'AES128' --format csv
    [[ $(verdict 203.0.113.50) == ok && $(verdict 198.51.100.20) == at-risk ]] ||
      fail "AES128 judged wrong: $(cat "$tmp/out")"
    # TLS required: the plaintext client is lost, right after the at-risk one.
    run whatif --db db --protocols '>=TLSv1.2' --require-tls --format csv
    [[ $(sed -n 3p "$tmp/out" | cut -d, -f1,3,4) == "203.0.113.30,plaintext,lost" ]] ||
      fail "plaintext client not lost second under --require-tls: $(cat "$tmp/out")"
    grep -q '^192.0.2.10,mta1.bank.example,failing,"fails already, plaintext refused",' "$tmp/out" ||
      fail "failing client's effect: $(cat "$tmp/out")"
    # --client and --since narrow it.
    run whatif --db db --client 203.0.113.50 --format csv
    [[ $(wc -l <"$tmp/out") == 2 && $(verdict 203.0.113.50) == ok ]] || fail "--client: $(cat "$tmp/out")"
    run whatif --db db --since 2015-02-11 --format csv
    [[ $(wc -l <"$tmp/out") == 1 ]] || fail "--since after the sample has rows" ;;
  unknown_parameters)
    # Real Postfix 3.7: 127.0.0.17 spoke TLS to the loglevel-0 listener.
    "$PFTLS" ingest --db db --year 2026 --tz UTC "$SAMPLES/postfix-3.7/mx.test.log" >/dev/null 2>&1 ||
      fail "seeding failed"
    for spec in '>=TLSv1' '>=TLSv1.3'; do
      run whatif --db db --protocols "$spec" --ciphers 'ECDHE+AESGCM' --format csv
      expect_rc 0
      [[ $(verdict 127.0.0.17) == unknown ]] || fail "the loglevel-0 client is not unknown under $spec"
      [[ $(verdict 127.0.0.16) == ok ]] || fail "a TLSv1.3 client is not ok under $spec"
    done
    # TLS 1.3 is not governed by the cipher list: even RSA key exchange only passes it.
    run whatif --db db --protocols '>=TLSv1.2' --ciphers 'kRSA' --format csv
    [[ $(verdict 127.0.0.16) == ok ]] || fail "TLSv1.3 judged by the cipher list" ;;
  formats)
    seed
    run whatif --db db --protocols '>=TLSv1.2' --format json
    expect_rc 0
    [[ $(sqlite3 :memory: "SELECT json_valid(CAST(readfile('$tmp/out') AS TEXT))") == 1 ]] || fail "not JSON"
    grep -q '"messages_per_day": 1.0' "$tmp/out" || fail "messages_per_day not a number: $(cat "$tmp/out")"
    run whatif --db db --protocols '>=TLSv1.2' --format ndjson
    [[ $(wc -l <"$tmp/out") == 5 ]] || fail "ndjson: not one line per client"
    run whatif --db db --protocols '>=TLSv1.2' --columns verdict,client_ip --format csv
    [[ $(head -1 "$tmp/out") == $'verdict,client_ip\r' ]] || fail "--columns: $(head -1 "$tmp/out")"
    run whatif --db db --columns nope
    expect_rc 2
    expect_err "no column 'nope'"
    run whatif --db db --protocols '>=TLSv1.2'
    expect_rc 0
    [[ $(head -1 "$tmp/out" | wc -w) == 7 ]] || fail "the table's default columns: $(head -1 "$tmp/out")"
    run whatif --db db --wide
    [[ $(head -1 "$tmp/out" | wc -w) == 14 ]] || fail "--wide does not show 14 columns" ;;
  *)
    fail "unknown case" ;;
esac
exit 0
