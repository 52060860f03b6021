-- tls.sql: the TLS inventory, one row per client (or, outbound, per server).
-- Purpose: what each peer's TLS sessions negotiated, as far as the log says
--   (tls_inventory: "TLS connection established from/to" lines, and TLS
--   sessions at smtpd_tls_loglevel 0 as parameters unknown): which protocols
--   and ciphers a tighter TLS policy would touch.
-- Parameters: :direction ('in', 'out'; NULL for both), :client_ip (NULL for
--   all).
-- Columns: direction, client_ip, client_name (inbound: the latest name
--   other than "unknown"; outbound: empty), hosts (our MX hosts, space
--   separated), tls_sessions, unknown_sessions (TLS, parameters unknown),
--   protocols, ciphers, trust (each "NAME=COUNT", space separated, most used
--   first), min_bits (the weakest cipher's bits; empty when none known),
--   first_seen, last_seen.
-- Plan: one pass over the inventory in its key order (direction, client_ip):
--   each peer's totals by GROUP BY without a sort, each list a look-up of
--   that peer's few rows by the key; then one sort of the peers (about one
--   row each), which spills to disk.
WITH
per_client AS (
  SELECT direction, client_ip,
    sum(sessions) AS tls_sessions,
    sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS unknown_sessions,
    min(CASE WHEN protocol <> '' THEN bits END) AS min_bits,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM tls_inventory
  WHERE (:direction IS NULL OR direction = :direction)
    AND (:client_ip IS NULL OR client_ip = :client_ip)
  GROUP BY direction, client_ip
)
-- group_concat follows the order of the rows it reads.
SELECT
  p.direction,
  p.client_ip,
  CASE WHEN p.direction = 'in' THEN coalesce(cs.client_name, '') ELSE '' END AS client_name,
  (SELECT group_concat(v, ' ') FROM
     (SELECT DISTINCT mx_host AS v FROM tls_inventory AS t
       WHERE t.direction = p.direction AND t.client_ip = p.client_ip ORDER BY v)) AS hosts,
  p.tls_sessions,
  p.unknown_sessions,
  coalesce((SELECT group_concat(v || '=' || n, ' ') FROM
     (SELECT protocol AS v, sum(sessions) AS n FROM tls_inventory AS t
       WHERE t.direction = p.direction AND t.client_ip = p.client_ip AND protocol <> ''
       GROUP BY v ORDER BY n DESC, v)), '') AS protocols,
  coalesce((SELECT group_concat(v || '=' || n, ' ') FROM
     (SELECT cipher AS v, sum(sessions) AS n FROM tls_inventory AS t
       WHERE t.direction = p.direction AND t.client_ip = p.client_ip AND cipher <> ''
       GROUP BY v ORDER BY n DESC, v)), '') AS ciphers,
  coalesce((SELECT group_concat(v || '=' || n, ' ') FROM
     (SELECT trust AS v, sum(sessions) AS n FROM tls_inventory AS t
       WHERE t.direction = p.direction AND t.client_ip = p.client_ip AND trust <> ''
       GROUP BY v ORDER BY n DESC, v)), '') AS trust,
  p.min_bits,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.first_seen / 1000000, 'unixepoch') AS first_seen,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.last_seen / 1000000, 'unixepoch') AS last_seen
FROM per_client AS p
LEFT JOIN client_stats AS cs ON cs.client_ip = p.client_ip
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip;
