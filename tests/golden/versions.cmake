# Golden tests on samples/versions/: one whole log per Postfix version and
# OpenSSL variant (2.10 + OpenSSL 1.0, 3.4 + 1.1, 3.7 + 3.0, 3.10 + 3.2+,
# 3.11 with its tls= delivery field), each with postscreen and tlsproxy
# lines. Every log must be read with 0 unrecognised and 0 malformed lines
# (ALL_RECOGNISED), and give exactly the rows that samples/versions/README.md
# explains. Each log is ingested with its own year and zone. Included from
# CMakeLists.txt in this folder.
set(VERSIONS ${SAMPLES}/versions)

set(v postfix-2.10-openssl-1.0)
set(opts --year 2015 --tz Europe/Berlin ${VERSIONS}/${v}.log)
pftls_golden(versions_2.10_incidents versions.${v}.incidents.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export incidents)
pftls_golden(versions_2.10_failures versions.${v}.failures.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export failures)
pftls_golden(versions_2.10_never_tls versions.${v}.never-tls.csv ALL_RECOGNISED
  INGEST ${opts} QUERY never-tls --format csv)
# The TLS inventory: "TLS connection established from" without a trust word.
pftls_golden(versions_2.10_tls versions.${v}.tls.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export tls)
# whatif in Postfix's exclusion syntax with TLS required: TLSv1 (and its
# CBC cipher) at risk, the ECDHE-GCM TLSv1.2 clients ok, the plaintext
# client lost.
pftls_golden(versions_2.10_whatif versions.${v}.whatif.csv ALL_RECOGNISED
  INGEST ${opts} QUERY whatif --protocols "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"
    --ciphers ECDHE+AESGCM:!aNULL --require-tls --format csv)

set(v postfix-3.4-openssl-1.1)
set(opts --year 2020 --tz America/New_York ${VERSIONS}/${v}.log)
pftls_golden(versions_3.4_incidents versions.${v}.incidents.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export incidents)
pftls_golden(versions_3.4_failing versions.${v}.failing.csv ALL_RECOGNISED
  INGEST ${opts} QUERY failing --format csv)

set(v postfix-3.7-openssl-3.0)
set(opts --year 2023 --tz UTC ${VERSIONS}/${v}.log)
pftls_golden(versions_3.7_incidents versions.${v}.incidents.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export incidents)
pftls_golden(versions_3.7_failures versions.${v}.failures.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export failures)

set(v postfix-3.10-openssl-3.2)
set(opts --year 2025 --tz Asia/Tokyo ${VERSIONS}/${v}.log)
pftls_golden(versions_3.10_incidents versions.${v}.incidents.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export incidents)
# A 2 h window closes inside the log: the client that timed out and never
# came back is no-delivery (with the default 24 h it would still be pending).
pftls_golden(versions_3.10_failures_2h versions.${v}.failures-2h.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export failures --window 2h)

set(v postfix-3.11)
set(opts --year 2026 --tz UTC ${VERSIONS}/${v}.log)
pftls_golden(versions_3.11_incidents versions.${v}.incidents.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export incidents)
# Our smtp client's failed handshakes, one per attempt, with every outcome:
# flaky then TLS (tls-retry), weak's deferral and fallback (downgraded),
# old's deferral and the bounce of its fallback attempt (bounced), slow's
# deferral (pending).
pftls_golden(versions_3.11_failures_out versions.${v}.failures-out.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export failures --direction out)
pftls_golden(versions_3.11_clients versions.${v}.clients.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export clients)
# The TLS inventory, both directions: TLS 1.3 lines with key exchange and
# signature, our smtp client's "established to" lines.
pftls_golden(versions_3.11_tls versions.${v}.tls.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export tls)
pftls_golden(versions_3.11_tls_out versions.${v}.tls-out.json ALL_RECOGNISED
  INGEST ${opts} QUERY tls --direction out --format json)
# The outbound incident with Postfix 3.11's tls=may:none: its evidence.
pftls_golden(versions_3.11_show_outbound versions.postfix-3.11.show-o1.txt ALL_RECOGNISED
  INGEST --year 2026 --tz UTC ${VERSIONS}/postfix-3.11.log QUERY show o1)
