-- evidence.sql: the raw log lines behind incidents.
-- Purpose: for each inbound incident, the lines of the failed session(s)
--   counted against it (on any host, or with :per_host = 1 its own; the
--   rule of incidents.sql) and of the plaintext session (for a plaintext
--   mark, "p<N>", whose session was not stored: the lines stored with the
--   mark, its session's first line and the message's client= line), as read
--   at ingest time, with the file and line they came from; for each outbound one
--   ("o<N>"), the lines of its failed attempt(s) and of its plaintext
--   delivery (outbound_evidence; an --org selects no outbound incident).
-- Requires: temp.incidents_now, the incidents query's rows (same window and
--   match), made by pftls before this query runs.
-- Parameters: :incident_id, :client_ip, :org (each NULL for all),
--   :window_us, :per_host, :skew_us (as incidents.sql); {sender}: the column chosen by --match (client_ip,
--   subnet_key, org_key).
-- Columns: incident_id, role ('failed' or 'plaintext'), session_id (for
--   outbound: the outbound row's id; NULL for a mark's lines), input, line,
--   raw.
WITH inc AS (
  SELECT i.incident_id, m.mx_host, m.client_ip, m.subnet_key, m.org_key, m.session_id,
         m.accepted_at, m.accepted_ord, NULL AS mark_id
  FROM temp.incidents_now AS i
  JOIN messages AS m ON m.id = i.incident_id
  WHERE i.kind = 'inbound-downgrade'
    AND (:incident_id IS NULL OR i.incident_id = :incident_id)
    AND (:client_ip IS NULL OR m.client_ip = :client_ip)
    AND (:org IS NULL OR m.org_domain = :org)
  UNION ALL
  SELECT i.incident_id, k.mx_host, k.client_ip, k.subnet_key, k.org_key, NULL,
         k.accepted_at, k.accepted_ord, k.id
  FROM temp.incidents_now AS i
  JOIN plain_marks AS k ON k.id = CAST(substr(i.incident_id, 2) AS INTEGER)
  WHERE i.kind = 'inbound-downgrade' AND i.incident_id LIKE 'p%'
    AND (:incident_id IS NULL OR i.incident_id = :incident_id)
    AND (:client_ip IS NULL OR k.client_ip = :client_ip)
    AND (:org IS NULL OR k.org_domain = :org)
),
involved AS (
  SELECT inc.incident_id, 'failed' AS role, f.id AS session_id, f.failure_at AS at, f.failure_ord AS ord
  FROM inc
  JOIN sessions AS f
    ON f.failed = 1 AND f.{sender} = inc.{sender}
   AND f.failure_at >= inc.accepted_at - :window_us
   AND CASE WHEN f.mx_host = inc.mx_host
            THEN (f.failure_at, f.failure_ord) < (inc.accepted_at, inc.accepted_ord)
            ELSE coalesce(:per_host, 0) = 0 AND f.failure_at <= inc.accepted_at + coalesce(:skew_us, 5000000) END
  UNION ALL
  SELECT incident_id, 'plaintext', session_id, accepted_at, accepted_ord FROM inc
)
SELECT incident_id, role, session_id, input, line, raw
FROM (
  SELECT v.incident_id, v.role, v.session_id, e.input, e.line, e.raw,
         v.at, v.ord, e.id AS line_id
  FROM involved AS v
  JOIN evidence AS e ON e.session_id = v.session_id
  UNION ALL
  SELECT inc.incident_id, 'plaintext', NULL, k.connect_input, k.connect_line, k.connect_raw,
         k.accepted_at, k.accepted_ord, 0
  FROM inc JOIN plain_marks AS k ON k.id = inc.mark_id
  WHERE k.connect_raw <> ''
  UNION ALL
  SELECT inc.incident_id, 'plaintext', NULL, k.client_input, k.client_line, k.client_raw,
         k.accepted_at, k.accepted_ord, 1
  FROM inc JOIN plain_marks AS k ON k.id = inc.mark_id
  WHERE k.client_raw <> ''
  UNION ALL
  SELECT i.incident_id, oe.role, oe.outbound_id, oe.input, oe.line, oe.raw, 0, 0, oe.id
  FROM temp.incidents_now AS i
  JOIN outbound_evidence AS oe ON oe.outbound_id = CAST(substr(i.incident_id, 2) AS INTEGER)
  WHERE i.kind = 'outbound-downgrade'
    AND (:incident_id IS NULL OR i.incident_id = :incident_id)
    AND (:client_ip IS NULL OR i.client_ip = :client_ip)
    AND :org IS NULL
)
ORDER BY incident_id, at, ord, session_id, line_id;
