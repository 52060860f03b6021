-- failing_senders.sql: senders whose STARTTLS handshakes fail.
-- Purpose: one row per client IP with at least one failed STARTTLS session,
--   with the most recent reason; the senders an operator would lose, or
--   push to plaintext, under the current TLS policy.
-- Parameters: none.
-- Columns: client_ip, client_name, failed_sessions, last_failure_at,
--   last_reason, hosts.
SELECT
  s.client_ip,
  (SELECT x.client_name FROM sessions AS x WHERE x.failed = 1 AND x.client_ip = s.client_ip
     ORDER BY x.failure_at DESC, x.failure_ord DESC LIMIT 1) AS client_name,
  count(*) AS failed_sessions,
  strftime('%Y-%m-%dT%H:%M:%SZ', max(s.failure_at) / 1000000, 'unixepoch') AS last_failure_at,
  (SELECT x.failure_reason FROM sessions AS x WHERE x.failed = 1 AND x.client_ip = s.client_ip
     ORDER BY x.failure_at DESC, x.failure_ord DESC LIMIT 1) AS last_reason,
  group_concat(DISTINCT s.mx_host) AS hosts
FROM sessions AS s
WHERE s.failed = 1 AND s.client_ip <> ''
GROUP BY s.client_ip
ORDER BY failed_sessions DESC, s.client_ip;
