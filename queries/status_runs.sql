-- status_runs.sql: the most recent ingest runs.
-- Purpose: for `pftls status`: when cron last ran and what each run found.
-- Parameters: :limit (number of runs).
-- Columns: started, seconds, inputs, lines, postfix_lines, unrecognised,
--   malformed, failures, new_incidents.
SELECT
  strftime('%Y-%m-%dT%H:%M:%SZ', started_at / 1000000, 'unixepoch') AS started,
  printf('%.3f', (finished_at - started_at) / 1e6) AS seconds,
  inputs,
  lines,
  postfix_lines,
  unrecognised,
  malformed,
  failures,
  new_incidents
FROM runs
ORDER BY id DESC
LIMIT :limit;
