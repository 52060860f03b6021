# Golden tests on the container forms of samples/forms/ and samples/forms-real/
# (written by samples/forms/make_container_forms.sh): the same Postfix lines
# as `docker compose logs` (mailcow; docker-mailserver in colour; a service
# of docker-compose v1),
# `docker logs --timestamps` of maillog_file=/dev/stdout, `kubectl logs
# --timestamps` of lines without stamp or host, a CRI log file (split lines
# joined), Docker's json-file driver (split lines joined), the boky/postfix
# image's own form and a copy-and-paste with spaces collapsed. Each must give
# the incidents and failures of the plain syslog form. Forms without a host
# give them with the host "(none)": their expected files are the plain form's
# with that column so. Each form is also read with --format naming it.
# Included from CMakeLists.txt in this folder.
foreach(set forms forms-real)
  if(set STREQUAL "forms")
    set(incidents sessions.incidents.csv)
    set(failures sessions.failures.csv)
    set(failures_window "")
    set(nohost forms)
  else()
    set(incidents postfix-3.7.mx.test.incidents.csv)
    set(failures postfix-3.7.mx.test.failures.csv)
    set(failures_window --window 2s)
    set(nohost forms-real)
  endif()
  foreach(form compose compose-v1 compose-color timestamps cri docker-json pasted kubectl boky)
    set(expect_incidents ${incidents})
    set(expect_failures ${failures})
    if(form STREQUAL "kubectl" OR form STREQUAL "boky")
      set(expect_incidents ${nohost}.no-host.incidents.csv)
      set(expect_failures ${nohost}.no-host.failures.csv)
    endif()
    pftls_golden(${set}_container_${form}_incidents ${expect_incidents} ALL_RECOGNISED
      INGEST --year 2026 --tz UTC ${SAMPLES}/${set}/${form}.log
      QUERY export incidents)
    pftls_golden(${set}_container_${form}_failures ${expect_failures} NO_SPLIT
      INGEST --year 2026 --tz UTC ${SAMPLES}/${set}/${form}.log
      QUERY export failures ${failures_window})
  endforeach()
  # --format forces the form (here the one auto-detection finds too).
  foreach(pair compose:compose timestamps:timestamps cri:cri docker-json:docker-json)
    string(REPLACE ":" ";" parts ${pair})
    list(GET parts 0 form)
    list(GET parts 1 name)
    pftls_golden(${set}_container_${form}_forced ${incidents} NO_SPLIT
      INGEST --year 2026 --tz UTC --format ${name} ${SAMPLES}/${set}/${form}.log
      QUERY export incidents)
  endforeach()
endforeach()
