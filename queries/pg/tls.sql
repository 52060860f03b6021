-- pg/tls.sql: tls.sql (see there) in PostgreSQL's dialect. tls_peers holds
-- each peer's row as the inventory gives it, kept by PgStore at each run's
-- commit (store/pg_store.cpp, kTlsPeersTable: string_agg in its order for
-- count_list and distinct_list, sums as BIGINT); the name is looked up in
-- client_stats; addresses are ordered byte-wise as SQLite does.
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
FROM tls_peers AS p
LEFT JOIN client_stats AS cs ON cs.client_ip = p.client_ip
WHERE (:direction IS NULL OR p.direction = :direction)
  AND (:client_ip IS NULL OR p.client_ip = :client_ip)
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip COLLATE "C";
