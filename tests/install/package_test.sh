#!/usr/bin/env bash
# package_test.sh BUILD SOURCE (as root, with apt): the README's Install
# steps for the Debian package, end to end on this machine. Builds the
# package with cpack in BUILD, installs it with apt-get, checks its
# dependencies (dpkg-shlibdeps), the user pftls (groups adm and
# systemd-journal), /var/lib/pftls, the units (installed, not enabled,
# systemd-analyze verify, exposure at most 2.0); runs the README's cron line
# and the unit's ExecStart as the user pftls on a sample log that only the
# group adm can read, each giving the incidents of the built pftls; then
# `apt-get remove` (user and database stay) and `apt-get purge` (nothing
# of the package, its user or /var/lib/pftls is left). Refuses to start
# when a package or user pftls is already there.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
fail() {
  echo "package_test: $*" >&2
  exit 1
}
[[ $(id -u) == 0 ]] || fail "needs root (apt-get install)"
if dpkg-query -W -f='${Status}' pftls 2>/dev/null | grep -q installed; then
  fail "a package pftls is installed already: purge it first (apt-get purge pftls)"
fi
getent passwd pftls >/dev/null && fail "a user pftls exists already: remove it first"
[[ -e /var/lib/pftls ]] && fail "/var/lib/pftls exists already: remove it first"

work=$(mktemp -d)
cleanup() {
  if dpkg-query -W -f='${Status}' pftls 2>/dev/null | grep -q installed; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pftls >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive

# README: Install (Debian package).
rm -f "$build"/pftls_*.deb
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || fail "cpack -G DEB failed: $(tail -5 "$work/cpack.log")"
debs=("$build"/pftls_*.deb)
((${#debs[@]} == 1)) && [[ -f ${debs[0]} ]] || fail "cpack made no single pftls_*.deb in $build"
deb=${debs[0]}
depends=$(dpkg-deb -f "$deb" Depends)
echo "package_test: Depends: $depends"
names=" $(sed 's/ ([^)]*)//g; s/,/ /g' <<<"$depends") "
for d in libc6 libstdc++6 libre2-9 libsqlite3-0 libpq5 libsodium23 adduser; do
  [[ $names == *" $d "* ]] || fail "Depends lacks $d (dpkg-shlibdeps): $depends"
done
apt-get install -y -qq "$deb" >"$work/apt.log" 2>&1 || fail "apt-get install failed: $(tail -5 "$work/apt.log")"

[[ -x /usr/bin/pftls ]] || fail "/usr/bin/pftls not installed"
# A minimal image may tell dpkg not to unpack man pages (path-exclude).
man=(/usr/share/man/man1/pftls.1)
verify_man=()
if grep -qs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  man=()
  verify_man=(--man=no)
fi
for f in "${man[@]}" /usr/share/bash-completion/completions/pftls \
  /usr/share/zsh/vendor-completions/_pftls /usr/lib/systemd/system/pftls.service /usr/lib/systemd/system/pftls.timer; do
  [[ -f $f ]] || fail "$f not installed"
done
dpkg -L pftls | while read -r f; do [[ -d $f ]] || echo "$f"; done >"$work/files"

# The user and its state directory.
IFS=: read -r _ _ _ _ _ home shell < <(getent passwd pftls) || fail "no user pftls after install"
[[ $home == /var/lib/pftls && $shell == /usr/sbin/nologin ]] || fail "user pftls: home $home, shell $shell"
groups=" $(id -nG pftls) "
for g in pftls adm systemd-journal; do
  [[ $groups == *" $g "* ]] || fail "user pftls is not in group $g (groups:$groups)"
done
[[ $(stat -c '%U:%G %a' /var/lib/pftls) == "pftls:pftls 750" ]] ||
  fail "/var/lib/pftls is $(stat -c '%U:%G %a' /var/lib/pftls), not pftls:pftls 750"

# The units: installed, not enabled; they verify; the service is hardened.
for w in /etc/systemd/system/*.wants/pftls.* /etc/systemd/system/pftls.*; do
  if [[ -e $w || -L $w ]]; then fail "the package enabled a unit: $w"; fi
done
systemd-analyze verify "${verify_man[@]}" /usr/lib/systemd/system/pftls.timer /usr/lib/systemd/system/pftls.service \
  >"$work/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.log")"
[[ ! -s $work/verify.log ]] || fail "systemd-analyze verify: $(cat "$work/verify.log")"
systemd-analyze security --offline=true --no-pager /usr/lib/systemd/system/pftls.service >"$work/security.log" 2>&1 || true
level=$(sed -n 's/.*Overall exposure level for pftls.service: \([0-9.]*\).*/\1/p' "$work/security.log")
[[ -n $level ]] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || fail "exposure level '$level' is not at most 2.0"
echo "package_test: pftls.service exposure level $level"

# A sample mail log that only root and the group adm can read, as Debian's.
logs=$work/log
chmod 0711 "$work"  # mktemp made it 0700: the user pftls passes through
mkdir -m 0755 "$logs"
install -m 0640 -o root -g adm "$src/samples/amex/mail.log" "$logs/mail.log"
touch -d '2016-12-31 12:00' "$logs/mail.log"  # the year of its yearless lines
if runuser -u nobody -- test -r "$logs/mail.log"; then
  fail "the sample log is readable by others: the test proves nothing"
fi

# run_as USER CMD: runs the command as USER, with /var/log/mail.log replaced by
# the sample; then the built pftls ingests the same into a fresh database
# with the same arguments, and the two give the same incidents (CSV).
run_as() {
  local user=$1 cmd=${2//\/var\/log\/mail.log/$logs/mail.log}
  rm -f /var/lib/pftls/pftls.db*
  runuser -u "$user" -- sh -c "$cmd" >"$work/run.out" 2>"$work/run.err" ||
    fail "as $user: '$cmd' failed: $(cat "$work/run.err")"
  [[ ! -s $work/run.err ]] || fail "as $user: '$cmd' wrote to stderr: $(cat "$work/run.err")"
  runuser -u "$user" -- /usr/bin/pftls incidents --db /var/lib/pftls/pftls.db --format csv >"$work/installed.csv"
  [[ $(stat -c %U /var/lib/pftls/pftls.db) == "$user" ]] || fail "the database is not owned by $user"
  local ref=${cmd#* ingest }
  ref=${ref//\/var\/lib\/pftls\/pftls.db/$work/ref.db}
  rm -f "$work"/ref.db*
  # shellcheck disable=SC2086 # the command's own arguments, split as sh does
  "$build/src/pftls" ingest $ref >/dev/null 2>&1 || true
  "$build/src/pftls" incidents --db "$work/ref.db" --format csv >"$work/ref.csv"
  (($(wc -l <"$work/ref.csv") >= 2)) || fail "the built pftls found no incident in the sample"
  diff -u "$work/ref.csv" "$work/installed.csv" >&2 || fail "as $user: '$cmd' gave other incidents than the built pftls"
  echo "package_test: as $user: $cmd: $(($(wc -l <"$work/installed.csv") - 1)) incident(s)"
}

# README: the cron line (its user field and command), as cron runs it (sh -c).
cron=$(grep -m1 -E '^\*/5 \* \* \* \* pftls /usr/bin/pftls ingest .*/var/log/mail.log' "$src/README.md") ||
  fail "README.md has no cron line for pftls on /var/log/mail.log"
read -r _ _ _ _ _ user cmd <<<"$cron"
[[ $user == pftls ]] || fail "README's cron line runs as $user"
run_as "$user" "$cmd"

# The installed service's ExecStart, as the service's User=.
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/pftls.service)
user=$(sed -n 's/^User=//p' /usr/lib/systemd/system/pftls.service)
[[ $user == pftls ]] || fail "pftls.service runs as '$user'"
run_as "$user" "$exec_start"

# apt-get remove keeps the user and the database; purge removes everything.
apt-get remove -y -qq pftls >"$work/apt.log" 2>&1 || fail "apt-get remove failed: $(tail -5 "$work/apt.log")"
getent passwd pftls >/dev/null || fail "apt-get remove removed the user pftls"
[[ -f /var/lib/pftls/pftls.db ]] || fail "apt-get remove removed the database"
[[ ! -e /usr/bin/pftls ]] || fail "apt-get remove left /usr/bin/pftls"
apt-get purge -y -qq pftls >"$work/apt.log" 2>&1 || fail "apt-get purge failed: $(tail -5 "$work/apt.log")"
dpkg-query -W -f='${Status}' pftls 2>/dev/null | grep -q installed && fail "pftls still installed after purge"
getent passwd pftls >/dev/null && fail "purge left the user pftls"
getent group pftls >/dev/null && fail "purge left the group pftls"
[[ ! -e /var/lib/pftls ]] || fail "purge left /var/lib/pftls"
while read -r f; do
  if [[ -e $f || -L $f ]]; then fail "purge left $f"; fi
done <"$work/files"
echo "package_test: ok"
