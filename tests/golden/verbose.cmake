# Golden tests on samples/verbose/: verbose TLS logging (loglevel 2, the
# STARTTLS offer note) names and proves failures the other lines leave
# vague; samples/verbose/README.md says what each row stands for. NO_SPLIT:
# the alert held for the SSL_connect error after it and the offer held for
# the delivery after it are not carried from one run to the next (README,
# "What counts as what"). Included from CMakeLists.txt in this folder.
set(opts --year 2026 --tz UTC ${SAMPLES}/verbose/mail.log)
pftls_golden(verbose_incidents verbose.incidents.csv NO_SPLIT ALL_RECOGNISED
  INGEST ${opts} QUERY export incidents)
pftls_golden(verbose_failures verbose.failures.csv ALL_RECOGNISED
  INGEST ${opts} QUERY export failures)
# The alert we sent is kept with the failed session's lines.
pftls_golden(verbose_show verbose.show.txt ALL_RECOGNISED
  INGEST ${opts} QUERY show 1)
