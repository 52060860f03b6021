-- failures.sql: every failed inbound STARTTLS session and what came of it.
-- Purpose: one row per failed smtpd session with its outcome, from the first
--   delivery from that IP after the failure within :window_us, on any host
--   of the store (:per_host = 1: on the same host only; order across hosts
--   as in incidents.sql, a retry on another host up to :skew_us before the
--   failure included): 'tls-retry' (a message over TLS, or a TLS session of
--   that IP on a host where it is not watched: a TLS mark), 'downgraded'
--   (a message in plaintext, stored or a plaintext mark); otherwise
--   'no-delivery' once the failure's host's log reaches past the window
--   (mail that was probably lost), else 'pending'. Of deliveries in the same
--   microsecond: a message of the failure's host, of another host, a
--   plaintext mark, a TLS mark.
-- Parameters: :window_us (microseconds), :outcome (NULL for all, or one
--   outcome to keep), :client_ip (NULL for all), :since_us / :until_us
--   (failure_at bounds, NULL for none), :per_host, :skew_us (as
--   incidents.sql).
-- Columns: failure_id, mx_host, client_ip, client_name, failure_at,
--   failure_reason, openssl_code, outcome, outcome_at, queue_id (of the
--   delivery; '' for a TLS mark).
WITH failure AS (
  SELECT f.*,
    (SELECT m.id FROM messages AS m
      WHERE m.mx_host = f.mx_host AND m.client_ip = f.client_ip
        AND (m.accepted_at, m.accepted_ord) > (f.failure_at, f.failure_ord)
        AND m.accepted_at <= f.failure_at + :window_us
      ORDER BY m.accepted_at, m.accepted_ord LIMIT 1) AS next_message_id,
    (SELECT m.id FROM messages AS m
      WHERE coalesce(:per_host, 0) = 0 AND m.client_ip = f.client_ip AND m.mx_host <> f.mx_host
        AND m.accepted_at >= f.failure_at - coalesce(:skew_us, 5000000)
        AND m.accepted_at <= f.failure_at + :window_us
      ORDER BY m.accepted_at, m.mx_host, m.accepted_ord LIMIT 1) AS other_message_id,
    (SELECT k.id FROM plain_marks AS k
      WHERE k.client_ip = f.client_ip
        AND k.accepted_at >= f.failure_at - coalesce(:skew_us, 5000000)
        AND k.accepted_at <= f.failure_at + :window_us
        AND CASE WHEN k.mx_host = f.mx_host
                 THEN (k.accepted_at, k.accepted_ord) > (f.failure_at, f.failure_ord)
                 ELSE coalesce(:per_host, 0) = 0 END
      ORDER BY k.accepted_at, k.mx_host, k.accepted_ord LIMIT 1) AS next_mark_id,
    (SELECT t.tls_at FROM tls_marks AS t
      WHERE t.client_ip = f.client_ip
        AND t.tls_at >= f.failure_at - coalesce(:skew_us, 5000000)
        AND t.tls_at <= f.failure_at + :window_us
        AND CASE WHEN t.mx_host = f.mx_host
                 THEN (t.tls_at, t.tls_ord) > (f.failure_at, f.failure_ord)
                 ELSE coalesce(:per_host, 0) = 0 END
      ORDER BY t.tls_at, t.mx_host, t.tls_ord LIMIT 1) AS next_tls_at
  FROM sessions AS f
  WHERE f.failed = 1 AND f.client_ip <> ''
    AND (:client_ip IS NULL OR f.client_ip = :client_ip)
    AND (:since_us IS NULL OR f.failure_at >= :since_us)
    AND (:until_us IS NULL OR f.failure_at < :until_us)
),
-- Each candidate's time (the largest integer when there is none).
timed AS (
  SELECT f.*,
    n.accepted_at AS n_at, n.queue_id AS n_queue, ns.tls AS n_tls, ns.failed AS n_failed,
    x.accepted_at AS x_at, x.queue_id AS x_queue, xs.tls AS x_tls, xs.failed AS x_failed,
    k.accepted_at AS k_at, k.queue_id AS k_queue, f.next_tls_at AS t_at,
    coalesce(n.accepted_at, 9223372036854775807) AS a,
    coalesce(x.accepted_at, 9223372036854775807) AS b,
    coalesce(k.accepted_at, 9223372036854775807) AS c,
    coalesce(f.next_tls_at, 9223372036854775807) AS d
  FROM failure AS f
  LEFT JOIN messages AS n ON n.id = f.next_message_id
  LEFT JOIN sessions AS ns ON ns.id = n.session_id
  LEFT JOIN messages AS x ON x.id = f.other_message_id
  LEFT JOIN sessions AS xs ON xs.id = x.session_id
  LEFT JOIN plain_marks AS k ON k.id = f.next_mark_id
),
chosen AS (
  SELECT f.*,
    CASE WHEN n_at IS NOT NULL AND a <= b AND a <= c AND a <= d THEN 'n'
         WHEN x_at IS NOT NULL AND b <= c AND b <= d THEN 'x'
         WHEN k_at IS NOT NULL AND c <= d THEN 'k'
         WHEN t_at IS NOT NULL THEN 't' END AS pick
  FROM timed AS f
),
judged AS (
  SELECT f.*,
    CASE pick WHEN 'n' THEN n_at WHEN 'x' THEN x_at WHEN 'k' THEN k_at WHEN 't' THEN t_at END
      AS outcome_time,
    CASE pick WHEN 'n' THEN n_queue WHEN 'x' THEN x_queue WHEN 'k' THEN k_queue END
      AS next_queue_id,
    CASE
      WHEN pick = 't' THEN 'tls-retry'
      WHEN pick = 'n' AND n_tls = 1 AND n_failed = 0 THEN 'tls-retry'
      WHEN pick = 'x' AND x_tls = 1 AND x_failed = 0 THEN 'tls-retry'
      WHEN pick IS NOT NULL THEN 'downgraded'
      WHEN f.failure_at + :window_us <= h.newest_at THEN 'no-delivery'
      ELSE 'pending'
    END AS outcome
  FROM chosen AS f
  JOIN hosts AS h ON h.mx_host = f.mx_host
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
