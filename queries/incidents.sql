-- incidents.sql: TLS downgrade incidents, inbound and outbound.
-- Purpose: kind inbound-downgrade: one row per message that our smtpd accepted in a plaintext
--   session from a sender that had a failed STARTTLS session at most
--   :window_us before it, on any host of the store (the hosts are one MX
--   set; :per_host = 1: on the same host only), with no TLS session from the
--   message's own client IP in between, on any host. "That sender" is the same client
--   IP, or with :match = 'subnet' the same IPv4 /24 or IPv6 /64, or with
--   :match = 'org' the same registrable domain of the client name (sending
--   pools); "in between" is always per address, the one that retried (a TLS
--   session of another pool member does not show that this one can do
--   TLS), so every incident of 'ip' is one of 'subnet' and 'org' too.
--   Order across hosts: on one host, lines keep their log order (time, then
--   ord); between hosts only times compare, and clocks disagree, so a
--   plaintext message on another host up to :skew_us before the failure
--   still follows it (within the skew a sender is taken to have retried after
--   its failure, not before), and a TLS session on a third host is "in
--   between" when its time lies strictly between the two. The plaintext
--   message is a stored message (of a client watched on its host) or a
--   plaintext mark (plain_marks: any other client's; ids "p<N>"; its
--   message-id, sender and recipients are not followed, confidence comes
--   from its host alone); TLS sessions are stored sessions and TLS marks.
--   Derived from stored state each time it runs, so later input (another
--   host's run too, committed in any order) can complete, re-grade or
--   withdraw an incident. Kind outbound-downgrade: one row per message
--   and remote MX to which our own smtp client fell back to plaintext after
--   a failed handshake (table outbound; ids "o<N>"); its message_id and
--   sender are those the cleanup and qmgr lines of its queue id gave
--   (outbound_messages), else those of a stored inbound message of that
--   queue id.
-- Parameters: :window_us (microseconds), :since_us / :until_us (plaintext_at
--   bounds, NULL for none), :client_ip (NULL for all), :after_message_id /
--   :after_mark_id / :after_outbound_id (only incidents whose plaintext
--   message, mark or outbound row has a larger id: those an ingest run
--   stored; NULL for all; a rowid range, so the cost follows the rows after
--   it), :match ('ip', 'subnet' or 'org', for matched_by), :per_host (1:
--   failures of the message's own host only; NULL or 0: any host), :skew_us
--   (NULL: 5 s). {sender} is not a parameter but a
--   column pftls puts in by --match, from a fixed list: client_ip,
--   subnet_key or org_key (an index serves each).
-- Columns: incident_id, kind, confidence, client_ip, client_name, failure_at,
--   failure_reason, failed_attempts, plaintext_at, gap_seconds, queue_id,
--   message_id, sender, recipients, mx_host (the host that accepted the
--   plaintext message), matched_by ('ip', or how a
--   failure from another address was tied to this one), failure_host (the
--   host that logged the failure). Times RFC 3339 UTC, whole seconds.
WITH plain AS (
  SELECT m.id AS incident_id, m.mx_host, m.queue_id, m.client_ip, m.client_name, m.subnet_key,
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
  replace(i.recipients, char(10), ';') AS recipients,
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
    replace(o.recipients, char(10), ';') AS recipients,
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
FROM (SELECT * FROM inbound UNION ALL SELECT * FROM outbound_rows)
ORDER BY sort_at, sort_ord, kind, incident_id;
