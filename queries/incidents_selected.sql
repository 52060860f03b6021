-- incidents_selected.sql: some of the incidents, for an evidence report.
-- Purpose: the rows of temp.incidents_now for one incident, one client IP
--   or one sender organisation (registrable domain).
-- Requires: temp.incidents_now (the incidents query's rows).
-- Parameters: :incident_id, :client_ip, :org (each NULL for all).
-- Columns: those of incidents.sql.
SELECT i.*
FROM temp.incidents_now AS i
LEFT JOIN messages AS m ON m.id = i.incident_id AND i.kind = 'inbound-downgrade'
WHERE (:incident_id IS NULL OR i.incident_id = :incident_id)
  AND (:client_ip IS NULL OR i.client_ip = :client_ip)
  AND (:org IS NULL OR m.org_domain = :org)
ORDER BY i.plaintext_at, i.incident_id;
