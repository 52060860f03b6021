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
-- Plan: one ordered pass over the inventory's groups (no materialised
--   copies of it): its memory stays a sort's, which spills to disk.
WITH
inv AS NOT MATERIALIZED (
  SELECT * FROM tls_inventory
  WHERE (:direction IS NULL OR direction = :direction)
    AND (:client_ip IS NULL OR client_ip = :client_ip)
),
-- One row per (peer, kind, value) with its sessions: kind 0 our hosts, 1
-- protocols, 2 ciphers, 3 trust; read in the order each list should show.
dims AS (
  SELECT direction, client_ip, 0 AS k, mx_host AS v, sum(sessions) AS n,
         sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS unknown,
         min(CASE WHEN protocol <> '' THEN bits END) AS min_bits,
         min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM inv GROUP BY direction, client_ip, mx_host
  UNION ALL
  SELECT direction, client_ip, k, v, sum(sessions), 0, NULL, NULL, NULL
    FROM (SELECT direction, client_ip, kinds.k, sessions,
                 CASE kinds.k WHEN 1 THEN protocol WHEN 2 THEN cipher ELSE trust END AS v
            FROM inv CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) AS kinds)
    WHERE v <> '' GROUP BY direction, client_ip, k, v
),
-- group_concat follows the order of the rows it reads.
per_client AS (
  SELECT direction, client_ip,
    sum(CASE WHEN k = 0 THEN n END) AS tls_sessions,
    sum(unknown) AS unknown_sessions,
    min(min_bits) AS min_bits,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen,
    group_concat(CASE WHEN k = 0 THEN v END, ' ') AS hosts,
    group_concat(CASE WHEN k = 1 THEN v || '=' || n END, ' ') AS protocols,
    group_concat(CASE WHEN k = 2 THEN v || '=' || n END, ' ') AS ciphers,
    group_concat(CASE WHEN k = 3 THEN v || '=' || n END, ' ') AS trust
  FROM (SELECT * FROM dims
        ORDER BY direction, client_ip, k, CASE WHEN k = 0 THEN 0 ELSE n END DESC, v)
  GROUP BY direction, client_ip
)
SELECT
  p.direction,
  p.client_ip,
  CASE WHEN p.direction = 'in' THEN coalesce(cs.client_name, '') ELSE '' END AS client_name,
  p.hosts,
  p.tls_sessions,
  p.unknown_sessions,
  coalesce(p.protocols, '') AS protocols,
  coalesce(p.ciphers, '') AS ciphers,
  coalesce(p.trust, '') AS trust,
  p.min_bits,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.first_seen / 1000000, 'unixepoch') AS first_seen,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.last_seen / 1000000, 'unixepoch') AS last_seen
FROM per_client AS p
LEFT JOIN client_stats AS cs ON cs.client_ip = p.client_ip
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip;
