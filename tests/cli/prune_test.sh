#!/usr/bin/env bash
# prune_test.sh: `pftls prune` keeps every answer about the time from its
# cut-off on, and the runs after it, exactly as they were.
#
#   prune_test.sh PFTLS PFTLS_GEN
#
# A generated 20-day log; one database is pruned at day 10, another is not.
# From the cut-off on, incidents and failures (with their outcomes) are the
# same rows; failures before the printed "removed from before" time are
# gone and none after it; the per-client counts stay; --vacuum shrinks the
# file. A database pruned between two runs over the halves of the log then
# gives the same incidents from the cut-off on as one run over all of it.
# Usage errors are exit 2 and leave the database as it was.
set -euo pipefail
pftls=$1 gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "prune: $*" >&2; exit 1; }
opts=(--year 2024 --tz UTC)
cut=2024-03-20T00:00:00Z

"$gen" --seed 3 --lines 200000 --span 20d --fail-permille 20 --out g.log 2>/dev/null
"$pftls" ingest --db whole.db "${opts[@]}" g.log >/dev/null 2>&1
cp whole.db pruned.db
size_before=$(stat -c %s pruned.db)
"$pftls" prune --db pruned.db --before "$cut" --vacuum >out 2>err || { cat err >&2; fail "prune failed"; }
[[ ! -s err ]] || fail "prune wrote to stderr: $(cat err)"
[[ $(wc -l <out) == 1 ]] || fail "not one line: $(cat out)"
before=$(sed -n 's/.*removed from before \([0-9TZ:-]*\) .*/\1/p' out)
[[ $before == 2024-03-1[0-9]T* ]] || fail "no cut-off time in: $(cat out)"
removed=$(sed -n 's/.* \([0-9]*\) sessions with .*/\1/p' out)
((removed > 0)) || fail "nothing removed: $(cat out)"
(($(stat -c %s pruned.db) < size_before)) || fail "--vacuum did not shrink the file"

for q in "export incidents --since $cut" "never-tls --format csv"; do
  read -r -a qa <<<"$q"
  diff <("$pftls" "${qa[@]}" --db whole.db) <("$pftls" "${qa[@]}" --db pruned.db) >&2 ||
    fail "$q changed"
done
[[ $("$pftls" export incidents --since "$cut" --db pruned.db | wc -l) -gt 10 ]] ||
  fail "too few incidents after the cut-off to tell"
# Failures (column 5: failure_at) from the removal time on: the same rows and outcomes.
"$pftls" export failures --db whole.db | awk -F, -v t="$before" 'NR == 1 || $5 >= t' >whole.f
"$pftls" export failures --db pruned.db >pruned.f
diff whole.f pruned.f >&2 || fail "failures from $before on changed"
(($("$pftls" export failures --db whole.db | wc -l) > $(wc -l <pruned.f))) ||
  fail "no failure before $before was removed"

# Pruned between two runs: the second run watches and matches as without it.
half=$(($(wc -l <g.log) / 2))
head -n "$half" g.log >cut.log
"$pftls" ingest --db halves.db "${opts[@]}" cut.log >/dev/null 2>&1
middle=$(sed -n "${half}p" g.log | awk '{print $1, $2, $3}')
middle=$(date -u -d "$middle 2024" +%Y-%m-%dT%H:%M:%SZ)
"$pftls" prune --db halves.db --before "$middle" >/dev/null
cp g.log cut.log
"$pftls" ingest --db halves.db "${opts[@]}" cut.log >/dev/null 2>&1
diff <("$pftls" export incidents --since "$middle" --db whole.db | cut -d, -f2-) \
  <("$pftls" export incidents --since "$middle" --db halves.db | cut -d, -f2-) >&2 ||
  fail "a run after prune found other incidents"

# Usage errors: exit 2, one line, nothing changed.
cp pruned.db keep.db
for args in "" "--keep 0d" "--keep soon" "--before yesterday-ish" "--before $cut --keep 400d" \
  "--before $cut --window 0s"; do
  rc=0
  # shellcheck disable=SC2086
  "$pftls" prune --db pruned.db $args >/dev/null 2>err || rc=$?
  [[ $rc == 2 ]] || fail "prune $args: exit $rc, not 2"
  [[ $(wc -l <err) == 1 ]] || fail "prune $args: not one line: $(cat err)"
  cmp -s pruned.db keep.db || fail "prune $args changed the database"
done
rc=0
"$pftls" prune --db nowhere.db --keep 400d 2>err || rc=$?
[[ $rc == 2 && ! -e nowhere.db ]] || fail "prune of a missing database: exit $rc"
grep -q "no database at nowhere.db" err || fail "missing database: $(cat err)"

# A relative --before, as --since takes it: a cut-off years after the log's
# 2024 removes as much as one at that time in RFC 3339 would.
cp pruned.db relative.db
was=$(date -u -d "1 day ago" +%Y-%m-%d)
"$pftls" prune --db relative.db --before 1d >rel.out 2>err || fail "prune --before 1d: $(cat err)"
now=$(date -u -d "1 day ago" +%Y-%m-%d)
grep -Eq "cut-off ($was|$now)" rel.out || fail "--before 1d: not a cut-off a day ago: $(cat rel.out)"
(($("$pftls" export failures --db relative.db | wc -l) < $("$pftls" export failures --db pruned.db | wc -l))) ||
  fail "--before 1d removed no failure of a 2024 log"
echo "prune: $removed sessions removed, answers from $cut on unchanged" >&2
