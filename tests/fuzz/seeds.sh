#!/usr/bin/env bash
# seeds.sh OUT: gathers the seed corpora of the fuzz targets into
# OUT/<target>/ from samples/ and tests/data/ (nothing generated is kept in
# the repository). Seeds are small, so that the fuzzer's inputs stay short:
#   line_path      16-line pieces of every syslog-form sample, and the
#                  postfix-grok-patterns messages framed as syslog lines
#   journal_json   3-entry pieces of the journalctl -o json samples
#   line_source    small samples, each also gzip/bzip2/xz/zstd compressed
#                  (the tools that are installed), and a compressed line
#                  longer than the 64 KiB bound
#   result_writer  sample lines as table rows (4 columns, cells cut at ' ')
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: seeds.sh OUT}
mkdir -p "$out"/{line_path,journal_json,line_source,result_writer}

# split_into DIR PREFIX N FILE: FILE in pieces of N lines, DIR/PREFIX-K.
split_into() {
  awk -v dir="$1" -v prefix="$2" -v n="$3" \
    '{ f = sprintf("%s/%s-%03d", dir, prefix, int((NR - 1) / n)); print > f }' "$4"
}

k=0
for log in "$top"/samples/*/*.log; do
  k=$((k + 1))
  name=$(basename "$(dirname "$log")")-$(basename "$log" .log)
  if [[ $log == */json.log ]]; then
    split_into "$out/journal_json" "$name" 3 "$log"
  else
    split_into "$out/line_path" "$name" 16 "$log"
  fi
done
awk -F'\t' '!/^#/ && NF >= 3 { printf "Oct 26 18:13:50 mx postfix/%s[4242]: %s\n", $1, $3 }' \
  "$top/tests/data/postfix-grok-patterns/lines.tsv" >"$out/grok.log"
split_into "$out/line_path" grok 16 "$out/grok.log"
rm -f "$out/grok.log"

for log in "$top"/samples/hostile/mail.log "$top"/samples/pool/mail.log \
  "$top"/samples/postfix-3.7/mta.bank.test.log; do
  name=$(basename "$(dirname "$log")")
  head -c 4000 "$log" >"$out/line_source/$name"
  for tool in gzip bzip2 xz zstd; do
    command -v "$tool" >/dev/null && "$tool" -c -q <"$out/line_source/$name" >"$out/line_source/$name.$tool"
  done
done
long=$(head -c 70000 /dev/zero | tr '\0' x)
for tool in gzip bzip2 xz zstd; do
  command -v "$tool" >/dev/null && printf 'a\n%s\nb\n' "$long" | "$tool" -c -q >"$out/line_source/long.$tool"
done

n=0
while IFS= read -r line && ((n < 200)); do
  n=$((n + 1))
  printf '\003 %s' "$line" >"$out/result_writer/row-$n"
done < <(cat "$top"/samples/hostile/mail.log "$top"/samples/versions/postfix-3.11.log)
for d in "$out"/*/; do
  echo "seeds.sh: $(find "$d" -type f | wc -l) seeds in $d" >&2
done
