# Golden tests on samples/forms-real/: the real Postfix 3.7.11 capture
# samples/postfix-3.7/mx.test.log (four inbound incidents and our own smtp
# client's outbound fallback) rewritten into every log form pftls reads (see
# samples/forms-real/README.md). Each form must give exactly the incidents
# and failures of the capture, with the same UTC times: the expected files
# of the capture's own golden tests (postfix-3.7.cmake). The two-host log
# gives each incident once per MX host. Forms that carry an offset (or are UTC by nature: journal
# JSON) are ingested with a --tz that must not matter. RFC 3164 is also fed
# compressed by bzip2, xz and zstd (every case runs plain, gzip'd and cut
# into one run per line). Included from CMakeLists.txt in this folder.
set(FORMS_REAL ${SAMPLES}/forms-real)

pftls_golden(forms_real_rfc3164_incidents postfix-3.7.mx.test.incidents.csv
  EXTRA_MODES bzip2 xz zstd
  INGEST --year 2026 --tz UTC ${FORMS_REAL}/rfc3164.log
  QUERY export incidents)
foreach(form maillog_file short-precise syslog-name)
  pftls_golden(forms_real_${form}_incidents postfix-3.7.mx.test.incidents.csv
    INGEST --year 2026 --tz UTC ${FORMS_REAL}/${form}.log
    QUERY export incidents)
endforeach()
foreach(form rfc3339 short-iso short-iso-precise json)
  pftls_golden(forms_real_${form}_incidents postfix-3.7.mx.test.incidents.csv
    INGEST --year 2026 --tz Asia/Tokyo ${FORMS_REAL}/${form}.log
    QUERY export incidents)
endforeach()
# And the failures of the capture (its own golden test's expected file).
foreach(form rfc3164 maillog_file short-precise syslog-name rfc3339 short-iso short-iso-precise
        json)
  set(tz UTC)
  if(form MATCHES "^(rfc3339|short-iso|short-iso-precise|json)$")
    set(tz Asia/Tokyo)
  endif()
  pftls_golden(forms_real_${form}_failures postfix-3.7.mx.test.failures.csv NO_SPLIT ALL_RECOGNISED
    INGEST --year 2026 --tz ${tz} ${FORMS_REAL}/${form}.log
    QUERY export failures --window 2s)
endforeach()
pftls_golden(forms_real_two-hosts_incidents forms-real.two-hosts.incidents.csv
  INGEST --year 2026 --tz UTC ${FORMS_REAL}/two-hosts.log
  QUERY export incidents)
# Per-client counts over 60 sessions, added up across the sessions of each
# run and handed over at its end.
pftls_golden(forms_real_two-hosts_clients forms-real.two-hosts.clients.csv
  INGEST --year 2026 --tz UTC ${FORMS_REAL}/two-hosts.log
  QUERY export clients)
