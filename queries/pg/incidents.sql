-- pg/incidents.sql: incidents.sql (purpose, parameters, columns: see there)
-- in PostgreSQL's dialect: incident_id is text in both parts (a column has
-- one type here; pftls reports an all-digit id as a number, as SQLite
-- does), chr(10) for char(10), and the union is a named subquery.
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
  CAST(i.id AS text) AS incident_id,
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
  replace(i.recipients, chr(10), ';') AS recipients,
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
    replace(o.recipients, chr(10), ';') AS recipients,
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
FROM (SELECT * FROM inbound UNION ALL SELECT * FROM outbound_rows) AS u
ORDER BY sort_at, sort_ord, kind, incident_id;
