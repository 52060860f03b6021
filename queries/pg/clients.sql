-- clients.sql (PostgreSQL): queries/clients.sql, its client filter in the
-- plain form (SQLite's form compares text with a blob, which PostgreSQL
-- refuses).
-- clients.sql: how each sending client IP talks to us: its TLS profile.
-- Purpose: one row per client IP over all hosts, answering "which senders
--   would we lose, or push to plaintext, if we tightened our TLS policy?".
--   tls_status is the first that applies of: downgraded (at least one
--   inbound incident), failing (failed sessions and no message accepted),
--   plaintext (messages, none over TLS, never a STARTTLS attempt), tls
--   (messages, all over TLS), mixed (messages, some over TLS and some not),
--   no-mail (sessions but no message and no failure).
-- Requires: temp.incidents_now, the incidents query's rows for the chosen
--   window and match (made by pftls before this query runs).
-- Parameters: :client_ip (NULL for all), :since_us / :until_us (only clients
--   seen in [since, until): last_seen at or after since, first_seen before
--   until; the counts are still those of all time; NULL for no bound).
-- Columns: client_ip, client_name, org_domain, sessions, tls_sessions,
--   plaintext_sessions, failed_sessions, messages, plaintext_messages,
--   first_seen, last_seen (microseconds), tls_status.
SELECT
  c.client_ip,
  c.client_name,
  c.org_domain,
  c.sessions,
  c.tls_sessions,
  c.plaintext_sessions,
  c.failed_sessions,
  c.messages,
  c.plaintext_messages,
  -- Microseconds: the listing shows them as UTC text (QuerySpec's
  -- utc_time_columns), on the writer's thread, not the database's.
  c.first_seen,
  c.last_seen,
  CASE
    WHEN EXISTS (SELECT 1 FROM temp.incidents_now AS i
                  WHERE i.client_ip = c.client_ip AND i.kind = 'inbound-downgrade') THEN 'downgraded'
    WHEN c.failed_sessions > 0 AND c.messages = 0 THEN 'failing'
    WHEN c.messages > 0 AND c.tls_sessions = 0 AND c.starttls_sessions = 0 THEN 'plaintext'
    WHEN c.messages > 0 AND c.plaintext_messages = 0 THEN 'tls'
    WHEN c.messages > 0 THEN 'mixed'
    WHEN c.failed_sessions = 0 THEN 'no-mail'
    ELSE 'failing'
  END AS tls_status
FROM client_stats AS c
WHERE (:client_ip IS NULL OR c.client_ip = :client_ip)
  AND (:since_us IS NULL OR c.last_seen >= :since_us)
  AND (:until_us IS NULL OR c.first_seen < :until_us)
ORDER BY c.client_ip;
