-- pg/status_inputs.sql: status_inputs.sql (see there) in PostgreSQL's
-- dialect: "offset" is a reserved word here.
SELECT
  path,
  "offset",
  size,
  lines,
  CASE WHEN complete = 1 THEN 'complete'
       WHEN pending_bytes > 0 THEN 'torn line pending (' || pending_bytes || ' bytes)'
       ELSE 'reading' END AS state,
  strftime('%Y-%m-%dT%H:%M:%SZ', last_read_at / 1000000, 'unixepoch') AS last_read
FROM inputs
ORDER BY last_read_at DESC, id DESC;
