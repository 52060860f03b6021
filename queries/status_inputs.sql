-- status_inputs.sql: the log files pftls knows and how far it read them.
-- Purpose: for `pftls status`: what a cron run will resume from.
-- Parameters: none.
-- Columns: path, offset (decoded bytes read), size (on disk when last read),
--   lines, state (reading / complete / torn line pending), last_read.
SELECT
  path,
  offset,
  size,
  lines,
  CASE WHEN complete = 1 THEN 'complete'
       WHEN pending_bytes > 0 THEN 'torn line pending (' || pending_bytes || ' bytes)'
       ELSE 'reading' END AS state,
  strftime('%Y-%m-%dT%H:%M:%SZ', last_read_at / 1000000, 'unixepoch') AS last_read
FROM inputs
ORDER BY last_read_at DESC, id DESC;
