-- status_runs.sql: the most recent ingest runs.
-- Purpose: for `pftls status`: when cron last ran, what each run found, and
--   what the bounds dropped (nothing is dropped silently).
-- Parameters: :limit (number of runs).
-- Columns: started, seconds, inputs, lines, postfix_lines, unrecognised,
--   malformed, failures, new_incidents, dropped (the total), drops (each
--   non-zero count as NAME=N, space-separated; empty when none).
SELECT
  strftime('%Y-%m-%dT%H:%M:%SZ', started_at / 1000000, 'unixepoch') AS started,
  printf('%.3f', (finished_at - started_at) / 1e6) AS seconds,
  inputs,
  lines,
  postfix_lines,
  unrecognised,
  malformed,
  failures,
  new_incidents,
  evicted_sessions + evicted_messages + evidence_dropped + watch_full + clients_flushed
    + outbound_evicted_failures + outbound_evicted_messages + outbound_dropped AS dropped,
  trim(
    iif(evicted_sessions > 0, 'evicted_sessions=' || evicted_sessions || ' ', '')
    || iif(evicted_messages > 0, 'evicted_messages=' || evicted_messages || ' ', '')
    || iif(evidence_dropped > 0, 'evidence_dropped=' || evidence_dropped || ' ', '')
    || iif(watch_full > 0, 'watch_full=' || watch_full || ' ', '')
    || iif(clients_flushed > 0, 'clients_flushed=' || clients_flushed || ' ', '')
    || iif(outbound_evicted_failures > 0,
           'outbound_evicted_failures=' || outbound_evicted_failures || ' ', '')
    || iif(outbound_evicted_messages > 0,
           'outbound_evicted_messages=' || outbound_evicted_messages || ' ', '')
    || iif(outbound_dropped > 0, 'outbound_dropped=' || outbound_dropped || ' ', '')) AS drops
FROM runs
ORDER BY id DESC
LIMIT :limit;
