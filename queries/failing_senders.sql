-- failing_senders.sql: senders whose STARTTLS handshakes fail.
-- Purpose: one row per client IP with at least one failed STARTTLS session,
--   with the most recent reason; the senders an operator would lose, or
--   push to plaintext, under the current TLS policy.
-- Parameters: :since_us / :until_us (only failures in [since, until), NULL
--   for no bound).
-- Columns: client_ip, client_name, failed_sessions, last_failure_at,
--   last_reason, hosts (most recently failing first).
-- Cost: one pass over the failed sessions in (client_ip, recency) order, no
--   subquery per client: the time grows as n log n with the failures.
WITH failed AS (
  SELECT client_ip, client_name, failure_at, failure_reason, mx_host,
    row_number() OVER (PARTITION BY client_ip ORDER BY failure_at DESC, failure_ord DESC) AS recency
  FROM sessions
  WHERE failed = 1 AND client_ip <> ''
    AND (:since_us IS NULL OR failure_at >= :since_us)
    AND (:until_us IS NULL OR failure_at < :until_us)
)
SELECT
  client_ip,
  max(CASE WHEN recency = 1 THEN client_name END) AS client_name,
  count(*) AS failed_sessions,
  strftime('%Y-%m-%dT%H:%M:%SZ', max(failure_at) / 1000000, 'unixepoch') AS last_failure_at,
  max(CASE WHEN recency = 1 THEN failure_reason END) AS last_reason,
  group_concat(DISTINCT mx_host) AS hosts
FROM failed
GROUP BY client_ip
ORDER BY failed_sessions DESC, client_ip;
