# Projects pftls's incident CSV export (RFC 4180: quoted cells, doubled
# quotes, CRLF or LF line ends, quoted line breaks) onto the columns
# client_ip,failure_at,plaintext_at,queue_id, found by header name.
# Used by check_planted.sh and run_bench.sh; POSIX awk (mawk, gawk).
function parse(line,   i, c, f, q, n) {
  split("", cell)
  n = 0; f = ""; q = 0
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (q) {
      if (c == "\"") {
        if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0
      } else f = f c
    } else if (c == "\"") q = 1
    else if (c == ",") { cell[++n] = f; f = "" }
    else f = f c
  }
  cell[++n] = f
  return q  # 1: a quoted cell continues on the next line
}
{
  sub(/\r$/, "")
  rec = pending == "" ? $0 : pending "\n" $0
  if (parse(rec)) { pending = rec; next }
  pending = ""
  if (!header_done) {
    for (i in cell) col[cell[i]] = i
    split("client_ip failure_at plaintext_at queue_id", want, " ")
    for (i = 1; i <= 4; i++)
      if (!(want[i] in col)) {
        print "project_incidents: no column " want[i] " in pftls output" > "/dev/stderr"
        bad = 1
        exit 2
      }
    header_done = 1
    next
  }
  print cell[col["client_ip"]] "," cell[col["failure_at"]] "," cell[col["plaintext_at"]] "," cell[col["queue_id"]]
}
END {
  if (!header_done && !bad) { print "project_incidents: empty pftls output" > "/dev/stderr"; exit 2 }
}
