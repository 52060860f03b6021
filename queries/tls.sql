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
--   each peer's totals and lists by GROUP BY without a sort (count_list and
--   distinct_list are pftls's aggregates, store/sqlite_functions.h; the
--   PostgreSQL form is queries/pg/tls.sql); then one sort of the peers (one
--   row each), which spills to disk.
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
FROM (
  SELECT direction, client_ip,
    distinct_list(mx_host) AS hosts,
    sum(sessions) AS tls_sessions,
    sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS unknown_sessions,
    count_list(protocol, sessions) AS protocols,
    count_list(cipher, sessions) AS ciphers,
    count_list(trust, sessions) AS trust,
    min(CASE WHEN protocol <> '' THEN bits END) AS min_bits,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM tls_inventory
  WHERE (:direction IS NULL OR direction = :direction)
    AND (:client_ip IS NULL OR client_ip = :client_ip)
  GROUP BY direction, client_ip
) AS p
LEFT JOIN client_stats AS cs ON cs.client_ip = p.client_ip
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip;
