-- pg/tls.sql: tls.sql (see there) in PostgreSQL's dialect: string_agg
-- with its order for group_concat, sums as BIGINT (not numeric), addresses
-- ordered byte-wise as SQLite does.
WITH
inv AS (
  SELECT * FROM tls_inventory
  WHERE (:direction IS NULL OR direction = :direction)
    AND (:client_ip IS NULL OR client_ip = :client_ip)
),
per_client AS (
  SELECT direction, client_ip, CAST(sum(sessions) AS BIGINT) AS tls_sessions,
    CAST(sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS BIGINT) AS unknown_sessions,
    min(CASE WHEN protocol <> '' THEN bits END) AS min_bits,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM inv GROUP BY direction, client_ip
),
hosts AS (
  SELECT direction, client_ip, string_agg(mx_host, ' ' ORDER BY mx_host) AS hosts
  FROM (SELECT DISTINCT direction, client_ip, mx_host FROM inv) AS d
  GROUP BY direction, client_ip
),
protocols AS (
  SELECT direction, client_ip, string_agg(protocol || '=' || n, ' ' ORDER BY n DESC, protocol) AS protocols
  FROM (SELECT direction, client_ip, protocol, sum(sessions) AS n FROM inv WHERE protocol <> ''
        GROUP BY direction, client_ip, protocol) AS g
  GROUP BY direction, client_ip
),
ciphers AS (
  SELECT direction, client_ip, string_agg(cipher || '=' || n, ' ' ORDER BY n DESC, cipher) AS ciphers
  FROM (SELECT direction, client_ip, cipher, sum(sessions) AS n FROM inv WHERE cipher <> ''
        GROUP BY direction, client_ip, cipher) AS g
  GROUP BY direction, client_ip
),
trusts AS (
  SELECT direction, client_ip, string_agg(trust || '=' || n, ' ' ORDER BY n DESC, trust) AS trust
  FROM (SELECT direction, client_ip, trust, sum(sessions) AS n FROM inv WHERE trust <> ''
        GROUP BY direction, client_ip, trust) AS g
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
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip COLLATE "C";
