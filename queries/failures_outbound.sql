-- failures_outbound.sql: every failed STARTTLS handshake of our own smtp/lmtp
--   client and what came of the message (pftls failures --direction out).
-- Purpose: one row per failed attempt, as the outbound tracker stored it
--   (outbound_failures; outbound_tracker.h): an "SSL_connect error to
--   NAME[IP]:PORT" claimed by the next line of its process with a queue id,
--   or, with no such line before it, a "QUEUEID: Cannot start TLS: ..." or
--   "status=deferred (Cannot start TLS: ...)" line (reason 'other'). Its
--   outcome is the queue id's first delivery status after it, set at ingest
--   time: 'tls-retry' (status=sent, not known to be plaintext: a tls= level,
--   or no sign of plaintext, as the outbound table presumes), 'downgraded'
--   (status=sent in plaintext: the fallback the outbound table stores, or
--   tls=LEVEL:none), 'bounced' (status=bounced, or qmgr's "status=expired,
--   returned to sender"), else 'pending' (deferred again, or nothing more
--   in the log yet).
-- Parameters: :outcome (NULL for all, or one outcome to keep), :client_ip
--   (NULL for all: the remote MX's IP), :since_us / :until_us (failure_at
--   bounds, NULL for none).
-- Columns: those of failures.sql, client_ip and client_name naming the
--   remote MX: failure_id, mx_host, client_ip, client_name, failure_at,
--   failure_reason, openssl_code, outcome, outcome_at, queue_id (the failed
--   message's own).
SELECT
  id AS failure_id,
  mx_host,
  relay_ip AS client_ip,
  relay_name AS client_name,
  strftime('%Y-%m-%dT%H:%M:%SZ', failure_at / 1000000, 'unixepoch') AS failure_at,
  failure_reason,
  openssl_code,
  outcome,
  CASE WHEN outcome_at <> 0
       THEN strftime('%Y-%m-%dT%H:%M:%SZ', outcome_at / 1000000, 'unixepoch')
       ELSE '' END AS outcome_at,
  queue_id
FROM outbound_failures AS f
WHERE (:outcome IS NULL OR f.outcome = :outcome)
  AND (:client_ip IS NULL OR f.relay_ip = :client_ip)
  AND (:since_us IS NULL OR f.failure_at >= :since_us)
  AND (:until_us IS NULL OR f.failure_at < :until_us)
-- Index outbound_failures_time gives this order.
ORDER BY f.failure_at, f.id;
