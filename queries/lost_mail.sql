-- lost_mail.sql: failed STARTTLS sessions never followed by any delivery.
-- Purpose: failures after which the same host accepted no message at all
--   from that client IP within :window_us, and the window has closed (the
--   host's log reaches past it): mail that was probably never delivered.
-- Parameters: :window_us (microseconds).
-- Columns: failure_id, mx_host, client_ip, client_name, failure_at,
--   failure_reason, window_closed_at.
SELECT
  f.id AS failure_id,
  f.mx_host,
  f.client_ip,
  f.client_name,
  strftime('%Y-%m-%dT%H:%M:%SZ', f.failure_at / 1000000, 'unixepoch') AS failure_at,
  f.failure_reason,
  strftime('%Y-%m-%dT%H:%M:%SZ', (f.failure_at + :window_us) / 1000000, 'unixepoch') AS window_closed_at
FROM sessions AS f
JOIN hosts AS h ON h.mx_host = f.mx_host
WHERE f.failed = 1 AND f.client_ip <> ''
  AND f.failure_at + :window_us <= h.newest_at
  AND NOT EXISTS (
    SELECT 1 FROM messages AS m
    WHERE m.mx_host = f.mx_host AND m.client_ip = f.client_ip
      AND (m.accepted_at, m.accepted_ord) > (f.failure_at, f.failure_ord)
      AND m.accepted_at <= f.failure_at + :window_us)
ORDER BY f.failure_at, f.failure_ord;
