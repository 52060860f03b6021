# Golden tests on logs written by Debian's real Postfix 3.7.11 / OpenSSL 3.0
# (samples/postfix-3.7/, captured by tests/e2e/run_e2e.sh): every build is
# checked against real Postfix output, also where Postfix cannot be installed.
set(P37 ${SAMPLES}/postfix-3.7)
foreach(log mx.test mail.weak.test mta.bank.test)
  pftls_golden(postfix37_${log}_incidents postfix-3.7.${log}.incidents.csv
    INGEST --year 2026 --tz UTC ${P37}/${log}.log
    QUERY export incidents)
endforeach()
pftls_golden(postfix37_mx_failing postfix-3.7.mx.test.failing.csv
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY failing --format csv)
pftls_golden(postfix37_mx_never_tls postfix-3.7.mx.test.never-tls.csv
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY never-tls --format csv)
# Every failure's outcome and every client's TLS profile on real Postfix
# output. The capture spans seconds, so a 2 s window closes inside it: the
# client that gave up comes out no-delivery, the TLS retry tls-retry.
pftls_golden(postfix37_mx_failures postfix-3.7.mx.test.failures.csv
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY export failures --window 2s)
pftls_golden(postfix37_mx_clients postfix-3.7.mx.test.clients.csv
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY export clients --window 2s)
# The TLS inventory on real Postfix output: TLS 1.3 at smtpd_tls_loglevel 1,
# and TLS sessions at the loglevel-0 listener (parameters unknown).
pftls_golden(postfix37_mx_tls postfix-3.7.mx.test.tls.csv
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY export tls)
# An outbound incident's evidence (pftls show o1): our host sent, the weak
# partner received; the failed attempts' lines and the plaintext delivery,
# message-id and sender from the queue id's cleanup and qmgr lines; the
# same however the log is cut into runs (split-lines).
pftls_golden(postfix37_mx_show_outbound postfix-3.7.mx.test.show-o1.txt
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY show o1)
# What a stricter policy would do to the clients of real Postfix output:
# TLS 1.3 passes any cipher list, the loglevel-0 listener's client is
# unknown, the downgraded ones are failing, the plaintext one is not lost.
pftls_golden(postfix37_mx_whatif postfix-3.7.mx.test.whatif.csv
  INGEST --year 2026 --tz UTC ${P37}/mx.test.log
  QUERY whatif --protocols >=TLSv1.2 --ciphers ECDHE+AESGCM:!aNULL --format csv)
# whatif against the real change it predicts (samples/postfix-3.7-whatif):
# before the change, the two clients that fail after it are at-risk and no
# other is; before and after together, they still are (their failed
# handshakes counted), and the others unchanged.
set(P37W ${SAMPLES}/postfix-3.7-whatif)
pftls_golden(postfix37_whatif_before postfix-3.7-whatif.before.csv
  INGEST --year 2026 --tz UTC ${P37W}/policy.test.before.log
  QUERY whatif --protocols >=TLSv1.2 --ciphers ECDHE+AESGCM:!aNULL --format csv)
pftls_golden(postfix37_whatif_both postfix-3.7-whatif.both.csv
  INGEST --year 2026 --tz UTC ${P37W}/policy.test.before.log ${P37W}/policy.test.after.log
  QUERY whatif --protocols >=TLSv1.2 --ciphers ECDHE+AESGCM:!aNULL --format csv)
