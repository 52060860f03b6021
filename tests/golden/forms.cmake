# Golden tests on samples/forms/: samples/sessions/mail.log rewritten into
# every log form pftls reads (see samples/forms/README.md). Each form must
# give exactly the incidents of the original, with the same UTC times; the
# two-host log gives them once per MX host. Forms that carry an offset (or
# are UTC by nature: journal JSON) are ingested with a --tz that must not
# matter. Included from CMakeLists.txt in this folder.
set(FORMS ${SAMPLES}/forms)

foreach(form rfc3164 maillog_file short-precise syslog-name)
  pftls_golden(forms_${form}_incidents sessions.incidents.csv
    INGEST --year 2026 --tz UTC ${FORMS}/${form}.log
    QUERY export incidents)
endforeach()
foreach(form rfc3339 short-iso short-iso-precise json)
  pftls_golden(forms_${form}_incidents sessions.incidents.csv
    INGEST --year 2026 --tz Asia/Tokyo ${FORMS}/${form}.log
    QUERY export incidents)
endforeach()
pftls_golden(forms_two-hosts_incidents forms.two-hosts.incidents.csv
  INGEST --year 2026 --tz UTC ${FORMS}/two-hosts.log
  QUERY export incidents)
