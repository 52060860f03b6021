-- pg/whatif.sql: whatif.sql (see there) in PostgreSQL's dialect. The
-- negotiations are summed from the inventory here, for all time or the
-- span asked (PgStore keeps no list per peer), and made in the form of
-- src/base/negotiation_list.h with string_agg: octet_length gives the byte
-- lengths the form counts.
SELECT
  cs.client_ip,
  cs.client_name,
  cs.tls_sessions,
  cs.plaintext_sessions,
  cs.failed_sessions,
  cs.messages,
  cs.first_seen,
  cs.last_seen,
  n.negotiations
FROM client_stats AS cs
LEFT JOIN (
  SELECT g.client_ip,
         string_agg(octet_length(g.protocol) || ':' || g.protocol || ' ' ||
                    octet_length(g.cipher) || ':' || g.cipher || ' ' || g.sessions || ';',
                    '') AS negotiations
  FROM (SELECT t.client_ip, t.protocol, t.cipher, sum(t.sessions)::bigint AS sessions
          FROM tls_inventory AS t
         WHERE t.direction = 'in'
           AND (:client_ip IS NULL OR t.client_ip = :client_ip)
           AND (:since_us IS NULL OR t.last_seen >= :since_us)
           AND (:until_us IS NULL OR t.first_seen < :until_us)
         GROUP BY t.client_ip, t.protocol, t.cipher) AS g
  GROUP BY g.client_ip
) AS n ON n.client_ip = cs.client_ip
WHERE (:client_ip IS NULL OR cs.client_ip = :client_ip)
  AND (:since_us IS NULL OR cs.last_seen >= :since_us)
  AND (:until_us IS NULL OR cs.first_seen < :until_us)
ORDER BY cs.client_ip;
