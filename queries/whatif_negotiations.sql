-- whatif_negotiations.sql: each inbound client's negotiations, which the
-- store joins to the rows of whatif.sql (query_manifest.h).
-- Parameters: as whatif.sql's.
-- Columns: client_ip, negotiations (the client's protocol, cipher and
--   sessions, summed over hosts, bits and trust, in the form of
--   src/base/negotiation_list.h; protocol and cipher '' for sessions whose
--   parameters were not logged). One row per client with any, in
--   client_ip's byte order.
-- Plan: without a time bound, the index of tls_peers that holds each
--   peer's list, read in order (0.1 s for a year's 726k peers); with one,
--   the lists summed from the inventory rows whose first..last seen meets
--   it, grouped in the inventory's key order. Only one of the two parts
--   gives rows, each part in client_ip order: no ORDER BY, which made
--   SQLite merge the two parts row by row (a third more time). The store
--   checks the order as it merges (an error, never a wrong join).
SELECT p.client_ip, p.negotiations
FROM tls_peers AS p
WHERE p.direction = 'in' AND :since_us IS NULL AND :until_us IS NULL
  AND p.client_ip >= coalesce(:client_ip, '') AND p.client_ip <= coalesce(:client_ip, x'ff')
UNION ALL
SELECT t.client_ip, negotiation_list(t.protocol, t.cipher, t.sessions)
FROM tls_inventory AS t
WHERE t.direction = 'in' AND NOT (:since_us IS NULL AND :until_us IS NULL)
  AND t.client_ip >= coalesce(:client_ip, '') AND t.client_ip <= coalesce(:client_ip, x'ff')
  AND (:since_us IS NULL OR t.last_seen >= :since_us)
  AND (:until_us IS NULL OR t.first_seen < :until_us)
GROUP BY t.client_ip;
