#!/usr/bin/env bash
# pg_jit_test.sh: pftls's PostgreSQL sessions never JIT-compile. The server
# (a throwaway cluster, cluster.sh) JIT-compiles every statement
# (jit_above_cost 0) and counts what it compiled per statement
# (pg_stat_statements); a statement of psql's is compiled (so the server
# can, and the check can fail), none of pftls's (its own role) in an ingest
# and the query commands.
#
#   pg_jit_test.sh PFTLS SAMPLE_LOG
set -euo pipefail
pftls=$1 sample=$2
PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c jit=on -c jit_above_cost=0"
PG_OPTIONS+=" -c jit_inline_above_cost=0 -c jit_optimize_above_cost=0"
source "$(dirname "$0")/cluster.sh"
pg_cluster_start
fail() { echo "FAIL: $*" >&2; exit 1; }

pg_createdb jit
pg_psql jit -c "CREATE ROLE pftls_jit LOGIN; ALTER DATABASE jit OWNER TO pftls_jit"
url="$(pg_url jit)&user=pftls_jit"
pg_psql jit -c "CREATE EXTENSION pg_stat_statements"
# The control: psql's own statement is compiled.
pg_psql jit -c "SELECT sum(i) FROM generate_series(1, 10) AS i /* jit control */" >/dev/null
control=$(pg_psql jit -c "SELECT coalesce(sum(jit_functions), 0) FROM pg_stat_statements
  WHERE query LIKE '%jit control%'")
((control > 0)) || fail "the server compiled nothing for psql (no JIT here?): $control functions"

"$pftls" ingest --db "$url" --year 2026 --tz UTC "$sample" >/dev/null 2>&1 || fail "ingest failed"
for q in incidents failures lost clients failing never-tls tls metrics; do
  "$pftls" "$q" --db "$url" >/dev/null 2>&1 || fail "pftls $q failed"
done
read -r statements compiled < <(pg_psql jit -F ' ' -c "
  SELECT count(*), coalesce(sum(jit_functions), 0) FROM pg_stat_statements
  WHERE userid = 'pftls_jit'::regrole")
((statements > 20)) || fail "only $statements statements of pftls recorded"
((compiled == 0)) || fail "pftls's statements were JIT-compiled: $compiled functions"
echo "pg_jit: psql's control statement compiled $control functions; $statements statements of pftls, $compiled compiled"
