#!/usr/bin/env bash
# make_container_forms.sh: rewrites the forms of one log (a folder written
# by make_forms.sh: rfc3164.log, maillog_file.log, rfc3339.log) into the
# forms in which container runtimes and Postfix container images hand a log
# to an admin. The outputs are committed; run it again after changing the
# forms or this script:
#
#   bash samples/forms/make_container_forms.sh DIR    (samples/forms, samples/forms-real)
#
# Writes into DIR (see DIR/README.md):
#   compose.log           docker compose logs of mailcow's postfix-mailcow
#                         ("postfix-mailcow-1  | " + the RFC 3164 line), after
#                         two lines of its supervisord
#   compose-v1.log        docker-compose (v1) logs of a service "mail":
#                         "mail_1  | " + the RFC 3164 line, no colours
#   compose-color.log     docker compose logs of docker-mailserver without
#                         --no-color (the prefix in ANSI colours; inner lines
#                         rsyslog's RFC 3339 as in rfc3339.log), after the
#                         image's own start-up lines
#   timestamps.log        docker logs --timestamps of an image with Postfix's
#                         maillog_file=/dev/stdout (the outer nanosecond
#                         stamp 0.4 ms after the line's own: the inner one
#                         counts)
#   kubectl.log           kubectl logs --timestamps of lines without stamp
#                         or host ("postfix/smtpd[1]: ..."): the outer stamp
#                         is the time; no host ("(none)")
#   cri.log               a Kubernetes/CRI log file (/var/log/pods/...):
#                         lines over 100 bytes split into P parts of 64
#                         bytes, plus a stderr line of the entry script
#   docker-json.log       Docker's json-file driver, escaped as Go's encoder
#                         does (<, >, & as \u003c, \u003e, \u0026); lines over
#                         100 bytes split into parts without "\n"
#   boky.log              the boky/postfix image's rsyslog form: RFC 3339
#                         stamp, then the severity padded to 7 where the host
#                         would be (INFO, WARNING, ERR, CRIT); no host ("(none)")
#   pasted.log            rfc3164.log with every run of spaces collapsed to
#                         one, as copy and paste into a web page does
#                         ("Mar 4" for "Mar  4")
# Every form holds the same Postfix lines at the same UTC instants. Needs
# bash and python3 only; deterministic.
set -euo pipefail
dir=${1:?usage: make_container_forms.sh DIR}
python3 - "$dir" <<'PY'
import json, re, sys
from datetime import datetime, timedelta, timezone

d = sys.argv[1]
def read(name):
    return open(f"{d}/{name}", encoding="utf-8").read().splitlines()
rfc3164, maillog, rfc3339 = read("rfc3164.log"), read("maillog_file.log"), read("rfc3339.log")
assert len(rfc3164) == len(maillog) == len(rfc3339)

rows = []  # (utc datetime, rfc3164 line, maillog line, rfc3339 line, program, pid, message)
for a, b, c in zip(rfc3164, maillog, rfc3339):
    stamp, host, rest = c.split(" ", 2)
    t = datetime.fromisoformat(stamp).astimezone(timezone.utc)
    tag, message = rest.split(": ", 1)
    program, pid = tag[:-1].split("[")
    rows.append((t, a, b, c, program, pid, message))

def write(name, lines):
    with open(f"{d}/{name}", "w", encoding="utf-8", newline="\n") as f:
        for l in lines:
            f.write(l + "\n")

def nano(t, extra_ns):
    """RFC 3339 with nine fraction digits and Z, extra_ns after t."""
    ns = t.microsecond * 1000 + extra_ns
    return f"{t:%Y-%m-%dT%H:%M:%S}.{ns:09d}Z"

def go_json(obj):
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

def parts(text, size=64):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]

first = rows[0][0]
supervisor = first - timedelta(seconds=2)

# mailcow: https://github.com/mailcow/mailcow-dockerized (data/Dockerfiles/postfix:
# syslog-ng inside the container writes RFC 3164 lines; supervisord runs it).
write("compose.log",
      [f"postfix-mailcow-1  | {supervisor:%Y-%m-%d %H:%M:%S},201 INFO supervisord started with pid 1",
       f"postfix-mailcow-1  | {supervisor:%Y-%m-%d %H:%M:%S},412 INFO spawned: 'syslog-ng' with pid 8"] +
      [f"postfix-mailcow-1  | {a}" for _, a, _, _, _, _, _ in rows])

# docker-compose v1 (the Python one): SERVICE_N, padded, no stamp.
write("compose-v1.log", [f"mail_1  | {a}" for _, a, _, _, _, _, _ in rows])

# docker-mailserver: https://github.com/docker-mailserver/docker-mailserver
# (rsyslog's RFC 3339 lines on stdout, between the start-up script's own).
color = "\x1b[36mmailserver  | \x1b[0m"
local = supervisor.astimezone(timezone(timedelta(hours=1)))
write("compose-color.log",
      [f"{color}[   INF   ]  Welcome to docker-mailserver",
       f"{color}{local:%Y-%m-%d %H:%M:%S%z}"[:-2] + ":00 INFO  start-mailserver.sh: Starting daemons"] +
      [f"{color}{c}" for _, _, _, c, _, _, _ in rows])

# Postfix >= 3.4 maillog_file=/dev/stdout (postlogd; http://www.postfix.org/MAILLOG_README.html)
# read with docker logs --timestamps.
write("timestamps.log", [f"{nano(t, 400123)} {b}" for t, _, b, _, _, _, _ in rows])

# kubectl logs --timestamps of a stamp-less, host-less line.
write("kubectl.log", [f"{nano(t, 0)} {p}[{i}]: {m}" for t, _, _, _, p, i, m in rows])

# CRI: https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md
cri = [f"{nano(supervisor, 0)} stderr F + exec /usr/sbin/postfix start-fg"]
for t, a, _, _, _, _, _ in rows:
    if len(a) > 100:
        ps = parts(a)
        cri += [f"{nano(t, 1000 * k)} stdout P {p}" for k, p in enumerate(ps[:-1])]
        cri.append(f"{nano(t, 1000 * (len(ps) - 1))} stdout F {ps[-1]}")
    else:
        cri.append(f"{nano(t, 0)} stdout F {a}")
write("cri.log", cri)

# Docker json-file: https://docs.docker.com/engine/logging/drivers/json-file/
js = [go_json({"log": "+ exec /usr/sbin/postfix start-fg\n", "stream": "stderr",
               "time": nano(supervisor, 0)})]
for t, a, _, _, _, _, _ in rows:
    ps = parts(a) if len(a) > 100 else [a]
    for k, p in enumerate(ps):
        last = k == len(ps) - 1
        js.append(go_json({"log": p + ("\n" if last else ""), "stream": "stdout",
                           "time": nano(t, 1000 * k)}))
write("docker-json.log", js)

# boky/postfix: https://github.com/bokysan/docker-postfix (rsyslog inside,
# stamp, upper-case severity padded, syslog tag; seen in public posts as
# "2023-12-30T21:20:26.617755+00:00 INFO    postfix/smtpd[481]: connect from ...").
def severity(message):
    for word, sev in (("warning:", "WARNING"), ("error:", "ERR"), ("fatal:", "CRIT"),
                      ("panic:", "EMERG")):
        if message.startswith(word):
            return sev
    return "INFO"
write("boky.log", [f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}+00:00 {severity(m):<7} {p}[{i}]: {m}"
                   for t, _, _, _, p, i, m in rows])

write("pasted.log", [re.sub(" +", " ", a) for _, a, _, _, _, _, _ in rows])
PY
