-- metrics.sql: the totals `pftls metrics` and `ingest --metrics` write.
-- Purpose: counters over the whole database (they grow as runs add data)
--   and the newest log time per host, one row per value (sessions per host
--   and state from session_days: none for days before that table was made); the incidents and
--   the lost mail come from the incidents and failures queries instead.
--   Runs the same on PostgreSQL (every host's runs are summed there).
-- Parameters: none.
-- Columns: metric (the name without pftls_ and _total), host (mx_host or
--   ''), label (a reason, a session state, a bound; or ''), value (integer;
--   for last_log_time and last_run_time unix seconds).
SELECT 'sessions' AS metric, mx_host AS host, tls_state AS label,
       CAST(sum(sessions) AS BIGINT) AS value
  FROM session_days GROUP BY mx_host, tls_state
UNION ALL
SELECT 'failures', mx_host, coalesce(failure_reason, ''), CAST(count(*) AS BIGINT)
  FROM sessions WHERE failed = 1 GROUP BY mx_host, failure_reason
UNION ALL
SELECT 'outbound_fallbacks', mx_host, failure_reason, CAST(count(*) AS BIGINT)
  FROM outbound GROUP BY mx_host, failure_reason
UNION ALL
SELECT 'last_log_time', mx_host, '', CAST(newest_at / 1000000 AS BIGINT) FROM hosts
UNION ALL
SELECT 'runs', '', '', CAST(count(*) AS BIGINT) FROM runs
UNION ALL
SELECT 'last_run_time', '', '', CAST(coalesce(max(finished_at), 0) / 1000000 AS BIGINT) FROM runs
UNION ALL
SELECT 'lines_read', '', '', CAST(coalesce(sum(lines), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'postfix_lines', '', '', CAST(coalesce(sum(postfix_lines), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'unrecognised_lines', '', '', CAST(coalesce(sum(unrecognised), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'malformed_lines', '', '', CAST(coalesce(sum(malformed), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'truncated_lines', '', '', CAST(coalesce(sum(truncated), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'evicted_sessions', CAST(coalesce(sum(evicted_sessions), 0) AS BIGINT)
  FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'evicted_messages', CAST(coalesce(sum(evicted_messages), 0) AS BIGINT)
  FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'evidence_dropped', CAST(coalesce(sum(evidence_dropped), 0) AS BIGINT)
  FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'watch_full', CAST(coalesce(sum(watch_full), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'clients_flushed', CAST(coalesce(sum(clients_flushed), 0) AS BIGINT)
  FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'outbound_evicted_failures',
       CAST(coalesce(sum(outbound_evicted_failures), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'outbound_evicted_messages',
       CAST(coalesce(sum(outbound_evicted_messages), 0) AS BIGINT) FROM runs
UNION ALL
SELECT 'bounds_hit', '', 'outbound_dropped', CAST(coalesce(sum(outbound_dropped), 0) AS BIGINT)
  FROM runs;
