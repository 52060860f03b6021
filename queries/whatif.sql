-- whatif.sql: what `pftls whatif` judges each inbound client by.
-- Purpose: per client (client_stats), its counts and the distinct
--   negotiations of its TLS sessions (direction 'in'); the policy itself is
--   evaluated by the program (src/app/whatif.h), as only libssl knows what
--   a cipher string means.
-- Parameters: :since_us / :until_us (only clients seen in [since, until),
--   and only inventory rows whose first..last seen meets it; the counts are
--   those of all time; NULL for no bound), :client_ip (NULL for all).
-- Columns: client_ip, client_name, tls_sessions, plaintext_sessions,
--   failed_sessions, messages, first_seen, last_seen (microseconds), and
--   negotiations from whatif_negotiations.sql, which the store joins to
--   these rows by client_ip (query_manifest.h): NULL for a client without
--   any. One row per client.
-- Plan: client_stats in key order. The store merges the negotiations in,
--   read in the same order, rather than looking each client up (0.6 s of
--   look-ups for a year's million clients) or joining each client's
--   inventory rows (2.5M rows, whatif over 2 s).
-- queries/pg/whatif.sql gives the same rows on PostgreSQL.
SELECT
  cs.client_ip,
  cs.client_name,
  cs.tls_sessions,
  cs.plaintext_sessions,
  cs.failed_sessions,
  cs.messages,
  cs.first_seen,
  cs.last_seen
FROM client_stats AS cs
-- One client: a key range of one (see clients.sql).
WHERE cs.client_ip >= coalesce(:client_ip, '') AND cs.client_ip <= coalesce(:client_ip, x'ff')
  AND (:since_us IS NULL OR cs.last_seen >= :since_us)
  AND (:until_us IS NULL OR cs.first_seen < :until_us)
ORDER BY cs.client_ip;
