# lib.sh: what every case script of tests/cli shares, sourced after it set
# PFTLS and CASE. Makes a temporary directory, removed on exit, and goes
# there; `run` keeps a command's stdout, stderr and exit code in it for
# the expect_* checks, each of which fails the case with what it saw.
# shellcheck shell=bash
SAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../samples" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }
run() {
  "$PFTLS" "$@" >"$tmp/out" 2>"$tmp/err"
  echo $? >"$tmp/rc"
}
rc() { cat "$tmp/rc"; }
expect_rc() { [[ $(rc) == "$1" ]] || fail "exit code $(rc), expected $1; stderr: $(cat "$tmp/err")"; }
expect_err() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks '$1': $(cat "$tmp/err")"; }
expect_out() { grep -qF -- "$1" "$tmp/out" || fail "stdout lacks '$1': $(cat "$tmp/out")"; }
expect_no_err() { [[ ! -s $tmp/err ]] || fail "unexpected stderr: $(cat "$tmp/err")"; }
expect_one_line_err() {
  local n
  n=$(grep -c . "$tmp/err")
  [[ $n == 1 ]] || fail "expected a one-line error, got $n lines: $(cat "$tmp/err")"
}
