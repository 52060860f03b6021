#!/usr/bin/env bash
# install_tree.sh BUILD SOURCE: `cmake --install BUILD --prefix TMP` (no root
# needed) installs the binary, the man page, bash and zsh completion and
# the systemd units, with the prefix's path in ExecStart. Checks: the man
# page renders without a warning (man --warnings -l); the units pass
# systemd-analyze verify; the service's exposure (systemd-analyze security
# --offline=true) is at most 2.0; the bash completion completes; the
# README's unit files are the installed ones (with /usr as the prefix).
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() {
  echo "install_tree: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || fail "cmake --install failed: $(cat "$work/install.log")"
for f in bin/pftls share/man/man1/pftls.1 share/bash-completion/completions/pftls \
  share/zsh/site-functions/_pftls lib/systemd/system/pftls.service lib/systemd/system/pftls.timer; do
  [[ -f $prefix/$f ]] || fail "$f not installed under the prefix"
done
"$prefix/bin/pftls" --version >/dev/null || fail "the installed pftls does not run"

# ExecStart names the installed binary.
grep -qxF "ExecStart=$prefix/bin/pftls ingest --db /var/lib/pftls/pftls.db /var/log/mail.log" \
  "$prefix/lib/systemd/system/pftls.service" || fail "ExecStart of pftls.service is not $prefix/bin/pftls"

# The man page: no groff or man warning, and its sections are there.
MANWIDTH=80 man --warnings -l "$prefix/share/man/man1/pftls.1" >"$work/man.txt" 2>"$work/man.err" ||
  fail "man -l failed: $(cat "$work/man.err")"
[[ ! -s $work/man.err ]] || fail "man --warnings: $(cat "$work/man.err")"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" "CSV COLUMNS" FILES EXAMPLES; do
  grep -qx "$s" "$work/man.txt" || fail "the man page has no section $s"
done

# The units verify (no man page lookup: the temporary prefix is not in MANPATH).
units=("$prefix/lib/systemd/system/pftls.timer" "$prefix/lib/systemd/system/pftls.service")
systemd-analyze verify --man=no "${units[@]}" >"$work/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.log")"
[[ ! -s $work/verify.log ]] || fail "systemd-analyze verify: $(cat "$work/verify.log")"

# Hardening: the overall exposure level of the service.
systemd-analyze security --offline=true --no-pager "${units[1]}" >"$work/security.log" 2>&1 || true
level=$(sed -n 's/.*Overall exposure level for pftls.service: \([0-9.]*\).*/\1/p' "$work/security.log")
[[ -n $level ]] || fail "no exposure level from systemd-analyze security: $(tail -3 "$work/security.log")"
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || fail "exposure level $level is above 2.0"
echo "install_tree: pftls.service exposure level $level (systemd-analyze security --offline=true)"

# Bash completion, as bash-completion loads it.
out=$(bash -c 'source /usr/share/bash-completion/bash_completion && source "$1" &&
  COMP_WORDS=(pftls ingest --jo); COMP_CWORD=2; COMP_LINE="pftls ingest --jo"; COMP_POINT=${#COMP_LINE}
  _pftls; echo "${COMPREPLY[*]}"' _ \
  "$prefix/share/bash-completion/completions/pftls")
[[ $out == "--journal --journal-file --journal-directory --journal-timeout" ]] ||
  fail "bash completion of 'pftls ingest --jo' gave '$out'"

# The README shows the unit files as the package installs them (prefix /usr).
for unit in pftls.service pftls.timer; do
  awk -v u="# /usr/lib/systemd/system/$unit" '
    $0 == u {on = 1; next}
    on && (/^# \/usr\/lib\/systemd\/system\// || /^```/) {exit}
    on {print}' "$src/README.md" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$work/readme.$unit"
  [[ -s $work/readme.$unit ]] || fail "README.md shows no '# /usr/lib/systemd/system/$unit'"
  sed "s|$prefix/bin/|/usr/bin/|" "$prefix/lib/systemd/system/$unit" >"$work/usr.$unit"
  diff -u "$work/usr.$unit" "$work/readme.$unit" >&2 || fail "README.md's $unit differs from the installed one (above)"
done
echo "install_tree: ok"
