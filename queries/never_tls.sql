-- never_tls.sql: senders that never use TLS.
-- Purpose: client IPs that handed us messages and never tried STARTTLS in
--   any session pftls has seen; the senders a "require TLS" policy would cut
--   off, and whose mail crosses the network in plaintext today.
-- Parameters: :since_us / :until_us (only clients seen in [since, until):
--   last_seen at or after since, first_seen before until; the counts are
--   still those of all time; NULL for no bound).
-- Columns: client_ip, client_name, sessions, messages, first_seen, last_seen.
SELECT
  client_ip,
  client_name,
  sessions,
  messages,
  strftime('%Y-%m-%dT%H:%M:%SZ', first_seen / 1000000, 'unixepoch') AS first_seen,
  strftime('%Y-%m-%dT%H:%M:%SZ', last_seen / 1000000, 'unixepoch') AS last_seen
FROM client_stats
WHERE messages > 0 AND tls_sessions = 0 AND starttls_sessions = 0 AND failed_sessions = 0
  AND (:since_us IS NULL OR last_seen >= :since_us)
  AND (:until_us IS NULL OR first_seen < :until_us)
ORDER BY messages DESC, client_ip;
