-- pg/failing_senders.sql: failing_senders.sql (see there) in PostgreSQL's
-- dialect: string_agg for group_concat, the hosts in byte order.
SELECT
  s.client_ip,
  (SELECT x.client_name FROM sessions AS x WHERE x.failed = 1 AND x.client_ip = s.client_ip
     ORDER BY x.failure_at DESC, x.failure_ord DESC LIMIT 1) AS client_name,
  count(*) AS failed_sessions,
  strftime('%Y-%m-%dT%H:%M:%SZ', max(s.failure_at) / 1000000, 'unixepoch') AS last_failure_at,
  (SELECT x.failure_reason FROM sessions AS x WHERE x.failed = 1 AND x.client_ip = s.client_ip
     ORDER BY x.failure_at DESC, x.failure_ord DESC LIMIT 1) AS last_reason,
  string_agg(DISTINCT s.mx_host, ',' ORDER BY s.mx_host) AS hosts
FROM sessions AS s
WHERE s.failed = 1 AND s.client_ip <> ''
GROUP BY s.client_ip
ORDER BY failed_sessions DESC, s.client_ip;
