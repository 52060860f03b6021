-- report_regressions.sql: senders that used TLS in the previous period and
--   no longer do.
-- Purpose: one row per client IP whose latest inbound TLS session (table
--   tls_inventory) lies in the previous period [prev_since, since) and that
--   was seen again from since on (client_stats.last_seen): it came back and
--   did not use TLS. Judged by the newest data stored: with an --until in
--   the past, a sender that used TLS again after it is not listed.
-- Parameters: :since_us, :prev_since_us.
-- Columns: client_ip, client_name, tls_sessions (all stored), last_tls_at,
--   last_seen (RFC 3339 UTC, whole seconds).
WITH tls_last AS (
  SELECT client_ip, max(last_seen) AS last_tls_at, CAST(sum(sessions) AS BIGINT) AS tls_sessions
  FROM tls_inventory WHERE direction = 'in'
  GROUP BY client_ip
)
SELECT
  t.client_ip,
  cs.client_name,
  t.tls_sessions,
  strftime('%Y-%m-%dT%H:%M:%SZ', t.last_tls_at / 1000000, 'unixepoch') AS last_tls_at,
  strftime('%Y-%m-%dT%H:%M:%SZ', cs.last_seen / 1000000, 'unixepoch') AS last_seen
FROM tls_last AS t
JOIN client_stats AS cs ON cs.client_ip = t.client_ip
WHERE t.last_tls_at >= :prev_since_us AND t.last_tls_at < :since_us
  AND cs.last_seen >= :since_us
ORDER BY t.last_tls_at DESC, t.client_ip;
