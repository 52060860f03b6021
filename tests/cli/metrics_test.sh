#!/usr/bin/env bash
# metrics_test.sh PFTLS CASE: `pftls metrics` and `ingest --metrics` (the
# Prometheus text format, checked by promtool from Debian's prometheus
# package), and `status` per host and as JSON. One ctest test per case
# (label cli).
set -uo pipefail
PFTLS=$1
CASE=$2
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
promtool_ok() {
  [[ -x /usr/bin/promtool ]] || fail "no /usr/bin/promtool (Debian's prometheus package, .ci/setup)"
  /usr/bin/promtool check metrics <"$1" >"$tmp/promtool" 2>&1 ||
    fail "promtool check metrics: $(cat "$tmp/promtool")"$'\n'"$(cat "$1")"
}
# The sum of a family's samples (0 when it has none).
total() { awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { print s + 0 }' "$2"; }
value() { awk -v s="$1" 'index($0, s " ") == 1 { print $NF; f = 1 } END { if (!f) print "none" }' "$2"; }
json_rows() { grep -c '^ *{"' "$1"; }
SESSIONS=$SAMPLES/sessions/mail.log
TWO_HOSTS=$SAMPLES/forms-real/two-hosts.log

case $CASE in
  metrics_promtool_and_values)
    run ingest --db db --year 2026 --tz UTC --window 1h --metrics m.prom "$SESSIONS"
    expect_rc 0
    [[ -s m.prom ]] || fail "no metrics file"
    promtool_ok m.prom
    [[ $(value pftls_lines_read_total m.prom) == $(wc -l <"$SESSIONS") ]] ||
      fail "lines read $(value pftls_lines_read_total m.prom), the file has $(wc -l <"$SESSIONS")"
    [[ $(value pftls_runs_total m.prom) == 1 ]] || fail "runs: $(value pftls_runs_total m.prom)"
    lines1=$(value pftls_lines_read_total m.prom)
    # Newest line of host mx1, in unix seconds.
    newest=$(tail -1 "$SESSIONS" | awk '{ print $1, $2, $3 }')
    want=$(date -u -d "$newest 2026" +%s)
    [[ $(value 'pftls_last_log_time_seconds{host="mx1"}' m.prom) == "$want" ]] ||
      fail "last log time of mx1: $(value 'pftls_last_log_time_seconds{host="mx1"}' m.prom), want $want"
    "$PFTLS" lost --db db --format json >lost.json || fail "lost"
    lost=$(json_rows lost.json)
    ((lost > 0)) || fail "the sample has lost mail"
    [[ $(total pftls_lost_mail_total m.prom) == "$lost" ]] ||
      fail "lost mail $(total pftls_lost_mail_total m.prom), lost lists $lost"
    # A second run adds a log of two other hosts: counters grow.
    run ingest --db db --year 2026 --tz UTC --metrics m.prom "$TWO_HOSTS"
    expect_rc 0
    promtool_ok m.prom
    (($(value pftls_lines_read_total m.prom) == lines1 + $(wc -l <"$TWO_HOSTS"))) ||
      fail "lines read after two runs: $(value pftls_lines_read_total m.prom)"
    "$PFTLS" export incidents --db db -o incidents.csv || fail "export incidents"
    "$PFTLS" incidents --db db --format json >incidents.json || fail "incidents"
    rows=$(json_rows incidents.json)
    ((rows > 0)) || fail "no incidents in the samples"
    [[ $(total pftls_incidents_total m.prom) == "$rows" ]] ||
      fail "incidents counter $(total pftls_incidents_total m.prom), export incidents has $rows rows"
    outbound=$(grep -c '"kind": "outbound-downgrade"' incidents.json)
    ((outbound > 0)) || fail "no outbound incident in the sample"
    [[ $(total pftls_outbound_fallbacks_total m.prom) == "$outbound" ]] ||
      fail "outbound fallbacks $(total pftls_outbound_fallbacks_total m.prom), incidents $outbound"
    grep -q '^pftls_incidents_total{host="mx",kind="outbound-downgrade"} ' m.prom ||
      fail "no incidents by host and kind: $(grep incidents_total m.prom)"
    (($(total pftls_failures_total m.prom) > 0)) || fail "no failures"
    # Sessions by host and state: every host of the logs, and per state the
    # sums of the per-client counts of export clients.
    for h in mx1 mx mx2; do
      grep -q "^pftls_sessions_total{host=\"$h\",state=\"tls\"} [1-9]" m.prom ||
        fail "no TLS sessions of host $h: $(grep sessions_total m.prom)"
    done
    "$PFTLS" export clients --db db -o clients.csv || fail "export clients"
    for s in tls:5 plaintext:6 failed:7; do
      want=$(awk -F, -v c="${s#*:}" 'NR > 1 { n += $c } END { print n + 0 }' clients.csv)
      got=$(awk -v s="state=\"${s%%:*}\"" 'index($1, s) { n += $NF } END { print n + 0 }' m.prom)
      [[ $got == "$want" ]] || fail "${s%%:*} sessions: $got in the metrics, $want in export clients"
    done
    # No client address is a label: not one IP of the exports appears.
    if grep -qE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+|[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]+' m.prom; then
      fail "an address in the metrics: $(grep -E '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]' m.prom)"
    fi
    # pftls metrics prints the same; no temporary is left behind.
    run metrics --db db
    expect_rc 0
    cmp -s out m.prom || fail "pftls metrics differs from the file: $(diff out m.prom)"
    run metrics --db db -
    cmp -s out m.prom || fail "pftls metrics - differs from the file"
    [[ $(ls -A | grep -c '^m\.prom') == 1 ]] || fail "temporaries left behind: $(ls -A)" ;;

  metrics_hostile_labels)
    # 60 hosts with a failure each, one of them named with a quote, a
    # backslash and bytes that are not UTF-8: at most 50 host values, the
    # rest folded into "other" and counted.
    for i in $(seq 1 60); do
      printf 'Mar  4 10:00:%02d host%02d postfix/smtpd[2101]: SSL_accept error from a.example[192.0.2.%d]: -1\n' \
        $((i % 60)) "$i" "$i"
    done >hosts.log
    printf 'Mar  4 10:01:00 bad"h\\o\xff\xfest postfix/smtpd[7]: SSL_accept error from b.example[192.0.2.200]: -1\n' \
      >>hosts.log
    run ingest --db db --year 2026 --tz UTC --metrics m.prom hosts.log
    expect_rc 0
    promtool_ok m.prom
    grep -q '^pftls_failures_total{host="other",' m.prom || fail "no host folded into other"
    hosts=$(grep '^pftls_failures_total{' m.prom | sed 's/,reason=.*//' | sort -u | wc -l)
    ((hosts <= 51)) || fail "$hosts host values"
    grep -qE '^pftls_metrics_folded_label_values\{metric="pftls_failures_total",label="host"\} [0-9]+$' m.prom ||
      fail "the folded host values are not counted: $(grep folded m.prom)"
    folded=$(value 'pftls_metrics_folded_label_values{metric="pftls_failures_total",label="host"}' m.prom)
    ((hosts - 1 + folded == 61)) || fail "$hosts series and $folded folded of 61 hosts"
    # Its failure count is the total of the run.
    [[ $(total pftls_failures_total m.prom) == 61 ]] || fail "failures $(total pftls_failures_total m.prom)"
    if grep -q '192\.0\.2' m.prom; then fail "a client address in the metrics"; fi
    # The hostile name, escaped, when it is among the values kept.
    "$PFTLS" metrics --db db | grep -q 'pftls_failures_total{host="bad\\"h\\\\o' ||
      fail "the hostile host is not escaped: $(grep bad m.prom)" ;;

  metrics_write_failure_keeps_run)
    run ingest --db db --year 2016 --tz UTC --metrics nodir/m.prom "$SAMPLES/amex/mail.log"
    expect_rc 0
    [[ $(wc -l <err) == 1 ]] || fail "not one line on stderr: $(cat err)"
    grep -qF "pftls: warning: --metrics: cannot write nodir/m.prom" err || fail "stderr: $(cat err)"
    [[ $("$PFTLS" incidents --db db --format csv | tail -n +2 | grep -c .) == 1 ]] ||
      fail "the run was lost"
    [[ -e nodir ]] && fail "nodir created"
    run ingest --db db2 --metrics - "$SAMPLES/amex/mail.log"
    expect_rc 2
    [[ -e db2 ]] && fail "a usage error created the database"
    run metrics --db missing.db
    expect_rc 2
    grep -qF "no database at missing.db" err || fail "stderr: $(cat err)"
    true ;;

  metrics_atomic_replace)
    echo "old" >m.prom
    chmod 0640 m.prom
    run ingest --db db --year 2016 --tz UTC --metrics m.prom "$SAMPLES/amex/mail.log"
    expect_rc 0
    promtool_ok m.prom
    [[ $(stat -c %a m.prom) == 640 ]] || fail "mode $(stat -c %a m.prom), was 640"
    grep -q '^old' m.prom && fail "not replaced"
    [[ $(ls -A | grep -c 'm\.prom') == 1 ]] || fail "temporaries left: $(ls -A)"
    # A file that cannot be replaced (a read-only directory) stays as it was.
    mkdir ro && cp m.prom ro/m.prom && chmod 0555 ro
    if [[ $(id -u) != 0 ]]; then
      run metrics --db db ro/m.prom
      expect_rc 2
      cmp -s m.prom ro/m.prom || fail "the file changed"
      [[ $(ls -A ro) == m.prom ]] || fail "left in ro: $(ls -A ro)"
    fi
    chmod 0755 ro
    true ;;

  status_hosts_and_json)
    run ingest --db db --year 2026 --tz UTC "$SESSIONS"
    expect_rc 0
    # A warning a cron run gives once a day: status lists it.
    echo "Mar  4 11:00:00 mx1 postfix/smtpd[3002]: an smtpd line no pattern knows" >other.log
    run ingest --db db --year 2026 --tz UTC other.log
    run status --db db
    expect_rc 0
    grep -q "^Hosts" out || fail "no hosts section: $(cat out)"
    row=$(grep -E '^mx1 ' out) || fail "no row of mx1: $(cat out)"
    newest=$(date -u -d "$(tail -1 "$SESSIONS" | awk '{ print $1, $2, $3 }') 2026" +%s)
    lag=$(awk '{ print $3 }' <<<"$row")
    now=$(date +%s)
    ((lag >= now - newest - 5 && lag <= now - newest + 5)) || fail "lag $lag, expected about $((now - newest))"
    grep -q "$(date -u -d "@$newest" +%Y-%m-%dT%H:%M:%SZ)" <<<"$row" || fail "newest: $row"
    grep -q "^Runs" out || fail "no runs: $(cat out)"
    grep -q "^Warnings given in the last day" out || fail "no warnings: $(cat out)"
    run status --db db --format json
    expect_rc 0
    q() { sqlite3 :memory: "SELECT $1 FROM (SELECT readfile('$tmp/out') AS j)"; }
    [[ $(q "json_valid(j)") == 1 ]] || fail "not JSON: $(cat out)"
    [[ $(q "json_extract(j, '\$.hosts[0].host')") == mx1 ]] || fail "hosts: $(cat out)"
    jlag=$(q "json_extract(j, '\$.hosts[0].lag_seconds')")
    ((jlag >= lag && jlag <= lag + 5)) || fail "json lag $jlag, table $lag"
    [[ $(q "json_array_length(j, '\$.runs')") == 2 ]] || fail "runs: $(cat out)"
    [[ $(q "json_array_length(j, '\$.inputs')") == 2 ]] || fail "inputs: $(cat out)"
    (($(q "json_array_length(j, '\$.warnings')") >= 1)) || fail "warnings: $(cat out)"
    [[ $(q "json_extract(j, '\$.zone')") == UTC ]] || fail "zone: $(cat out)"
    [[ $(q "json_type(j, '\$.damaged')") == array ]] || fail "damaged: $(cat out)"
    run status --db db --format csv
    expect_rc 2
    grep -qF "status --format: table or json" err || fail "stderr: $(cat err)" ;;
  *)
    fail "unknown case" ;;
esac
exit 0
