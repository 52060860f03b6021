-- tls.sql: the TLS inventory, one row per client (or, outbound, per server).
-- Purpose: what each peer's TLS sessions negotiated, as far as the log says
--   (tls_inventory: "TLS connection established from/to" lines, and TLS
--   sessions at smtpd_tls_loglevel 0 as parameters unknown): which protocols
--   and ciphers a tighter TLS policy would touch.
-- Parameters: :direction ('in', 'out'; NULL for both), :client_ip (NULL for
--   all).
-- Columns: direction, client_ip, client_name (inbound: the latest name
--   other than "unknown"; outbound: empty), hosts (our MX hosts, space
--   separated), tls_sessions, unknown_sessions (TLS, parameters unknown),
--   protocols, ciphers, trust (each "NAME=COUNT", space separated, most used
--   first), min_bits (the weakest cipher's bits; empty when none known),
--   first_seen, last_seen.
-- Plan: tls_peers holds each peer's row as the inventory gives it, kept by
--   pftls at each run (store/sqlite_store.cpp, kTlsPeersTable; the lists
--   are count_list and distinct_list, store/sqlite_functions.h; the name
--   is client_stats'), keyed in this listing's order: a year's peers are
--   one B-tree read in order, without grouping the inventory, sorting or
--   looking up names. The PostgreSQL form groups
--   the inventory (queries/pg/tls.sql).
SELECT
  p.direction,
  p.client_ip,
  p.client_name,
  p.hosts,
  p.tls_sessions,
  p.unknown_sessions,
  coalesce(p.protocols, '') AS protocols,
  coalesce(p.ciphers, '') AS ciphers,
  coalesce(p.trust, '') AS trust,
  p.min_bits,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.first_seen / 1000000, 'unixepoch') AS first_seen,
  strftime('%Y-%m-%dT%H:%M:%SZ', p.last_seen / 1000000, 'unixepoch') AS last_seen
FROM tls_peers AS p
WHERE (:direction IS NULL OR p.direction = :direction)
  AND (:client_ip IS NULL OR p.client_ip = :client_ip)
ORDER BY p.direction, p.tls_sessions DESC, p.client_ip;
