#!/usr/bin/env bash
# make_forms.sh: rewrites samples/sessions/mail.log (RFC 3164, year 2026,
# UTC) into every log form pftls reads, into this folder. The outputs are
# committed; run it again after changing the source log or this script:
#
#   bash samples/forms/make_forms.sh
#
# Every output holds the same Postfix lines (same host, program, pid,
# message) at the same UTC instants, so each gives the incidents of
# samples/sessions (tests/golden/expected/sessions.incidents.csv). Fractions
# of seconds are made up (increasing within a second, never crossing it).
# Deterministic: same input, same bytes. Needs bash and python3 only.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/../sessions/mail.log
python3 - "$src" "$here" <<'PY'
import json, sys
from datetime import datetime, timedelta, timezone

src, out = sys.argv[1], sys.argv[2]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
YEAR = 2026
lines = open(src, encoding="utf-8").read().splitlines()

rows = []  # (utc datetime with fraction, host, program, pid, message, original)
prev_second, k = None, 0
for line in lines:
    mon, day, hms, host, rest = line[:3], line[4:6], line[7:15], *line[16:].split(" ", 1)
    h, m, s = map(int, hms.split(":"))
    whole = datetime(YEAR, MONTHS.index(mon) + 1, int(day), h, m, s, tzinfo=timezone.utc)
    k = k + 1 if whole == prev_second else 0
    prev_second = whole
    frac = 100000 * k + (len(rows) * 7919) % 100000  # < 1 s for up to 10 lines a second
    tag, message = rest.split(": ", 1)
    program, pid = tag[:-1].split("[")
    rows.append((whole + timedelta(microseconds=frac), host, program, int(pid), message, line))

def write(name, text_lines):
    with open(f"{out}/{name}", "w", encoding="utf-8", newline="\n") as f:
        for l in text_lines:
            f.write(l + "\n")

def syslog(stamp, host, program, pid, message):
    return f"{stamp} {host} {program}[{pid}]: {message}"

def yearless(t, precise):
    stamp = f"{MONTHS[t.month - 1]} {t.day:02d} {t:%H:%M:%S}"  # zero-padded day
    return stamp + (f".{t.microsecond:06d}" if precise else "")

def iso(t, offset_hours, precise, colon):
    local = t.astimezone(timezone(timedelta(hours=offset_hours)))
    off = f"{'+' if offset_hours >= 0 else '-'}{abs(offset_hours):02d}"
    off += ":00" if colon else "00"
    return f"{local:%Y-%m-%dT%H:%M:%S}" + (f".{t.microsecond:06d}" if precise else "") + off

# RFC 3164 as syslog writes it (space-padded day): the source itself.
write("rfc3164.log", [r[5] for r in rows])
# Postfix maillog_file (postlogd) and journalctl -o short (TZ=UTC): zero-padded day.
write("maillog_file.log", [syslog(yearless(t, False), h, p, i, m) for t, h, p, i, m, _ in rows])
# journalctl -o short-precise (TZ=UTC), after a boot marker line.
write("short-precise.log",
      ["-- Boot 5e1f0c2d3b4a49586776a5b4c3d2e1f0 --"] +
      [syslog(yearless(t, True), h, p, i, m) for t, h, p, i, m, _ in rows])
# rsyslog RSYSLOG_FileFormat (Debian 12's default), written at +01:00.
write("rfc3339.log", [syslog(iso(t, 1, True, True), h, p, i, m) for t, h, p, i, m, _ in rows])
# journalctl -o short-iso (TZ=Europe/Berlin: +0100 in March), offset without colon.
write("short-iso.log", [syslog(iso(t, 1, False, False), h, p, i, m) for t, h, p, i, m, _ in rows])
# journalctl -o short-iso-precise (TZ=America/New_York: -0500 in early March).
write("short-iso-precise.log", [syslog(iso(t, -5, True, False), h, p, i, m) for t, h, p, i, m, _ in rows])
# A second Postfix instance with syslog_name = postfix-in (postmulti).
write("syslog-name.log",
      [syslog(r[5][:15], r[1], r[2].replace("postfix/", "postfix-in/", 1), r[3], r[4]) for r in rows])
# Central log host: mx1 and a copy of it as mx2 (same pids, same queue ids),
# interleaved line by line.
two = []
for r in rows:
    two.append(r[5])
    two.append(syslog(r[5][:15], "mx2", r[2], r[3], r[4]))
write("two-hosts.log", two)

# journalctl -o json. Field order and values as systemd 252 (Debian 12)
# writes a syslog-transport entry; cursors, ids and hashes are made up.
SEQNUM_ID = "8d2f6a1c0b3e4f5a9c7d6e5f4a3b2c1d"
BOOT_ID = "5e1f0c2d3b4a49586776a5b4c3d2e1f0"
MACHINE_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
BOOT_AT = datetime(YEAR, 3, 4, 9, 57, 30, tzinfo=timezone.utc)
# Postfix messages written as arrays of byte values. journalctl does that
# only for text that is not valid UTF-8; these are plain ASCII (so the
# incidents stay those of samples/sessions) and check the decoding, the
# message-id and a recipient of the incident included.
AS_BYTES = ("TLS library problem", "message-id=<otp-4711@bank.example>", "to=<=cmd@mx1.example>")
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
    comm = program.rsplit("/", 1)[1][:15]
    f = {"_UID": str(uid), "_GID": str(uid and 113), "_MACHINE_ID": MACHINE_ID, "_HOSTNAME": host,
         "_SYSTEMD_SLICE": "system-postfix.slice",
         "PRIORITY": "4" if message.startswith("warning:") else "6", "SYSLOG_FACILITY": "2",
         "_TRANSPORT": "syslog", "_CAP_EFFECTIVE": "0", "SYSLOG_IDENTIFIER": program,
         "SYSLOG_TIMESTAMP": f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S} ", "_COMM": comm,
         "_EXE": f"/usr/lib/postfix/sbin/{comm}",
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
    "_UID": "0", "_GID": "0", "_MACHINE_ID": MACHINE_ID, "_HOSTNAME": "mx1", "PRIORITY": "6",
    "SYSLOG_FACILITY": "3", "_TRANSPORT": "journal", "SYSLOG_IDENTIFIER": "systemd", "_PID": "1",
    "_COMM": "systemd", "UNIT": "postfix@-.service",
    "MESSAGE": "Starting postfix@-.service - Postfix Mail Transport Agent (instance -)..."})]
for n, (t, h, p, i, m, _) in enumerate(rows):
    js.append(entry(t, syslog_fields(t, h, p, i, m, 0 if p.endswith("/master") else 106)))
    if n == 20:
        # Another program whose message is not valid UTF-8 (bytes FF FE and a NUL).
        bad = b"Invalid user \xff\xfeadmin\x00 from 203.0.113.99 port 51234"
        js.append(entry(t, {"_UID": "0", "_GID": "0", "_MACHINE_ID": MACHINE_ID, "_HOSTNAME": "mx1",
                            "PRIORITY": "6", "SYSLOG_FACILITY": "4", "_TRANSPORT": "syslog",
                            "SYSLOG_IDENTIFIER": "sshd", "SYSLOG_PID": "4242", "_PID": "4242",
                            "_COMM": "sshd", "MESSAGE": list(bad)}))
    if n == 30:
        # An entry without SYSLOG_IDENTIFIER (kernel audit).
        js.append(entry(t, {"_MACHINE_ID": MACHINE_ID, "_HOSTNAME": "mx1", "_TRANSPORT": "audit",
                            "_AUDIT_TYPE": "1131", "MESSAGE": "SERVICE_STOP pid=1 uid=0 msg='unit=x'"}))
write("json.log", js)
PY
