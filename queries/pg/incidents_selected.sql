-- pg/incidents_selected.sql: incidents_selected.sql (see there) in
-- PostgreSQL's dialect: incident_id is text here, and the rows come in
-- SQLite's order of its mixed column: numbers (by value) before text.
SELECT i.*
FROM temp.incidents_now AS i
LEFT JOIN messages AS m ON CAST(m.id AS text) = i.incident_id AND i.kind = 'inbound-downgrade'
WHERE (:incident_id IS NULL OR i.incident_id = CAST(:incident_id AS text))
  AND (:client_ip IS NULL OR i.client_ip = :client_ip)
  AND (:org IS NULL OR m.org_domain = :org)
ORDER BY i.plaintext_at COLLATE "C",
  CASE WHEN i.incident_id ~ '^[0-9]+$' THEN 0 ELSE 1 END,
  CASE WHEN i.incident_id ~ '^[0-9]+$' THEN CAST(i.incident_id AS bigint) END,
  i.incident_id COLLATE "C";
