-- whatif.sql: what `pftls whatif` judges each inbound client by.
-- Purpose: per client (client_stats), its counts and each distinct
--   negotiation of its TLS sessions (tls_inventory, direction 'in'); the
--   policy itself is evaluated by the program (src/app/whatif.h), as only
--   libssl knows what a cipher string means.
-- Parameters: :since_us / :until_us (only clients seen in [since, until),
--   and only inventory rows whose first..last seen meets it; the counts are
--   those of all time; NULL for no bound), :client_ip (NULL for all).
-- Columns: client_ip, client_name, tls_sessions, plaintext_sessions,
--   failed_sessions, messages, first_seen, last_seen (microseconds),
--   protocol, cipher ('' with negotiations > 0: parameters not logged),
--   negotiations (sessions of one inventory row with that protocol and
--   cipher, one row per host, bits and trust: the program sums them; 0 and
--   both '' for a client without any in the inventory). A client's rows are
--   adjacent, in no set order among themselves.
-- Plan: client_stats in key order, each client's inventory rows by a key
--   look-up (direction, client_ip), in the inventory's key order (no sort
--   per client: the program sums a negotiation's rows); not a join with the
--   inventory grouped first, which SQLite materialised without an index and
--   scanned once per client (hours on a year's million clients).
-- Portable: the same text runs on SQLite and PostgreSQL.
SELECT
  cs.client_ip,
  cs.client_name,
  cs.tls_sessions,
  cs.plaintext_sessions,
  cs.failed_sessions,
  cs.messages,
  cs.first_seen,
  cs.last_seen,
  coalesce(t.protocol, '') AS protocol,
  coalesce(t.cipher, '') AS cipher,
  coalesce(t.sessions, 0) AS negotiations
FROM client_stats AS cs
LEFT JOIN tls_inventory AS t
  ON t.direction = 'in' AND t.client_ip = cs.client_ip
  AND (:since_us IS NULL OR t.last_seen >= :since_us)
  AND (:until_us IS NULL OR t.first_seen < :until_us)
WHERE (:client_ip IS NULL OR cs.client_ip = :client_ip)
  AND (:since_us IS NULL OR cs.last_seen >= :since_us)
  AND (:until_us IS NULL OR cs.first_seen < :until_us)
ORDER BY cs.client_ip;
