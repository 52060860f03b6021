#!/usr/bin/env bash
# pg_hosts_test.sh: eight MX hosts share one PostgreSQL database, each
# running pftls from its own cron-like loop, all at once; each host's log
# grows in 20 steps, one run per step, and now and then a run is killed with
# kill -9 (the next run carries on). At the end every export equals one
# SQLite run over the merged stream of the eight logs: nothing lost, nothing
# counted twice. Ids aside: they follow the order of the commits.
#
#   pg_hosts_test.sh PFTLS PFTLS_GEN
set -euo pipefail
pftls=$1 gen=$2
source "$(dirname "$0")/cluster.sh"
pg_cluster_start
tmp=$PG_DIR/work
mkdir -p "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
readonly HOSTS=8 STEPS=20

# Four generated two-host logs (pftls_gen makes at most two hosts; the pairs
# have other seeds, so other clients and scenarios), renamed h1..h8.
for pair in 1 2 3 4; do
  "$gen" --seed $((40 + pair)) --hosts 2 --lines 12000 --fail-permille 60 \
    >"$tmp/pair$pair.log" 2>/dev/null
  for side in 1 2; do
    h=$((2 * pair - 2 + side))
    awk -v from="mx$side" '$4 == from' "$tmp/pair$pair.log" |
      sed -E "s/^([A-Z][a-z]{2} +[0-9]+ [0-9:]+) mx$side /\1 h$h /" >"$tmp/h$h.all"
    [[ -s "$tmp/h$h.all" ]] || fail "no lines of host h$h"
  done
done
sort -m -s -k1,1M -k2,2n -k3,3 "$tmp"/h*.all >"$tmp/merged.log"
"$pftls" ingest --db "$tmp/ref.db" --year 2024 --tz UTC "$tmp/merged.log" >/dev/null 2>&1

pg_createdb hosts
url=$(pg_url hosts)

# host_loop H: host hH's cron: its log grows step by step (appended, as
# syslog does), one run per step; every fifth step's first run is killed
# after a short while, then run again.
host_loop() {
  local h=$1 n k upto from=0 victim
  n=$(wc -l <"$tmp/h$h.all")
  local log=$tmp/live$h/mail.log
  mkdir -p "$tmp/live$h"
  : >"$log"
  for ((k = 1; k <= STEPS; k++)); do
    upto=$((n * k / STEPS))
    sed -n "$((from + 1)),${upto}p" "$tmp/h$h.all" >>"$log"
    from=$upto
    if (((k + h) % 5 == 0)); then
      PFTLS_HOST=h$h "$pftls" ingest --db "$url" --year 2024 --tz UTC --lock-wait 120 "$log" \
        >/dev/null 2>&1 &
      victim=$!
      sleep "0.$((RANDOM % 2))$((RANDOM % 10))"
      kill -9 "$victim" 2>/dev/null || true
      wait "$victim" 2>/dev/null || true
    fi
    # Exit 75 (busy: PostgreSQL broke a deadlock between two hosts' runs)
    # is cron's "try again": the next tick does.
    local tries=0 rc
    while :; do
      rc=0
      PFTLS_HOST=h$h "$pftls" ingest --db "$url" --year 2024 --tz UTC --lock-wait 120 "$log" \
        >/dev/null 2>"$tmp/err$h" || rc=$?
      ((rc == 75 && ++tries < 5)) || break
      echo "host h$h, step $k: exit 75, tried again: $(cat "$tmp/err$h")" >&2
    done
    ((rc == 0)) || { echo "host h$h, step $k: exit $rc: $(cat "$tmp/err$h")" >&2; return 1; }
  done
}

pids=()
for ((h = 1; h <= HOSTS; h++)); do
  host_loop "$h" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || fail "a host's loop failed"
done

[[ $(pg_psql hosts -c "SELECT count(DISTINCT run_host) FROM runs") == "$HOSTS" ]] ||
  fail "not every host's runs were recorded"
# Each host ran STEPS runs to the end and STEPS / 5 runs that were killed:
# those the kill reached before their commit left no run record.
runs=$(pg_psql hosts -c "SELECT count(*) FROM runs")
killed=$((HOSTS * STEPS * 6 / 5 - runs))
for q in "export incidents" "export failures" "lost --format csv"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db "$tmp/ref.db" | cut -d, -f2- | sort) \
    <("$pftls" "${qa[@]}" --db "$url" | cut -d, -f2- | sort) >&2 ||
    fail "eight hosts: pftls $q is not the one-run result"
done
diff <("$pftls" export clients --db "$tmp/ref.db" | sort) \
  <("$pftls" export clients --db "$url" | sort) >&2 ||
  fail "eight hosts: pftls export clients is not the one-run result"
# The TLS inventory likewise, without client_name (column 3).
diff <("$pftls" export tls --db "$tmp/ref.db" | cut -d, -f1,2,4- | sort) \
  <("$pftls" export tls --db "$url" | cut -d, -f1,2,4- | sort) >&2 ||
  fail "eight hosts: pftls export tls is not the one-run result"
for q in "never-tls --format csv" "failing --format csv"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db "$tmp/ref.db" | sort) <("$pftls" "${qa[@]}" --db "$url" | sort) >&2 ||
    fail "eight hosts: pftls $q is not the one-run result"
done
incidents=$(($("$pftls" export incidents --db "$url" | wc -l) - 1))
((incidents >= 40)) || fail "only $incidents incidents: too few to tell"
echo "pg hosts: $HOSTS hosts x $STEPS runs, $killed runs killed before their commit," \
  "$incidents incidents, all exports equal" >&2
