# Golden tests on Postfix TLS log excerpts that admins published
# (tests/data/realworld/): each folder holds mail.log as published, SOURCE
# (address, date, the year its lines were written, what it shows) and the
# expected exports, judged by hand from Postfix's semantics. Every line must
# be recognised (ALL_RECOGNISED: nothing silently dropped). Only the folders
# listed in CASES are registered; PENDING_FORMS lists excerpts in forms
# pftls cannot read yet. Included from CMakeLists.txt in this folder.
set(REALWORLD ${PROJECT_SOURCE_DIR}/tests/data/realworld)
file(STRINGS ${REALWORLD}/CASES realworld_cases REGEX "^[a-z0-9]")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${REALWORLD}/CASES)
foreach(case IN LISTS realworld_cases)
  set(dir ${REALWORLD}/${case})
  file(STRINGS ${dir}/SOURCE year_line REGEX "^year: [0-9]+$")
  string(REGEX REPLACE "^year: " "" year "${year_line}")
  if(NOT year)
    message(FATAL_ERROR "${dir}/SOURCE: no 'year: YYYY' line")
  endif()
  foreach(query failures incidents)
    add_test(NAME golden_realworld_${case}_${query}
      COMMAND bash ${GOLDEN} --all-recognised $<TARGET_FILE:pftls> ${dir}/${query}.csv
              --year ${year} --tz UTC ${dir}/mail.log -- export ${query})
    set_tests_properties(golden_realworld_${case}_${query} PROPERTIES LABELS golden)
  endforeach()
endforeach()
