-- pg/evidence.sql: evidence.sql (see there) in PostgreSQL's dialect:
-- incident_id is text in incidents_now (ordered as SQLite orders its
-- mixed column: numbers by value before text).
WITH inc AS (
  SELECT i.incident_id, m.mx_host, m.client_ip, m.subnet_key, m.org_key, m.session_id,
         m.accepted_at, m.accepted_ord, CAST(NULL AS bigint) AS mark_id
  FROM temp.incidents_now AS i
  JOIN messages AS m ON CAST(m.id AS text) = i.incident_id
  WHERE i.kind = 'inbound-downgrade'
    AND (:incident_id IS NULL OR i.incident_id = CAST(:incident_id AS text))
    AND (:client_ip IS NULL OR m.client_ip = :client_ip)
    AND (:org IS NULL OR m.org_domain = :org)
  UNION ALL
  SELECT i.incident_id, k.mx_host, k.client_ip, k.subnet_key, k.org_key, NULL,
         k.accepted_at, k.accepted_ord, k.id
  FROM temp.incidents_now AS i
  JOIN plain_marks AS k ON 'p' || CAST(k.id AS text) = i.incident_id
  WHERE i.kind = 'inbound-downgrade' AND i.incident_id LIKE 'p%'
    AND (:incident_id IS NULL OR i.incident_id = CAST(:incident_id AS text))
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
  SELECT inc.incident_id, 'plaintext', CAST(NULL AS bigint), k.connect_input, k.connect_line,
         k.connect_raw, k.accepted_at, k.accepted_ord, CAST(0 AS bigint)
  FROM inc JOIN plain_marks AS k ON k.id = inc.mark_id
  WHERE k.connect_raw <> ''
  UNION ALL
  SELECT inc.incident_id, 'plaintext', CAST(NULL AS bigint), k.client_input, k.client_line,
         k.client_raw, k.accepted_at, k.accepted_ord, CAST(1 AS bigint)
  FROM inc JOIN plain_marks AS k ON k.id = inc.mark_id
  WHERE k.client_raw <> ''
  UNION ALL
  SELECT i.incident_id, oe.role, oe.outbound_id, oe.input, oe.line, oe.raw,
         CAST(0 AS bigint), CAST(0 AS bigint), oe.id
  FROM temp.incidents_now AS i
  JOIN outbound_evidence AS oe ON 'o' || CAST(oe.outbound_id AS text) = i.incident_id
  WHERE i.kind = 'outbound-downgrade'
    AND (:incident_id IS NULL OR i.incident_id = CAST(:incident_id AS text))
    AND (:client_ip IS NULL OR i.client_ip = :client_ip)
    AND :org IS NULL
) AS u
ORDER BY CASE WHEN incident_id ~ '^[0-9]+$' THEN 0 ELSE 1 END,
  CASE WHEN incident_id ~ '^[0-9]+$' THEN CAST(incident_id AS bigint) END,
  incident_id COLLATE "C", at, ord, session_id, line_id;
