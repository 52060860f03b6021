-- failures.sql: every failed inbound STARTTLS session and what came of it.
-- Purpose: one row per failed smtpd session with its outcome, from the same
--   host's first message accepted from that IP after the failure, if it
--   arrived within :window_us: 'tls-retry' (it came over TLS), 'downgraded'
--   (it came in plaintext); otherwise 'no-delivery' once the host's log
--   reaches past the window (mail that was probably lost), else 'pending'.
-- Parameters: :window_us (microseconds), :outcome (NULL for all, or one
--   outcome to keep), :client_ip (NULL for all), :since_us / :until_us
--   (failure_at bounds, NULL for none).
-- Columns: failure_id, mx_host, client_ip, client_name, failure_at,
--   failure_reason, openssl_code, outcome, outcome_at, queue_id.
WITH failure AS (
  SELECT f.*,
    (SELECT m.id FROM messages AS m
      WHERE m.mx_host = f.mx_host AND m.client_ip = f.client_ip
        AND (m.accepted_at, m.accepted_ord) > (f.failure_at, f.failure_ord)
        AND m.accepted_at <= f.failure_at + :window_us
      ORDER BY m.accepted_at, m.accepted_ord LIMIT 1) AS next_message_id
  FROM sessions AS f
  WHERE f.failed = 1 AND f.client_ip <> ''
    AND (:client_ip IS NULL OR f.client_ip = :client_ip)
    AND (:since_us IS NULL OR f.failure_at >= :since_us)
    AND (:until_us IS NULL OR f.failure_at < :until_us)
),
judged AS (
  SELECT f.*, n.accepted_at AS outcome_time, n.queue_id AS next_queue_id,
    CASE
      WHEN n.id IS NOT NULL AND s.tls = 1 AND s.failed = 0 THEN 'tls-retry'
      WHEN n.id IS NOT NULL THEN 'downgraded'
      WHEN f.failure_at + :window_us <= h.newest_at THEN 'no-delivery'
      ELSE 'pending'
    END AS outcome
  FROM failure AS f
  JOIN hosts AS h ON h.mx_host = f.mx_host
  LEFT JOIN messages AS n ON n.id = f.next_message_id
  LEFT JOIN sessions AS s ON s.id = n.session_id
)
SELECT
  id AS failure_id,
  mx_host,
  client_ip,
  client_name,
  strftime('%Y-%m-%dT%H:%M:%SZ', failure_at / 1000000, 'unixepoch') AS failure_at,
  failure_reason,
  coalesce(openssl_code, '') AS openssl_code,
  outcome,
  CASE WHEN outcome_time IS NOT NULL
       THEN strftime('%Y-%m-%dT%H:%M:%SZ', outcome_time / 1000000, 'unixepoch')
       ELSE '' END AS outcome_at,
  coalesce(next_queue_id, '') AS queue_id
FROM judged
WHERE :outcome IS NULL OR outcome = :outcome
-- The raw columns (not the failure_at text above): index sessions_failed_time
-- gives this order, so the rows stream.
ORDER BY judged.failure_at, judged.failure_ord, judged.id;
