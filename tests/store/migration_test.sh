#!/usr/bin/env bash
# migration_test.sh: a database written by the previous release (schema
# version 1, fixtures/) opens in this pftls and keeps its incidents and its
# open state.
#
#   migration_test.sh PFTLS NAME LOG CUT
#
# fixtures/NAME.db was made by the previous release from the first CUT lines
# of LOG, read as mx.test.log (see fixtures/README.md); expected/NAME.QUERY.csv
# is what that release exported from it. This pftls must export the same
# from a copy of the fixture (migrating it), and after the file has grown to
# the whole of LOG and been read again (on from line CUT + 1), give the same
# exports and evidence as one run over the whole of LOG.
set -euo pipefail
pftls=$1 name=$2 log=$3 cut=$4
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "migration: $name: $*" >&2; exit 1; }
queries=(incidents failures clients)

cp "$here/fixtures/$name.db" "$tmp/old.db"
for q in "${queries[@]}"; do
  "$pftls" export "$q" --db "$tmp/old.db" >"$tmp/$q.csv"
  diff -u "$here/expected/$name.$q.csv" "$tmp/$q.csv" || fail "export $q differs from the old release's"
done
[[ $(sqlite3 "$tmp/old.db" 'PRAGMA user_version') == 3 ]] || fail "not migrated to version 3"

# The input as the fixture knows it (a relative name), grown to the whole log.
cd "$tmp"
cp "$log" mx.test.log
for db in old whole; do
  "$pftls" ingest --verbose --db "$db.db" --year 2026 --tz UTC mx.test.log 2>"$db.err" ||
    { cat "$db.err" >&2; fail "ingest into $db.db failed"; }
done
grep -q "ingest: $(($(wc -l <"$log") - cut)) lines read" old.err ||
  fail "the run after the fixture did not read on from line $((cut + 1)): $(cat old.err)"
evidence="SELECT s.client_ip, e.input, e.line, e.raw FROM evidence AS e
  JOIN sessions AS s ON s.id = e.session_id ORDER BY e.input, e.line, s.client_ip"
for q in "${queries[@]}" evidence; do
  for db in old whole; do
    if [[ $q == evidence ]]; then sqlite3 "$db.db" "$evidence"; else "$pftls" export "$q" --db "$db.db"; fi >"$db.$q"
  done
  [[ -s whole.$q ]] || fail "$q of the whole log is empty"
  if [[ $q == incidents ]]; then
    # Version 1 kept no queue id notes: an outbound incident whose cleanup
    # and qmgr lines the old release read has no message-id and sender
    # (those columns of outbound rows are left out). The rest must be the same.
    for db in old whole; do
      awk -F, -v OFS=, '/^o[0-9]/ { $12 = ""; $13 = "" } 1' "$db.$q" >"$db.$q.cmp" && mv "$db.$q.cmp" "$db.$q"
    done
  fi
  diff -u "whole.$q" "old.$q" || fail "$q after the rest differs from one run"
done

# A database of a newer schema is refused with one line and left as it was.
cp "$here/fixtures/$name.db" "$tmp/new.db"
sqlite3 "$tmp/new.db" 'PRAGMA user_version = 4'
cp "$tmp/new.db" "$tmp/new.orig"
for cmd in "ingest --year 2026 --tz UTC mx.test.log" "export incidents"; do
  rc=0
  "$pftls" $cmd --db "$tmp/new.db" >/dev/null 2>"$tmp/err" || rc=$?
  [[ $rc == 2 ]] || fail "$cmd on a newer database: exit $rc, expected 2"
  [[ $(wc -l <"$tmp/err") == 1 ]] || fail "$cmd on a newer database: not one line: $(cat "$tmp/err")"
  grep -q "newer" "$tmp/err" || fail "$cmd on a newer database: unclear message: $(cat "$tmp/err")"
  cmp -s "$tmp/new.db" "$tmp/new.orig" || fail "$cmd changed a newer database"
done
