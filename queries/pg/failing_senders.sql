-- pg/failing_senders.sql: failing_senders.sql (see there) in PostgreSQL's
-- dialect: string_agg for group_concat, the hosts ordered explicitly by
-- their most recent failure (SQLite's group_concat follows the rows' order).
WITH failed AS (
  SELECT client_ip, client_name, failure_at, failure_reason, mx_host,
    row_number() OVER (PARTITION BY client_ip ORDER BY failure_at DESC, failure_ord DESC) AS recency
  FROM sessions
  WHERE failed = 1 AND client_ip <> ''
    AND (:since_us IS NULL OR failure_at >= :since_us)
    AND (:until_us IS NULL OR failure_at < :until_us)
),
host_recency AS (
  SELECT client_ip, mx_host, min(recency) AS recency FROM failed GROUP BY client_ip, mx_host
),
hosts AS (
  SELECT client_ip, string_agg(mx_host, ',' ORDER BY recency) AS hosts
  FROM host_recency GROUP BY client_ip
)
SELECT
  f.client_ip,
  max(CASE WHEN f.recency = 1 THEN f.client_name END) AS client_name,
  count(*) AS failed_sessions,
  strftime('%Y-%m-%dT%H:%M:%SZ', max(f.failure_at) / 1000000, 'unixepoch') AS last_failure_at,
  max(CASE WHEN f.recency = 1 THEN f.failure_reason END) AS last_reason,
  h.hosts
FROM failed AS f
JOIN hosts AS h ON h.client_ip = f.client_ip
GROUP BY f.client_ip, h.hosts
ORDER BY failed_sessions DESC, f.client_ip COLLATE "C";
