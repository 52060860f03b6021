#!/usr/bin/env bash
# Real-Postfix end-to-end test for pftls (issue 3).
#
# Runs Debian's real Postfix (3.7, OpenSSL 3) on loopback addresses only, makes
# real SMTP clients (swaks and a real Postfix sender) fail STARTTLS and fall back
# to plaintext, then checks that pftls's incidents on the logs Postfix wrote
# equal the expectations in scenarios.tsv exactly. See README.md in this folder.
#
# Usage: run_e2e.sh [options] [PFTLS_BIN]        (as root)
#   PFTLS_BIN            the pftls binary (default: $PFTLS_BIN)
#   --assert LEVEL       issue6 (default) asserts every row of scenarios.tsv;
#                        issue2 only the rows with since=issue2 (no outbound)
#                        (default: $PFTLS_E2E_ASSERT, else issue6)
#   --logs-only          run the scenarios and print the logs; no pftls needed,
#                        nothing asserted
#   --capture DIR        copy the logs of this run into DIR (samples/postfix-3.7)
#   --keep               keep the temporary directory (instances are stopped anyway)
#   -h, --help           this text
# Exit status: 0 all expectations met; 1 a scenario, an expectation or the
# set-up (e.g. installing Postfix) failed; 2 usage error.
#
# Everything listens on and connects to 127.0.0.0/8 only. Names come from a
# marked block in /etc/hosts that is removed on exit. Every Postfix instance is
# built from scratch under a temporary directory and stopped with
# `postfix -c DIR stop` on exit; nothing is stopped by process name.

set -Eeuo pipefail
export TZ=UTC LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCENARIOS=$HERE/scenarios.tsv

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------- arguments --
PFTLS=${PFTLS_BIN:-}
ASSERT=${PFTLS_E2E_ASSERT:-issue6}
LOGS_ONLY=0
CAPTURE_DIR=
KEEP=0
while (($#)); do
  case $1 in
    --assert) ASSERT=${2:?--assert needs issue2 or issue6}; shift 2 ;;
    --logs-only) LOGS_ONLY=1; shift ;;
    --capture) CAPTURE_DIR=${2:?--capture needs a directory}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run_e2e.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) PFTLS=$1; shift ;;
  esac
done
case $ASSERT in
  issue2) ENABLED_SINCE=" issue2 " ;;
  issue6) ENABLED_SINCE=" issue2 issue6 " ;;
  *) echo "run_e2e.sh: --assert must be issue2 or issue6, not '$ASSERT'" >&2; exit 2 ;;
esac
if ((!LOGS_ONLY)); then
  if [[ -z $PFTLS ]]; then
    echo "run_e2e.sh: no pftls binary given (argument or PFTLS_BIN); use --logs-only to only produce the logs" >&2
    exit 2
  fi
  [[ $PFTLS == */* ]] || PFTLS=$(command -v "$PFTLS" || echo "$PFTLS")
  [[ -x $PFTLS ]] || { echo "run_e2e.sh: FAIL: pftls binary '$PFTLS' is not an executable file" >&2; exit 1; }
  PFTLS=$(cd "$(dirname "$PFTLS")" && pwd)/$(basename "$PFTLS")
fi
[[ -z $CAPTURE_DIR ]] || CAPTURE_DIR=$(mkdir -p "$CAPTURE_DIR" && cd "$CAPTURE_DIR" && pwd)

START_SECONDS=$SECONDS
say() { printf '[e2e %3ds] %s\n' "$((SECONDS - START_SECONDS))" "$*" >&2; }
die() { printf '[e2e %3ds] FAIL: %s\n' "$((SECONDS - START_SECONDS))" "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, starts Postfix, edits /etc/hosts)"

# ------------------------------------------------------------ the topology --
# Every name used by any program in this test resolves from this block, so no
# lookup ever needs DNS. The first name of a line is what reverse lookups give.
HOSTS_TAG='pftls-e2e'
HOSTS_LINES=(
  "127.0.0.10 mx.test"            # our receiving server, smtpd_tls_loglevel 1; also its outbound source address
  "127.0.0.30 mx-quiet.test"      # our receiving server, second listener, smtpd_tls_loglevel 0
  "127.0.0.11 extmta1.amex.test"  # scenario amex
  "127.0.0.12 mta.bank.test"      # scenario postfix-sender (a real Postfix instance)
  "127.0.0.13 mail.retry.test"    # scenario tls-retry
  "127.0.0.14 mail.giveup.test"   # scenario gave-up
  "127.0.0.15 mail.plain.test"    # scenario plaintext-only
  "127.0.0.16 mail.good.test"     # scenario tls-ok-loglevel1
  "127.0.0.17 mail.quiet.test"    # scenario tls-ok-loglevel0
  "127.0.0.18 mail.legacy.test"   # scenario tls10-then-plain
  "127.0.0.19 mail.weak.test"     # scenario outbound-weak: the weak partner (a real Postfix instance)
  "127.0.0.20 mail.quietfail.test" # scenario quiet-downgrade
  "127.0.0.40 policy.test"        # whatif: a receiving server before and after a policy change
  "127.0.0.41 tls10.whatif.test"  # whatif: speaks TLS 1.0 only
  "127.0.0.42 rsa.whatif.test"    # whatif: TLS 1.2 with RSA key exchange only (AES256-SHA)
  "127.0.0.43 ecdhe.whatif.test"  # whatif: TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384
  "127.0.0.44 tls13.whatif.test"  # whatif: TLS 1.3
  "127.0.0.45 plain.whatif.test"  # whatif: never STARTTLS
)
MX_IP=127.0.0.10
MX_QUIET_IP=127.0.0.30
BANK_IP=127.0.0.12
WEAK_IP=127.0.0.19

# Postfix's maillog_file must live under maillog_file_prefixes; /var is the default.
TMP_PARENT=/var/tmp
TMP_MARK=.pftls-e2e-tmp
T=
POLICY_RC_CREATED=0
INSTANCES=()            # config directories of the instances this run started

# ------------------------------------------------------------------ cleanup --
hosts_remove_block() {
  grep -q "^# BEGIN $HOSTS_TAG" /etc/hosts 2>/dev/null || return 0
  local tmp
  tmp=$(mktemp)
  awk -v tag="$HOSTS_TAG" '
    index($0, "# BEGIN " tag) == 1 { skip = 1; next }
    skip && index($0, "# END " tag) == 1 { skip = 0; next }
    !skip { print }' /etc/hosts >"$tmp"
  # Write in place: /etc/hosts may be a bind mount that cannot be replaced.
  cat "$tmp" >/etc/hosts
  rm -f "$tmp"
}

# master -t: exit 0 when no master of that configuration runs (unlike
# `postfix status`, it writes nothing to the instance's log).
instance_running() {
  local master
  master=$(postconf -c "$1" -h daemon_directory 2>/dev/null)/master
  [[ -x $master ]] && ! MAIL_CONFIG=$1 "$master" -t 2>/dev/null
}

stop_instance() {
  local dir=$1
  command -v postfix >/dev/null || return 0
  if [[ -f $dir/main.cf ]] && instance_running "$dir"; then
    postfix -c "$dir" stop >/dev/null 2>&1 || say "warning: postfix -c $dir stop failed"
  fi
}

# PIDs of processes whose working directory is under DIR (Postfix daemons live
# in their queue_directory).
pids_in_dir() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ $cwd == "$1"/* ]] && printf '%s ' "${p#/proc/}"
  done
  return 0
}

# After `postfix stop` the master is gone but its children may take a moment.
wait_processes_gone() {
  local end=$((SECONDS + $2)) left
  while left=$(pids_in_dir "$1"); [[ -n $left ]]; do
    ((SECONDS < end)) || { echo "$left"; return 1; }
    sleep 0.1
  done
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  local d left
  for d in "${INSTANCES[@]}"; do stop_instance "$d"; done
  hosts_remove_block
  if ((POLICY_RC_CREATED)); then rm -f /usr/sbin/policy-rc.d; fi
  if [[ -n $T && -d $T ]]; then
    left=$(wait_processes_gone "$T" 10) || say "warning: processes still running in $T: $left"
    if ((KEEP)); then say "kept $T"; else rm -rf "$T"; fi
  fi
  if ((rc == 0)); then say "done: PASS (${SECONDS}s)"; else say "done: FAIL (exit $rc, ${SECONDS}s)"; fi
  exit "$rc"
}
# One run at a time: the instances, the addresses and the /etc/hosts block are
# shared. Taken before the EXIT trap, so a refused run cleans up nothing.
# Commands that may outlive this script get `9>&-`, so they never hold the lock.
exec 9>/run/lock/pftls-e2e.lock
flock -n 9 || { echo "run_e2e.sh: FAIL: another run of the e2e test is in progress" >&2; exit 1; }

trap cleanup EXIT
trap 'say "unexpected error (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Leftovers of an earlier run that was killed before its cleanup ran: stop its
# instances through their own config directories, drop its hosts block.
for old in "$TMP_PARENT"/pftls-e2e.*; do
  [[ -d $old && -f $old/$TMP_MARK ]] || continue
  say "cleaning up leftovers of an earlier run in $old"
  for cfg in "$old"/*/etc; do stop_instance "$cfg"; done
  rm -rf "$old"
done
hosts_remove_block

# ------------------------------------------------------------------ install --
PKGS=(postfix swaks libnet-ssleay-perl openssl gzip iproute2)
missing=()
for p in "${PKGS[@]}"; do
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
POSTFIX_INSTALLED_NOW=0
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  [[ " ${missing[*]} " == *" postfix "* ]] && POSTFIX_INSTALLED_NOW=1
  # "No configuration": the package writes no main.cf, so there is no default
  # instance to start. Belt and braces: forbid service starts during the
  # install with a policy-rc.d, unless the machine already has one.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, tests/e2e/run_e2e.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  apt-get update -qq || die "apt-get update failed: cannot install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed: real Postfix is required for this test"
  if ((POLICY_RC_CREATED)); then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
fi
for c in postfix postconf postqueue sendmail swaks openssl gzip ss; do
  command -v "$c" >/dev/null || die "$c not found after installing ${PKGS[*]}"
done
perl -MNet::SSLeay -e1 2>/dev/null || die "swaks has no TLS support (perl Net::SSLeay missing)"
# If installing Postfix started its default instance, stop it again (we started it).
if ((POSTFIX_INSTALLED_NOW)) && [[ -f /etc/postfix/main.cf ]] && postfix status >/dev/null 2>&1; then
  say "the package started the default Postfix instance; stopping it"
  postfix stop >/dev/null 2>&1 || die "cannot stop the default Postfix instance"
fi
POSTFIX_VERSION=$(postconf -d -h mail_version)
OPENSSL_VERSION=$(openssl version)
say "Postfix $POSTFIX_VERSION, $OPENSSL_VERSION"

# Port 25 on our addresses must be free (a wildcard listener would take it).
busy=$(ss -Hltn | awk '{print $4}' | grep -E '^(0\.0\.0\.0|\*|\[::\]|127\.0\.0\.(10|30|19)):25$' || true)
[[ -z $busy ]] || die "port 25 is already in use on: $(echo "$busy" | tr '\n' ' ')(stop that service first)"

# ------------------------------------------------------------------- set-up --
T=$(mktemp -d "$TMP_PARENT/pftls-e2e.XXXXXX")
chmod 755 "$T"
touch "$T/$TMP_MARK"
mkdir -p "$T/logs" "$T/tls" "$T/swaks" "$T/pftls"
YEAR=$(date -u +%Y)
RUN_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)

{
  echo "# BEGIN $HOSTS_TAG: temporary names of tests/e2e/run_e2e.sh ($T), removed when it exits"
  printf '%s\n' "${HOSTS_LINES[@]}"
  echo "# END $HOSTS_TAG"
} >>/etc/hosts

make_cert() { # name cn
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
    -addext "subjectAltName=DNS:$2" -keyout "$T/tls/$1.key" -out "$T/tls/$1.crt" 2>/dev/null \
    || die "openssl could not make a certificate for $2"
  chmod 600 "$T/tls/$1.key"
}
make_cert mx mx.test
make_cert weak mail.weak.test

# The services of a Postfix instance, without chroot (a chroot would need its
# own copy of /etc/hosts) and without any listener: callers add those.
MASTER_CF_BASE='# service type  private unpriv  chroot  wakeup  maxproc command + args
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd'

# The postfix command reports fatal errors only to syslog (none runs here) or
# to a terminal: on failure, repeat the command on a pseudo-terminal to show why.
postfix_failed() {
  cat "$1/$2.out" >&2
  if command -v script >/dev/null; then script -qec "postfix -c $1/etc $2" /dev/null >&2 || true; fi
  die "postfix $2 failed for $1/etc"
}

# make_instance NAME MYHOSTNAME ADDRESS MAIN_CF_EXTRA MASTER_CF_EXTRA
make_instance() {
  local name=$1 host=$2 addr=$3 extra_main=$4 extra_master=$5
  local base=$T/$name
  mkdir -p "$base/etc" "$base/spool" "$base/data"
  chown postfix "$base/data"   # data_directory belongs to mail_owner
  cat >"$base/etc/main.cf" <<EOF
# Postfix instance '$name' of tests/e2e/run_e2e.sh (temporary).
compatibility_level = 3.6
queue_directory = $base/spool
data_directory = $base/data
meta_directory = /etc/postfix
maillog_file = $T/logs/$name.log
maillog_file_prefixes = $T/logs
myhostname = $host
mydomain = ${host#*.}
myorigin = \$myhostname
# inet_interfaces must name an address configured on an interface (only
# 127.0.0.1 here); the listeners on other loopback addresses come from master.cf.
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_bind_address = $addr
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
alias_maps =
alias_database =
local_recipient_maps =
local_transport = discard
biff = no
smtpd_banner = \$myhostname ESMTP
smtp_helo_name = \$myhostname
# Retry in seconds, not minutes (the plaintext fallback waits for minimal_backoff_time).
minimal_backoff_time = 3s
maximal_backoff_time = 6s
queue_run_delay = 2s
smtp_connect_timeout = 10s
$extra_main
EOF
  printf '%s\n%s\n' "$MASTER_CF_BASE" "$extra_master" >"$base/etc/master.cf"
  INSTANCES+=("$base/etc")   # `postfix start` runs `postfix check` first
  postfix -c "$base/etc" start >"$base/start.out" 2>&1 9>&- || postfix_failed "$base" start
  local end=$((SECONDS + 20)) a
  while read -r a; do
    until ss -Hltn "src $a:25" | grep -q .; do
      ((SECONDS < end)) || die "instance $name does not listen on $a:25"
      sleep 0.1
    done
  done < <(awk '$2 == "inet" { split($1, p, ":"); print p[1] }' "$base/etc/master.cf")
  say "started Postfix instance $name ($host) with config $base/etc"
}

# Our server: only ECDHE ciphers, TLS >= 1.2, on STARTTLS and in its smtp client.
make_instance mx mx.test "$MX_IP" "
mydestination = mx.test, mx-quiet.test
smtpd_tls_security_level = may
smtpd_tls_cert_file = $T/tls/mx.crt
smtpd_tls_key_file = $T/tls/mx.key
smtpd_tls_loglevel = 1
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
smtpd_tls_mandatory_ciphers = high
tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tls_protocols = >=TLSv1.2
smtp_tls_ciphers = high
transport_maps = inline:{weak.test=smtp:[mail.weak.test]:25}
" "$MX_IP:25     inet  n       -       n       -       -       smtpd
$MX_QUIET_IP:25     inet  n       -       n       -       -       smtpd
  -o smtpd_tls_loglevel=0"

# The weak partner: RSA key exchange only, TLS <= 1.2.
make_instance weak mail.weak.test "$WEAK_IP" "
mydestination = weak.test, mail.weak.test
smtpd_tls_security_level = may
smtpd_tls_cert_file = $T/tls/weak.crt
smtpd_tls_key_file = $T/tls/weak.key
smtpd_tls_loglevel = 1
smtpd_tls_protocols = >=TLSv1, <=TLSv1.2
smtpd_tls_ciphers = medium
smtpd_tls_exclude_ciphers = kECDHE, kDHE
" "$WEAK_IP:25     inet  n       -       n       -       -       smtpd"

# The bank's Postfix: a sender only (no listener), RSA key exchange only, TLS <= 1.2.
make_instance bank mta.bank.test "$BANK_IP" "
mydestination =
relayhost = [mx.test]:25
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tls_protocols = >=TLSv1, <=TLSv1.2
smtp_tls_ciphers = medium
smtp_tls_exclude_ciphers = kECDHE, kDHE
" ""

# Nothing that this run started may listen outside 127.0.0.0/8.
our_pids=()
for cfg in "${INSTANCES[@]}"; do
  our_pids+=("$(awk 'NR == 1 { print $1 }' "$(postconf -c "$cfg" -h queue_directory)/pid/master.pid")")
done
for pid in "${our_pids[@]}"; do
  bad=$(ss -Hltnp | grep -F "pid=$pid," | awk '{print $4}' | grep -Ev '^127\.' || true)
  [[ -z $bad ]] || die "a Postfix master of this run (pid $pid) listens outside loopback: $bad"
done

# ---------------------------------------------------------------- helpers --
MXLOG=$T/logs/mx.log
WEAKLOG=$T/logs/weak.log
BANKLOG=$T/logs/bank.log
re_ip() { printf '%s' "${1//./\\.}"; }
count_re() { grep -cE -- "$2" "$1" 2>/dev/null || true; }

# wait_count FILE REGEX N TIMEOUT WHAT: poll until FILE has >= N lines matching REGEX.
wait_count() {
  local file=$1 re=$2 n=$3 timeout=$4 what=$5 end=$((SECONDS + $4))
  until (($(count_re "$file" "$re") >= n)); do
    ((SECONDS < end)) || die "timeout (${timeout}s) waiting for $what: $n x /$re/ in $(basename "$file")"
    sleep 0.2
  done
}

# wait_sessions_closed FILE IP: every smtpd session of IP in FILE has its disconnect line.
wait_sessions_closed() {
  local file=$1 ip re
  ip=$(re_ip "$2")
  re="postfix/smtpd\[[0-9]+\]: connect from [^ ]+\[$ip\]"
  local end=$((SECONDS + 30)) c d
  while :; do
    c=$(count_re "$file" "$re")
    d=$(count_re "$file" "postfix/smtpd\[[0-9]+\]: disconnect from [^ ]+\[$ip\]")
    ((c > 0 && c == d)) && return 0
    ((SECONDS < end)) || die "timeout waiting for the smtpd sessions of $2 to end in $(basename "$file") ($c connects, $d disconnects)"
    sleep 0.2
  done
}

SWAKS_N=0
# swaks_run NAME CLIENT_IP SERVER RCPT MSGID [swaks options...]: one SMTP session; its
# exit status is not checked (failing STARTTLS is the point), the log is.
swaks_run() {
  local name=$1 ip=$2 server=$3 rcpt=$4 msgid=$5
  shift 5
  SWAKS_N=$((SWAKS_N + 1))
  local helo
  helo=$(printf '%s\n' "${HOSTS_LINES[@]}" | awk -v ip="$ip" '$1 == ip { print $2 }')
  swaks --server "$server" --port 25 --local-interface "$ip" --helo "$helo" \
    --from "noreply@${helo#*.}" --to "$rcpt" --timeout 20 \
    --header "Message-Id: <$msgid>" --header "Subject: pftls e2e $name" \
    --body "pftls e2e scenario $name" "$@" >"$T/swaks/$SWAKS_N-$name.out" 2>&1 9>&- || true
}
TLS_RSA_ONLY=(--tls --tls-protocol tlsv1_2 --tls-cipher AES256-SHA)

# -------------------------------------------------------------- scenarios --
# The two Postfix fallbacks take longest (they wait for minimal_backoff_time):
# queue both first, run the swaks scenarios meanwhile, then wait for them.
say "scenario postfix-sender: queueing a message at mta.bank.test for bank@mx.test"
sendmail -C "$T/bank/etc" -f alerts@bank.test -- bank@mx.test 9>&- <<EOF
From: Bank Alerts <alerts@bank.test>
To: <bank@mx.test>
Subject: pftls e2e postfix-sender: your authentication code
Message-ID: <code-4711@bank.test>

Your code is 4711.
EOF
say "scenario outbound-weak: queueing a message at mx.test for ap@weak.test"
sendmail -C "$T/mx/etc" -f ops@mx.test -- ap@weak.test 9>&- <<EOF
From: Ops <ops@mx.test>
To: <ap@weak.test>
Subject: pftls e2e outbound-weak: invoice
Message-ID: <invoice-42@mx.test>

Invoice 42.
EOF

re_failed='postfix/smtpd\[[0-9]+\]: SSL_accept error from [^ ]+\['
re_tls_ok='postfix/smtpd\[[0-9]+\]: [A-Za-z]+ TLS connection established from [^ ]+\['
re_client='postfix/smtpd\[[0-9]+\]: [0-9A-Za-z]+: client=[^ ]+\['

say "scenario amex: RSA-only cipher over TLS 1.2 fails, same message in plaintext"
swaks_run amex 127.0.0.11 mx.test amex@mx.test code-1@welcome.amex.test "${TLS_RSA_ONLY[@]}"
wait_count "$MXLOG" "$re_failed$(re_ip 127.0.0.11)\]" 1 20 "amex: SSL_accept error"
swaks_run amex 127.0.0.11 mx.test amex@mx.test code-1@welcome.amex.test
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.11)\]" 1 20 "amex: plaintext client= line"
wait_sessions_closed "$MXLOG" 127.0.0.11

say "scenario tls-retry: RSA-only cipher fails, then the same message over TLS 1.3"
swaks_run tls-retry 127.0.0.13 mx.test retry@mx.test retry-1@retry.test "${TLS_RSA_ONLY[@]}"
wait_count "$MXLOG" "$re_failed$(re_ip 127.0.0.13)\]" 1 20 "tls-retry: SSL_accept error"
swaks_run tls-retry 127.0.0.13 mx.test retry@mx.test retry-1@retry.test --tls
wait_count "$MXLOG" "$re_tls_ok$(re_ip 127.0.0.13)\]" 1 20 "tls-retry: TLS connection established"
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.13)\]" 1 20 "tls-retry: client= line"
wait_sessions_closed "$MXLOG" 127.0.0.13

say "scenario gave-up: RSA-only cipher fails, the client never comes back"
swaks_run gave-up 127.0.0.14 mx.test giveup@mx.test giveup-1@giveup.test "${TLS_RSA_ONLY[@]}"
wait_count "$MXLOG" "$re_failed$(re_ip 127.0.0.14)\]" 1 20 "gave-up: SSL_accept error"
wait_sessions_closed "$MXLOG" 127.0.0.14

say "scenario plaintext-only: a client that never sends STARTTLS"
swaks_run plaintext-only 127.0.0.15 mx.test plain@mx.test plain-1@plain.test
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.15)\]" 1 20 "plaintext-only: client= line"
wait_sessions_closed "$MXLOG" 127.0.0.15

say "scenario tls-ok-loglevel1: normal TLS delivery to the loglevel-1 listener"
swaks_run tls-ok-loglevel1 127.0.0.16 mx.test good@mx.test good-1@good.test --tls
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.16)\]" 1 20 "tls-ok-loglevel1: client= line"
wait_sessions_closed "$MXLOG" 127.0.0.16

say "scenario tls-ok-loglevel0: normal TLS delivery to the loglevel-0 listener"
swaks_run tls-ok-loglevel0 127.0.0.17 mx-quiet.test quiet@mx-quiet.test quiet-1@quiet.test --tls
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.17)\]" 1 20 "tls-ok-loglevel0: client= line"
wait_sessions_closed "$MXLOG" 127.0.0.17

say "scenario tls10-then-plain: a TLS 1.0-only client fails, same message in plaintext"
swaks_run tls10-then-plain 127.0.0.18 mx.test legacy@mx.test legacy-1@legacy.test \
  --tls --tls-protocol tlsv1 --tls-cipher 'DEFAULT:@SECLEVEL=0'
wait_count "$MXLOG" "$re_failed$(re_ip 127.0.0.18)\]" 1 20 "tls10-then-plain: SSL_accept error"
swaks_run tls10-then-plain 127.0.0.18 mx.test legacy@mx.test legacy-1@legacy.test
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.18)\]" 1 20 "tls10-then-plain: plaintext client= line"
wait_sessions_closed "$MXLOG" 127.0.0.18

say "scenario quiet-downgrade: RSA-only cipher fails at the loglevel-0 listener, same message in plaintext"
swaks_run quiet-downgrade 127.0.0.20 mx-quiet.test quietfail@mx-quiet.test quietfail-1@quietfail.test "${TLS_RSA_ONLY[@]}"
wait_count "$MXLOG" "$re_failed$(re_ip 127.0.0.20)\]" 1 20 "quiet-downgrade: SSL_accept error"
swaks_run quiet-downgrade 127.0.0.20 mx-quiet.test quietfail@mx-quiet.test quietfail-1@quietfail.test
wait_count "$MXLOG" "$re_client$(re_ip 127.0.0.20)\]" 1 20 "quiet-downgrade: plaintext client= line"
wait_sessions_closed "$MXLOG" 127.0.0.20

say "waiting for the Postfix fallbacks (postfix-sender, outbound-weak)"
wait_count "$BANKLOG" 'postfix/smtp\[[0-9]+\]: [0-9A-Za-z]+: Cannot start TLS: handshake failure$' 1 90 "postfix-sender: the plaintext fallback"
wait_count "$BANKLOG" 'to=<bank@mx\.test>.* status=sent ' 1 30 "postfix-sender: status=sent"
wait_count "$MXLOG" 'postfix/smtp\[[0-9]+\]: [0-9A-Za-z]+: Cannot start TLS: handshake failure$' 1 90 "outbound-weak: the plaintext fallback"
wait_count "$MXLOG" 'to=<ap@weak\.test>.* status=sent ' 1 30 "outbound-weak: status=sent"
wait_sessions_closed "$MXLOG" "$BANK_IP"
wait_sessions_closed "$WEAKLOG" "$MX_IP"

# Quiesce: every queue empty (local deliveries logged) before pftls reads the logs.
for cfg in "${INSTANCES[@]}"; do
  end=$((SECONDS + 30))
  until postqueue -c "$cfg" -p 2>/dev/null | grep -q 'Mail queue is empty'; do
    ((SECONDS < end)) || die "the queue of $cfg does not drain"
    sleep 0.2
  done
done
say "all scenarios done; stopping the Postfix instances"
for cfg in "${INSTANCES[@]}"; do
  postfix -c "$cfg" stop >/dev/null 2>&1 || die "postfix -c $cfg stop failed"
done
for cfg in "${INSTANCES[@]}"; do
  ! instance_running "$cfg" || die "instance $cfg still running after postfix stop"
done
INSTANCES=()
left=$(wait_processes_gone "$T" 10) || die "Postfix processes of this run still running after postfix stop: pids $left"
sleep 0.2 # postlogd writes the last lines as it exits

LOGS=(mx weak bank)
for l in "${LOGS[@]}"; do
  say "log $l.log: $(wc -l <"$T/logs/$l.log") lines"
done

# ---------------------------------------------------------------- capture --
if [[ -n $CAPTURE_DIR ]]; then
  cp "$MXLOG" "$CAPTURE_DIR/mx.test.log"
  cp "$WEAKLOG" "$CAPTURE_DIR/mail.weak.test.log"
  cp "$BANKLOG" "$CAPTURE_DIR/mta.bank.test.log"
  cp "$SCENARIOS" "$CAPTURE_DIR/scenarios.tsv"
  {
    echo "produced_by: tests/e2e/run_e2e.sh --capture"
    echo "date_utc: $RUN_DATE"
    echo "year: $YEAR"
    echo "timezone_of_the_logs: UTC"
    echo "postfix: $POSTFIX_VERSION (postconf -d mail_version), Debian package $(dpkg-query -W -f='${Version}' postfix)"
    echo "openssl: $OPENSSL_VERSION"
    echo "swaks: $(dpkg-query -W -f='${Version}' swaks)"
    echo "os: $(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)"
  } >"$CAPTURE_DIR/capture.txt"
  # No name of this machine may leak into the samples.
  for n in "$(hostname)" "$(hostname -f 2>/dev/null || true)"; do
    [[ -n $n ]] || continue
    if grep -qwF -- "$n" "$CAPTURE_DIR"/*.log; then
      die "the machine's host name '$n' appears in the captured logs"
    fi
  done
  say "captured the logs into $CAPTURE_DIR"
fi

print_logs() {
  local l
  for l in "${LOGS[@]}"; do
    echo "===== $l.log ($T/logs/$l.log) ====="
    cat "$T/logs/$l.log"
  done
}

if ((LOGS_ONLY)); then
  print_logs
  say "--logs-only: nothing asserted"
  exit 0
fi

# ------------------------------------------------------------- assertions --
CSV_HEADER='incident_id,kind,confidence,client_ip,client_name,failure_at,failure_reason,failed_attempts,plaintext_at,gap_seconds,queue_id,message_id,sender,recipients,mx_host,matched_by,failure_host'

# RFC 4180 CSV (quoted fields, doubled quotes, quoted line breaks) to records of
# kind, client_ip, client_name, failure_reason, confidence separated by US (\037):
# unlike a tab, it is not IFS white space, so empty fields survive `read`.
US=$'\037'
csv_to_tsv() {
  awk '
    function parse(rec,    i, c, n, field, inq) {
      n = 0; field = ""; inq = 0
      for (i = 1; i <= length(rec); i++) {
        c = substr(rec, i, 1)
        if (inq) {
          if (c == "\"") {
            if (substr(rec, i + 1, 1) == "\"") { field = field "\""; i++ } else inq = 0
          } else field = field c
        } else if (c == "\"") inq = 1
        else if (c == ",") { f[++n] = field; field = "" }
        else if (c != "\r") field = field c
      }
      f[++n] = field
      return n
    }
    function quotes(s,    t) { t = s; return gsub(/"/, "", t) }
    {
      rec = (pending == "") ? $0 : pending "\n" $0
      if (quotes(rec) % 2) { pending = rec; next }
      pending = ""
      nrec++
      if (nrec == 1) next                      # header, checked separately
      delete f
      n = parse(rec)
      if (n != 17) { printf "BADROW\037%d fields: %s\n", n, rec; next }
      printf "%s\037%s\037%s\037%s\037%s\n", f[2], f[4], f[5], f[7], f[3]
    }
    END { if (pending != "") print "BADROW\037unterminated quoted field" }'
}

FAILURES=0
fail() { printf '  FAIL: %s\n' "$*" >&2; FAILURES=$((FAILURES + 1)); }

# Kinds that only rows of not-yet-asserted issues expect: ignored in pftls's output.
declare -A ASSERTED_KIND=() DEFERRED_KIND=()
while IFS=$'\t' read -r _ _ _ _ kind _ since _; do
  [[ $kind == none ]] && continue
  if [[ $ENABLED_SINCE == *" $since "* ]]; then ASSERTED_KIND[$kind]=1; else DEFERRED_KIND[$kind]=1; fi
done < <(grep -v '^#' "$SCENARIOS" | grep -v '^[[:space:]]*$')
for k in "${!ASSERTED_KIND[@]}"; do unset "DEFERRED_KIND[$k]"; done

# pftls_incidents LABEL FILE: ingest FILE into a fresh database, export the incidents CSV.
pftls_incidents() {
  local label=$1 file=$2 db=$T/pftls/$1.db rc=0
  "$PFTLS" ingest --verbose --db "$db" --tz UTC --year "$YEAR" "$file" \
    >"$T/pftls/$label.ingest.out" 2>"$T/pftls/$label.ingest.err" || rc=$?
  if ((rc != 0)); then
    fail "pftls ingest $label exited $rc: $(tail -n 3 "$T/pftls/$label.ingest.err")"
    return 1
  fi
  say "pftls ingest $label: $(tail -n 1 "$T/pftls/$label.ingest.err")"
  "$PFTLS" export incidents --db "$db" >"$T/pftls/$label.csv" 2>"$T/pftls/$label.export.err" || rc=$?
  if ((rc != 0)); then
    fail "pftls export incidents $label exited $rc: $(tail -n 3 "$T/pftls/$label.export.err")"
    return 1
  fi
  local header
  header=$(head -n 1 "$T/pftls/$label.csv" | tr -d '\r')
  [[ $header == "$CSV_HEADER" ]] || { fail "$label: CSV header is '$header'"; return 1; }
  return 0
}

# check_log LOG LABEL: compare pftls's incidents for one log with scenarios.tsv.
check_log() {
  local log=$1 label=$2 csv=$T/pftls/$2.csv
  local -A exp=() act=() ignored=()
  local kind ip name reason conf key
  while IFS=$US read -r kind ip name reason conf; do
    if [[ $kind == BADROW ]]; then fail "$label: malformed CSV row: $ip"; continue; fi
    if [[ -n ${DEFERRED_KIND[$kind]:-} ]]; then ignored[$kind|$ip]=$((${ignored[$kind|$ip]:-0} + 1)); continue; fi
    act[$kind|$ip]=$((${act[$kind|$ip]:-0} + 1))
  done < <(csv_to_tsv <"$csv")

  local scen rlog rip rname rkind rcount rsince rreason rconf got
  while IFS=$'\t' read -r scen rlog rip rname rkind rcount rsince rreason rconf _; do
    [[ $rlog == "$log" && $ENABLED_SINCE == *" $rsince "* ]] || continue
    if [[ $rkind != none ]]; then exp[$rkind|$rip]=$rcount; fi
    # What pftls said about this address, all asserted kinds together.
    got=$(for key in "${!act[@]}"; do
      if [[ $key == *"|$rip" ]]; then printf '%s x%s ' "${key%%|*}" "${act[$key]}"; fi
    done)
    if [[ $rkind == none ]]; then
      if [[ -z $got ]]; then printf '  ok    %-18s %-5s %-11s expected none, got none\n' "$scen" "$log" "$rip" >&2
      else fail "$label: scenario $scen ($rip): expected no incident, got ${got% }"; fi
      continue
    fi
    if [[ ${act[$rkind|$rip]:-0} -eq $rcount ]]; then
      printf '  ok    %-18s %-5s %-11s expected %s x%s, got %s\n' "$scen" "$log" "$rip" "$rkind" "$rcount" "${got% }" >&2
    else
      fail "$label: scenario $scen ($rip): expected $rkind x$rcount, got ${got:+${got% }}${got:-none}"
    fi
    # Field checks on every incident of that (kind, ip).
    while IFS=$US read -r kind ip name reason conf; do
      [[ $kind == "$rkind" && $ip == "$rip" ]] || continue
      [[ $rname == - || $name == "$rname" ]] || fail "$label: scenario $scen: client_name '$name', expected '$rname'"
      [[ $rreason == - || $reason == "$rreason" ]] || fail "$label: scenario $scen: failure_reason '$reason', expected '$rreason'"
      [[ $rconf == - || $conf == "$rconf" ]] || fail "$label: scenario $scen: confidence '$conf', expected '$rconf'"
    done < <(csv_to_tsv <"$csv")
  done < <(grep -v '^#' "$SCENARIOS" | grep -v '^[[:space:]]*$')

  # No more: any incident that no row expects.
  for key in "${!act[@]}"; do
    [[ -n ${exp[$key]:-} ]] || fail "$label: unexpected incident(s): ${key%%|*} for ${key#*|} x${act[$key]}"
  done
  for key in "${!ignored[@]}"; do
    say "  $label: not asserted (--assert $ASSERT): ${key%%|*} for ${key#*|} x${ignored[$key]}"
  done
}

deferred_kinds="${!DEFERRED_KIND[*]}"
say "assertions (--assert $ASSERT; asserted kinds: ${!ASSERTED_KIND[*]}; not asserted: ${deferred_kinds:-none})"
for l in "${LOGS[@]}"; do
  file=$T/logs/$l.log
  gz=$T/pftls/$l.log.gz
  gzip -9c "$file" >"$gz"
  if pftls_incidents "$l.log" "$file"; then check_log "$l" "$l.log"; fi
  if pftls_incidents "$l.log.gz" "$gz"; then
    check_log "$l" "$l.log.gz"
    if [[ -f $T/pftls/$l.log.csv ]] && ! cmp -s "$T/pftls/$l.log.csv" "$T/pftls/$l.log.gz.csv"; then
      fail "$l: the incidents from the .gz copy differ from those of the plain log"
      diff "$T/pftls/$l.log.csv" "$T/pftls/$l.log.gz.csv" >&2 || true
    fi
  fi
done

# ------------------------------------------------------------------ whatif --
# pftls whatif against the real change it predicts: a permissive receiver
# (TLS 1.0 to 1.3, every cipher down to RSA key exchange) sees five clients;
# whatif judges them under the stricter policy; the receiver then takes that
# policy (reload) and the clients come again. Every client that now fails
# must have been at-risk or failing, and no ok client may fail.
WHATIF_PROTOCOLS='>=TLSv1.2'
WHATIF_CIPHERS='ECDHE+AESGCM:!aNULL'
POLICY_IP=127.0.0.40
declare -A WHATIF_CLIENT=(
  [127.0.0.41]="--tls --tls-protocol tlsv1 --tls-cipher DEFAULT:@SECLEVEL=0"
  [127.0.0.42]="--tls --tls-protocol tlsv1_2 --tls-cipher AES256-SHA"
  [127.0.0.43]="--tls --tls-protocol tlsv1_2 --tls-cipher ECDHE-RSA-AES256-GCM-SHA384"
  [127.0.0.44]="--tls"
  [127.0.0.45]=""
)
POLICYLOG=$T/logs/policy.log
make_cert policy policy.test
make_instance policy policy.test "$POLICY_IP" "
mydestination = policy.test
smtpd_tls_security_level = may
smtpd_tls_cert_file = $T/tls/policy.crt
smtpd_tls_key_file = $T/tls/policy.key
smtpd_tls_loglevel = 1
smtpd_tls_protocols = >=TLSv1
smtpd_tls_mandatory_protocols = >=TLSv1
smtpd_tls_ciphers = medium
tls_medium_cipherlist = ALL:!aNULL:!eNULL:@SECLEVEL=0
" "$POLICY_IP:25     inet  n       -       n       -       -       smtpd"

# whatif_round N: each client sends one message; wait for all sessions to end.
whatif_round() {
  local ip opts
  for ip in "${!WHATIF_CLIENT[@]}"; do
    read -r -a opts <<<"${WHATIF_CLIENT[$ip]}"
    swaks_run "whatif-$1" "$ip" policy.test "r$1@policy.test" "whatif-$1-$ip@whatif.test" "${opts[@]}"
  done
  for ip in "${!WHATIF_CLIENT[@]}"; do wait_sessions_closed "$POLICYLOG" "$ip"; done
}
say "whatif: round 1 under the permissive policy"
whatif_round 1
wait_count "$POLICYLOG" "$re_client" "${#WHATIF_CLIENT[@]}" 20 "whatif: every client delivered in round 1"
cp "$POLICYLOG" "$T/pftls/policy-before.log"
"$PFTLS" ingest --db "$T/pftls/whatif.db" --tz UTC --year "$YEAR" "$T/pftls/policy-before.log" \
  >/dev/null 2>"$T/pftls/whatif.ingest.err" || die "whatif: ingest failed: $(tail -n 3 "$T/pftls/whatif.ingest.err")"
"$PFTLS" whatif --db "$T/pftls/whatif.db" --protocols "$WHATIF_PROTOCOLS" --ciphers "$WHATIF_CIPHERS" \
  --format csv >"$T/pftls/whatif.csv" 2>"$T/pftls/whatif.err" || die "whatif failed: $(cat "$T/pftls/whatif.err")"
declare -A VERDICT=()
while IFS=, read -r ip _ verdict _; do VERDICT[$ip]=$verdict; done < <(tail -n +2 "$T/pftls/whatif.csv" | tr -d '\r')
say "whatif --protocols '$WHATIF_PROTOCOLS' --ciphers '$WHATIF_CIPHERS':"
sed 's/^/    /' "$T/pftls/whatif.csv" | tr -d '\r' >&2

say "whatif: the receiver takes that policy; round 2"
postconf -c "$T/policy/etc" -e "smtpd_tls_protocols = $WHATIF_PROTOCOLS" \
  "smtpd_tls_mandatory_protocols = $WHATIF_PROTOCOLS" "smtpd_tls_ciphers = high" \
  "tls_high_cipherlist = $WHATIF_CIPHERS" || die "postconf failed"
postfix -c "$T/policy/etc" reload >/dev/null 2>&1 9>&- || die "postfix reload failed"
round2_from=$(($(wc -l <"$POLICYLOG") + 1))
sleep 1 # the master restarts its smtpd processes with the new main.cf
whatif_round 2
tail -n +"$round2_from" "$POLICYLOG" >"$T/pftls/policy-after.log"
for ip in "${!WHATIF_CLIENT[@]}"; do
  v=${VERDICT[$ip]:-none}
  failed=no
  if (($(count_re "$T/pftls/policy-after.log" "$re_failed$(re_ip "$ip")\]") > 0)) ||
    (($(count_re "$T/pftls/policy-after.log" "$re_client$(re_ip "$ip")\]") == 0)); then
    failed=yes
  fi
  printf '  %-4s  %-11s whatif said %-9s now fails: %s\n' "$([[ $failed == yes && $v != at-risk && $v != failing ]] && echo FAIL || echo ok)" "$ip" "$v" "$failed" >&2
  if [[ $failed == yes && $v != at-risk && $v != failing ]]; then
    fail "whatif: $ip fails under the new policy but was judged '$v'"
  fi
done
# What the clients are known to do: the TLS 1.0 and RSA-only ones at risk
# (and failing now), the ECDHE and TLS 1.3 ones ok, the plaintext one plaintext.
for pair in 127.0.0.41=at-risk 127.0.0.42=at-risk 127.0.0.43=ok 127.0.0.44=ok 127.0.0.45=plaintext; do
  [[ ${VERDICT[${pair%=*}]:-none} == "${pair#*=}" ]] || fail "whatif: ${pair%=*} judged '${VERDICT[${pair%=*}]:-none}', expected ${pair#*=}"
done
postfix -c "$T/policy/etc" stop >/dev/null 2>&1 9>&- || die "postfix -c $T/policy/etc stop failed"
INSTANCES=()
if [[ -n $CAPTURE_DIR ]]; then
  cp "$T/pftls/policy-before.log" "$CAPTURE_DIR/policy.test.before.log"
  cp "$T/pftls/policy-after.log" "$CAPTURE_DIR/policy.test.after.log"
fi

if ((FAILURES)); then
  for l in "${LOGS[@]}"; do
    [[ -f $T/pftls/$l.log.csv ]] || continue
    echo "===== pftls export incidents, $l.log ====="
    cat "$T/pftls/$l.log.csv"
  done >&2
  print_logs >&2
  die "$FAILURES expectation(s) not met"
fi
say "all expectations met"
