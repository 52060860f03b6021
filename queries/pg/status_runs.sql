-- pg/status_runs.sql: status_runs.sql (see there) in PostgreSQL's
-- dialect: to_char for printf, CASE for iif.
SELECT
  strftime('%Y-%m-%dT%H:%M:%SZ', started_at / 1000000, 'unixepoch') AS started,
  to_char((finished_at - started_at) / 1e6, 'FM999999999990.000') AS seconds,
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
    CASE WHEN evicted_sessions > 0 THEN 'evicted_sessions=' || evicted_sessions || ' ' ELSE '' END
    || CASE WHEN evicted_messages > 0 THEN 'evicted_messages=' || evicted_messages || ' ' ELSE '' END
    || CASE WHEN evidence_dropped > 0 THEN 'evidence_dropped=' || evidence_dropped || ' ' ELSE '' END
    || CASE WHEN watch_full > 0 THEN 'watch_full=' || watch_full || ' ' ELSE '' END
    || CASE WHEN clients_flushed > 0 THEN 'clients_flushed=' || clients_flushed || ' ' ELSE '' END
    || CASE WHEN outbound_evicted_failures > 0 THEN 'outbound_evicted_failures=' || outbound_evicted_failures || ' ' ELSE '' END
    || CASE WHEN outbound_evicted_messages > 0 THEN 'outbound_evicted_messages=' || outbound_evicted_messages || ' ' ELSE '' END
    || CASE WHEN outbound_dropped > 0 THEN 'outbound_dropped=' || outbound_dropped || ' ' ELSE '' END) AS drops
FROM runs
ORDER BY id DESC
LIMIT :limit;
