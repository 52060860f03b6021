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
-- Plan: the clients seen from since on (client_stats, read whole: no index
--   on last_seen), and for each the newest of its inbound inventory rows, a
--   key range: no sum over the whole inventory.
SELECT
  x.client_ip,
  x.client_name,
  (SELECT CAST(sum(t.sessions) AS BIGINT) FROM tls_inventory AS t
    WHERE t.direction = 'in' AND t.client_ip = x.client_ip) AS tls_sessions,
  strftime('%Y-%m-%dT%H:%M:%SZ', x.last_tls_at / 1000000, 'unixepoch') AS last_tls_at,
  strftime('%Y-%m-%dT%H:%M:%SZ', x.last_seen / 1000000, 'unixepoch') AS last_seen
FROM (
  SELECT cs.client_ip, cs.client_name, cs.last_seen,
    (SELECT max(t.last_seen) FROM tls_inventory AS t
      WHERE t.direction = 'in' AND t.client_ip = cs.client_ip) AS last_tls_at
  FROM client_stats AS cs
  WHERE cs.last_seen >= :since_us
) AS x
WHERE x.last_tls_at >= :prev_since_us AND x.last_tls_at < :since_us
ORDER BY x.last_tls_at DESC, x.client_ip;
