-- pg/incidents.sql: incidents.sql (purpose, parameters, columns: see there)
-- in PostgreSQL's dialect: incident_id is text in both parts (a column has
-- one type here; pftls reports an all-digit id as a number, as SQLite
-- does), chr(10) for char(10), and the union is a named subquery.
WITH plain AS (
  SELECT CAST(m.id AS text) AS incident_id, m.mx_host, m.queue_id, m.client_ip, m.client_name, m.subnet_key,
         m.org_key, m.accepted_at, m.accepted_ord, m.message_id, m.sender, m.recipients,
         s.counters_present, s.starttls_attempts
  FROM messages AS m
  JOIN sessions AS s ON s.id = m.session_id
  WHERE m.id > coalesce(:after_message_id, 0)
    AND s.failed = 0 AND s.tls = 0
    AND (:client_ip IS NULL OR m.client_ip = :client_ip)
    AND (:since_us IS NULL OR m.accepted_at >= :since_us)
    AND (:until_us IS NULL OR m.accepted_at < :until_us)
  UNION ALL
  SELECT 'p' || k.id, k.mx_host, k.queue_id, k.client_ip, k.client_name, k.subnet_key,
         k.org_key, k.accepted_at, k.accepted_ord, '', '', '', 0, NULL
  FROM plain_marks AS k
  WHERE k.id > coalesce(:after_mark_id, 0)
    AND (:client_ip IS NULL OR k.client_ip = :client_ip)
    AND (:since_us IS NULL OR k.accepted_at >= :since_us)
    AND (:until_us IS NULL OR k.accepted_at < :until_us)
),
matched AS (
  SELECT p.*,
    (SELECT f.id FROM sessions AS f
      WHERE f.failed = 1 AND f.mx_host = p.mx_host AND f.{sender} = p.{sender}
        AND f.failure_at >= p.accepted_at - :window_us
        AND (f.failure_at, f.failure_ord) < (p.accepted_at, p.accepted_ord)
      ORDER BY f.failure_at DESC, f.failure_ord DESC LIMIT 1) AS same_failure_id,
    (SELECT f.id FROM sessions AS f
      WHERE coalesce(:per_host, 0) = 0 AND f.failed = 1 AND f.{sender} = p.{sender}
        AND f.mx_host <> p.mx_host
        AND f.failure_at >= p.accepted_at - :window_us
        AND f.failure_at <= p.accepted_at + coalesce(:skew_us, 5000000)
      ORDER BY f.failure_at DESC, f.mx_host DESC, f.failure_ord DESC LIMIT 1) AS other_failure_id,
    (SELECT t.id FROM sessions AS t
      WHERE t.tls = 1 AND t.failed = 0 AND t.client_ip = p.client_ip
        AND t.tls_at <= p.accepted_at
        AND CASE WHEN t.mx_host = p.mx_host
                 THEN (t.tls_at, t.tls_ord) < (p.accepted_at, p.accepted_ord)
                 ELSE coalesce(:per_host, 0) = 0 AND t.tls_at < p.accepted_at END
      ORDER BY t.tls_at DESC, t.mx_host DESC, t.tls_ord DESC LIMIT 1) AS last_tls_id,
    (SELECT t.tls_at FROM tls_marks AS t
      WHERE t.client_ip = p.client_ip
        AND t.tls_at <= p.accepted_at
        AND CASE WHEN t.mx_host = p.mx_host
                 THEN (t.tls_at, t.tls_ord) < (p.accepted_at, p.accepted_ord)
                 ELSE coalesce(:per_host, 0) = 0 AND t.tls_at < p.accepted_at END
      ORDER BY t.tls_at DESC, t.mx_host DESC, t.tls_ord DESC LIMIT 1) AS mark_at,
    (SELECT t.tls_ord FROM tls_marks AS t
      WHERE t.client_ip = p.client_ip
        AND t.tls_at <= p.accepted_at
        AND CASE WHEN t.mx_host = p.mx_host
                 THEN (t.tls_at, t.tls_ord) < (p.accepted_at, p.accepted_ord)
                 ELSE coalesce(:per_host, 0) = 0 AND t.tls_at < p.accepted_at END
      ORDER BY t.tls_at DESC, t.mx_host DESC, t.tls_ord DESC LIMIT 1) AS mark_ord,
    (SELECT t.mx_host FROM tls_marks AS t
      WHERE t.client_ip = p.client_ip
        AND t.tls_at <= p.accepted_at
        AND CASE WHEN t.mx_host = p.mx_host
                 THEN (t.tls_at, t.tls_ord) < (p.accepted_at, p.accepted_ord)
                 ELSE coalesce(:per_host, 0) = 0 AND t.tls_at < p.accepted_at END
      ORDER BY t.tls_at DESC, t.mx_host DESC, t.tls_ord DESC LIMIT 1) AS mark_host
  FROM plain AS p
),
-- The failure: the latest before the message, on its own host or (later
-- by time, within the skew) another; the latest TLS session before it:
-- the later of the two latest (stored, marked). Same times across hosts:
-- by host name (ords of different hosts do not compare).
latest AS (
  SELECT m.*,
    CASE WHEN fo.id IS NOT NULL AND (fs.id IS NULL OR fo.failure_at > fs.failure_at)
         THEN fo.id ELSE fs.id END AS failure_id,
    CASE WHEN m.mark_at IS NULL OR (t.id IS NOT NULL AND t.tls_at >= m.mark_at) THEN t.tls_at
         ELSE m.mark_at END AS last_tls_at,
    CASE WHEN m.mark_at IS NULL OR (t.id IS NOT NULL AND t.tls_at >= m.mark_at) THEN t.tls_ord
         ELSE m.mark_ord END AS last_tls_ord,
    CASE WHEN m.mark_at IS NULL OR (t.id IS NOT NULL AND t.tls_at >= m.mark_at) THEN t.mx_host
         ELSE m.mark_host END AS last_tls_host
  FROM matched AS m
  LEFT JOIN sessions AS fs ON fs.id = m.same_failure_id
  LEFT JOIN sessions AS fo ON fo.id = m.other_failure_id
  LEFT JOIN sessions AS t ON t.id = m.last_tls_id
  WHERE m.same_failure_id IS NOT NULL OR m.other_failure_id IS NOT NULL
),
incident AS (
  SELECT l.*, f.failure_at, f.failure_ord, f.failure_reason, f.client_ip AS failed_ip,
         f.mx_host AS failure_host
  FROM latest AS l
  JOIN sessions AS f ON f.id = l.failure_id
  WHERE l.last_tls_at IS NULL
     OR CASE WHEN l.last_tls_host = f.mx_host
             THEN (l.last_tls_at, l.last_tls_ord) < (f.failure_at, f.failure_ord)
             ELSE l.last_tls_at <= f.failure_at END
),
inbound AS (
SELECT
  i.incident_id,
  'inbound-downgrade' AS kind,
  CASE WHEN (i.counters_present = 1 AND coalesce(i.starttls_attempts, 0) = 0)
         OR coalesce(h.logs_tls_established, 0) = 1
       THEN 'confirmed' ELSE 'probable' END AS confidence,
  i.client_ip,
  i.client_name,
  strftime('%Y-%m-%dT%H:%M:%SZ', i.failure_at / 1000000, 'unixepoch') AS failure_at,
  i.failure_reason,
  (SELECT count(*) FROM sessions AS c
    WHERE c.failed = 1 AND c.{sender} = i.{sender}
      AND c.failure_at >= i.accepted_at - :window_us
      AND c.failure_at <= i.accepted_at + coalesce(:skew_us, 5000000)
      AND CASE WHEN c.mx_host = i.mx_host
               THEN (c.failure_at, c.failure_ord) < (i.accepted_at, i.accepted_ord)
               ELSE coalesce(:per_host, 0) = 0 END
      AND (i.last_tls_at IS NULL
           OR CASE WHEN c.mx_host = i.last_tls_host
                   THEN (c.failure_at, c.failure_ord) > (i.last_tls_at, i.last_tls_ord)
                   ELSE c.failure_at > i.last_tls_at END)
  ) AS failed_attempts,
  strftime('%Y-%m-%dT%H:%M:%SZ', i.accepted_at / 1000000, 'unixepoch') AS plaintext_at,
  i.accepted_at / 1000000 - i.failure_at / 1000000 AS gap_seconds,
  i.queue_id,
  i.message_id,
  i.sender,
  replace(i.recipients, chr(10), ';') AS recipients,
  i.mx_host,
  CASE WHEN i.failed_ip = i.client_ip THEN 'ip' ELSE :match END AS matched_by,
  i.failure_host
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
    o.mx_host AS failure_host,
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
       mx_host, matched_by, failure_host
FROM (SELECT * FROM inbound UNION ALL SELECT * FROM outbound_rows) AS u
ORDER BY sort_at, sort_ord, kind, incident_id;
