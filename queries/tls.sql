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
WITH
inv AS (
  SELECT * FROM tls_inventory
  WHERE (:direction IS NULL OR direction = :direction)
    AND (:client_ip IS NULL OR client_ip = :client_ip)
),
per_client AS (
  SELECT direction, client_ip, sum(sessions) AS tls_sessions,
    sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS unknown_sessions,
    min(CASE WHEN protocol <> '' THEN bits END) AS min_bits,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM inv GROUP BY direction, client_ip
),
-- group_concat follows the order of the rows it reads: each list is built
-- from rows ordered as it should read.
hosts AS (
  SELECT direction, client_ip, group_concat(mx_host, ' ') AS hosts
  FROM (SELECT DISTINCT direction, client_ip, mx_host FROM inv
        ORDER BY direction, client_ip, mx_host)
  GROUP BY direction, client_ip
),
protocols AS (
  SELECT direction, client_ip, group_concat(protocol || '=' || n, ' ') AS protocols
  FROM (SELECT direction, client_ip, protocol, sum(sessions) AS n FROM inv WHERE protocol <> ''
        GROUP BY direction, client_ip, protocol ORDER BY direction, client_ip, n DESC, protocol)
  GROUP BY direction, client_ip
),
ciphers AS (
  SELECT direction, client_ip, group_concat(cipher || '=' || n, ' ') AS ciphers
  FROM (SELECT direction, client_ip, cipher, sum(sessions) AS n FROM inv WHERE cipher <> ''
        GROUP BY direction, client_ip, cipher ORDER BY direction, client_ip, n DESC, cipher)
  GROUP BY direction, client_ip
),
trusts AS (
  SELECT direction, client_ip, group_concat(trust || '=' || n, ' ') AS trust
  FROM (SELECT direction, client_ip, trust, sum(sessions) AS n FROM inv WHERE trust <> ''
        GROUP BY direction, client_ip, trust ORDER BY direction, client_ip, n DESC, trust)
  GROUP BY direction, client_ip
)
SELECT
  p.direction,
  p.client_ip,
  CASE WHEN p.direction = 'in' THEN coalesce(cs.client_name, '') ELSE '' END AS client_name,
  h.hosts,
  p.tls_sessions,
  p.unknown_sessions,
  coalesce(pr.protocols, '') AS protocols,
  coalesce(ci.ciphers, '') AS ciphers,
  coalesce(tr.trust, '') AS trust,
  p.min_bits,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.first_seen / 1000000, 'unixepoch') AS first_seen,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.last_seen / 1000000, 'unixepoch') AS last_seen
FROM per_client AS p
JOIN hosts AS h ON h.direction = p.direction AND h.client_ip = p.client_ip
LEFT JOIN protocols AS pr ON pr.direction = p.direction AND pr.client_ip = p.client_ip
LEFT JOIN ciphers AS ci ON ci.direction = p.direction AND ci.client_ip = p.client_ip
LEFT JOIN trusts AS tr ON tr.direction = p.direction AND tr.client_ip = p.client_ip
LEFT JOIN client_stats AS cs ON cs.client_ip = p.client_ip
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip;
