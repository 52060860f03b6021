-- incidents.sql: TLS downgrade incidents, inbound and outbound.
-- Purpose: kind inbound-downgrade: one row per message that our smtpd accepted in a plaintext
--   session from a sender that had a failed STARTTLS session on the same
--   host at most :window_us before it, with no TLS session from the
--   message's own client IP in between. "That sender" is the same client
--   IP, or with :match = 'subnet' the same IPv4 /24 or IPv6 /64, or with
--   :match = 'org' the same registrable domain of the client name (sending
--   pools); "in between" is always per address, the one that retried (a TLS
--   session of another pool member does not show that this one can do
--   TLS), so every incident of 'ip' is one of 'subnet' and 'org' too. Derived from
--   stored state each time it runs, so later input can complete, re-grade
--   or withdraw an incident. Kind outbound-downgrade: one row per message
--   and remote MX to which our own smtp client fell back to plaintext after
--   a failed handshake (table outbound; ids "o<N>"); its message_id and
--   sender are those the cleanup and qmgr lines of its queue id gave
--   (outbound_messages), else those of a stored inbound message of that
--   queue id.
-- Parameters: :window_us (microseconds), :since_us / :until_us (plaintext_at
--   bounds, NULL for none), :client_ip (NULL for all), :after_message_id /
--   :after_outbound_id (only incidents whose plaintext message, or outbound
--   row, has a larger id: those an ingest run stored; NULL for all; a rowid
--   range, so the cost follows the rows after it), :match ('ip',
--   'subnet' or 'org', for matched_by). {sender} is not a parameter but a
--   column pftls puts in by --match, from a fixed list: client_ip,
--   subnet_key or org_key (an index serves each).
-- Columns: incident_id, kind, confidence, client_ip, client_name, failure_at,
--   failure_reason, failed_attempts, plaintext_at, gap_seconds, queue_id,
--   message_id, sender, recipients, mx_host, matched_by ('ip', or how a
--   failure from another address was tied to this one). Times RFC 3339 UTC,
--   whole seconds.
WITH plain AS (
  SELECT m.*, s.counters_present, s.starttls_attempts
  FROM messages AS m
  JOIN sessions AS s ON s.id = m.session_id
  WHERE m.id > coalesce(:after_message_id, 0)
    AND s.failed = 0 AND s.tls = 0
    AND (:client_ip IS NULL OR m.client_ip = :client_ip)
    AND (:since_us IS NULL OR m.accepted_at >= :since_us)
    AND (:until_us IS NULL OR m.accepted_at < :until_us)
),
matched AS (
  SELECT p.*,
    (SELECT f.id FROM sessions AS f
      WHERE f.failed = 1 AND f.mx_host = p.mx_host
        AND f.{sender} = p.{sender}
        AND f.failure_at >= p.accepted_at - :window_us
        AND (f.failure_at, f.failure_ord) < (p.accepted_at, p.accepted_ord)
      ORDER BY f.failure_at DESC, f.failure_ord DESC LIMIT 1) AS failure_id,
    (SELECT t.id FROM sessions AS t
      WHERE t.tls = 1 AND t.failed = 0 AND t.mx_host = p.mx_host
        AND t.client_ip = p.client_ip
        AND (t.tls_at, t.tls_ord) < (p.accepted_at, p.accepted_ord)
      ORDER BY t.tls_at DESC, t.tls_ord DESC LIMIT 1) AS last_tls_id
  FROM plain AS p
),
incident AS (
  SELECT m.*, f.failure_at, f.failure_ord, f.failure_reason, f.client_ip AS failed_ip,
         t.tls_at AS last_tls_at, t.tls_ord AS last_tls_ord
  FROM matched AS m
  JOIN sessions AS f ON f.id = m.failure_id
  LEFT JOIN sessions AS t ON t.id = m.last_tls_id
  WHERE t.id IS NULL OR (t.tls_at, t.tls_ord) < (f.failure_at, f.failure_ord)
),
inbound AS (
SELECT
  i.id AS incident_id,
  'inbound-downgrade' AS kind,
  CASE WHEN (i.counters_present = 1 AND coalesce(i.starttls_attempts, 0) = 0)
         OR coalesce(h.logs_tls_established, 0) = 1
       THEN 'confirmed' ELSE 'probable' END AS confidence,
  i.client_ip,
  i.client_name,
  strftime('%Y-%m-%dT%H:%M:%SZ', i.failure_at / 1000000, 'unixepoch') AS failure_at,
  i.failure_reason,
  (SELECT count(*) FROM sessions AS c
    WHERE c.failed = 1 AND c.mx_host = i.mx_host
      AND c.{sender} = i.{sender}
      AND c.failure_at >= i.accepted_at - :window_us
      AND (c.failure_at, c.failure_ord) < (i.accepted_at, i.accepted_ord)
      AND (i.last_tls_at IS NULL OR (c.failure_at, c.failure_ord) > (i.last_tls_at, i.last_tls_ord))
  ) AS failed_attempts,
  strftime('%Y-%m-%dT%H:%M:%SZ', i.accepted_at / 1000000, 'unixepoch') AS plaintext_at,
  i.accepted_at / 1000000 - i.failure_at / 1000000 AS gap_seconds,
  i.queue_id,
  i.message_id,
  i.sender,
  replace(i.recipients, char(10), ';') AS recipients,
  i.mx_host,
  CASE WHEN i.failed_ip = i.client_ip THEN 'ip' ELSE :match END AS matched_by
  , i.accepted_at AS sort_at, i.accepted_ord AS sort_ord
FROM incident AS i
LEFT JOIN hosts AS h ON h.mx_host = i.mx_host
),
outbound_rows AS (
  -- Our own smtp client fell back to plaintext after a failed handshake:
  -- the remote MX is the "client" here; "o" marks these ids.
  SELECT
    'o' || o.id AS incident_id,
    'outbound-downgrade' AS kind,
    'confirmed' AS confidence,
    o.relay_ip AS client_ip,
    o.relay_name AS client_name,
    strftime('%Y-%m-%dT%H:%M:%SZ', o.failure_at / 1000000, 'unixepoch') AS failure_at,
    o.failure_reason,
    o.failed_attempts,
    strftime('%Y-%m-%dT%H:%M:%SZ', o.plaintext_at / 1000000, 'unixepoch') AS plaintext_at,
    o.plaintext_at / 1000000 - o.failure_at / 1000000 AS gap_seconds,
    o.queue_id,
    coalesce(nullif(om.message_id, ''), m.message_id, '') AS message_id,
    coalesce(nullif(om.sender, ''), m.sender, '') AS sender,
    replace(o.recipients, char(10), ';') AS recipients,
    o.mx_host,
    'ip' AS matched_by,
    o.plaintext_at AS sort_at, o.plaintext_ord AS sort_ord
  FROM outbound AS o
  LEFT JOIN outbound_messages AS om ON om.outbound_id = o.id
  LEFT JOIN messages AS m ON m.mx_host = o.mx_host AND m.queue_id = o.queue_id
  WHERE o.id > coalesce(:after_outbound_id, 0)
    AND (:client_ip IS NULL OR o.relay_ip = :client_ip)
    AND (:since_us IS NULL OR o.plaintext_at >= :since_us)
    AND (:until_us IS NULL OR o.plaintext_at < :until_us)
    AND o.plaintext_at - o.failure_at <= :window_us
)
SELECT incident_id, kind, confidence, client_ip, client_name, failure_at, failure_reason,
       failed_attempts, plaintext_at, gap_seconds, queue_id, message_id, sender, recipients,
       mx_host, matched_by
FROM (SELECT * FROM inbound UNION ALL SELECT * FROM outbound_rows)
ORDER BY sort_at, sort_ord, kind, incident_id;
