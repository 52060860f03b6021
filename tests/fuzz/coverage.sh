#!/usr/bin/env bash
# coverage.sh FUZZ_BUILD COV_BUILD: line coverage of src/ reached by the
# fuzz targets' corpora. Builds the targets once more into COV_BUILD with
# clang's source coverage (-fprofile-instr-generate -fcoverage-mapping),
# runs each over FUZZ_BUILD/fuzz/corpus/TARGET and its seeds (-runs=0: every
# input once, nothing new), and prints llvm-cov's report for src/ (per file,
# then the total). Needs clang and llvm (PFTLS_FUZZ=1 bash .ci/setup).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fuzz=$(cd "${1:?usage: coverage.sh FUZZ_BUILD COV_BUILD}" && pwd)
cov=${2:?usage: coverage.sh FUZZ_BUILD COV_BUILD}
tool() { command -v "$1-14" || command -v "$1"; }
profdata=$(tool llvm-profdata)
llvmcov=$(tool llvm-cov)
flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S "$top" -B "$cov" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPFTLS_FUZZ=ON -DPFTLS_BUILD_TESTS=OFF -DPFTLS_BUILD_BENCH=OFF -DPFTLS_WERROR=OFF \
  -DPFTLS_PGO=off -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$cov" -j"$(nproc)" --target fuzz_targets >/dev/null
cov=$(cd "$cov" && pwd)
rm -rf "$cov/profiles"
mkdir -p "$cov/profiles"
objects=()
for t in line_path journal_json line_source result_writer; do
  exe=$cov/tests/fuzz/${t}_fuzz
  dirs=()
  for d in "$fuzz/fuzz/corpus/$t" "$fuzz/fuzz/seeds/$t"; do [[ -d $d ]] && dirs+=("$d"); done
  ((${#dirs[@]})) || continue
  LLVM_PROFILE_FILE="$cov/profiles/$t.profraw" "$exe" -runs=0 -rss_limit_mb=4096 "${dirs[@]}" \
    >"$cov/profiles/$t.log" 2>&1
  echo "coverage.sh: $t over $(find "${dirs[@]}" -type f | wc -l) inputs" >&2
  objects+=(-object "$exe")
done
"$profdata" merge -sparse "$cov"/profiles/*.profraw -o "$cov/profiles/all.profdata"
"$llvmcov" report -instr-profile="$cov/profiles/all.profdata" "${objects[@]:1}" \
  -ignore-filename-regex='^/usr/|/tests/' "$top/src"
