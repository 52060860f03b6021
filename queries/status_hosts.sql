-- status_hosts.sql: each host's newest log time and how far it lags behind now.
-- Purpose: for `pftls status`: a host whose log stopped (or whose cron job
--   did) shows a growing lag.
-- Parameters: :now_us (the current time, microseconds since the epoch).
-- Columns: host, newest_log (RFC 3339 UTC), lag_seconds (now minus
--   newest_log; negative when the log is ahead of this clock).
SELECT
  mx_host AS host,
  strftime('%Y-%m-%dT%H:%M:%SZ', newest_at / 1000000, 'unixepoch') AS newest_log,
  CAST((:now_us - newest_at) / 1000000 AS BIGINT) AS lag_seconds
FROM hosts
ORDER BY newest_at, mx_host;
