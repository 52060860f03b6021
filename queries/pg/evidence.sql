-- pg/evidence.sql: evidence.sql (see there) in PostgreSQL's dialect:
-- incident_id is text in incidents_now.
WITH inc AS (
  SELECT i.incident_id, m.mx_host, m.client_ip, m.subnet_key, m.org_key, m.session_id,
         m.accepted_at, m.accepted_ord
  FROM temp.incidents_now AS i
  JOIN messages AS m ON CAST(m.id AS text) = i.incident_id
  WHERE i.kind = 'inbound-downgrade'
    AND (:incident_id IS NULL OR i.incident_id = CAST(:incident_id AS text))
    AND (:client_ip IS NULL OR m.client_ip = :client_ip)
    AND (:org IS NULL OR m.org_domain = :org)
),
involved AS (
  SELECT inc.incident_id, 'failed' AS role, f.id AS session_id, f.failure_at AS at, f.failure_ord AS ord
  FROM inc
  JOIN sessions AS f
    ON f.failed = 1 AND f.mx_host = inc.mx_host
   AND f.{sender} = inc.{sender}
   AND f.failure_at >= inc.accepted_at - :window_us
   AND (f.failure_at, f.failure_ord) < (inc.accepted_at, inc.accepted_ord)
  UNION ALL
  SELECT incident_id, 'plaintext', session_id, accepted_at, accepted_ord FROM inc
)
SELECT v.incident_id, v.role, v.session_id, e.input, e.line, e.raw
FROM involved AS v
JOIN evidence AS e ON e.session_id = v.session_id
ORDER BY CAST(v.incident_id AS bigint), v.at, v.ord, v.session_id, e.id;
