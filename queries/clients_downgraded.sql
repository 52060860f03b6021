-- clients_downgraded.sql: the clients with an inbound downgrade incident,
-- whose tls_status replaces the one clients.sql gives (the store joins the
-- two by client_ip: query_manifest.h).
-- Requires: temp.incidents_now (see clients.sql).
-- Parameters: :client_ip (NULL for all).
-- Columns: client_ip, tls_status ('downgraded'). One row per client, in
--   client_ip's byte order (the temporary index on incidents_now).
SELECT DISTINCT i.client_ip, 'downgraded' AS tls_status
FROM temp.incidents_now AS i
WHERE i.kind = 'inbound-downgrade'
  AND i.client_ip >= coalesce(:client_ip, '') AND i.client_ip <= coalesce(:client_ip, x'ff')
ORDER BY i.client_ip;
