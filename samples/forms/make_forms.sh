#!/usr/bin/env bash
# make_forms.sh: rewrites a Postfix log in RFC 3164 form (syslog's or
# maillog_file's: `Mon DD HH:MM:SS host program[pid]: message`, yearless)
# into every log form pftls reads. The outputs are committed; run it again
# after changing the source log or this script:
#
#   bash samples/forms/make_forms.sh [OPTIONS] [SOURCE YEAR ZONE OUTDIR]
#
# SOURCE is read with YEAR as the year of its first line (advancing when the
# month goes backwards) and its timestamps in the IANA zone ZONE. Without
# them: samples/sessions/mail.log, 2026, UTC, into this folder (the
# committed samples/forms/). samples/forms-real/README.md has the command
# that writes samples/forms-real/ from a real Postfix capture.
#
# Options:
#   --bytes TEXT        in json.log, Postfix messages containing TEXT are
#                       written as arrays of byte values (repeatable; without
#                       it, those of samples/sessions, see the README)
#   --instances in      syslog-name.log: every line as postfix-in (default)
#   --instances in-out  syslog-name.log: an inbound instance postfix-in and an
#                       outbound instance postfix-out (smtp/lmtp lines and the
#                       other lines of the queue ids they deliver: postfix-out;
#                       smtpd lines and the rest: postfix-in)
#   --second-host NAME  two-hosts.log: the name of the second host (mx2)
#
# Every output holds the same Postfix lines (same host, program, pid,
# message) at the same UTC instants, so each gives the incidents of SOURCE.
# Yearless forms are written in ZONE (ingest them as SOURCE: --year YEAR
# --tz ZONE). Fractions of seconds are made up (increasing within a second,
# never crossing it). Deterministic: same input, same bytes. Needs bash and
# python3 only.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python3 - "$here" "$@" <<'PY'
import argparse, json, re, sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

here = sys.argv[1]
ap = argparse.ArgumentParser(prog="make_forms.sh")
ap.add_argument("--bytes", action="append", dest="as_bytes")
ap.add_argument("--instances", choices=("in", "in-out"), default="in")
ap.add_argument("--second-host", default="mx2")
ap.add_argument("rest", nargs="*", metavar="SOURCE YEAR ZONE OUTDIR")
args = ap.parse_args(sys.argv[2:])
if args.rest and len(args.rest) != 4:
    ap.error("give all of SOURCE YEAR ZONE OUTDIR, or none")
src, year, zone, out = args.rest or (f"{here}/../sessions/mail.log", "2026", "UTC", here)
YEAR, ZONE = int(year), ZoneInfo(zone)

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
lines = open(src, encoding="utf-8").read().splitlines()

# Seconds of the source with their number of lines: the fractions of one
# second are spread over it (a tenth apart up to 10 lines, closer beyond).
def source_second(line, y):
    mon, day, hms = MONTHS.index(line[:3]) + 1, int(line[4:6]), line[7:15]
    h, m, s = map(int, hms.split(":"))
    # fold=0: a repeated hour (end of DST) takes the earlier offset, as pftls does.
    return datetime(y, mon, day, h, m, s, tzinfo=ZONE).astimezone(timezone.utc), mon

rows = []  # (utc datetime with fraction, host, program, pid, message)
wholes, y, prev_mon = [], YEAR, None
for line in lines:
    whole, mon = source_second(line, y)
    if prev_mon is not None and mon < prev_mon:  # Dec -> Jan
        y += 1
        whole, mon = source_second(line, y)
    prev_mon = mon
    wholes.append(whole)
per_second = {}
for w in wholes:
    per_second[w] = per_second.get(w, 0) + 1
prev_second, k = None, 0
for line, whole in zip(lines, wholes):
    k = k + 1 if whole == prev_second else 0
    prev_second = whole
    step = 100000 if per_second[whole] <= 10 else 1000000 // per_second[whole]
    frac = step * k + (len(rows) * 7919) % step  # < 1 s: at most step * n - 1
    host, rest = line[16:].split(" ", 1)
    tag, message = rest.split(": ", 1)
    program, pid = tag[:-1].split("[")
    rows.append((whole + timedelta(microseconds=frac), host, program, int(pid), message))

def write(name, text_lines):
    with open(f"{out}/{name}", "w", encoding="utf-8", newline="\n") as f:
        for l in text_lines:
            f.write(l + "\n")

def syslog(stamp, host, program, pid, message):
    return f"{stamp} {host} {program}[{pid}]: {message}"

def rfc3164(t):
    local = t.astimezone(ZONE)
    return f"{MONTHS[local.month - 1]} {local.day:2d} {local:%H:%M:%S}"  # space-padded day

def yearless(t, precise):
    local = t.astimezone(ZONE)
    stamp = f"{MONTHS[local.month - 1]} {local.day:02d} {local:%H:%M:%S}"  # zero-padded day
    return stamp + (f".{t.microsecond:06d}" if precise else "")

def iso(t, tz, precise, colon):
    local = t.astimezone(tz)
    off = local.strftime("%z")  # +0100
    if colon:
        off = off[:3] + ":" + off[3:]
    return f"{local:%Y-%m-%dT%H:%M:%S}" + (f".{t.microsecond:06d}" if precise else "") + off

# RFC 3164 as syslog writes it (space-padded day), in ZONE.
write("rfc3164.log", [syslog(rfc3164(t), h, p, i, m) for t, h, p, i, m in rows])
# Postfix maillog_file (postlogd) and journalctl -o short (TZ=ZONE): zero-padded day.
write("maillog_file.log", [syslog(yearless(t, False), h, p, i, m) for t, h, p, i, m in rows])
# journalctl -o short-precise (TZ=ZONE), after a boot marker line.
write("short-precise.log",
      ["-- Boot 5e1f0c2d3b4a49586776a5b4c3d2e1f0 --"] +
      [syslog(yearless(t, True), h, p, i, m) for t, h, p, i, m in rows])
# rsyslog RSYSLOG_FileFormat (Debian 12's default), written at +01:00.
write("rfc3339.log", [syslog(iso(t, timezone(timedelta(hours=1)), True, True), h, p, i, m)
                      for t, h, p, i, m in rows])
# journalctl -o short-iso (TZ=Europe/Berlin), offset without colon.
write("short-iso.log", [syslog(iso(t, ZoneInfo("Europe/Berlin"), False, False), h, p, i, m)
                        for t, h, p, i, m in rows])
# journalctl -o short-iso-precise (TZ=America/New_York).
write("short-iso-precise.log", [syslog(iso(t, ZoneInfo("America/New_York"), True, False), h, p, i, m)
                                for t, h, p, i, m in rows])

# Another Postfix instance (postmulti): syslog_name = postfix-in, and with
# --instances in-out also an outbound instance postfix-out.
QUEUE_ID = re.compile(r"^([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}):")
OUT_SERVICES = ("smtp", "lmtp")
def service(program):
    return program.rsplit("/", 1)[1]
def queue_id(message):
    q = QUEUE_ID.match(message)
    return q and q.group(1)
out_ids = {queue_id(m) for _, _, p, _, m in rows if service(p) in OUT_SERVICES} - {None}
def instance(program, message):
    if args.instances == "in" or service(program) == "smtpd":
        return "postfix-in"
    if service(program) in OUT_SERVICES or queue_id(message) in out_ids:
        return "postfix-out"
    return "postfix-in"
write("syslog-name.log",
      [syslog(rfc3164(t), h, p.replace("postfix/", instance(p, m) + "/", 1), i, m) for t, h, p, i, m in rows])
# Central log host: the source's host and a copy of it as a second host (same
# pids, same queue ids), interleaved line by line.
two = []
for t, h, p, i, m in rows:
    two.append(syslog(rfc3164(t), h, p, i, m))
    two.append(syslog(rfc3164(t), args.second_host, p, i, m))
write("two-hosts.log", two)

# journalctl -o json. Field order and values as systemd 252 (Debian 12)
# writes a syslog-transport entry; cursors, ids and hashes are made up.
SEQNUM_ID = "8d2f6a1c0b3e4f5a9c7d6e5f4a3b2c1d"
BOOT_ID = "5e1f0c2d3b4a49586776a5b4c3d2e1f0"
MACHINE_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
BOOT_AT = rows[0][0].replace(microsecond=0) - timedelta(seconds=31)
# Postfix messages written as arrays of byte values. journalctl does that
# only for text that is not valid UTF-8; these are plain ASCII (so the
# incidents stay those of the source) and check the decoding. The default:
# samples/sessions's, the message-id and a recipient of its incident included.
AS_BYTES = tuple(args.as_bytes or
                 ("TLS library problem", "message-id=<otp-4711@bank.example>", "to=<=cmd@mx1.example>"))
seq = [0x1a2b0]

def usec(t):
    return (t - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)

def entry(t, fields):
    seq[0] += 1
    rt, mono = usec(t), usec(t) - usec(BOOT_AT)
    cursor = (f"s={SEQNUM_ID};i={seq[0]:x};b={BOOT_ID};m={mono:x};t={rt:x};"
              f"x={(rt * 2654435761 ^ seq[0]) & 0xffffffffffffffff:x}")
    e = {"__CURSOR": cursor, "__REALTIME_TIMESTAMP": str(rt), "__MONOTONIC_TIMESTAMP": str(mono),
         "_BOOT_ID": BOOT_ID}
    e.update(fields)
    return json.dumps(e, ensure_ascii=False, separators=(",", ":"))

def syslog_fields(t, host, program, pid, message, uid):
    comm = service(program)[:15]
    exe = f"/usr/lib/postfix/sbin/{comm}"
    if comm == "postfix-script":  # a shell script: it logs through postlog
        comm, exe = "postlog", "/usr/sbin/postlog"
    local = t.astimezone(ZONE)
    f = {"_UID": str(uid), "_GID": str(uid and 113), "_MACHINE_ID": MACHINE_ID, "_HOSTNAME": host,
         "_SYSTEMD_SLICE": "system-postfix.slice",
         "PRIORITY": "4" if message.startswith("warning:") else "6", "SYSLOG_FACILITY": "2",
         "_TRANSPORT": "syslog", "_CAP_EFFECTIVE": "0", "SYSLOG_IDENTIFIER": program,
         "SYSLOG_TIMESTAMP": f"{MONTHS[local.month - 1]} {local.day:2d} {local:%H:%M:%S} ", "_COMM": comm,
         "_EXE": exe,
         "_SYSTEMD_CGROUP": "/system.slice/system-postfix.slice/postfix@-.service",
         "_SYSTEMD_UNIT": "postfix@-.service",
         "_SYSTEMD_INVOCATION_ID": "3f2e1d0c9b8a79685746352413020100",
         "SYSLOG_PID": str(pid), "_PID": str(pid)}
    if any(s in message for s in AS_BYTES):
        f["MESSAGE"] = list(message.encode("utf-8"))
    else:
        f["MESSAGE"] = message
    f["_SOURCE_REALTIME_TIMESTAMP"] = str(usec(t) - 37)
    return f

js = [entry(rows[0][0] - timedelta(seconds=1), {
    "_UID": "0", "_GID": "0", "_MACHINE_ID": MACHINE_ID, "_HOSTNAME": rows[0][1], "PRIORITY": "6",
    "SYSLOG_FACILITY": "3", "_TRANSPORT": "journal", "SYSLOG_IDENTIFIER": "systemd", "_PID": "1",
    "_COMM": "systemd", "UNIT": "postfix@-.service",
    "MESSAGE": "Starting postfix@-.service - Postfix Mail Transport Agent (instance -)..."})]
for n, (t, h, p, i, m) in enumerate(rows):
    root = service(p) in ("master", "postfix-script")
    js.append(entry(t, syslog_fields(t, h, p, i, m, 0 if root else 106)))
    if n == 20:
        # Another program whose message is not valid UTF-8 (bytes FF FE and a NUL).
        bad = b"Invalid user \xff\xfeadmin\x00 from 203.0.113.99 port 51234"
        js.append(entry(t, {"_UID": "0", "_GID": "0", "_MACHINE_ID": MACHINE_ID, "_HOSTNAME": h,
                            "PRIORITY": "6", "SYSLOG_FACILITY": "4", "_TRANSPORT": "syslog",
                            "SYSLOG_IDENTIFIER": "sshd", "SYSLOG_PID": "4242", "_PID": "4242",
                            "_COMM": "sshd", "MESSAGE": list(bad)}))
    if n == 30:
        # An entry without SYSLOG_IDENTIFIER (kernel audit).
        js.append(entry(t, {"_MACHINE_ID": MACHINE_ID, "_HOSTNAME": h, "_TRANSPORT": "audit",
                            "_AUDIT_TYPE": "1131", "MESSAGE": "SERVICE_STOP pid=1 uid=0 msg='unit=x'"}))
write("json.log", js)
PY
